"""The page prints a line's item data and references under its description, a return with a real
minus sign, a rate-specific charge with its rate, and a corrective invoice's heading and reference,
in each language of the labels (en, sv, de). A line without any of these prints as before (the
golden pages, test_golden_pages.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from invoicing.documents.formatting import LABELS
from invoicing.documents.pdf import render_invoice_html
from invoicing.domain.corrective import PrecedingInvoice
from invoicing.domain.line_item import ItemAttribute, LineItem, LineReferences, ObjectId, StandardItemId
from invoicing.domain.tax import TaxRate
from invoicing.domain.totals import Charge

from .samples import finalized, line, swedish_customer

ITEM = LineItem(seller_item_id="CH-200", standard_id=StandardItemId(value="4006381333931", scheme="0160"),
                origin_country="DE", attributes=(ItemAttribute(name="Colour", value="Black"),))
REFS = LineReferences(order_line_reference="7", object_id=ObjectId(value="SN-17"), accounting_reference="6540")
SIX = TaxRate(category="S", percent=Decimal(6))


def _html(locale: str) -> str:
    invoice = finalized(
        [line("Chair", "2", "100000", 1, item=ITEM, references=REFS),
         line("Book", "5", "20000", 2, tax_rate=SIX), line("Book returned", "-1", "20000", 3, tax_rate=SIX)],
        customer=swedish_customer(locale=locale),
        charges=(Charge(description="Freight", amount=5000, tax_rate=TaxRate(category="S", percent=Decimal(25))),))
    return render_invoice_html(invoice).replace("\u00a0", " ")


@pytest.mark.parametrize(("locale", "origin", "rate"), [("en", "Germany", "VAT 25%"), ("sv", "Tyskland", "Moms 25 %"),
                                                        ("de", "Deutschland", "USt. 25 %")])
def test_item_rows_and_returns_in_each_language(locale: str, origin: str, rate: str) -> None:
    html = _html(locale)
    said = LABELS[locale]
    assert f"{said['seller_item_id']} CH-200 · GTIN 4006381333931" in html
    assert f"{said['origin']}: {origin}" in html and "Colour: Black" in html
    assert f"{said['order_line']} 7 · {said['object_id']} SN-17 · {said['accounting']} 6540" in html
    assert '<td class="num">−1</td>' in html  # the return's quantity, a real minus
    assert f"Freight · {rate}" in html, html[html.index("Freight"):][:80]


def test_a_plain_line_has_no_detail_rows() -> None:
    html = render_invoice_html(finalized([line("Consulting", "1", "100000", 1)]))
    assert '<td class="desc line-description">Consulting</td>' in html


def test_a_corrective_invoice_says_so_and_what_it_corrects() -> None:
    invoice = finalized([line("Price correction", "-1", "10000", 1)], type_code="384",
                        preceding_invoice=PrecedingInvoice(number="INV-000042", issue_date=date(2026, 3, 1)),
                        customer=swedish_customer(locale="de"))
    html = render_invoice_html(invoice)
    assert "<h1>Rechnungskorrektur</h1>" in html and "Korrigiert Rechnung" in html and "INV-000042" in html


def test_every_language_of_the_page_has_every_word() -> None:
    """One table of the page's words (documents/formatting.py): each language has every key, and the
    line details' words are among them."""
    assert set(LABELS) == {"en", "sv", "de"}
    assert all(set(words) == set(LABELS["en"]) for words in LABELS.values())
    assert {"seller_item_id", "corrective_invoice", "deliver_to", "bankgiro", "prepayment_deducted"} <= set(
        LABELS["en"])


@pytest.mark.parametrize(("locale", "printed"), [
    ("en", "List price SEK2,490.00 · Price discount −SEK498.00"),
    ("sv", "Listpris 2 490,00 kr · Prisavdrag −498,00 kr"),
    ("de", "Listenpreis 2.490,00 SEK · Preisnachlass −498,00 SEK")])
def test_a_gross_price_and_its_discount_print_under_the_line(locale: str, printed: str) -> None:
    invoice = finalized([line("Chair", "4", "199200", 1, gross_unit_amount_decimal=Decimal(249000),
                              price_discount_decimal=Decimal(49800)),
                         line("Cables", "1", "1990", 2, gross_unit_amount_decimal=Decimal(1990))],
                        customer=swedish_customer(locale=locale))
    html = render_invoice_html(invoice).replace("\u00a0", " ")
    assert printed in html, html[html.index("Chair"):][:400]
    assert html.count(LABELS[locale]["gross_price"]) == 2
    assert html.count(LABELS[locale]["price_discount"]) == 1  # a gross price alone has no discount to print
