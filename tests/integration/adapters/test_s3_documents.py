from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from invoicing.adapters.s3_documents import S3Documents
from tests.integration.adapters.conftest import REGION

BUCKET = "invoicing-documents"


@pytest.fixture
def s3(aws: None) -> Iterator[Any]:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    yield client


def test_put_stores_the_document_encrypted(s3: Any) -> None:
    documents = S3Documents(s3, BUCKET)
    assert documents.put_once("acct_1/inv_1/INV-000001.pdf", b"%PDF-1.7 ...", "application/pdf")

    stored = s3.get_object(Bucket=BUCKET, Key="acct_1/inv_1/INV-000001.pdf")
    assert stored["Body"].read() == b"%PDF-1.7 ..."
    assert stored["ContentType"] == "application/pdf"
    assert stored["ServerSideEncryption"] == "AES256"


def test_put_with_a_kms_key(s3: Any) -> None:
    key_id = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["KeyId"]
    S3Documents(s3, BUCKET, kms_key_id=key_id).put_once("a.xml", b"<Invoice/>", "application/xml")
    assert s3.head_object(Bucket=BUCKET, Key="a.xml")["ServerSideEncryption"] == "aws:kms"


def test_exists(s3: Any) -> None:
    documents = S3Documents(s3, BUCKET)
    assert not documents.exists("acct_1/inv_1/INV-000001.pdf")
    documents.put_once("acct_1/inv_1/INV-000001.pdf", b"%PDF", "application/pdf")
    assert documents.exists("acct_1/inv_1/INV-000001.pdf")


def test_a_key_holds_one_version_whoever_writes_second(s3: Any) -> None:
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    documents = S3Documents(s3, BUCKET)
    assert documents.put_once("k.pdf", b"first", "application/pdf")
    assert not documents.put_once("k.pdf", b"second", "application/pdf")  # a redelivered render request
    assert s3.get_object(Bucket=BUCKET, Key="k.pdf")["Body"].read() == b"first"
    assert len(s3.list_object_versions(Bucket=BUCKET, Prefix="k.pdf")["Versions"]) == 1


def test_exists_does_not_hide_other_errors(s3: Any) -> None:
    from botocore.exceptions import ClientError
    from botocore.stub import Stubber

    documents = S3Documents(s3, BUCKET)
    with Stubber(s3) as stub:  # what S3 answers when the role may not list the bucket
        stub.add_client_error("head_object", service_error_code="403", http_status_code=403)
        with pytest.raises(ClientError):
            documents.exists("acct_1/inv_1/INV-000001.pdf")


def test_presigned_url_is_a_short_lived_get(s3: Any) -> None:
    url = S3Documents(s3, BUCKET).presigned_url("acct_1/inv_1/INV-000001.pdf", expires_in=900)
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    assert parsed.path.endswith("/acct_1/inv_1/INV-000001.pdf")
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert int(query["X-Amz-Expires"][0]) == 900
    assert "X-Amz-Signature" in query


def test_presigned_url_can_be_fetched(s3: Any) -> None:
    import requests

    documents = S3Documents(s3, BUCKET)
    documents.put_once("acct_1/inv_1/INV-000001.pdf", b"%PDF-1.7", "application/pdf")
    url = documents.presigned_url("acct_1/inv_1/INV-000001.pdf", expires_in=60)
    response = requests.get(url, timeout=5)  # answered by moto
    assert response.status_code == 200
    assert response.content == b"%PDF-1.7"


@pytest.mark.parametrize("expires_in", [0, -1, 901, 3600])
def test_presigned_urls_never_live_longer_than_15_minutes(s3: Any, expires_in: int) -> None:
    with pytest.raises(ValueError):
        S3Documents(s3, BUCKET).presigned_url("k", expires_in=expires_in)
