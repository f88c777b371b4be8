"""A file uploaded to be a supporting document's content (BG-24, BT-125), too large to travel
inline in the invoice: `POST /files` declares it (name, MIME code, size) and hands out a presigned
PUT URL; the file lives in S3, the invoice names it by id (`supporting_documents[].file`).

`pending` (declared; the upload may not have arrived) -> `ready` (the object is there, has the
declared size and is what its MIME code says) or `rejected` (it is not: `rejection` says why). Both
are final; a rejected file is replaced by declaring a new one. (The upload URL stays valid until it
expires: the document worker checks a ready file's bytes again when it embeds them.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from invoicing.domain.errors import Conflict, InvalidInput
from invoicing.domain.references import MimeCode, content_mismatch

FileStatus = Literal["pending", "ready", "rejected"]
FilePurpose = Literal["supporting_document"]
# A file is embedded whole, base64 (4/3 of its size), in the UBL and the CII, and attached to the PDF:
# the document function holds each about four times. Peppol leaves a message's size to the access
# points (docs/einvoicing.md): an invoice's files together stay at a fifth of a common 100 MB figure.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_INVOICE_FILES_BYTES = 20 * 1024 * 1024
UPLOAD_SECONDS = 900


class FileRejection(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Literal["size_mismatch", "content_mismatch"]
    message: str


class UploadedFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    object: Literal["file"] = "file"
    account_id: str
    purpose: FilePurpose = "supporting_document"
    filename: str
    mime_code: MimeCode
    size: int  # declared, in bytes: the upload URL is signed for exactly this Content-Length
    object_key: str
    status: FileStatus = "pending"
    rejection: FileRejection | None = None
    created: datetime
    upload_expires_at: datetime
    checked_at: datetime | None = None
    version: int = 0

    def checked(self, content: bytes, now: datetime) -> UploadedFile:
        """The uploaded bytes, checked against the declaration: `ready` or `rejected` with the reason."""
        if self.status != "pending":
            raise Conflict(f"File {self.id} is {self.status} already.", param="file")
        rejection = self.rejection_of(content)
        return self.model_copy(update={"status": "rejected" if rejection else "ready", "rejection": rejection,
                                       "checked_at": now, "version": self.version + 1})

    def rejection_of(self, content: bytes) -> FileRejection | None:
        """Why `content` is not the declared file (None: it is)."""
        if len(content) != self.size:
            return FileRejection(code="size_mismatch",
                                 message=f"The upload has {len(content)} bytes; {self.size} were declared.")
        wrong = content_mismatch(self.mime_code, content)
        if wrong is not None:
            return FileRejection(code="content_mismatch", message=f"The upload is refused: {wrong}.")
        return None

def check_declared_size(size: int) -> int:
    if not 1 <= size <= MAX_FILE_BYTES:
        raise InvalidInput(f"A file has 1 to {MAX_FILE_BYTES} bytes; {size} were declared.", param="size")
    return size
