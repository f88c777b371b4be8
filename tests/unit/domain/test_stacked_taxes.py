"""Stacked taxes: several taxes on a line (Canada's GST and QST; a US state's, county's and city's
sales tax), each computed over its own group's base and rounded once, half up (domain/totals.py)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.domain.credit_note import CreditLineRequest, CreditNote
from invoicing.domain.einvoice import einvoice_obstacle
from invoicing.domain.errors import InvalidInput
from invoicing.domain.invoice import Invoice, InvoiceLine
from invoicing.domain.party import Address
from invoicing.domain.tax import TaxRate
from invoicing.domain.totals import Charge, Discount, PricedLine, Totals, compute_totals

from .builders import NOW, customer, draft, line, seller, vat
from .test_credit_note import credit, of_line
from .test_totals import assert_half_up

GST = TaxRate(percent=Decimal(5), name="GST", tax_type="gst", jurisdiction="CA")
QST = TaxRate(percent=Decimal("9.975"), name="QST", tax_type="qst", jurisdiction="CA-QC")
# Quebec before 2013: QST 9.5 % on the price plus GST. Prince Edward Island before 2013: PST 10 % likewise.
QST_2012 = TaxRate(percent=Decimal("9.5"), name="QST", tax_type="qst", jurisdiction="CA-QC", compound=True)
PEI_PST = TaxRate(percent=Decimal(10), name="PST", tax_type="pst", jurisdiction="CA-PE", compound=True)
STATE = TaxRate(percent=Decimal("6.25"), name="State sales tax", tax_type="sales_tax", jurisdiction="US-XX")
COUNTY = TaxRate(percent=Decimal(1), name="County sales tax", tax_type="sales_tax", jurisdiction="US-XX-County")
CITY = TaxRate(percent=Decimal(1), name="City sales tax", tax_type="sales_tax", jurisdiction="US-XX-City")
MONTREAL = Address(line1="1000 Rue Sherbrooke O", city="Montréal", state="QC", postal_code="H3A 3G4", country="CA")


def priced(amount: int, *taxes: TaxRate, quantity: str = "1", discounts: tuple[Discount, ...] = ()) -> PricedLine:
    return PricedLine(quantity=Decimal(quantity), unit_amount=Decimal(amount), taxes=taxes, discounts=discounts)


def taxes_of(totals: Totals) -> list[tuple[str, int, int]]:
    return [(g.name, g.taxable_amount + g.taxes_in_base, g.tax_amount) for g in totals.tax_groups]


# --- the goldens ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("net", "gst", "qst", "total"), [
    # 300.00: GST 15.00; QST 29.925 -> 29.93; 344.93. 140.00: GST 7.00; QST 13.965 -> 13.97; 160.97.
    (30000, 1500, 2993, 34493),
    (14000, 700, 1397, 16097),
    # 10.10: GST 0.505 -> 0.51; QST 1.007475 -> 1.01; tax 1.52 (one combined 14.975 % rate: 1.512 -> 1.51).
    (1010, 51, 101, 1162),
])
def test_gst_and_qst_are_each_computed_and_rounded_on_their_own(net: int, gst: int, qst: int, total: int) -> None:
    totals = compute_totals([priced(net, GST, QST)])
    assert taxes_of(totals) == [("GST", net, gst), ("QST", net, qst)]
    assert (totals.subtotal, totals.total_excluding_tax, totals.tax, totals.total) == (net, net, gst + qst, total)


def test_one_combined_rate_is_a_cent_off_on_the_10_10_line() -> None:
    combined = compute_totals([priced(1010, TaxRate(percent=Decimal("14.975"), name="GST+QST"))])
    assert (combined.tax, combined.total) == (151, 1161)
    for net in (30000, 14000):  # where it agrees with the stacked taxes
        assert compute_totals([priced(net, TaxRate(percent=Decimal("14.975")))]).total == \
            compute_totals([priced(net, GST, QST)]).total


def test_a_us_state_county_and_city_tax_are_three_rows_even_at_equal_rates() -> None:
    # 3 x 19.99 + 120.00 = 179.97. State 6.25 % = 11.248125 -> 11.25; county and city 1 % = 1.7997 -> 1.80 each.
    totals = compute_totals([priced(1999, STATE, COUNTY, CITY, quantity="3"), priced(12000, STATE, COUNTY, CITY)])
    assert taxes_of(totals) == [("State sales tax", 17997, 1125), ("County sales tax", 17997, 180),
                                ("City sales tax", 17997, 180)]
    assert (totals.tax, totals.total) == (1485, 19482)


def test_each_tax_is_rounded_once_over_its_group_not_per_line() -> None:
    # Three lines of 0.10 at GST 5 %: 0.015 over the group -> 0.02 (rounding each line would give 0.03).
    totals = compute_totals([priced(10, GST), priced(10, GST, QST), priced(10, GST, QST)])
    assert taxes_of(totals) == [("GST", 30, 2), ("QST", 20, 2)]  # QST: 0.01995 -> 0.02


def test_lines_with_different_taxes_share_the_invoice_discount_once() -> None:
    # 100.00 with GST and QST, 50.00 with GST only; 10 % off the invoice: 15.00, spread 10.00 / 5.00 over
    # the two sets of lines. GST on 90.00 + 45.00 = 135.00 -> 6.75; QST on 90.00 -> 8.9775 -> 8.98.
    totals = compute_totals([priced(10000, GST, QST), priced(5000, GST)],
                            [Discount(percent_off=Decimal(10))])
    assert taxes_of(totals) == [("GST", 13500, 675), ("QST", 9000, 898)]
    assert [(g.lines_net_amount, g.discount_amount) for g in totals.tax_groups] == [(15000, 1500), (10000, 1000)]
    assert (totals.subtotal, totals.discount_amount, totals.total_excluding_tax) == (15000, 1500, 13500)
    assert (totals.tax, totals.total) == (1573, 15073)
    assert [la.base_amount for la in totals.lines] == [9000, 4500]


def test_a_compound_tax_is_computed_on_the_net_plus_the_lines_other_taxes() -> None:
    # PEI: 100.00 + GST 5.00; PST 10 % of 105.00 = 10.50; 115.50.
    pei = compute_totals([priced(10000, GST, PEI_PST)])
    assert [(g.name, g.taxable_amount, g.taxes_in_base, g.tax_amount) for g in pei.tax_groups] == [
        ("GST", 10000, 0, 500), ("PST", 10000, 500, 1050)]
    assert pei.total == 11550
    # Quebec 2012, 10.10: GST 0.505 -> 0.51; QST 9.5 % of 10.61 = 1.00795 -> 1.01; 12.22.
    quebec = compute_totals([priced(1010, GST, QST_2012)])
    assert taxes_of(quebec) == [("GST", 1010, 51), ("QST", 1061, 101)]
    assert quebec.total == 1010 + 51 + 101


def test_lines_with_a_compound_tax_must_carry_the_same_other_taxes() -> None:
    with pytest.raises(InvalidInput) as raised:
        compute_totals([priced(10000, GST, PEI_PST), priced(10000, PEI_PST)])
    assert (raised.value.code, raised.value.param) == ("compound_tax_mixed", "lines[1].tax_rates")


def test_the_same_tax_twice_on_a_line_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        compute_totals([priced(10000, GST, GST.model_copy(update={"name": "Federal GST"}))])
    assert (raised.value.code, raised.value.param) == ("tax_rate_duplicate", "lines[0].tax_rates")


def test_stacked_taxes_need_tax_exclusive_prices() -> None:
    with pytest.raises(InvalidInput) as raised:
        compute_totals([priced(10000, GST, QST)], tax_behavior="inclusive")
    assert raised.value.code == "stacked_taxes_inclusive"
    # One tax a line stays as it was with inclusive prices, also for a GST alone.
    assert compute_totals([priced(10500, GST)], tax_behavior="inclusive").tax == 500


# --- the totals always add up ----------------------------------------------------------------------

TAX_SETS: list[tuple[TaxRate, ...]] = [
    (vat(25),), (GST,), (GST, QST), (STATE, COUNTY, CITY), (STATE,), (GST, PEI_PST), (vat(12),),
]


def half_up(value: Fraction) -> int:
    """A non-negative exact value rounded half up to a whole minor unit, by integer arithmetic."""
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


@st.composite
def stacked_invoices(draw: st.DrawFn) -> tuple[list[PricedLine], list[Discount], list[Charge]]:
    lines = [
        PricedLine(
            quantity=Decimal(draw(st.integers(1, 400))) / Decimal(draw(st.sampled_from([1, 4, 100]))),
            unit_amount=Decimal(draw(st.integers(0, 10**7))),
            taxes=draw(st.sampled_from(TAX_SETS)),
            discounts=tuple(draw(st.lists(st.builds(Discount, percent_off=st.integers(0, 30).map(Decimal)),
                                          max_size=1))),
        )
        for _ in range(draw(st.integers(1, 6)))
    ]
    # Up to 40 % each: two of them, each rounded on its own, never exceed the lines.
    discounts = draw(st.lists(st.builds(Discount, percent_off=st.integers(0, 40).map(Decimal)), max_size=2))
    charges = draw(st.lists(st.builds(Charge, amount=st.integers(0, 10**5)), max_size=1))
    return lines, discounts, charges


@settings(max_examples=300, deadline=None)
@given(stacked_invoices())
def test_the_per_tax_amounts_add_up_to_the_totals(invoice: tuple[list[PricedLine], list[Discount],
                                                                 list[Charge]]) -> None:
    lines, discounts, charges = invoice
    totals = compute_totals(lines, discounts, "exclusive", charges)
    assert totals.tax == sum(g.tax_amount for g in totals.tax_groups)
    assert totals.total == totals.total_excluding_tax + totals.tax
    assert totals.subtotal == sum(la.net_amount for la in totals.lines)
    assert totals.total_excluding_tax == totals.subtotal - totals.discount_amount + totals.charge_amount
    assert totals.total_excluding_tax == sum(la.base_amount or 0 for la in totals.lines)
    keys = list(dict.fromkeys(rate.group_key for line in lines for rate in line.taxes))
    assert [g.key for g in totals.tax_groups] == keys  # one group per tax, in the order the lines name them
    for g in totals.tax_groups:
        members = [(line, la) for line, la in zip(lines, totals.lines, strict=True)
                   if g.key in [rate.group_key for rate in line.taxes]]
        # Each tax is over its own group's base: the lines that carry it, after their share of the
        # invoice's discounts and charges...
        assert g.taxable_amount == sum(la.base_amount or 0 for _, la in members)
        assert g.lines_net_amount == sum(la.net_amount for _, la in members)
        assert g.taxable_amount == g.lines_net_amount - g.discount_amount + g.charge_amount
        # ... a compound tax's plus its lines' other taxes at their rates, each rounded half up ...
        others = [rate for rate in members[0][0].taxes if not rate.compound] if g.compound else []
        assert g.taxes_in_base == sum(half_up(Fraction(g.taxable_amount) * Fraction(r.percent) / 100)
                                      for r in others)
        # ... and rounded once, half up.
        assert_half_up(g.tax_amount, Fraction(g.taxable_amount + g.taxes_in_base) * Fraction(g.percent) / 100)


# --- on the invoice --------------------------------------------------------------------------------


def quebec_invoice(*lines: InvoiceLine) -> Invoice:
    """A Canadian seller's invoice to a customer in Montréal (no automatic tax: the lines say which)."""
    lines = lines or (line(30000, id="li_1", tax_rates=(GST, QST)), line(14000, id="li_2", tax_rates=(GST, QST)))
    buyer = customer(None, address=MONTREAL, currency="CAD")
    return draft(*lines, currency="CAD").finalize(
        seller=seller("US"), customer=buyer, number="INV-000011", now=NOW, previous_totals=[])


