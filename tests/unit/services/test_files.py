"""Uploaded files (services/files.py) on the fakes: declared, checked once when their upload has
arrived, required ready at finalization, and checked again when the document worker reads them
(on DynamoDB and S3 through the API: tests/integration/test_files_api.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoicing.domain.errors import InvalidInput, NotFound
from invoicing.domain.files import MAX_FILE_BYTES, MAX_INVOICE_FILES_BYTES
from invoicing.domain.references import SupportingDocument
from invoicing.services.commands import NewInvoice, NewLine
from invoicing.services.files import FileNotReady, FileService
from invoicing.services.invoices import InvoiceService
from tests.unit.services.conftest import Services
from tests.unit.services.fakes import FakeDocuments, FakeFileStore, FakeIds, FakeRetry

PDF = b"%PDF-1.7\n" + b"x" * 1000


@pytest.fixture
def store() -> FakeFileStore:
    return FakeFileStore()


@pytest.fixture
def files(services: Services, store: FakeFileStore) -> FileService:
    return FileService(services.uow, services.clock, FakeIds(), store)


def draft_naming(services: Services, *file_ids: str):
    lines = (NewLine(description="Work", quantity=Decimal(1), unit_amount_decimal=Decimal(10_000)),)
    documents = tuple(SupportingDocument(id=f"D{i}", file=f) for i, f in enumerate(file_ids))
    return services.invoices.create_draft(services.seller.id, NewInvoice(
        customer_id=services.buyer.id, lines=lines, supporting_documents=documents)).invoice


def test_a_declared_file_is_signed_for_its_type_and_length_and_checked_once(
        services: Services, files: FileService, store: FakeFileStore) -> None:
    upload = files.create(services.seller.id, filename="ts.pdf", mime_code="application/pdf", size=len(PDF))
    file = upload.file
    assert store.signed == [(f"files/{services.seller.id}/{file.id}", "application/pdf", len(PDF), 900)]
    assert file.status == "pending" and (file.upload_expires_at - file.created).total_seconds() == 900
    assert files.get(services.seller.id, file.id).status == "pending"  # nothing uploaded yet
    store.objects[file.object_key] = PDF
    ready = files.get(services.seller.id, file.id)
    assert ready.status == "ready" and ready.checked_at == services.clock.now()
    store.objects[file.object_key] = b"replaced"  # the verdict is final: not read again by GET
    assert files.get(services.seller.id, file.id) == ready


def test_a_concurrent_check_keeps_the_first_verdict(services: Services, files: FileService,
                                                    store: FakeFileStore) -> None:
    file = files.create(services.seller.id, filename="ts.pdf", mime_code="application/pdf", size=len(PDF)).file
    store.objects[file.object_key] = PDF
    rejected = file.checked(b"%PDF-short", services.clock.now())  # what another request saw, first

    def meanwhile(stored) -> None:
        stored.files[(file.account_id, file.id)] = rejected
    services.uow.before_commit = meanwhile
    assert files.get(services.seller.id, file.id) == rejected
    assert files.get(services.seller.id, file.id).rejection.code == "size_mismatch"


def test_declarations_beyond_the_limits_are_refused(services: Services, files: FileService) -> None:
    for size in (0, MAX_FILE_BYTES + 1):
        with pytest.raises(InvalidInput) as refused:
            files.create(services.seller.id, filename="a.pdf", mime_code="application/pdf", size=size)
        assert refused.value.param == "size"


def test_finalization_needs_every_file_ready_and_within_the_invoices_total(
        services: Services, files: FileService, store: FakeFileStore) -> None:
    big = [files.create(services.seller.id, filename=f"{i}.pdf", mime_code="application/pdf",
                        size=MAX_FILE_BYTES).file for i in range(3)]
    for file in big:
        store.objects[file.object_key] = b"%PDF-" + b"0" * (MAX_FILE_BYTES - 5)
    draft = draft_naming(services, *(f.id for f in big))
    with pytest.raises(InvalidInput) as too_much:
        files.require_ready(draft)
    assert too_much.value.param == "supporting_documents" and str(MAX_INVOICE_FILES_BYTES) in too_much.value.message

    unknown = "file_" + "9" * 26
    with pytest.raises(NotFound) as not_found:  # refused at the draft already
        draft_naming(services, unknown)
    assert not_found.value.param == "supporting_documents[0].file"
    # A draft naming it from before that check still cannot be finalized.
    missing = draft.model_copy(update={"supporting_documents": (SupportingDocument(id="D0", file=unknown),)})
    with pytest.raises(FileNotReady) as refused:
        files.require_ready(missing)
    assert refused.value.param == "supporting_documents[0].file" and "No such file" in refused.value.message


def test_the_document_worker_reads_each_file_again_and_refuses_one_replaced_since(
        services: Services, files: FileService, store: FakeFileStore) -> None:
    file = files.create(services.seller.id, filename="ts.pdf", mime_code="application/pdf", size=len(PDF)).file
    store.objects[file.object_key] = PDF
    draft = draft_naming(services, file.id)
    files.require_ready(draft)
    found = files.contents(draft)
    assert (found[file.id].filename, found[file.id].mime_code, found[file.id].content) == ("ts.pdf",
                                                                                          "application/pdf", PDF)
    store.objects[file.object_key] = b"\x89PNG\r\n\x1a\n" + b"p" * (len(PDF) - 8)  # same length, other content
    with pytest.raises(FileNotReady) as refused:
        files.contents(draft)
    assert refused.value.param == "supporting_documents[0].file"


def test_an_uploaded_file_needs_a_name_no_other_file_of_the_invoice_has(
        services: Services, files: FileService, store: FakeFileStore) -> None:
    first, second = (files.create(services.seller.id, filename="TS.pdf", mime_code="application/pdf",
                                  size=len(PDF)).file for _ in range(2))
    for file in (first, second):
        store.objects[file.object_key] = PDF
    with pytest.raises(InvalidInput) as refused:
        files.require_ready(draft_naming(services, first.id, second.id))
    assert refused.value.param == "supporting_documents[1].file" and "a name of its own" in refused.value.message


def test_finalize_checks_an_upload_that_arrived_since_and_a_batch_holds_the_invoice_to_its_total(
        services: Services, files: FileService, store: FakeFileStore) -> None:
    invoices = InvoiceService(services.uow, services.clock, FakeIds(), FakeRetry(), FakeDocuments(), files=files)
    timesheet = files.create(services.seller.id, filename="ts.pdf", mime_code="application/pdf",
                             size=len(PDF)).file
    draft = draft_naming(services, timesheet.id)
    with pytest.raises(FileNotReady):  # nothing uploaded yet
        invoices.finalize(services.seller.id, draft.id)
    store.objects[timesheet.object_key] = PDF  # the PUT arrives; nobody has looked at the file since
    finalized = invoices.finalize(services.seller.id, draft.id).invoice
    assert finalized.status == "open" and files.get(services.seller.id, timesheet.id).status == "ready"

    # A billing run's batch finalizes without looking at uploads, but holds every file to the rules.
    big = [files.create(services.seller.id, filename=f"{i}.pdf", mime_code="application/pdf",
                        size=MAX_FILE_BYTES).file for i in range(3)]
    for file in big:
        store.objects[file.object_key] = b"%PDF-" + b"0" * (MAX_FILE_BYTES - 5)
        assert files.get(services.seller.id, file.id).status == "ready"
    heavy = draft_naming(services, *(f.id for f in big))
    outcome = invoices.finalize_many(services.seller.id, [heavy.id])
    assert outcome.finalized == [] and isinstance(outcome.failed[heavy.id], InvalidInput)
    assert outcome.failed[heavy.id].param == "supporting_documents"
