"""The files part of the API (docs/api.md, "Files"): uploads of supporting documents' files too
large to travel inline in an invoice. Request bodies, views and routes of one capability;
`build_app` includes the router.

    POST /files          declare a file: a presigned PUT URL for exactly its type and size
    GET  /files/{id}     the file: pending (not arrived or not checked yet), ready, or rejected (why)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import Field, StrictInt, StringConstraints

from invoicing.api.contract import CREATE, READ, answers
from invoicing.api.requests import Command
from invoicing.api.views import View, iso
from invoicing.domain.files import MAX_FILE_BYTES, FilePurpose, FileStatus, UploadedFile
from invoicing.domain.references import MimeCode
from invoicing.services.files import FileService, FileUpload

FileId = Annotated[str, Path(max_length=64)]


class FileCreate(Command):
    filename: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^/\\\x00-\x1f]+$")] = Field(
        description="BT-125-2: the name the invoice gives the file", examples=["timesheet-2026-03.pdf"])
    mime_code: MimeCode = Field(description="BT-125-1: one of the types EN 16931 allows (BR-CL-24); the upload "
                                            "must send it as Content-Type")
    size: StrictInt = Field(ge=1, le=MAX_FILE_BYTES, description="The file's length in bytes; the upload must "
                                                                 "send exactly this Content-Length")
    purpose: FilePurpose = Field(default="supporting_document",
                                 description="What the file is for: a supporting document's content (BG-24)")


class FileRejectionObject(View):
    code: Literal["size_mismatch", "content_mismatch"]
    message: str


class FileObject(View):
    id: str = Field(examples=["file_01jd4v6q3z0m6v2k3w5n8p9r7t"])
    object: Literal["file"]
    purpose: FilePurpose
    filename: str
    mime_code: MimeCode
    size: int
    status: FileStatus = Field(description="pending: not uploaded or not checked yet; ready: it may be named by "
                                           "supporting_documents[].file; rejected: see rejection")
    rejection: FileRejectionObject | None
    created: datetime
    upload_expires_at: datetime = Field(description="When upload_url stops working")
    upload_url: str | None = Field(default=None, description="Where to PUT the file, with the declared "
                                                             "Content-Type and Content-Length (on creation)")


def file_view(file: UploadedFile, upload: FileUpload | None = None) -> dict[str, Any]:
    data = {
        "id": file.id, "object": "file", "purpose": file.purpose, "filename": file.filename,
        "mime_code": file.mime_code, "size": file.size, "status": file.status,
        "rejection": file.rejection.model_dump() if file.rejection else None,
        "created": iso(file.created), "upload_expires_at": iso(file.upload_expires_at),
    }
    if upload is not None:
        data["upload_url"] = upload.upload_url
    return data


def files_router(files: FileService, account_id: Callable[[], str]) -> Router:
    router = Router()

    def ok(body: dict[str, Any], status: int = 200) -> Response:
        return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))

    @router.post("/files", tags=["files"], summary="Declare a file for a supporting document: a presigned URL "
                 "(PUT, 15 minutes) for exactly its type and size", responses=answers(201, FileObject, CREATE))
    def create_file(body: Annotated[FileCreate, Body()]):
        upload = files.create(account_id(), filename=body.filename, mime_code=body.mime_code, size=body.size,
                              purpose=body.purpose)
        return ok(file_view(upload.file, upload), 201)

    @router.get("/files/<file_id>", tags=["files"],
                summary="A file: pending until its upload has arrived and been checked, then ready or rejected",
                responses=answers(200, FileObject, READ))
    def get_file(file_id: FileId):
        return ok(file_view(files.get(account_id(), file_id)))

    return router
