"""The EPC069-12 payment QR code ("GiroCode"), read back from the printed page as a banking app would."""

import shutil
import subprocess
import tempfile
from datetime import UTC, datetime

import pytest
import zxingcpp
from PIL import Image

from invoicing.documents.pdf import render_invoice_html, render_invoice_pdf

from . import samples
from .samples import finalized, german_customer, line, swedish_seller


def scanned_codes(pdf: bytes) -> list[str]:
    """Every barcode on the first page, rasterised at 200 dpi like a phone camera sees a print."""
    assert shutil.which("pdftoppm"), "reading the QR code back needs pdftoppm: install poppler-utils (make setup)"
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", "-singlefile", "-", f"{folder}/page"],
                       input=pdf, capture_output=True, check=True)
        with Image.open(f"{folder}/page.png") as page:
            return [code.text for code in zxingcpp.read_barcodes(page)]


def test_a_eur_invoice_carries_an_epc_qr_code_with_the_amount_due_and_the_rf_reference():
    invoice = samples.eur_invoice()
    assert invoice.amount_due == 12345 and invoice.payment_reference == "RF29INV000042"
    codes = scanned_codes(render_invoice_pdf(invoice))
    assert len(codes) == 1
    assert codes[0].split("\n") == [
        "BCD",  # service tag
        "002",  # version
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        "ESSESESS",  # BIC
        "Norrsken Analytics AB",  # beneficiary
        "SE4550000000058398257466",  # IBAN, without spaces
        "EUR123.45",  # amount due, from integer cents
        "",  # purpose: none
        "RF29INV000042",  # structured creditor reference (ISO 11649)
    ]


def test_the_qr_code_has_a_caption_in_the_customers_language():
    html = render_invoice_html(samples.german_reverse_charge_invoice())
    assert 'class="qr-caption">Mit der Banking-App scannen und bezahlen<' in html
    assert "Scan to pay with your banking app" in render_invoice_html(samples.eur_invoice())


def test_a_long_name_an_accented_name_and_a_reference_that_is_not_rf():
    seller = swedish_seller(name="Ångström & Åkesson Hållbara Dataanalyser och Konsulttjänster Aktiebolag i Norden")
    invoice = finalized([line("Workshop", "1", "100000")], seller=seller, customer=german_customer(locale="en"),
                        payment_reference="ORDER 4711")
    (payload,) = scanned_codes(render_invoice_pdf(invoice))
    fields = payload.split("\n")
    assert fields[5] == seller.name[:70]  # EPC069-12 allows 70 characters
    assert fields[7] == "EUR1000"  # trailing zeros are dropped, as the standard allows
    assert fields[9] == ""  # not an RF reference: it travels as unstructured remittance text
    assert fields[10] == "ORDER 4711"


def test_the_sellers_own_remittance_text_is_what_the_qr_code_quotes_as_the_e_invoice_does():
    invoice = finalized([line("Workshop", "1", "100000")], customer=german_customer(locale="en"),
                        remittance_information="Kundnummer 4711, avtal 2026-03")
    assert invoice.payment_reference == "RF69INV000001"  # the RF reference stays the invoice's own
    (payload,) = scanned_codes(render_invoice_pdf(invoice))
    fields = payload.split("\n")
    assert fields[9] == ""  # no structured reference: the seller's text is what the payer quotes (BT-83)
    assert fields[10] == "Kundnummer 4711, avtal 2026-03"


@pytest.mark.parametrize("invoice", [
    pytest.param(samples.swedish_invoice(), id="SEK"),
    pytest.param(samples.eur_invoice(seller=swedish_seller(iban=None)), id="no IBAN"),
    pytest.param(samples.eur_invoice().pay(datetime(2026, 3, 20, tzinfo=UTC)), id="paid"),
    pytest.param(samples.eur_invoice().void(datetime(2026, 3, 20, tzinfo=UTC)), id="void"),
    pytest.param(finalized([line("Fleet", "1", "100000000000")], customer=german_customer()),
                 id="over the EPC maximum"),
])
def test_no_qr_code_when_a_sepa_transfer_cannot_pay_it(invoice):
    assert "qr-caption" not in render_invoice_html(invoice)
    assert scanned_codes(render_invoice_pdf(invoice)) == []
