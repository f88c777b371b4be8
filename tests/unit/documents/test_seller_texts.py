"""The seller's texts and registration number in the customer's language, the date of supply or
service period, and discount rows that say each thing once, read back from the rendered PDF."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from invoicing.documents.pdf import render_invoice_pdf
from invoicing.documents.pdf.view import invoice_view
from invoicing.domain.corrective import PrecedingInvoice
from invoicing.domain.party import LanguageTexts, SellerTexts, validated_tax_id
from invoicing.domain.totals import Discount

from .samples import finalized, german_customer, line, swedish_customer, swedish_seller

TEXTS = SellerTexts(
    default_language="en",
    en=LanguageTexts(message="Thank you for your business.", payment_terms="Late payment interest applies.",
                     footer="Registered office: Stockholm"),
    sv=LanguageTexts(message="Tack för ert förtroende.", payment_terms="Dröjsmålsränta enligt räntelagen.",
                     footer="Styrelsens säte: Stockholm"),
    de=LanguageTexts(message="Vielen Dank für Ihren Auftrag.", payment_terms="Verzugszinsen nach räntelagen.",
                     footer="Sitz der Gesellschaft: Stockholm"),
)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().replace("\u00a0", " ").replace("\u202f", " ").split())
                    for page in reader.pages)


@pytest.mark.parametrize(("locale", "own", "others", "registration"), [
    ("en", "en", ("sv", "de"), "Company reg. no.: 556677-8899"),
    ("sv", "sv", ("en", "de"), "Org.nr: 556677-8899"),
    ("de", "de", ("en", "sv"), "Org.-Nr.: 556677-8899"),
])
def test_the_pdf_speaks_the_customers_language_only(locale: str, own: str, others: tuple[str, ...],
                                                    registration: str) -> None:
    seller = swedish_seller(texts=TEXTS, legal_registration_id="5566778899")
    customer = german_customer(locale=locale) if locale == "de" else swedish_customer(locale=locale)
    content = pdf_text(render_invoice_pdf(finalized([line("Workshop", "1", "100000")], seller=seller,
                                                    customer=customer)))
    texts = getattr(TEXTS, own)
    for text in (texts.message, texts.payment_terms, texts.footer):
        assert text in content
    for other in others:
        for text in (getattr(TEXTS, other).message, getattr(TEXTS, other).payment_terms):
            assert text not in content
    assert registration in content
    assert "Org.nr" not in content or locale == "sv"


def test_a_german_company_reads_handelsregister_in_german() -> None:
    seller = swedish_seller(legal_registration_id="HRB 12345 B", address=german_customer().address)
    facts = invoice_view(finalized([line("Workshop", "1", "100000")], seller=seller,
                                   customer=german_customer()))["seller"]["tax_ids"]
    assert ("Handelsregister-Nr.", "HRB 12345 B") in facts


def test_the_invoices_own_footer_and_memo() -> None:
    seller = swedish_seller(texts=TEXTS)
    view = invoice_view(finalized([line("Workshop", "1", "100000")], seller=seller,
                                  customer=swedish_customer(), footer="Projekt 42 · Avtal 2025-014",
                                  description="Avser workshop i mars."))
    assert view["page_footer"] == ["Projekt 42 · Avtal 2025-014"]  # replaces the seller's footer
    assert view["memo"] == "Avser workshop i mars."
    assert view["message"] == "Tack för ert förtroende."


@pytest.mark.parametrize(("locale", "supply", "period"), [
    ("en", "Date of supply", "Service period"),
    ("sv", "Leveransdatum", "Period"),
    ("de", "Leistungsdatum", "Leistungszeitraum"),
])
def test_the_date_of_supply_or_the_period_is_printed(locale: str, supply: str, period: str) -> None:
    customer = german_customer(locale=locale) if locale == "de" else swedish_customer(locale=locale)
    dated = invoice_view(finalized([line("Workshop", "1", "100000", supply_date=date(2026, 2, 27))],
                                   customer=customer, supply_date=date(2026, 2, 27)))
    assert [label for label, _ in dated["facts"]].count(supply) == 1
    assert dated["lines"][0]["period_label"] == supply
    covered = invoice_view(finalized([line("Hosting", "1", "100000")], customer=customer,
                                     period_start=date(2026, 2, 1), period_end=date(2026, 2, 28)))
    value = next(value for label, value in covered["facts"] if label == period).replace("\u2009", " ")
    assert value == {"en": "Feb 1 – 28, 2026", "sv": "1–28 feb. 2026", "de": "1.–28. Feb. 2026"}[locale]
    neither = invoice_view(finalized([line("Hosting", "1", "100000")], customer=customer))
    assert not {supply, period} & {label for label, _ in neither["facts"]}
    both = invoice_view(finalized([line("Hosting", "1", "100000")], customer=customer, supply_date=date(2026, 2, 20),
                                  period_start=date(2026, 2, 1), period_end=date(2026, 2, 28)))
    assert [label for label, _ in both["facts"] if label in (supply, period)] == [supply, period]


@pytest.mark.parametrize(("description", "percent", "label"), [
    ("Rabatt 5 %", "5", "Rabatt 5 %"),  # the "Rabatt (Rabatt 5 %, 5 %)"
    ("Rabatt 5%", "5", "Rabatt 5%"),
    ("Rabatt", "5", "Rabatt (5 %)"),
    (None, "5", "Rabatt (5 %)"),
    ("Ramavtal", "10", "Rabatt (Ramavtal, 10 %)"),
    ("Stamkundsrabatt", "10", "Stamkundsrabatt (10 %)"),
    ("Kampanj 2,5 %", "2.5", "Rabatt (Kampanj 2,5 %)"),
    ("Kampanj 15 %", "5", "Rabatt (Kampanj 15 %, 5 %)"),  # 15 % is not 5 %
])
def test_a_discount_row_says_each_thing_once(description: str | None, percent: str, label: str) -> None:
    invoice = finalized([line("Workshop", "1", "100000")],
                        discounts=(Discount(description=description, percent_off=Decimal(percent)),))
    rows = [row["label"].replace("\u00a0", " ") for row in invoice_view(invoice)["totals"]]
    assert label in rows


@pytest.mark.parametrize(("locale", "headline"), [
    ("en", "SEK1,250.00 credited to your account balance"),  # as babel writes SEK in English
    ("sv", "1 250,00 kr tillgodo på ert kundsaldo"),
    ("de", "1.250,00 SEK Ihrem Kundenguthaben gutgeschrieben"),
])
def test_a_negative_corrective_invoice_asks_for_no_payment(locale: str, headline: str) -> None:
    customer = swedish_customer(locale=locale, currency="SEK")
    view = invoice_view(finalized([line("Prisjustering", "-2", "50000")], customer=customer, type_code="384",
                                  preceding_invoice=PrecedingInvoice(number="INV-000042")))
    assert view["headline"].replace("\u00a0", " ") == headline and view["stamp"] is None
    assert view["payment_details"] == [] and view["payment_qr"] is None and view["hosted_url"] is None
    assert view["payment_terms"].startswith(("Nothing to pay", "Inget att betala", "Nichts zu zahlen"))


def test_a_vat_number_is_printed_with_its_country_prefix_as_the_einvoice_states_it() -> None:
    """python-stdnum keeps a British or Norwegian VAT number without its prefix; the PDF prints it
    as BT-31 / BT-48 write it (BR-CO-09), so a reader abroad sees whose number it is."""
    seller = swedish_seller(address=german_customer().address.model_copy(update={"country": "GB"}),
                            tax_ids=[validated_tax_id("gb_vat", "GB 123 2434 14")])
    customer = swedish_customer(locale="en", tax_ids=[validated_tax_id("no_vat", "NO 123 456 785 MVA")])
    assert seller.tax_ids[0].value == "123243414" and customer.tax_ids[0].value == "123456785MVA"
    content = pdf_text(render_invoice_pdf(finalized([line("Workshop", "1", "100000")], seller=seller,
                                                    customer=customer)))
    assert "VAT ID: GB123243414" in content and "VAT ID: NO123456785MVA" in content
    assert "VAT ID: 123243414" not in content
