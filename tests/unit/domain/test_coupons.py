"""Coupons: how much they take off, in which currency, and which periods they apply to."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from invoicing.domain.catalog import Recurring
from invoicing.domain.coupons import AppliedCoupon, Coupon
from invoicing.domain.pricing import CurrencyNotOffered
from invoicing.domain.tax import TaxRate
from invoicing.domain.totals import PricedLine, compute_totals
from tests.unit.domain.builders import NOW

JAN_1 = datetime(2025, 1, 1, tzinfo=UTC)


def coupon(**fields: object) -> Coupon:
    values: dict = {"id": "coupon_1", "account_id": "acct_1", "duration": "forever", "created": NOW}
    values.update(fields)
    return Coupon(**values)


@pytest.mark.parametrize(("percent", "base", "expected"), [
    ("25", 10_000, 2_500),
    ("33.33", 999, 333),  # 332.9667 -> 333
    ("12.5", 1, 0),  # 0.125 -> 0
    ("50", 1, 1),  # 0.5 -> 1, half up
    ("100", 4_999, 4_999),
])
def test_percent_off_is_rounded_once_half_up(percent: str, base: int, expected: int) -> None:
    assert coupon(percent_off=Decimal(percent)).discount_on(base, "EUR") == expected


def test_percent_off_in_a_zero_decimal_currency_is_whole_yen() -> None:
    # Stripe's JPY: 15 % of 1,999 yen is 299.85 -> 300 yen.
    assert coupon(percent_off=Decimal(15)).discount_on(1_999, "JPY") == 300


def test_amount_off_never_takes_more_than_the_amount() -> None:
    five_euros = coupon(amount_off=500, currency="eur")
    assert five_euros.discount_on(2_000, "EUR") == 500
    assert five_euros.discount_on(300, "EUR") == 300
    assert five_euros.discount_on(0, "EUR") == 0


def test_amount_off_is_in_the_coupon_s_currencies_only() -> None:
    c = coupon(amount_off=500, currency="EUR", currency_options={"jpy": {"amount_off": 800}})
    assert c.discount_on(10_000, "JPY") == 800
    with pytest.raises(CurrencyNotOffered, match="never converted"):
        c.discount_on(10_000, "USD")


@pytest.mark.parametrize("fields", [
    {},  # neither
    {"percent_off": Decimal(10), "amount_off": 100, "currency": "EUR"},  # both
    {"amount_off": 100},  # amount without currency
    {"percent_off": Decimal("10.125")},  # 3 decimals
    {"percent_off": Decimal(10), "duration": "repeating"},  # repeating without months
    {"percent_off": Decimal(10), "duration": "once", "duration_in_months": 3},
])
def test_malformed_coupons_are_refused(fields: dict) -> None:
    with pytest.raises(ValidationError):
        coupon(**fields)


def test_a_coupon_as_an_invoice_discount_is_spread_over_the_tax_groups() -> None:
    lines = [PricedLine(quantity=Decimal(1), unit_amount=Decimal(1000), tax=TaxRate(percent=Decimal(25))),
             PricedLine(quantity=Decimal(1), unit_amount=Decimal(3000), tax=TaxRate(percent=Decimal(12)))]
    ten_percent = coupon(percent_off=Decimal(10)).invoice_discount(4000, "SEK")
    totals = compute_totals(lines, [ten_percent])
    assert totals.discount_amount == 400
    assert totals.total_excluding_tax == 3600
    too_much = coupon(amount_off=10_000, currency="SEK").invoice_discount(4000, "SEK")
    assert compute_totals(lines, [too_much]).total == 0  # capped at the subtotal, never negative


# --- which periods --------------------------------------------------------------------------

def starts(interval: str, count: int, n: int) -> list[datetime]:
    recurring = Recurring(interval=interval, interval_count=count)
    return [recurring.boundary(JAN_1, i) for i in range(n)]


def discounted(applied: AppliedCoupon, periods: list[datetime]) -> list[bool]:
    return [applied.applies_to(p, previous_period_start=periods[i - 1] if i else None)
            for i, p in enumerate(periods)]


def test_once_applies_to_the_first_period_only() -> None:
    applied = AppliedCoupon(coupon=coupon(percent_off=Decimal(50), duration="once"), start=JAN_1)
    assert discounted(applied, starts("month", 1, 4)) == [True, False, False, False]


def test_once_applied_mid_period_applies_to_the_next_period() -> None:
    applied = AppliedCoupon(coupon=coupon(percent_off=Decimal(50), duration="once"),
                            start=datetime(2025, 1, 15, tzinfo=UTC))
    assert discounted(applied, starts("month", 1, 4)) == [False, True, False, False]


def test_repeating_three_months_on_a_monthly_price_is_three_periods() -> None:
    applied = AppliedCoupon(coupon=coupon(percent_off=Decimal(20), duration="repeating", duration_in_months=3),
                            start=JAN_1)
    assert applied.end == datetime(2025, 4, 1, tzinfo=UTC)
    assert discounted(applied, starts("month", 1, 6)) == [True, True, True, False, False, False]


def test_repeating_three_months_on_a_yearly_price_is_the_first_year() -> None:
    # Stripe: a repeating coupon applies to the invoices of periods that start before it ends.
    applied = AppliedCoupon(coupon=coupon(percent_off=Decimal(20), duration="repeating", duration_in_months=3),
                            start=JAN_1)
    assert discounted(applied, starts("year", 1, 3)) == [True, False, False]


def test_repeating_applied_mid_period_counts_months_from_when_it_was_applied() -> None:
    applied = AppliedCoupon(coupon=coupon(percent_off=Decimal(20), duration="repeating", duration_in_months=2),
                            start=datetime(2025, 1, 20, tzinfo=UTC))
    # Ends 2025-03-20: the periods starting Feb 1 and Mar 1 get it.
    assert discounted(applied, starts("month", 1, 5)) == [False, True, True, False, False]


def test_forever_applies_to_every_period_from_the_start() -> None:
    applied = AppliedCoupon(coupon=coupon(amount_off=100, currency="EUR"), start=JAN_1)
    assert discounted(applied, starts("week", 2, 30)) == [True] * 30


@given(st.integers(0, 10**12), st.decimals(min_value="0.01", max_value=100, places=2))
def test_a_discount_is_between_zero_and_the_amount(base: int, percent: Decimal) -> None:
    off = coupon(percent_off=percent).discount_on(base, "EUR")
    assert 0 <= off <= base
    assert abs(Decimal(off) - Decimal(base) * percent / 100) <= Decimal("0.5")
