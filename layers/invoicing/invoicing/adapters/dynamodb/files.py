"""Uploaded files (supporting documents' content): `ACCOUNT#{acct}#FILE#{id}` / `FILE`, one
partition per file, read by key only (GET /files/{id}, finalization, the document worker). See
docs/dynamodb-access-patterns.md."""

from __future__ import annotations

from typing import TYPE_CHECKING

from invoicing.adapters.dynamodb.keys import Item, s
from invoicing.adapters.dynamodb.versioned import VersionedDocuments
from invoicing.domain.files import UploadedFile

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork


def file_key(account_id: str, file_id: str) -> Item:
    return {"PK": s(f"ACCOUNT#{account_id}#FILE#{file_id}"), "SK": s("FILE")}


class DynamoFiles(VersionedDocuments[UploadedFile]):
    """The `Files` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        super().__init__(uow, UploadedFile, file_key, noun="file", param="file")
