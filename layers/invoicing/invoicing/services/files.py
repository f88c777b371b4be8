"""Uploaded files for supporting documents (BG-24) too large to travel inline: declared by
`POST /files`, put in the files bucket by a presigned URL, checked when first looked at.

A file is checked (its size as declared, its content what its MIME code says: the same checks as an
inline attachment, `domain.references.content_mismatch`) the first time it is read after its object
arrived — `GET /files/{id}`, or the finalization of an invoice that names it — and is then `ready` or
`rejected` for good. Finalization refuses an invoice while one of its files is not ready (409
`file_not_ready`), and the document worker reads the ready files' bytes to embed them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from invoicing.domain.errors import ConcurrentChange, Conflict, InvalidInput, NotFound
from invoicing.domain.files import (
    MAX_FILE_BYTES,
    MAX_INVOICE_FILES_BYTES,
    UPLOAD_SECONDS,
    FilePurpose,
    UploadedFile,
    check_declared_size,
)
from invoicing.domain.invoice import Invoice
from invoicing.domain.references import MimeCode, UploadedContent, check_file_names
from invoicing.services.ports import Clock, FileStore, Ids, UnitOfWork

KEY_PREFIX = "files/"


def file_key(account_id: str, file_id: str) -> str:
    """Each account's files under a prefix of their own: S3 scales request rates per prefix."""
    return f"{KEY_PREFIX}{account_id}/{file_id}"


class FileNotReady(Conflict):
    code = "file_not_ready"


@dataclass(frozen=True)
class FileUpload:
    file: UploadedFile
    upload_url: str


@dataclass(frozen=True)
class FileService:
    uow: UnitOfWork
    clock: Clock
    ids: Ids
    store: FileStore

    def create(self, account_id: str, *, filename: str, mime_code: MimeCode, size: int,
               purpose: FilePurpose = "supporting_document") -> FileUpload:
        """A declared file and the presigned PUT URL (15 minutes) signed for its type and length."""
        check_declared_size(size)
        now = self.clock.now()
        file_id = self.ids.new("file")
        file = UploadedFile(id=file_id, account_id=account_id, purpose=purpose, filename=filename,
                            mime_code=mime_code, size=size, object_key=file_key(account_id, file_id), created=now,
                            upload_expires_at=now + timedelta(seconds=UPLOAD_SECONDS))
        with self.uow:
            self.uow.accounts.get(account_id)
            self.uow.files.add(file)
            self.uow.commit()
        return FileUpload(file, self.store.upload_url(file.object_key, content_type=mime_code, size=size,
                                                      expires_in=UPLOAD_SECONDS))

    def get(self, account_id: str, file_id: str) -> UploadedFile:
        """The file, checked if its upload arrived since it was last looked at."""
        with self.uow:
            file = self.uow.files.get(account_id, file_id)
        return self._checked(file) if file.status == "pending" else file

    def _checked(self, file: UploadedFile) -> UploadedFile:
        content = self.store.read(file.object_key, max_bytes=MAX_FILE_BYTES)
        if content is None:
            return file  # not uploaded yet
        checked = file.checked(content, self.clock.now())
        try:
            with self.uow:
                self.uow.files.get(file.account_id, file.id)
                self.uow.files.save(checked)
                self.uow.commit()
        except ConcurrentChange:  # checked by another request meanwhile: its verdict stands
            with self.uow:
                return self.uow.files.get(file.account_id, file.id)
        return checked

    def require_ready(self, invoice: Invoice) -> None:
        """`check_files` on the files the draft names, each checked now if its upload just arrived."""
        check_files(invoice, lambda file_id: self.get(invoice.account_id, file_id))

    def contents(self, invoice: Invoice) -> dict[str, UploadedContent]:
        """The bytes of every file a finalized invoice names, by file id (the document worker)."""
        found: dict[str, UploadedContent] = {}
        for index, document in enumerate(invoice.supporting_documents):
            if document.file is None:
                continue
            with self.uow:
                file = self.uow.files.get(invoice.account_id, document.file)
            check_ready(file, f"supporting_documents[{index}].file")
            # Read and checked again: the upload URL may have been used again (same type and length)
            # until it expired, after the file was found ready.
            content = self.store.read(file.object_key, max_bytes=file.size)
            if content is None or file.rejection_of(content) is not None:
                raise FileNotReady(f"File '{file.id}' is no longer what was checked.",
                                   param=f"supporting_documents[{index}].file")
            found[file.id] = UploadedContent(filename=file.filename, mime_code=file.mime_code, content=content)
        return found


def check_files(invoice: Invoice, read: Callable[[str], UploadedFile]) -> None:
    """Each file the draft names (`read` by id) exists in its account and is ready, else a 409 naming
    `supporting_documents[i].file`; together they stay within `MAX_INVOICE_FILES_BYTES`, each with a
    name no other file of the invoice has (else a 400). What finalization asks of an invoice's files."""
    total = 0
    names = [d.attachment.filename for d in invoice.supporting_documents if d.attachment is not None]
    for index, document in enumerate(invoice.supporting_documents):
        if document.file is None:
            continue
        param = f"supporting_documents[{index}].file"
        try:
            file = read(document.file)
        except NotFound:
            raise FileNotReady(f"No such file: '{document.file}'.", param=param) from None
        check_ready(file, param)
        total += file.size
        names.append(file.filename)
        try:
            check_file_names(names)
        except ValueError as error:
            raise InvalidInput(f"File '{file.id}' ({file.filename}): {error}.", param=param) from None
    if total > MAX_INVOICE_FILES_BYTES:
        raise InvalidInput(f"The invoice's uploaded files have {total} bytes together; an invoice may carry "
                           f"at most {MAX_INVOICE_FILES_BYTES}.", param="supporting_documents")


def check_ready(file: UploadedFile, param: str) -> None:
    if file.status == "ready":
        return
    why = (f"it was rejected: {file.rejection.message}" if file.status == "rejected" and file.rejection
           else "its upload has not arrived yet (PUT it to its upload_url, then finalize again)")
    raise FileNotReady(f"File '{file.id}' is not ready: {why}", param=param)
