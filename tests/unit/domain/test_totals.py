"""EN 16931 totals: line nets rounded once, tax per (category, rate) over the group, rounded once."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from invoicing.domain.errors import InvalidInput
from invoicing.domain.tax import TaxRate
from invoicing.domain.totals import Discount, PricedLine, Totals, compute_totals

from .builders import off, pct, priced_line, vat

# --- hand-computed examples ------------------------------------------------------------------


def test_en16931_acceptance_example() -> None:
    # 10.33 + 10.33 + 10.34 at 10 %: per group 31.00 x 10 % = 3.10 (per line it would be 3.09).
    totals = compute_totals([priced_line(1033, tax=vat(10)), priced_line(1033, tax=vat(10)),
                             priced_line(1034, tax=vat(10))])
    assert totals.subtotal == 3100
    assert totals.discount_amount == 0
    assert totals.total_excluding_tax == 3100
    assert totals.tax == 310
    assert totals.total == 3410
    assert [la.net_amount for la in totals.lines] == [1033, 1033, 1034]
    (group,) = totals.tax_groups
    assert (group.category, group.percent, group.taxable_amount, group.tax_amount) == ("S", Decimal(10), 3100, 310)


def test_tax_is_rounded_once_per_group_not_per_line() -> None:
    # Three lines of 5 minor units at 10 %: per line 0.5 -> 1 each (3); per group 1.5 -> 2.
    totals = compute_totals([priced_line(5, tax=vat(10)) for _ in range(3)])
    assert totals.tax == 2
    assert totals.total == 17


def test_tax_per_category_and_rate() -> None:
    # 25 %: 999 + 1 = 1000 -> 250.  12 %: 333 -> 39.96 -> 40.  0 % Z: 500 -> 0.
    totals = compute_totals([
        priced_line(999, tax=vat(25)),
        priced_line(333, tax=vat(12)),
        priced_line(1, tax=vat(25)),
        priced_line(500, tax=vat(0, "Z")),
    ])
    assert [(g.category, g.percent, g.taxable_amount, g.tax_amount) for g in totals.tax_groups] == [
        ("S", Decimal(25), 1000, 250),
        ("S", Decimal(12), 333, 40),
        ("Z", Decimal(0), 500, 0),
    ]
    assert totals.subtotal == 1833
    assert totals.tax == 290
    assert totals.total == 2123


def test_same_rate_written_differently_is_one_group() -> None:
    totals = compute_totals([priced_line(5, tax=vat("25")), priced_line(5, tax=vat("25.00")),
                             priced_line(5, tax=vat("25.0000"))])
    assert len(totals.tax_groups) == 1
    assert totals.tax == 4  # 15 x 25 % = 3.75 -> 4 (per line: 1.25 -> 1, three times 3)


def test_zero_rates_of_different_categories_are_separate_groups() -> None:
    totals = compute_totals([priced_line(100, tax=vat(0, "Z")), priced_line(200, tax=vat(0, "E")),
                             priced_line(300, tax=vat(0, "AE")), priced_line(400, tax=vat(0, "Z"))])
    assert [(g.category, g.taxable_amount) for g in totals.tax_groups] == [("Z", 500), ("E", 200), ("AE", 300)]
    assert totals.tax == 0


def test_group_keeps_the_rates_name_and_exemption_reason() -> None:
    rate = TaxRate(category="AE", percent=Decimal(0), name="Reverse charge", exemption_reason="Art. 196")
    (group,) = compute_totals([priced_line(100, tax=rate)]).tax_groups
    assert (group.name, group.exemption_reason) == ("Reverse charge", "Art. 196")


def test_no_lines_means_zero_everything() -> None:
    totals = compute_totals([])
    assert (totals.subtotal, totals.tax, totals.total, totals.tax_groups, totals.lines) == (0, 0, 0, (), ())


@pytest.mark.parametrize(
    ("quantity", "unit_amount", "amount"),
    [
        ("1000", "0.012345678901", 12),  # 12.345678901 (a unit rounded first would give 0)
        ("100000", "0.012345678901", 1235),  # 1234.5678901 (a unit rounded to 0.01 would give 1000)
        ("3", "0.5", 2),  # 1.5 -> 2 (per unit: 3 x 1 = 3)
        ("2.5", "8000", 20000),  # 2.5 hours at 80.00
        ("0.333333", "3", 1),  # 0.999999 -> 1
        ("7", "0.071428571428", 0),  # 0.499999999996 -> 0: just below the half
        ("1000000", "0.000000000001", 0),
    ],
)
def test_unit_amounts_keep_their_precision_until_the_line_total(quantity: str, unit_amount: str, amount: int) -> None:
    totals = compute_totals([priced_line(unit_amount, quantity, tax=vat(0, "Z"))])
    assert totals.lines[0].amount == amount
    assert totals.subtotal == amount


@pytest.mark.parametrize(
    ("quantity", "unit_amount", "amount"),
    [
        # Both inside what the API accepts (quantity <= 1e9 with 6 decimals, unit <= 1e15 with 12):
        # the exact products are ...436.499999999999999999 and ...999.499999999999999999, so they
        # round down; rounding the product to 28 digits first would make them ...x.5 and round up.
        ("123456789.012347", "124611.555593738317", 15384142527436),
        ("999999999.999999", "501000.000000000001", 500999999999999),
    ],
)
def test_line_amount_is_rounded_once_even_beyond_28_significant_digits(
    quantity: str, unit_amount: str, amount: int
) -> None:
    totals = compute_totals([priced_line(unit_amount, quantity, tax=vat(0, "Z"))])
    assert totals.lines[0].amount == amount


def test_line_percent_discount() -> None:
    # 19.99, 10 % off: 1.999 -> 2.00; net 17.99; tax 25 %: 4.4975 -> 4.50.
    totals = compute_totals([priced_line(1999, discounts=(pct(10),))])
    assert (totals.lines[0].amount, totals.lines[0].discount_amount, totals.lines[0].net_amount) == (1999, 200, 1799)
    assert totals.subtotal == 1799
    assert totals.discount_amount == 0  # line discounts are inside the line net, not BT-107
    assert totals.tax == 450
    assert totals.total == 2249


def test_line_amount_discount() -> None:
    # 3 x 5.00 - 2.50 = 12.50; 25 %: 3.125 -> 3.13.
    totals = compute_totals([priced_line(500, 3, discounts=(off(250),))])
    assert totals.lines[0].net_amount == 1250
    assert totals.tax == 313
    assert totals.total == 1563


def test_several_line_discounts_each_apply_to_the_line_amount() -> None:
    # 10.00: 10 % (1.00) and 0.50 off -> 8.50 (not compounded).
    totals = compute_totals([priced_line(1000, discounts=(pct(10), off(50)))])
    assert totals.lines[0].discount_amount == 150
    assert totals.lines[0].net_amount == 850


def test_a_line_may_be_discounted_to_zero() -> None:
    totals = compute_totals([priced_line(1000, discounts=(pct(100),)), priced_line(400, discounts=(off(400),))])
    assert [la.net_amount for la in totals.lines] == [0, 0]
    assert totals.total == 0


def test_invoice_percent_discount_over_two_tax_groups() -> None:
    # 80.00 at 25 % and 20.00 at 12 %, 10 % off the invoice: 10.00 split 8.00 / 2.00.
    totals = compute_totals([priced_line(8000, tax=vat(25)), priced_line(2000, tax=vat(12))], [pct(10)])
    g25, g12 = totals.tax_groups
    assert (g25.lines_net_amount, g25.discount_amount, g25.taxable_amount, g25.tax_amount) == (8000, 800, 7200, 1800)
    assert (g12.lines_net_amount, g12.discount_amount, g12.taxable_amount, g12.tax_amount) == (2000, 200, 1800, 216)
    assert totals.subtotal == 10000
    assert totals.discount_amount == 1000
    assert totals.total_excluding_tax == 9000
    assert totals.tax == 2016
    assert totals.total == 11016
    assert [la.net_amount for la in totals.lines] == [8000, 2000]  # BT-131 is before document allowances


def test_invoice_amount_discount_split_by_largest_remainder() -> None:
    # 1.00 off over 10.00 (25 %) and 20.00 (12 %): 33.33 / 66.67 -> 33 / 67.
    # 25 %: 967 -> 241.75 -> 242.  12 %: 1933 -> 231.96 -> 232.
    totals = compute_totals([priced_line(1000, tax=vat(25)), priced_line(2000, tax=vat(12))], [off(100)])
    g25, g12 = totals.tax_groups
    assert (g25.discount_amount, g12.discount_amount) == (33, 67)
    assert (g25.taxable_amount, g12.taxable_amount) == (967, 1933)
    assert (g25.tax_amount, g12.tax_amount) == (242, 232)
    assert totals.discount_amount == 100
    assert totals.total_excluding_tax == 2900
    assert totals.total == 3374


def test_invoice_discount_applies_after_line_discounts() -> None:
    # 100.00 - 20 % = 80.00 on the line; then 10 % off the invoice: 8.00; taxable 72.00; 25 %: 18.00.
    totals = compute_totals([priced_line(10000, discounts=(pct(20),))], [pct(10)])
    assert totals.subtotal == 8000
    assert totals.discount_amount == 800
    assert totals.tax == 1800
    assert totals.total == 9000


def test_two_invoice_discounts_that_take_everything_leave_no_tax() -> None:
    # 1.01 at 0 % and 1.01 at 50 %, then 50 % + 50 % off the invoice: nothing is left to tax.
    # Each group's share of the 2.02 discount is 1.01; no group may be discounted below zero.
    totals = compute_totals([priced_line(101, tax=vat(0, "Z")), priced_line(101, tax=vat(50))], [pct(50), pct(50)])
    assert totals.discount_amount == 202
    assert [g.discount_amount for g in totals.tax_groups] == [101, 101]
    assert [g.taxable_amount for g in totals.tax_groups] == [0, 0]
    assert totals.tax == 0
    assert totals.total == 0


def test_several_invoice_discounts_are_spread_as_one() -> None:
    # Three 0.01 discounts over two equal groups: 0.03 -> 0.02 / 0.01, not 0.03 / 0.00.
    totals = compute_totals([priced_line(100, tax=vat(25)), priced_line(100, tax=vat(12))], [off(1), off(1), off(1)])
    assert sorted(g.discount_amount for g in totals.tax_groups) == [1, 2]
    assert totals.discount_amount == 3


# --- discounts that exceed the amount ----------------------------------------------------------


@pytest.mark.parametrize(
    "discounts",
    [(off(1001),), (pct(60), pct(50)), (off(600), pct(50))],
)
def test_line_discounts_exceeding_the_line_raise_naming_the_line(discounts: tuple[Discount, ...]) -> None:
    with pytest.raises(InvalidInput) as raised:
        compute_totals([priced_line(500), priced_line(1000, discounts=discounts)])
    assert raised.value.param == "lines[1].discounts"


@pytest.mark.parametrize("discounts", [[off(1501)], [pct(60), pct(50)], [off(1000), off(501)]])
def test_invoice_discounts_exceeding_the_lines_raise_naming_discounts(discounts: list[Discount]) -> None:
    with pytest.raises(InvalidInput) as raised:
        compute_totals([priced_line(500), priced_line(1000, tax=vat(12))], discounts)
    assert raised.value.param == "discounts"


@pytest.mark.parametrize("fields", [{"percent_off": Decimal("100.1")}, {"percent_off": Decimal(-1)},
                                    {"amount_off": -1}, {}, {"percent_off": Decimal(5), "amount_off": 5}])
def test_a_discount_is_one_positive_percentage_or_amount(fields: dict) -> None:
    with pytest.raises(ValueError, match=r"discount|less than or equal|greater than"):
        Discount(**fields)


def test_invoice_discount_on_no_lines_raises() -> None:
    with pytest.raises(InvalidInput):
        compute_totals([], [off(1)])


def test_invoice_discount_of_exactly_the_lines_is_allowed() -> None:
    totals = compute_totals([priced_line(500), priced_line(1000, tax=vat(12))], [off(1500)])
    assert (totals.total_excluding_tax, totals.tax, totals.total) == (0, 0, 0)


# --- tax-inclusive prices ----------------------------------------------------------------------


def test_inclusive_single_line() -> None:
    # 125.00 including 25 %: tax 25.00, net 100.00.
    totals = compute_totals([priced_line(12500)], tax_behavior="inclusive")
    assert (totals.subtotal, totals.total_excluding_tax, totals.tax, totals.total) == (10000, 10000, 2500, 12500)
    assert totals.lines[0].amount == 12500
    assert totals.lines[0].net_amount == 10000


def test_inclusive_group_gross_is_split_once() -> None:
    # 3 x 9.99 gross at 25 %: group 29.97 -> tax 5.994 -> 5.99, net 23.98 (per line: 2.00 x 3 = 6.00).
    totals = compute_totals([priced_line(999) for _ in range(3)], tax_behavior="inclusive")
    assert totals.total == 2997
    assert totals.tax == 599
    assert totals.total_excluding_tax == 2398
    (group,) = totals.tax_groups
    assert group.lines_net_amount == 2398
    nets = [la.net_amount for la in totals.lines]
    assert sum(nets) == 2398
    assert sorted(nets) == [799, 799, 800]


def test_inclusive_fractional_rate() -> None:
    # 10.00 gross at 25.5 %: 1000 x 25.5 / 125.5 = 203.19 -> 203 tax, 797 net.
    totals = compute_totals([priced_line(1000, tax=vat("25.5"))], tax_behavior="inclusive")
    assert (totals.tax, totals.total_excluding_tax, totals.total) == (203, 797, 1000)


def test_inclusive_invoice_discount() -> None:
    # 125.00 gross at 25 %, 10 % off: 12.50 gross off -> 112.50 paid; tax 22.50; net 90.00;
    # the discount's net part is 10.00 and the lines' net 100.00.
    totals = compute_totals([priced_line(12500)], [pct(10)], tax_behavior="inclusive")
    assert totals.total == 11250
    assert totals.tax == 2250
    assert totals.total_excluding_tax == 9000
    assert totals.discount_amount == 1000
    assert totals.subtotal == 10000
    assert totals.lines[0].net_amount == 10000


def test_inclusive_two_groups() -> None:
    # 12.50 at 25 % -> 2.50 tax; 11.20 at 12 % -> 1.20 tax; 5.00 at 0 % Z.
    totals = compute_totals([priced_line(1250), priced_line(1120, tax=vat(12)), priced_line(500, tax=vat(0, "Z"))],
                            tax_behavior="inclusive")
    assert [(g.taxable_amount, g.tax_amount) for g in totals.tax_groups] == [(1000, 250), (1000, 120), (500, 0)]
    assert totals.total == 2870
    assert [la.net_amount for la in totals.lines] == [1000, 1000, 500]


# --- properties over random invoices -----------------------------------------------------------

RATES = [vat(0, "Z"), vat(6), vat(12), vat(25), vat("25.5"), vat("7.7"), vat(21), vat(0, "AE"), vat(0, "E")]


def decimals(min_int: int, max_int: int, max_places: int) -> st.SearchStrategy[Decimal]:
    """Exact decimals built from integers (never from floats)."""
    return st.builds(lambda n, k: Decimal(n).scaleb(-k), st.integers(min_int, max_int), st.integers(0, max_places))


@st.composite
def lines_strategy(draw: st.DrawFn) -> list[PricedLine]:
    result = []
    for _ in range(draw(st.integers(1, 8))):
        quantity = draw(decimals(1, 10**6, 6))
        unit = draw(st.one_of(decimals(0, 10**9, 12), st.integers(0, 10**6).map(str).map(Decimal)))
        floor_amount = int(quantity * unit)  # both are non-negative: int() is floor
        # At most two discounts, each at most half the line, so that together they never exceed it.
        discounts = draw(st.lists(
            st.one_of(
                st.builds(lambda n: Discount(percent_off=Decimal(n).scaleb(-2)), st.integers(0, 4999)),
                st.builds(lambda n: Discount(amount_off=n), st.integers(0, floor_amount // 2)),
            ),
            max_size=2,
        ))
        result.append(PricedLine(quantity=quantity, unit_amount=unit, discounts=tuple(discounts),
                                 tax=draw(st.sampled_from(RATES))))
    return result


@st.composite
def invoices(draw: st.DrawFn) -> tuple[list[PricedLine], list[Discount], str]:
    lines = draw(lines_strategy())
    behavior = draw(st.sampled_from(["exclusive", "inclusive"]))
    without = compute_totals(lines, (), behavior)  # type: ignore[arg-type]
    base = without.total  # the invoice discount base: nets (exclusive) or grosses (inclusive)
    if behavior == "exclusive":
        base = without.subtotal
    discounts = draw(st.lists(
        st.one_of(
            st.builds(lambda n: Discount(percent_off=Decimal(n).scaleb(-2)), st.integers(0, 5000)),
            st.builds(lambda n: Discount(amount_off=n), st.integers(0, base)),
        ),
        max_size=3,
    ))
    # Keep only discounts that cannot exceed the base, even with each percentage rounded up.
    upper_bound = sum(
        Fraction(base) * Fraction(d.percent_off) / 100 + Fraction(1, 2) if d.percent_off is not None
        else Fraction(d.amount_off or 0)
        for d in discounts
    )
    assume(upper_bound <= base)
    return lines, discounts, behavior


def exact_line_amount(line: PricedLine) -> Fraction:
    return Fraction(line.quantity) * Fraction(line.unit_amount)


def assert_half_up(rounded: int, exact: Fraction) -> None:
    """`rounded` is `exact` rounded half up (for exact >= 0): exact lies in [rounded - 1/2, rounded + 1/2)."""
    assert rounded - Fraction(1, 2) <= exact < rounded + Fraction(1, 2), (rounded, exact)


def all_amounts(totals: Totals) -> list[object]:
    values: list[object] = [totals.subtotal, totals.discount_amount, totals.total_excluding_tax, totals.tax,
                            totals.total]
    for g in totals.tax_groups:
        values += [g.lines_net_amount, g.discount_amount, g.taxable_amount, g.tax_amount]
    for la in totals.lines:
        values += [la.amount, la.discount_amount, la.net_amount]
    return values


@given(invoices())
def test_totals_add_up(invoice: tuple[list[PricedLine], list[Discount], str]) -> None:
    lines, discounts, behavior = invoice
    totals = compute_totals(lines, discounts, behavior)  # type: ignore[arg-type]

    assert all(type(v) is int for v in all_amounts(totals))
    assert totals.total == totals.total_excluding_tax + totals.tax
    assert totals.total_excluding_tax == totals.subtotal - totals.discount_amount
    assert totals.subtotal == sum(la.net_amount for la in totals.lines)
    assert totals.subtotal == sum(g.lines_net_amount for g in totals.tax_groups)
    assert totals.discount_amount == sum(g.discount_amount for g in totals.tax_groups)
    assert totals.total_excluding_tax == sum(g.taxable_amount for g in totals.tax_groups)
    assert totals.tax == sum(g.tax_amount for g in totals.tax_groups)
    for g in totals.tax_groups:
        assert g.taxable_amount == g.lines_net_amount - g.discount_amount
        assert g.taxable_amount >= 0
        assert g.tax_amount >= 0
    # One group per distinct (category, rate), in order of first appearance.
    keys = list(dict.fromkeys(line.tax.group_key for line in lines))
    assert [g.key for g in totals.tax_groups] == keys


@given(invoices())
def test_each_line_amount_is_its_exact_product_rounded_half_up(
    invoice: tuple[list[PricedLine], list[Discount], str],
) -> None:
    lines, discounts, behavior = invoice
    totals = compute_totals(lines, discounts, behavior)  # type: ignore[arg-type]
    for line, amounts in zip(lines, totals.lines, strict=True):
        assert_half_up(amounts.amount, exact_line_amount(line))
        assert 0 <= amounts.discount_amount <= amounts.amount
        if behavior == "exclusive":
            assert amounts.net_amount == amounts.amount - amounts.discount_amount


@given(invoices())
def test_each_groups_tax_is_rounded_once_half_up(invoice: tuple[list[PricedLine], list[Discount], str]) -> None:
    lines, discounts, behavior = invoice
    totals = compute_totals(lines, discounts, behavior)  # type: ignore[arg-type]
    for g in totals.tax_groups:
        rate = Fraction(g.percent)
        if behavior == "exclusive":
            exact = Fraction(g.taxable_amount) * rate / 100
        else:
            gross = g.taxable_amount + g.tax_amount
            exact = Fraction(gross) * rate / (100 + rate)
        assert_half_up(g.tax_amount, exact)  # so |tax - exact| <= 1/2 minor unit per group


@given(invoices())
def test_line_nets_add_up_to_their_group(invoice: tuple[list[PricedLine], list[Discount], str]) -> None:
    lines, discounts, behavior = invoice
    totals = compute_totals(lines, discounts, behavior)  # type: ignore[arg-type]
    for g in totals.tax_groups:
        key = g.key
        members = [la for line, la in zip(lines, totals.lines, strict=True) if line.tax.group_key == key]
        assert sum(la.net_amount for la in members) == g.lines_net_amount
        if behavior == "inclusive":
            gross = sum(la.amount - la.discount_amount for la in members)
            assert all(0 <= la.net_amount <= la.amount - la.discount_amount for la in members)
            assert g.lines_net_amount <= gross


@given(invoices())
def test_inclusive_total_is_what_the_customer_sees(invoice: tuple[list[PricedLine], list[Discount], str]) -> None:
    lines, discounts, _ = invoice
    totals = compute_totals(lines, discounts, "inclusive")
    gross_lines = sum(la.amount - la.discount_amount for la in totals.lines)
    assert totals.total <= gross_lines
    if not discounts:
        assert totals.total == gross_lines


@given(invoices())
def test_invoice_discounts_are_spread_in_proportion(invoice: tuple[list[PricedLine], list[Discount], str]) -> None:
    lines, discounts, _ = invoice
    totals = compute_totals(lines, discounts, "exclusive")
    if totals.subtotal == 0:
        return
    for g in totals.tax_groups:
        exact = Fraction(totals.discount_amount * g.lines_net_amount, totals.subtotal)
        assert abs(g.discount_amount - exact) < 1
        assert g.discount_amount <= g.lines_net_amount


@given(lines_strategy(), st.sampled_from(["exclusive", "inclusive"]))
def test_amounts_do_not_depend_on_line_order(lines: list[PricedLine], behavior: str) -> None:
    forward = compute_totals(lines, (), behavior)  # type: ignore[arg-type]
    backward = compute_totals(list(reversed(lines)), (), behavior)  # type: ignore[arg-type]
    assert (forward.subtotal, forward.tax, forward.total) == (backward.subtotal, backward.tax, backward.total)
