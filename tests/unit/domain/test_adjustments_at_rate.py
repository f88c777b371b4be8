"""compute_totals with negative lines and invoice-level discounts and charges at a VAT rate: each
figure by hand, and, for any mix, the parts that add up (per group and per discount or charge)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.domain.errors import InvalidInput
from invoicing.domain.tax import TaxRate
from invoicing.domain.totals import Charge, Discount, PricedLine, compute_totals


def vat(percent: int) -> TaxRate:
    return TaxRate(category="S", percent=Decimal(percent))


def priced(quantity: str, unit: int, percent: int) -> PricedLine:
    return PricedLine(quantity=Decimal(quantity), unit_amount=Decimal(unit), tax=vat(percent))


def test_tax_inclusive_freight_at_a_rate_no_line_carries() -> None:
    # Books at 6 % including VAT: 3 x 100.00 = 300.00 gross, less a return of 100.00 = 200.00:
    #   VAT 200.00 x 6/106 = 11.3207… -> 11.32, net 188.68.
    # Freight 99.99 at 25 % including VAT, no line at 25 %: VAT 99.99 x 25/125 = 19.998 -> 20.00, net 79.99.
    totals = compute_totals([priced("3", 10000, 6), priced("-1", 10000, 6)], (), "inclusive",
                            (Charge(description="Freight", amount=9999, tax_rate=vat(25)),))
    six, quarter = totals.tax_groups
    assert (six.taxable_amount, six.tax_amount, six.lines_net_amount) == (18868, 1132, 18868)
    assert (quarter.lines_net_amount, quarter.charge_amount, quarter.taxable_amount, quarter.tax_amount) == (
        0, 7999, 7999, 2000)
    assert totals.charge_amounts == (7999,) and totals.charge_breakdown == ((0, 7999),)
    assert (totals.subtotal, totals.total_excluding_tax, totals.tax, totals.total) == (18868, 26867, 3132, 29999)


def test_a_percentage_at_a_rate_is_of_that_rates_lines() -> None:
    # 10 % off the 12 % lines only (500.00): 50.00; the 25 % lines (1 000.00) keep their amount.
    totals = compute_totals([priced("1", 100000, 25), priced("1", 50000, 12)],
                            (Discount(percent_off=Decimal(10), tax_rate=vat(12)),))
    assert [(g.discount_amount, g.taxable_amount, g.tax_amount) for g in totals.tax_groups] == [
        (0, 100000, 25000), (5000, 45000, 5400)]
    assert totals.discount_breakdown == ((0, 5000),)


amounts = st.integers(min_value=0, max_value=50_000)


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(st.tuples(st.integers(1, 20), st.integers(100, 90_000), st.sampled_from([25, 12, 6])),
                      min_size=1, max_size=6),
       returned=st.integers(0, 3), discounts=st.lists(st.tuples(amounts, st.sampled_from([None, 25, 12, 6])),
                                                      max_size=3),
       charges=st.lists(st.tuples(amounts, st.sampled_from([None, 25, 12, 6])), max_size=3),
       inclusive=st.booleans())
def test_the_parts_always_add_up(lines: list[tuple[int, int, int]], returned: int,
                                 discounts: list[tuple[int, int | None]], charges: list[tuple[int, int | None]],
                                 inclusive: bool) -> None:
    priced_lines = [priced(str(q), unit, rate) for q, unit, rate in lines]
    q, unit, rate = lines[0]
    priced_lines.append(priced(str(-min(returned, q)), unit, rate) if returned else priced("1", 1, rate))
    try:
        totals = compute_totals(
            priced_lines, [Discount(amount_off=a, tax_rate=vat(r) if r else None) for a, r in discounts],
            "inclusive" if inclusive else "exclusive",
            [Charge(amount=a, tax_rate=vat(r) if r else None) for a, r in charges])
    except InvalidInput as refused:
        assert refused.code in ("invalid_input", "discount_exceeds_rate", "proportional_spread_negative")
        return
    groups = totals.tax_groups
    for index, group in enumerate(groups):
        assert sum(parts[index] for parts in totals.discount_breakdown) == group.discount_amount
        assert sum(parts[index] for parts in totals.charge_breakdown) == group.charge_amount
        assert group.taxable_amount == group.lines_net_amount - group.discount_amount + group.charge_amount
    assert [sum(parts) for parts in totals.discount_breakdown] == list(totals.discount_amounts)
    assert [sum(parts) for parts in totals.charge_breakdown] == list(totals.charge_amounts)
    assert sum(totals.discount_amounts) == totals.discount_amount
    assert sum(line.net_amount for line in totals.lines) == totals.subtotal
    assert totals.total == totals.total_excluding_tax + sum(g.tax_amount for g in groups)
    if not inclusive:
        # Tax-exclusive, an adjustment at a rate is all in its rate's group and each one is exactly its amount.
        assert list(totals.discount_amounts) == [a for a, _ in discounts]
        assert list(totals.charge_amounts) == [a for a, _ in charges]
