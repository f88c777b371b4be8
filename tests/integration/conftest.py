"""Moto-backed stack for handler tests: every table, bucket and queue comes from template.yaml."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.integration.lambdas import ROOT, LambdaContext, api_event, load_function
from tests.integration.tables import create_tables_from_template

REGION = "eu-west-1"


class HandlerStack:
    """The three functions loaded against one moto account, plus helpers to call them."""

    def __init__(self, tables: dict[str, str], bucket: str, queue_url: str) -> None:
        self.tables, self.bucket, self.queue_url = tables, bucket, queue_url
        self.api = load_function("api")
        self.authorizer = load_function("authorizer")
        self.documents = load_function("documents")
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        from invoicing.onboarding import create_account_with_key

        account, self.api_key = create_account_with_key(self.dynamodb, tables["InvoicingTable"], name="Test Seller AB")
        self.account_id = account.id

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        event = api_event(method, path, account_id=kw.pop("account_id", self.account_id), body=body, **kw)
        response = self.api.lambda_handler(event, LambdaContext())
        payload = response["body"]
        return response["statusCode"], json.loads(payload) if payload else None

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        status, payload = self.call(method, path, body, **kw)
        assert status < 300, (status, payload)
        return payload

    def pump_render_queue(self) -> dict[str, Any]:
        """Deliver what waits on the render queue to the document function, as Lambda's poller would."""
        received = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        records = [
            {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"], "attributes": {},
             "messageAttributes": {}, "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs",
             "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:render", "awsRegion": REGION}
            for m in received.get("Messages", [])
        ]
        result = self.documents.lambda_handler({"Records": records}, LambdaContext()) if records else {}
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for m in received.get("Messages", []):
            if m["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        return {"delivered": len(records), "failed": len(failed)}


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[HandlerStack]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "InvoicingTest")
    with mock_aws():
        tables = create_tables_from_template(boto3.client("dynamodb", region_name=REGION), ROOT / "template.yaml")
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="documents", CreateBucketConfiguration={"LocationConstraint": REGION})
        queue_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="render")["QueueUrl"]
        monkeypatch.setenv("TABLE_NAME", tables["InvoicingTable"])
        monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", tables["IdempotencyTable"])
        monkeypatch.setenv("DOCUMENTS_BUCKET", "documents")
        monkeypatch.setenv("RENDER_QUEUE_URL", queue_url)
        yield HandlerStack(tables, "documents", queue_url)
