"""The documents an invoice refers to (EN 16931 BT-11 .. BT-19) and the supporting documents it
carries (BG-24): a reference with a description, an external URL, or a small file embedded in the
e-invoice. The buyer's reference (BT-10) and purchase order (BT-13) are the invoice's own fields.

A file travels inside the invoice (and its UBL, as base64), so it is small: `MAX_ATTACHMENT_BYTES`
each, `MAX_ATTACHMENTS_BYTES` together; only the MIME types EN 16931 allows (BR-CL-24), and the
content must be what its type says (docs/einvoicing.md, "References and supporting documents").
A larger file is uploaded (domain/files.py) and named by id (`file`); `embedded_files` gives the
documents both kinds alike.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from invoicing.domain.code_lists import check_code, listed
from invoicing.domain.schema_rules import at_most_one, given

# BR-CL-24: the MIME codes of an attached document (BT-125-1).
MimeCode = Literal[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.spreadsheet",
]
# An invoice is one DynamoDB item (400 KB, the seller's and customer's snapshots included).
MAX_ATTACHMENT_BYTES = 48_000
MAX_ATTACHMENTS_BYTES = 96_000
MAX_SUPPORTING_DOCUMENTS = 10
# The first bytes each type's files begin with (xlsx and ods are zip archives).
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "application/vnd.oasis.opendocument.spreadsheet": (b"PK\x03\x04",),
}


def content_mismatch(mime_code: str, data: bytes) -> str | None:
    """Why `data` is not a file of `mime_code` (None: it is): a PDF starts with `%PDF-`, a PNG or a
    JPEG with its signature, a spreadsheet is a zip archive, a CSV is UTF-8 text. An inline
    attachment and an uploaded file (domain/files.py) are checked alike."""
    if mime_code == "text/csv":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return "a text/csv file must be UTF-8 text"
        return "a text/csv file must be text" if "\x00" in text else None
    if mime_code not in _MAGIC:
        return f"{mime_code} is not a type EN 16931 allows (BR-CL-24)"
    return None if data.startswith(_MAGIC[mime_code]) else f"the content is not a {mime_code} file"


_URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[^\s/$.?#][^\s]*$"  # http or https, in the document too
_URL = re.compile(_URL_PATTERN)

_Stripped = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Reference = Annotated[_Stripped, StringConstraints(max_length=100)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DocumentReferences(_Model):
    """What the invoice refers to, each as its issuer numbered it."""

    # `_scheme_needs_object`'s first rule, for the OpenAPI document.
    model_config = ConfigDict(json_schema_extra={"if": given("invoiced_object_scheme"),
                                                 "then": given("invoiced_object")})

    project: Reference | None = Field(default=None, description="BT-11: the project reference")
    contract: Reference | None = Field(default=None, description="BT-12: the contract reference")
    sales_order: Reference | None = Field(default=None, description="BT-14: the seller's sales order")
    receiving_advice: Reference | None = Field(default=None, description="BT-15: the buyer's receiving advice")
    despatch_advice: Reference | None = Field(default=None, description="BT-16: the seller's despatch advice")
    tender_or_lot: Reference | None = Field(default=None, description="BT-17: the tender or lot the invoice is for")
    invoiced_object: Reference | None = Field(
        default=None, description="BT-18: what is invoiced (a meter, a subscription, a vehicle)")
    invoiced_object_scheme: str | None = Field(
        default=None, pattern=r"^[A-Z0-9]{1,3}$", json_schema_extra=listed("uncl1153"),
        description="BT-18-1: the UNTDID 1153 code of invoiced_object")
    buyer_accounting_reference: Annotated[_Stripped, StringConstraints(max_length=200)] | None = Field(
        default=None, description="BT-19: where the buyer books the invoice (its cost centre, account)")

    @model_validator(mode="after")
    def _scheme_needs_object(self) -> DocumentReferences:
        if self.invoiced_object_scheme is not None and self.invoiced_object is None:
            raise ValueError("invoiced_object_scheme is the scheme of invoiced_object: give invoiced_object too")
        if self.invoiced_object_scheme is not None:
            check_code("uncl1153", self.invoiced_object_scheme, "reference scheme")
        return self

    @property
    def empty(self) -> bool:
        return not any(self.model_dump().values())


class Attachment(_Model):
    """A file embedded in the e-invoice (BT-125): its name, MIME code and base64 content."""

    filename: Annotated[_Stripped, StringConstraints(max_length=100, pattern=r"^[^/\\\x00-\x1f]+$")] = Field(
        description="BT-125-2", examples=["timesheet-2026-03.pdf"])
    mime_code: MimeCode = Field(description="BT-125-1: one of the types EN 16931 allows (BR-CL-24)")
    content_base64: str = Field(min_length=4, max_length=4 * (MAX_ATTACHMENT_BYTES // 3 + 1) + 256,
                                description=f"The file, base64-encoded: at most {MAX_ATTACHMENT_BYTES} bytes")

    @field_validator("content_base64")
    @classmethod
    def _compact(cls, value: str) -> str:
        return re.sub(r"\s+", "", value)

    @model_validator(mode="after")
    def _content_is_its_type(self) -> Attachment:
        try:
            data = base64.b64decode(self.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("content_base64 is not base64") from None
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise ValueError(f"the file has {len(data)} bytes; an attached file may have at most "
                             f"{MAX_ATTACHMENT_BYTES}")
        wrong = content_mismatch(self.mime_code, data)
        if wrong is not None:
            raise ValueError(wrong)
        return self

    @property
    def size(self) -> int:
        return len(base64.b64decode(self.content_base64))


class SupportingDocument(_Model):
    """BG-24: a document that supports the invoice (a timesheet, a delivery note): its reference
    and, optionally, a description and either an external URL or an attached file."""

    model_config = ConfigDict(json_schema_extra=at_most_one("url", "attachment", "file"))  # `_one_location`

    id: Reference = Field(description="BT-122: the document's own reference")
    description: Annotated[_Stripped, StringConstraints(max_length=200)] | None = Field(
        default=None, description="BT-123")
    url: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None, json_schema_extra={"pattern": _URL_PATTERN},
        description="BT-124: where it can be fetched (http or https)")
    attachment: Attachment | None = Field(default=None, description="BT-125: the file itself")
    file: Annotated[str, StringConstraints(pattern=r"^file_[0-9a-z]{26}$")] | None = Field(
        default=None, examples=["file_01jd4v6q3z0m6v2k3w5n8p9r7t"],
        description="BT-125: an uploaded file (POST /files), embedded when the invoice is rendered; it must be "
                    "ready when the invoice is finalized")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not _URL.match(value):
            raise ValueError("must be an http or https URL")
        return value

    @model_validator(mode="after")
    def _one_location(self) -> SupportingDocument:
        named = [name for name in ("url", "attachment", "file") if getattr(self, name) is not None]
        if len(named) > 1:
            raise ValueError(f"give one of url, attachment or file, not {' and '.join(named)}")
        return self


def check_supporting_documents(documents: list[SupportingDocument]) -> list[SupportingDocument]:
    """At most `MAX_ATTACHMENTS_BYTES` of files on one invoice, and each reference once."""
    total = sum(d.attachment.size for d in documents if d.attachment is not None)
    if total > MAX_ATTACHMENTS_BYTES:
        raise ValueError(f"the attached files have {total} bytes together; an invoice may carry at most "
                         f"{MAX_ATTACHMENTS_BYTES}")
    ids = [d.id for d in documents]
    if len(set(ids)) != len(ids):
        raise ValueError("each supporting document's id may appear once")
    files = [d.file for d in documents if d.file is not None]
    if len(set(files)) != len(files):
        raise ValueError("each uploaded file may be given once")
    check_file_names([d.attachment.filename for d in documents if d.attachment is not None])
    return documents


def check_file_names(names: list[str]) -> None:
    """The files of one invoice have distinct names (the PDF lists them by name, and XRechnung asks
    it: BR-DE-22), none of them the name of the Factur-X XML beside them."""
    folded = [name.casefold() for name in names]
    if len(set(folded)) != len(folded):
        raise ValueError("each file of an invoice needs a name of its own (filename)")
    if "factur-x.xml" in folded:
        raise ValueError("factur-x.xml is the name of the invoice's own XML in its PDF: give the file another name")


@dataclass(frozen=True)
class EmbeddedFile:
    """A supporting document's file as the documents carry it: base64 in the UBL and CII, an
    associated file of the Factur-X PDF."""

    document_id: str  # BT-122, the supporting document's reference
    description: str | None  # BT-123
    filename: str  # BT-125-2
    mime_code: str  # BT-125-1
    content: bytes

    @property
    def content_base64(self) -> str:
        return base64.b64encode(self.content).decode("ascii")


@dataclass(frozen=True)
class UploadedContent:
    """An uploaded file's name, type and bytes, as the document worker read them (services/files.py)."""

    filename: str
    mime_code: str
    content: bytes


def embedded_files(documents: Sequence[SupportingDocument],
                   uploaded: Mapping[str, UploadedContent] | None = None) -> list[EmbeddedFile]:
    """The files the supporting documents carry, in their order: inline attachments, and uploaded
    files (`file`) from `uploaded`, by file id. A file that is not in `uploaded` is a fault of the
    caller (finalization made sure each was ready): KeyError."""
    found = []
    for d in documents:
        if d.attachment is not None:
            found.append(EmbeddedFile(document_id=d.id, description=d.description, filename=d.attachment.filename,
                                      mime_code=d.attachment.mime_code,
                                      content=base64.b64decode(d.attachment.content_base64)))
        elif d.file is not None:
            given = (uploaded or {})[d.file]
            found.append(EmbeddedFile(document_id=d.id, description=d.description, filename=given.filename,
                                      mime_code=given.mime_code, content=given.content))
    return found