def test_an_invoice_line_keeps_every_tax_and_the_totals_one_group_per_tax() -> None:
    invoice = quebec_invoice()
    assert invoice.totals is not None
    # 440.00: GST 22.00; QST 43.89 (exactly 43.89); 505.89.
    assert taxes_of(invoice.totals) == [("GST", 44000, 2200), ("QST", 44000, 4389)]
    assert (invoice.totals.total, invoice.amount_due) == (50589, 50589)
    first = invoice.lines[0]
    assert (first.tax, first.applied_taxes, first.stacked) == (GST, (GST, QST), True)


def test_a_line_with_one_manual_rate_is_priced_as_before() -> None:
    invoice = quebec_invoice(line(10000, id="li_1", tax_rate=GST))
    assert (invoice.lines[0].tax, invoice.lines[0].taxes, invoice.lines[0].applied_taxes) == (GST, (), (GST,))


def test_no_e_invoice_has_a_place_for_taxes_other_than_vat_or_for_two_on_a_line() -> None:
    invoice = quebec_invoice()
    assert invoice.seller_snapshot is not None and invoice.customer_snapshot is not None
    obstacle = einvoice_obstacle(invoice, invoice.seller_snapshot, invoice.customer_snapshot)
    assert obstacle is not None and (obstacle.code, obstacle.field) == ("einvoice_non_vat_tax", "lines.tax_rates")
    assert "GST is a gst tax, not VAT" in obstacle.message
    # VAT twice on a line (two jurisdictions) is still one rate too many for a line (BG-30).
    two_vats = (vat(20).model_copy(update={"jurisdiction": "A"}), vat(5).model_copy(update={"jurisdiction": "B"}))
    stacked = draft(line(10000, tax_rates=two_vats)).finalize(
        seller=seller("SE"), customer=customer("SE"), number="INV-000012", now=NOW, previous_totals=[])
    assert stacked.seller_snapshot is not None and stacked.customer_snapshot is not None
    found = einvoice_obstacle(stacked, stacked.seller_snapshot, stacked.customer_snapshot)
    assert found is not None and found.code == "einvoice_stacked_taxes"
    # One VAT rate a line, as always, has its e-invoice.
    single = draft(line(10000)).finalize(seller=seller("SE"), customer=customer("SE"), number="INV-000013",
                                         now=NOW, previous_totals=[])
    assert single.seller_snapshot is not None and single.customer_snapshot is not None
    assert einvoice_obstacle(single, single.seller_snapshot, single.customer_snapshot) is None


