"""Rendering documents into the bucket (the document function's use case): for each finalized
invoice or credit note, the EN 16931 e-invoices (UBL 2.1 and CII) and the PDF, which carries the
CII XML inside as a Factur-X PDF/A-3b."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from aws_lambda_powertools import Logger

from invoicing.domain.errors import Conflict
from invoicing.domain.events import DomainEvent
from invoicing.domain.invoice import Invoice
from invoicing.domain.references import UploadedContent
from invoicing.services.document_keys import credit_note_key, invoice_key
from invoicing.services.files import FileService
from invoicing.services.ports import Clock, Documents, UnitOfWork
from invoicing.services.sending import hosted_url

logger = Logger(child=True)
Outcome = Literal["rendered", "exists", "draft", "ignored"]
XML = "application/xml"
RENDERED_ON = ("invoice.finalized", "credit_note.created")  # the bus rule that feeds the document queue


@dataclass(frozen=True)
class DocumentService:
    uow: UnitOfWork
    documents: Documents
    clock: Clock | None = None  # with it, a rendered invoice records `invoice.rendered` (sending follows it)
    base_url: str = ""  # the hosted pages' base URL, printed on the PDF with a QR code where no EPC code is
    files: FileService | None = None  # the uploaded files supporting documents name, embedded in each document

    def on_event(self, event: DomainEvent) -> Outcome:
        """Render what a finalizing event asks for. Redelivered or replayed events find the documents
        written (each key is written once) and change nothing."""
        if event.type == "invoice.finalized":
            return self.render_invoice(event.account_id, event.aggregate_id)
        if event.type == "credit_note.created":
            return self.render_credit_note(event.account_id, str(event.data["object"]["id"]))
        return "ignored"

    def _put_once(self, key: str, make: Callable[[], bytes], content_type: str) -> bool:
        """Write the document unless the key holds one: finalized documents never change. No read
        comes first (a conditional put decides): a redelivered event renders again and writes nothing."""
        return self.documents.put_once(key, make(), content_type)

    def render_invoice(self, account_id: str, invoice_id: str) -> Outcome:
        """The invoice's UBL and CII XML, then its PDF (Factur-X when CII exists). The PDF is
        written last, so a PDF in the bucket means every document of the invoice is there."""
        with self.uow:
            invoice = self.uow.invoices.get(account_id, invoice_id)
        if invoice.status == "draft":
            return "draft"
        from invoicing.documents.einvoice.cii import invoice_to_cii
        from invoicing.documents.einvoice.ubl import invoice_to_ubl
        from invoicing.documents.pdf import render_invoice_pdf  # only the document function loads WeasyPrint

        uploaded = self._uploaded(invoice)
        cii = _einvoice(lambda: invoice_to_cii(invoice, uploaded), invoice.currency)
        if cii is not None:
            self._put_once(invoice_key(invoice, "cii"), lambda: cii, XML)
            self._put_once(invoice_key(invoice, "ubl"), lambda: invoice_to_ubl(invoice, uploaded), XML)
        page = hosted_url(self.base_url, invoice) if self.base_url else None
        written = self._put_once(invoice_key(invoice, "pdf"),
                                 lambda: render_invoice_pdf(invoice, facturx_xml=cii, hosted_url=page,
                                                            uploaded=uploaded),
                                 "application/pdf")
        self._record_rendered(account_id, invoice_id)
        return "rendered" if written else "exists"

    def _uploaded(self, invoice: Invoice) -> dict[str, UploadedContent]:
        """The bytes of the uploaded files the invoice names (finalization made sure each was ready)."""
        if not any(d.file for d in invoice.supporting_documents):
            return {}
        if self.files is None:
            raise RuntimeError("an invoice names uploaded files: the document service needs the FileService")
        return self.files.contents(invoice)

    def _record_rendered(self, account_id: str, invoice_id: str) -> None:
        """`invoice.rendered`, once (a redelivery after the PDF was written records it if it is missing)."""
        if self.clock is None:
            return
        for attempt in range(5):
            try:
                with self.uow:
                    invoice = self.uow.invoices.get(account_id, invoice_id)
                    correspondence = self.uow.correspondence.get(account_id, invoice_id)
                    rendered = correspondence.record_rendered(invoice, self.clock.now())
                    if rendered is not correspondence:
                        self.uow.correspondence.save(rendered)
                        self.uow.commit()
                    return
            except Conflict:  # another delivery of the same event recorded it meanwhile: read it again
                if attempt == 4:
                    raise

    def render_credit_note(self, account_id: str, credit_note_id: str) -> Outcome:
        with self.uow:
            note = self.uow.credit_notes.get(account_id, credit_note_id)
            invoice = self.uow.invoices.get(account_id, note.invoice_id)
        from invoicing.documents.einvoice.cii import credit_note_to_cii
        from invoicing.documents.einvoice.ubl import credit_note_to_ubl
        from invoicing.documents.pdf import render_credit_note_pdf

        cii = _einvoice(lambda: credit_note_to_cii(note, invoice), note.currency)
        if cii is not None:
            self._put_once(credit_note_key(note, "cii"), lambda: cii, XML)
            self._put_once(credit_note_key(note, "ubl"), lambda: credit_note_to_ubl(note, invoice), XML)
        written = self._put_once(credit_note_key(note, "pdf"),
                                 lambda: render_credit_note_pdf(note, invoice, facturx_xml=cii), "application/pdf")
        return "rendered" if written else "exists"


def _einvoice(make: Callable[[], bytes], currency: str) -> bytes | None:
    """The XML, or None where EN 16931 cannot express the document (e.g. a 3-decimal currency):
    the PDF is still rendered, as a plain PDF."""
    from invoicing.documents.einvoice.semantic import EInvoiceUnsupported

    try:
        return make()
    except EInvoiceUnsupported as exc:
        logger.warning("no e-invoice for this document", extra={"currency": currency, "reason": exc.code})
        return None
