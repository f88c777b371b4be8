"""The Swedish OCR number is printed beside the RF reference, read back from the PDF."""

from __future__ import annotations

import io

from pypdf import PdfReader

from invoicing.documents.pdf import render_invoice_pdf
from invoicing.domain.payment_reference import ocr_reference

from .samples import finalized, line, swedish_customer


def text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().replace("\u00a0", " ").split()) for page in reader.pages)


def test_the_ocr_number_is_printed_under_the_payment_reference_in_each_language() -> None:
    for locale, label in [("sv", "OCR-nummer"), ("en", "OCR number"), ("de", "OCR-Nummer")]:
        invoice = finalized([line("Platform", "1", "100000")], customer=swedish_customer(locale=locale),
                            number="INV-000042")
        reference = ocr_reference("INV-000042")
        assert reference is not None
        printed = text(render_invoice_pdf(invoice.model_copy(update={"ocr_reference": reference})))
        assert f"{label} {reference}" in printed, locale
        assert printed.index("RF29 INV0 0004 2") < printed.index(reference)


def test_an_invoice_without_one_prints_none() -> None:
    invoice = finalized([line("Platform", "1", "100000")], customer=swedish_customer(locale="sv"))
    assert "OCR-nummer" not in text(render_invoice_pdf(invoice))