# --- credit notes, per tax ---------------------------------------------------------------------------


def per_tax(note: CreditNote) -> list[tuple[str, int, int]]:
    return [(g.name, g.taxable_amount, g.tax_amount) for g in note.tax_groups]


def test_crediting_a_stacked_line_reverses_each_of_its_taxes() -> None:
    invoice = quebec_invoice()
    first, invoice = credit(invoice, of_line("li_1"))
    # 300.00: GST 15.00, QST 29.925 -> 29.93, as the invoice's rule gives on that base.
    assert per_tax(first) == [("GST", 30000, 1500), ("QST", 30000, 2993)]
    assert (first.subtotal, first.tax, first.amount) == (30000, 4493, 34493)
    assert first.lines[0].applied_taxes == (GST, QST)
    # The rest reverses exactly what remains of each tax: QST 43.89 - 29.93 = 13.96 (not 13.97 again).
    second, invoice = credit(invoice, of_line("li_2"), n=2)
    assert per_tax(second) == [("GST", 14000, 700), ("QST", 14000, 1396)]
    assert first.amount + second.amount == 50589
    assert (invoice.amount_due, invoice.status) == (0, "paid")
    assert invoice.credit_ledger.gross == 50589


def test_a_quantity_of_a_stacked_line_and_a_custom_line_at_its_taxes() -> None:
    invoice = quebec_invoice(line(1010, "3", id="li_1", tax_rates=(GST, QST)))
    # One of three 10.10: GST 0.505 -> 0.51, QST 1.007475 -> 1.01.
    note, invoice = credit(invoice, of_line("li_1", quantity="1"))
    assert per_tax(note) == [("GST", 1010, 51), ("QST", 1010, 101)]
    # A custom line with no rate takes the taxes every line carries; cumulatively on 20.20: GST 1.01
    # less 0.51 = 0.50, QST 2.01495 -> 2.01 less 1.01 = 1.00.
    goodwill = CreditLineRequest(type="custom_line_item", description="Goodwill", quantity=Decimal(1),
                                 unit_amount_decimal=Decimal(1010))
    again, _ = credit(invoice, goodwill, n=2)
    assert per_tax(again) == [("GST", 1010, 50), ("QST", 1010, 100)]
    assert again.lines[0].applied_taxes == (GST, QST)


