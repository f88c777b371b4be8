"""Uploaded supporting-document files in the private files bucket (the `FileStore` port).

A file is uploaded by a presigned SigV4 PUT URL that signs `Content-Type` and `Content-Length`:
S3 refuses (403 SignatureDoesNotMatch) a PUT of another type or another length than was declared.
The bucket encrypts it by default (SSE-S3). Reading a file looks at its size first (HeadObject), so an
object larger than asked for is never downloaded."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from invoicing.adapters.s3_documents import presigned_put_url, sign_puts_with_sigv4


class S3FileStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket
        sign_puts_with_sigv4(client)

    def upload_url(self, key: str, *, content_type: str, size: int, expires_in: int) -> str:
        return presigned_put_url(self._client, self._bucket, key, expires_in=expires_in, ContentType=content_type,
                                 ContentLength=size)

    def read(self, key: str, *, max_bytes: int) -> bytes | None:
        """The object, or None while it is not there; at most `max_bytes` + 1 bytes of it (a
        larger object reads as that much: too large, whatever the rest is)."""
        try:
            size = int(self._client.head_object(Bucket=self._bucket, Key=key)["ContentLength"])
        except ClientError as error:
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return None
            raise
        if size > max_bytes:
            return b"\0" * (max_bytes + 1)
        body: bytes = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read(max_bytes + 1)
        return body
