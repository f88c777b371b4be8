"""Uploaded bank statement files in the private statements bucket (the `StatementFiles` port).

A file is uploaded by a presigned SigV4 PUT URL (15 minutes); the bucket encrypts it by default
(SSE-S3), and its object-created notification goes to the statements queue. The worker reads the
object's size first (HeadObject) and refuses a file over the limit without downloading it."""

from __future__ import annotations

from typing import Any

from invoicing.adapters.s3_documents import presigned_put_url, sign_puts_with_sigv4
from invoicing.domain.bank_statement import StatementRejected


class S3StatementFiles:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket
        sign_puts_with_sigv4(client)

    def upload_url(self, key: str, *, expires_in: int) -> str:
        return presigned_put_url(self._client, self._bucket, key, expires_in=expires_in)

    def read(self, key: str, *, max_bytes: int) -> bytes:
        size = int(self._client.head_object(Bucket=self._bucket, Key=key)["ContentLength"])
        if size > max_bytes:
            raise StatementRejected(f"The file is {size} bytes; at most {max_bytes} are read.", param="file")
        body: bytes = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read(max_bytes + 1)
        if len(body) > max_bytes:  # replaced by a larger file since the HeadObject
            raise StatementRejected(f"The file is larger than {max_bytes} bytes.", param="file")
        return body