def test_a_custom_line_names_taxes_the_invoice_charged() -> None:
    invoice = quebec_invoice(line(30000, id="li_1", tax_rates=(GST, QST)), line(10000, id="li_2", tax_rate=GST))
    gst_only = CreditLineRequest(type="custom_line_item", description="Shipping refund", quantity=Decimal(1),
                                 unit_amount_decimal=Decimal(2000), tax_rates=(GST,))
    note, _ = credit(invoice, gst_only)
    assert per_tax(note) == [("GST", 2000, 100)]
    unknown = gst_only.model_copy(update={"tax_rates": (GST, STATE)})
    with pytest.raises(InvalidInput) as raised:
        credit(invoice, unknown)
    assert (raised.value.code, raised.value.param) == ("tax_rate_not_on_invoice", "lines[0].tax_rates")
    unnamed = gst_only.model_copy(update={"tax_rates": ()})
    with pytest.raises(InvalidInput) as raised:
        credit(invoice, unnamed)
    assert raised.value.code == "tax_rate_required"


def test_an_amount_alone_cannot_say_which_of_the_stacked_taxes_it_corrects() -> None:
    with pytest.raises(InvalidInput) as raised:
        credit(quebec_invoice(), amount=1000)
    assert raised.value.code == "amount_requires_lines"


def test_a_compound_tax_is_credited_on_the_credited_net_plus_its_other_taxes() -> None:
    invoice = quebec_invoice(line(10000, id="li_1", tax_rates=(GST, PEI_PST)))
    # Half of 100.00: GST 2.50; PST 10 % of 52.50 = 5.25. Then the rest: what remains, exactly.
    half, invoice = credit(invoice, of_line("li_1", amount=5000))
    assert [(g.name, g.taxable_amount, g.taxes_in_base, g.tax_amount) for g in half.tax_groups] == [
        ("GST", 5000, 0, 250), ("PST", 5000, 250, 525)]
    rest, invoice = credit(invoice, of_line("li_1"), n=2)
    assert per_tax(rest) == [("GST", 5000, 250), ("PST", 5000, 525)]
    assert half.amount + rest.amount == 11550 and invoice.amount_due == 0
