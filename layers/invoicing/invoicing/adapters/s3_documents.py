"""Rendered documents (PDFs, e-invoices) in the private, encrypted bucket, handed out by
short-lived presigned URLs."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

MAX_URL_EXPIRY = 900  # seconds: a link to an invoice is for opening it now, not for sharing
_SIGV4_HANDLER_ID = "invoicing-presign-get-object-sigv4"


def _presign_with_sigv4(signature_version: str, **_: Any) -> str | None:
    # Unless a client is configured with signature_version="s3v4", botocore presigns S3 URLs
    # with SigV2 in older regions: no 15-minute cap in the URL, no SSE-KMS objects, and
    # refused by buckets that only accept SigV4. Choose the SigV4 query signer instead.
    if signature_version in ("v4-query", "s3v4-query"):
        return "s3v4-query"
    return None


def sign_puts_with_sigv4(client: Any) -> None:
    """Presigned PUT URLs of this client are SigV4 (never SigV2), like its GET URLs."""
    client.meta.events.register("choose-signer.s3.PutObject", _presign_with_sigv4,
                                unique_id="invoicing-presign-put-object-sigv4")


def presigned_put_url(client: Any, bucket: str, key: str, *, expires_in: int, **signed: Any) -> str:
    """A presigned PUT URL for `key`, valid `expires_in` seconds (at most `MAX_URL_EXPIRY`); `signed`:
    more put_object parameters the PUT must match (`ContentType`, `ContentLength`: signed headers)."""
    if not 1 <= expires_in <= MAX_URL_EXPIRY:
        raise ValueError(f"presigned URLs expire within 1 to {MAX_URL_EXPIRY} seconds, got {expires_in}")
    url: str = client.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key, **signed},
                                             ExpiresIn=expires_in)
    return url


class S3Documents:
    """The `Documents` port on S3. Objects are written with server-side encryption (SSE-S3 by
    default; pass `kms_key_id` for SSE-KMS). `exists` needs s3:ListBucket on the bucket as well as
    s3:GetObject: without it S3 answers 403 instead of 404 for a missing key, which is raised."""

    def __init__(self, client: Any, bucket: str, *, kms_key_id: str | None = None) -> None:
        self._client = client
        self._bucket = bucket
        self._kms_key_id = kms_key_id
        client.meta.events.register(
            "choose-signer.s3.GetObject", _presign_with_sigv4, unique_id=_SIGV4_HANDLER_ID
        )

    def put_once(self, key: str, body: bytes, content_type: str) -> bool:
        """Write the document unless the key exists: one key holds one version, whoever writes
        first wins, and no read comes before the write (S3's conditional `If-None-Match: *`)."""
        encryption: dict[str, str] = (
            {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self._kms_key_id}
            if self._kms_key_id
            else {"ServerSideEncryption": "AES256"}
        )
        try:
            self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type,
                                    IfNoneMatch="*", **encryption)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False  # already written (or being written) by another delivery of the same request
            raise
        return True

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404 or error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def presigned_url(self, key: str, *, expires_in: int, download_name: str | None = None) -> str:
        """A SigV4 GET URL valid for `expires_in` seconds (1 to 900); with `download_name`, S3 answers
        with `Content-Disposition: attachment` so the browser saves the file under that name."""
        if not 1 <= expires_in <= MAX_URL_EXPIRY:
            raise ValueError(f"presigned URLs expire within 1 to {MAX_URL_EXPIRY} seconds, got {expires_in}")
        params = {"Bucket": self._bucket, "Key": key}
        if download_name:
            safe = "".join(c for c in download_name if c.isalnum() or c in "-_.") or "document"
            params["ResponseContentDisposition"] = f'attachment; filename="{safe}"'
        url: str = self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
        return url

    def get(self, key: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise KeyError(key) from None
            raise
        body: bytes = response["Body"].read()
        return body
