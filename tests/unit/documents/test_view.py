"""The page shows the totals' amounts: discount and charge rows are the totals' allocation of them,
never split again by the renderer (DESIGN.md: the PDF never recomputes what the totals decided)."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.documents.pdf import render_invoice_html
from invoicing.domain.invoice import Invoice
from invoicing.domain.totals import Charge, Discount

from .samples import finalized, line, swedish_customer


def two_of_each() -> Invoice:
    return finalized(
        [line("Analysplattform", "1", "98761", 1,
              discounts=(Discount(description="Ramavtal", percent_off=Decimal(10)),
                         Discount(description="Kampanj", amount_off=333)),
              charges=(Charge(description="Express", amount=5000), Charge(percent=Decimal("2.5")))),
         line("Bok", "3", "29900", 2)],
        discounts=(Discount(description="Lojalitet", percent_off=Decimal(5)),
                   Discount(description="Bonus", amount_off=777)),
        charges=(Charge(description="Frakt", amount=4900), Charge(description="Hantering", percent=Decimal(2))),
        customer=swedish_customer(locale="en"),
        tax_behavior="inclusive",
    )


def test_invoice_level_rows_are_the_totals_allocation():
    invoice = two_of_each()
    totals = invoice.totals
    assert totals is not None
    assert len(totals.discount_amounts) == 2 and sum(totals.discount_amounts) == totals.discount_amount
    assert len(totals.charge_amounts) == 2 and sum(totals.charge_amounts) == totals.charge_amount
    # Different figures in the totals show as those figures: the page reads them, it does not split again.
    tampered = invoice.model_copy(update={"totals": totals.model_copy(update={
        "discount_amounts": (1111, totals.discount_amount - 1111),
        "charge_amounts": (2222, totals.charge_amount - 2222)})})
    html = render_invoice_html(tampered)
    assert "Discount (Lojalitet, 5%)</td><td class=\"num\">−SEK11.11" in html.replace("\u00a0", " ")
    assert "Frakt</td><td class=\"num\">SEK22.22" in html.replace("\u00a0", " ")


def test_line_rows_are_the_totals_line_amounts():
    invoice = two_of_each()
    assert invoice.totals is not None
    amounts = invoice.totals.lines[0]
    assert amounts.discount_amounts == (9876, 333) and sum(amounts.discount_amounts) == amounts.discount_amount
    assert amounts.charge_amounts == (5000, 2469)
    html = render_invoice_html(invoice)
    assert "Discount (Ramavtal, 10%): −SEK98.76" in html
    assert "Discount (Kampanj): −SEK3.33" in html
    assert "Express: +SEK50.00" in html and "Charge (2.5%): +SEK24.69" in html
    # A tax-inclusive line shows its gross after its own discounts and charges, as the totals have it.
    assert f"SEK{amounts.adjusted_amount / 100:,.2f}" in html


def test_totals_stored_before_the_allocation_show_one_row_of_the_sum():
    invoice = two_of_each()
    totals = invoice.totals
    assert totals is not None
    legacy_lines = tuple(a.model_copy(update={"discount_amounts": (), "charge_amounts": ()}) for a in totals.lines)
    legacy = invoice.model_copy(update={"totals": totals.model_copy(update={
        "discount_amounts": (), "charge_amounts": (), "lines": legacy_lines})})
    html = render_invoice_html(legacy).replace("\u00a0", " ")
    assert f"<td class=\"label\">Discount</td><td class=\"num\">−SEK{totals.discount_amount / 100:,.2f}" in html
    assert f"<td class=\"label\">Charge</td><td class=\"num\">SEK{totals.charge_amount / 100:,.2f}" in html
    assert f"Discount: −SEK{totals.lines[0].discount_amount / 100:,.2f}" in html


@settings(max_examples=60, deadline=None)
@given(
    percents=st.lists(st.integers(0, 30), min_size=0, max_size=3),
    fixed=st.lists(st.integers(0, 5000), min_size=0, max_size=2),
    charges=st.lists(st.integers(1, 9000), min_size=0, max_size=2),
    inclusive=st.booleans(),
)
def test_the_allocation_always_adds_up_to_the_totals(percents, fixed, charges, inclusive):
    discounts = tuple(Discount(percent_off=Decimal(p)) for p in percents) + tuple(Discount(amount_off=a) for a in fixed)
    invoice = finalized(
        [line("A", "3", "12345", 1), line("B", "1", "99999", 2, tax_code="zero_rated")],
        discounts=discounts, charges=tuple(Charge(amount=c) for c in charges),
        tax_behavior="inclusive" if inclusive else "exclusive")
    totals = invoice.totals
    assert totals is not None
    assert len(totals.discount_amounts) == len(discounts)
    assert sum(totals.discount_amounts) == totals.discount_amount
    assert len(totals.charge_amounts) == len(charges)
    assert sum(totals.charge_amounts) == totals.charge_amount
