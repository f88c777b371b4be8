"""Proration lines for a change of price or quantity mid-period, by seconds or by whole days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing.documents.line_texts import line_texts
from invoicing.domain.catalog import Price, Recurring
from invoicing.domain.errors import InvalidInput
from invoicing.domain.proration import Item, unused_fraction
from invoicing.domain.proration import prorate as prorate_in
from invoicing.domain.totals import Discount
from tests.unit.domain.builders import NOW

prorate = partial(prorate_in, texts=line_texts("en"))  # the words of an English-speaking customer's invoice

JAN_1 = datetime(2025, 1, 1, tzinfo=UTC)
FEB_1 = datetime(2025, 2, 1, tzinfo=UTC)


def monthly(unit: int | None, currency: str = "USD", price_id: str = "price_a", **fields: object) -> Price:
    values: dict = {"id": price_id, "account_id": "acct_1", "product_id": "prod_1", "currency": currency,
                    "type": "recurring", "recurring": Recurring(interval="month"), "created": NOW,
                    "unit_amount_decimal": None if unit is None else Decimal(unit), **fields}
    return Price(**values)


def change(old: Price, new: Price, at: datetime, *, quantities: tuple[int, int] = (1, 1), currency: str = "USD",
           **options: object) -> list[int]:
    result = prorate(Item(price=old, quantity=Decimal(quantities[0])), Item(price=new, quantity=Decimal(quantities[1])),
                     currency=currency, period_start=JAN_1, period_end=FEB_1, change_at=at, **options)  # type: ignore[arg-type]
    return [line.amount for line in result.lines]


HALFWAY = JAN_1 + (FEB_1 - JAN_1) / 2


def test_stripe_example_an_upgrade_halfway_credits_half_the_old_and_charges_half_the_new() -> None:
    # docs.stripe.com/billing/subscriptions/prorations: 10 USD -> 20 USD halfway: -5 USD and +10 USD.
    assert change(monthly(1000), monthly(2000, price_id="price_b"), HALFWAY) == [-500, 1000]


def test_lines_carry_their_period_and_kind() -> None:
    result = prorate(Item(price=monthly(1000)), Item(price=monthly(2000, price_id="price_b")), currency="USD",
                     period_start=JAN_1, period_end=FEB_1, change_at=HALFWAY)
    credit, charge = result.lines
    assert (credit.kind, credit.price_id, credit.period_start, credit.period_end) == ("credit", "price_a", HALFWAY,
                                                                                      FEB_1)
    assert (charge.kind, charge.price_id, charge.period_start, charge.period_end) == ("charge", "price_b", HALFWAY,
                                                                                      FEB_1)
    assert result.net == 500 and not result.invoice_now


def test_lago_days_example_upgrade_on_january_15() -> None:
    # getlago.com/docs/guide/subscriptions/upgrades-downgrades: 100 EUR/month from Jan 1, upgraded to
    # 200 EUR on Jan 15: 14 days used on the old plan (14/31 x 100 = 45.16), so 17/31 of it unused
    # (54.84 credited), and 17/31 x 200 = 109.68 for the new plan.
    at = datetime(2025, 1, 15, 13, 45, tzinfo=UTC)  # the time of day does not matter by days
    assert change(monthly(10_000, "EUR"), monthly(20_000, "EUR", price_id="price_b"), at, currency="EUR",
                  basis="days") == [-5484, 10968]
    assert 10_000 - 5484 == 4516


@pytest.mark.parametrize(("start", "end", "added", "unit", "interval", "expected"), [
    # Certinia (FinancialForce) Billing Central, "Calculating Actual Day Proration": a line starting
    # within a period pays its days of the period's days, the start day included.
    ((2017, 8, 10), (2017, 8, 17), (2017, 8, 12), 7000, "week", 5000),  # $70 x 5/7 = $50
    ((2017, 7, 25), (2017, 8, 25), (2017, 8, 2), 93000, "month", 69000),  # $930 x 23/31 = $690
    ((2017, 8, 5), (2017, 9, 5), (2017, 8, 8), 93000, "month", 84000),  # $930 x 28/31 = $840
])
def test_an_item_added_mid_period_pays_its_whole_days(start: tuple, end: tuple, added: tuple, unit: int,
                                                       interval: str, expected: int) -> None:
    price = monthly(unit, recurring=Recurring(interval=interval))  # type: ignore[arg-type]
    result = prorate(None, Item(price=price), currency="USD", period_start=datetime(*start, tzinfo=UTC),
                     period_end=datetime(*end, tzinfo=UTC), change_at=datetime(*added, 9, 30, tzinfo=UTC),
                     basis="days")
    assert [(line.kind, line.amount) for line in result.lines] == [("charge", expected)]


def test_seconds_basis_counts_the_time_of_day() -> None:
    at = datetime(2025, 1, 15, 12, tzinfo=UTC)  # 16.5 days of 31 left
    assert change(monthly(10_000, "EUR"), monthly(20_000, "EUR", price_id="price_b"), at, currency="EUR") == [
        -5323, 10645]  # 5322.58 -> 5323, 10645.16 -> 10645


def test_zero_decimal_currencies_prorate_to_whole_yen() -> None:
    assert change(monthly(1000, "JPY"), monthly(2000, "JPY", price_id="price_b"), HALFWAY, currency="JPY") == [
        -500, 1000]
    at = datetime(2025, 1, 15, tzinfo=UTC)  # 17 of 31 days: 548.39 -> 548 and 1096.77 -> 1097
    assert change(monthly(1000, "JPY"), monthly(2000, "JPY", price_id="price_b"), at, currency="JPY",
                  basis="days") == [-548, 1097]


def test_three_decimal_currencies_prorate_to_the_fils() -> None:
    at = datetime(2025, 1, 15, tzinfo=UTC)  # 17/31 of 10.000 KWD = 5.48387 -> 5.484
    assert change(monthly(10_000, "KWD"), monthly(10_000, "KWD", price_id="price_b"), at, currency="KWD",
                  basis="days") == [-5484, 5484]


def test_a_quantity_change_credits_the_old_quantity_and_charges_the_new() -> None:
    seat = monthly(1500)
    assert change(seat, seat, HALFWAY, quantities=(4, 6)) == [-3000, 4500]


def test_tiered_prices_prorate_their_exact_full_period_amount() -> None:
    tiers = [{"up_to": 5, "unit_amount_decimal": "700"}, {"up_to": 10, "unit_amount_decimal": "650"},
             {"unit_amount_decimal": "600"}]
    graduated = monthly(None, billing_scheme="tiered", tiers_mode="graduated", tiers=tiers)
    # 6 seats graduated = 41.50 a month; 12 seats = 35 + 32.50 + 12 = 79.50; halfway: -20.75, +39.75.
    assert change(graduated, graduated, HALFWAY, quantities=(6, 12)) == [-2075, 3975]


def test_an_items_discounts_are_reflected_before_the_fraction_and_rounded_once() -> None:
    # 1,999 yen less 15 % (a rule) is 1,699.15; less 10 % (the coupon) 1,529.235; by days on Jan 15 17/31
    # of that is 838.61... → 839. Rounding the discounts first would give 1699 → 1529 → 838.48 → 838.
    discounts = (Discount(description="Partners", percent_off=Decimal(15)),
                 Discount(description="Ten", percent_off=Decimal(10)))
    item = Item(price=monthly(1999, "JPY"), discounts=discounts)
    result = prorate(item, None, currency="JPY", period_start=JAN_1, period_end=FEB_1,
                     change_at=datetime(2025, 1, 15, tzinfo=UTC), basis="days")
    [credit] = result.lines
    assert (credit.amount, credit.description) == (-839, "Unused time on 1 × price_a, less Partners, Ten")
    off = Item(price=monthly(1000), discounts=(Discount(description="Two off", amount_off=200),))
    charge = prorate(None, off, currency="USD", period_start=JAN_1, period_end=FEB_1, change_at=HALFWAY).lines[0]
    assert charge.amount == 400  # (10.00 - 2.00) × 1/2
    more = Item(price=monthly(1000), discounts=(Discount(amount_off=5000),))
    assert prorate(None, more, currency="USD", period_start=JAN_1, period_end=FEB_1,
                   change_at=HALFWAY).lines[0].amount == 0  # never below zero


def test_behaviors() -> None:
    old, new = Item(price=monthly(1000)), Item(price=monthly(2000, price_id="price_b"))
    common: dict = {"currency": "USD", "period_start": JAN_1, "period_end": FEB_1, "change_at": HALFWAY}
    assert prorate(old, new, behavior="none", **common).lines == ()
    now = prorate(old, new, behavior="always_invoice", **common)
    assert now.invoice_now and [line.amount for line in now.lines] == [-500, 1000]


def test_metered_prices_are_not_prorated() -> None:
    metered = monthly(5, price_id="price_m", recurring=Recurring(interval="month", usage_type="metered"))
    result = prorate(Item(price=metered), Item(price=monthly(2000)), currency="USD", period_start=JAN_1,
                     period_end=FEB_1, change_at=HALFWAY)
    assert [(line.kind, line.amount) for line in result.lines] == [("charge", 1000)]


def test_adding_or_removing_an_item_gives_one_line() -> None:
    common: dict = {"currency": "USD", "period_start": JAN_1, "period_end": FEB_1, "change_at": HALFWAY}
    assert [line.amount for line in prorate(None, Item(price=monthly(2000)), **common).lines] == [1000]
    assert [line.amount for line in prorate(Item(price=monthly(2000)), None, **common).lines] == [-1000]


def test_a_change_outside_the_period_or_a_price_in_another_currency_is_refused() -> None:
    with pytest.raises(InvalidInput, match="within the current period"):
        change(monthly(1000), monthly(2000), FEB_1 + timedelta(seconds=1))
    with pytest.raises(InvalidInput, match="never converted"):
        change(monthly(1000, "EUR"), monthly(2000, "EUR"), HALFWAY, currency="USD")


moments = st.integers(0, 31 * 86400).map(lambda s: JAN_1 + timedelta(seconds=s))


@given(moments, st.integers(0, 10**9), st.sampled_from(["seconds", "days"]))
def test_credit_and_charge_of_the_same_item_cancel_exactly(at: datetime, unit: int, basis: str) -> None:
    same = monthly(unit)
    credit, charge = change(same, same, at, basis=basis)
    assert credit == -charge and 0 <= charge <= unit


@given(moments, moments)
def test_the_unused_share_shrinks_as_the_period_goes_by(a: datetime, b: datetime) -> None:
    early, late = sorted((a, b))
    for basis in ("seconds", "days"):
        assert 1 >= unused_fraction(JAN_1, FEB_1, early, basis) >= unused_fraction(JAN_1, FEB_1, late, basis) >= 0
