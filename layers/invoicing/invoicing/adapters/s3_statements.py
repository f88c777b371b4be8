"""Uploaded bank statement files in the private statements bucket (the `StatementFiles` port).

A file is uploaded by a presigned SigV4 PUT URL (15 minutes); the bucket encrypts it by default
(SSE-S3), and its object-created notification goes to the statements queue. The worker reads the
object's size first (HeadObject) and refuses a file over the limit without downloading it."""

from __future__ import annotations

from typing import Any

from invoicing.adapters.s3_documents import MAX_URL_EXPIRY
from invoicing.adapters.s3_documents import _presign_with_sigv4 as presign_with_sigv4  # SigV4, never SigV2
from invoicing.domain.bank_statement import StatementRejected

_SIGV4_HANDLER_ID = "invoicing-presign-put-object-sigv4"


class S3StatementFiles:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket
        client.meta.events.register("choose-signer.s3.PutObject", presign_with_sigv4, unique_id=_SIGV4_HANDLER_ID)

    def upload_url(self, key: str, *, expires_in: int) -> str:
        if not 1 <= expires_in <= MAX_URL_EXPIRY:
            raise ValueError(f"presigned URLs expire within 1 to {MAX_URL_EXPIRY} seconds, got {expires_in}")
        url: str = self._client.generate_presigned_url("put_object", Params={"Bucket": self._bucket, "Key": key},
                                                       ExpiresIn=expires_in)
        return url

    def read(self, key: str, *, max_bytes: int) -> bytes:
        size = int(self._client.head_object(Bucket=self._bucket, Key=key)["ContentLength"])
        if size > max_bytes:
            raise StatementRejected(f"The file is {size} bytes; at most {max_bytes} are read.", param="file")
        body: bytes = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read(max_bytes + 1)
        if len(body) > max_bytes:  # replaced by a larger file since the HeadObject
            raise StatementRejected(f"The file is larger than {max_bytes} bytes.", param="file")
        return body
