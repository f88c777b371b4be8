"""Branded PDFs of finalized invoices and credit notes: jinja2 HTML rendered by WeasyPrint.

- `view`: what the page shows, built from the finalized invoice alone (the totals' own amounts);
- `html`: the jinja2 templates over that view;
- `engine`: WeasyPrint through its public API, with one font configuration, the parsed stylesheet
  and the data:-only URL fetcher (`fetcher`) kept per container; `warm_up()` at init;
- `facturx`: a document as a Factur-X / ZUGFeRD PDF/A-3b with its CII XML embedded;
- `qr`: the EPC payment QR code of EUR invoices.

Importing this package does not import WeasyPrint: only the document function pays for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from invoicing.documents.pdf.engine import PdfOptions, html_to_pdf, warm_up
from invoicing.documents.pdf.facturx import (
    FACTURX_FILENAME,
    FACTURX_PROFILES,
    FacturX,
    InvalidFacturX,
    facturx_options,
    supporting_attachments,
)
from invoicing.documents.pdf.fetcher import ResourceRefused, data_only_url_fetcher
from invoicing.documents.pdf.html import render_credit_note_html, render_invoice_html
from invoicing.documents.pdf.view import DocumentNotFinalized, finalized_at
from invoicing.domain.references import embedded_files

if TYPE_CHECKING:
    from collections.abc import Mapping

    from invoicing.domain.credit_note import CreditNote
    from invoicing.domain.invoice import Invoice
    from invoicing.domain.references import UploadedContent

__all__ = [
    "FACTURX_FILENAME", "FACTURX_PROFILES", "DocumentNotFinalized", "FacturX", "InvalidFacturX", "ResourceRefused",
    "data_only_url_fetcher", "html_to_pdf", "render_credit_note_html", "render_credit_note_pdf",
    "render_invoice_html", "render_invoice_pdf", "warm_up",
]


def render_invoice_pdf(invoice: Invoice, *, facturx_xml: bytes | None = None, hosted_url: str | None = None,
                       uploaded: Mapping[str, UploadedContent] | None = None) -> bytes:
    """The finalized invoice as an A4 PDF, in its customer's language, fetching nothing.

    With `facturx_xml` (the invoice as CII XML) the PDF is a Factur-X / ZUGFeRD e-invoice:
    PDF/A-3b with the XML embedded as `factur-x.xml` and declared in the XMP metadata. With
    `hosted_url` the page's link is printed, with a QR code to it where no EPC payment code is.
    Each supporting document's file is embedded too (an associated file, "Supplement", in PDF/A-3):
    inline attachments, and uploaded files from `uploaded` (by file id)."""
    html = render_invoice_html(invoice, hosted_url=hosted_url,
                               file_names={file_id: file.filename for file_id, file in (uploaded or {}).items()})
    made = finalized_at(invoice)
    options = PdfOptions() if facturx_xml is None else facturx_options(facturx_xml, made)
    return html_to_pdf(html, options.with_attachments(
        supporting_attachments(embedded_files(invoice.supporting_documents, uploaded), made)))


def render_credit_note_pdf(credit_note: CreditNote, invoice: Invoice, *, facturx_xml: bytes | None = None) -> bytes:
    """A credit note as an A4 PDF, in the customer's language, fetching nothing; with
    `facturx_xml` (the credit note as CII XML) a Factur-X PDF/A-3b, like `render_invoice_pdf`."""
    html = render_credit_note_html(credit_note, invoice)
    return html_to_pdf(html, None if facturx_xml is None else facturx_options(facturx_xml, credit_note.issue_date))
