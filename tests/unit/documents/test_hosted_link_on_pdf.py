"""The hosted page's link on the PDF: printed under the payment details, and a QR code to it where no
EPC payment code is printed, read back from the page as a phone camera would."""

import re
import subprocess

from invoicing.documents.pdf import render_invoice_pdf

from . import samples
from .test_payment_qr import scanned_codes


def text_of(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_an_invoice_without_an_epc_code_carries_a_qr_code_of_its_page() -> None:
    pdf = render_invoice_pdf(samples.swedish_invoice(), hosted_url=samples.HOSTED_URL)  # SEK: no EPC code
    assert scanned_codes(pdf) == [samples.HOSTED_URL]
    text = text_of(pdf)
    assert "Visa och betala online" in text and "Skanna för att visa och" in text
    assert samples.HOSTED_URL in re.sub(r"\s+", "", text.split("online:", 1)[1])


def test_a_eur_invoice_keeps_its_epc_code_and_prints_the_link() -> None:
    pdf = render_invoice_pdf(samples.eur_invoice(), hosted_url=samples.HOSTED_URL)
    codes = scanned_codes(pdf)
    assert len(codes) == 1 and codes[0].startswith("BCD\n")  # one code: the payment, as before
    assert samples.HOSTED_URL in re.sub(r"\s+", "", text_of(pdf).split("online:", 1)[1])


def test_without_a_link_nothing_is_added() -> None:
    pdf = render_invoice_pdf(samples.swedish_invoice())
    assert scanned_codes(pdf) == [] and "online" not in text_of(pdf)
