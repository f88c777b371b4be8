"""Stacked taxes on the page, read back from the PDF: each tax its own row in the tax summary and in
the totals, in every language, and no word of VAT where the taxes are not VAT."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoicing.documents.formatting import LABELS, TAX_LABELS
from invoicing.documents.pdf import render_credit_note_pdf, render_invoice_pdf
from invoicing.domain.tax import TaxRate

from . import samples
from .samples import quebec_invoice
from .test_pdf import text


@pytest.mark.parametrize(("locale", "expected", "vat_words"), [
    ("en", ["DESCRIPTION QTY UNIT PRICE TAX AMOUNT", "Report 1 CA$10.10 5% + 9.975% CA$10.10",
            "TAX SUMMARY TAXABLE AMOUNT TAX GST 5% CA$450.10 CA$22.51 QST 9.975% CA$450.10 CA$44.90",
            "Subtotal CA$450.10 GST 5% CA$22.51 QST 9.975% CA$44.90 Total CA$517.51"], ["VAT"]),
    ("sv", ["BESKRIVNING ANTAL À-PRIS SKATT BELOPP", "Report 1 10,10 CA$ 5 % + 9,975 % 10,10 CA$",
            "SKATTESPECIFIKATION UNDERLAG SKATT GST 5 % 450,10 CA$ 22,51 CA$ QST 9,975 % 450,10 CA$ 44,90 CA$",
            "Delsumma 450,10 CA$ GST 5 % 22,51 CA$ QST 9,975 % 44,90 CA$ Totalt 517,51 CA$"], ["Moms", "moms"]),
    ("de", ["BESCHREIBUNG MENGE EINZELPREIS STEUER BETRAG", "Report 1 10,10 CA$ 5 % + 9,975 % 10,10 CA$",
            "STEUERN NETTOBETRAG STEUERBETRAG GST 5 % 450,10 CA$ 22,51 CA$ QST 9,975 % 450,10 CA$ 44,90 CA$",
            "Zwischensumme 450,10 CA$ GST 5 % 22,51 CA$ QST 9,975 % 44,90 CA$ Gesamtbetrag 517,51 CA$"],
     ["USt", "Umsatzsteuer"]),
])
def test_each_tax_is_a_row_of_its_own_in_every_language(locale: str, expected: list[str],
                                                        vat_words: list[str]) -> None:
    content = text(render_invoice_pdf(quebec_invoice(locale)))
    for passage in expected:
        assert passage in content, passage
    for word in vat_words:
        assert word not in content, word


def test_a_credit_note_of_a_stacked_line_shows_each_tax_it_reverses() -> None:
    invoice = quebec_invoice("en")
    note = samples.credit_note_for(invoice, (samples.credit_line("il_1"),))
    content = text(render_credit_note_pdf(note, invoice))
    for passage in ["Analytics platform – Team 1 CA$300.00 5% + 9.975% −CA$300.00",
                    "GST 5% −CA$300.00 −CA$15.00 QST 9.975% −CA$300.00 −CA$29.93",
                    "Total excl. tax −CA$300.00 GST 5% −CA$15.00 QST 9.975% −CA$29.93 Total credited −CA$344.93"]:
        assert passage in content, passage
    assert "VAT" not in content


def test_three_sales_taxes_at_equal_rates_are_told_apart_by_jurisdiction() -> None:
    state = TaxRate(percent=Decimal("6.25"), name="Sales tax", tax_type="sales_tax", jurisdiction="US-XX")
    county = state.model_copy(update={"percent": Decimal(1), "jurisdiction": "County"})
    city = state.model_copy(update={"percent": Decimal(1), "jurisdiction": "City"})
    seller = samples.swedish_seller(address=samples.swedish_seller().address, default_currency="USD")
    customer = samples.swedish_customer(locale="en", currency="USD", tax_ids=[])
    invoice = samples.finalized([samples.line("Widgets", "3", "1999", 1, tax_rates=(state, county, city)),
                                 samples.line("Service", "1", "12000", 2, tax_rates=(state, county, city))],
                                seller=seller, customer=customer)
    content = text(render_invoice_pdf(invoice))
    # 179.97: 6.25 % = 11.248125 -> 11.25; 1 % = 1.7997 -> 1.80, twice; 194.82.
    for passage in ["Widgets 3 $19.99 6.25% + 1% + 1% $59.97",
                    "Sales tax 6.25% $179.97 $11.25 Sales tax 1% (County) $179.97 $1.80 "
                    "Sales tax 1% (City) $179.97 $1.80",
                    "Sales tax 6.25% $11.25 Sales tax 1% (County) $1.80 Sales tax 1% (City) $1.80 Total $194.82"]:
        assert passage in content, passage


def test_the_tax_words_exist_in_every_language_the_documents_speak() -> None:
    assert TAX_LABELS.keys() == LABELS.keys()
    for language, words in TAX_LABELS.items():
        assert words.keys() <= LABELS[language].keys()
