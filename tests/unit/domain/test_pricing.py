"""What a quantity costs under a price: per unit, packages, graduated and volume tiers, currencies.

Golden cases come from the published docs and tests of billing systems (each names its source);
the properties hold for any tiers hypothesis builds."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from invoicing.domain.catalog import Price, Recurring
from invoicing.domain.pricing import (
    CurrencyNotOffered,
    PriceTerms,
    Tier,
    TransformQuantity,
    amount,
    exact_amount,
    tier_reached,
)
from tests.unit.domain.builders import NOW


def tiered(mode: str, *tiers: tuple[int | None, str | int | None, str | int | None]) -> PriceTerms:
    return PriceTerms(billing_scheme="tiered", tiers_mode=mode, tiers=tuple(
        Tier(up_to=up_to, unit_amount_decimal=None if unit is None else Decimal(unit),
             flat_amount_decimal=None if flat is None else Decimal(flat)) for up_to, unit, flat in tiers))


def per_unit(unit: str | int | Decimal, transform: TransformQuantity | None = None) -> PriceTerms:
    return PriceTerms(unit_amount_decimal=Decimal(unit), transform_quantity=transform)


# Stripe's documented example (docs.stripe.com/products-prices/pricing-models#tiered-pricing):
# 1-5 at 7.00, 6-10 at 6.50, 11+ at 6.00 (minor units of USD).
STRIPE_TIERS = ((5, 700, None), (10, 650, None), (None, 600, None))


@pytest.mark.parametrize(("quantity", "expected"), [(5, 3500), (6, 3900), (20, 12000)])
def test_stripe_volume_example(quantity: int, expected: int) -> None:
    assert amount(tiered("volume", *STRIPE_TIERS), Decimal(quantity)) == expected


@pytest.mark.parametrize(("quantity", "expected"), [(6, 4150), (5, 3500), (10, 6750), (20, 12750)])
def test_stripe_graduated_example(quantity: int, expected: int) -> None:
    # 6 units: 5 x 7.00 + 1 x 6.50 = 41.50 (Stripe's); 20: 35.00 + 32.50 + 10 x 6.00 = 127.50.
    assert amount(tiered("graduated", *STRIPE_TIERS), Decimal(quantity)) == expected


# Lago's published specs, getlago/lago-api spec/services/charges/charge_models/graduated_service_spec.rb:
# 0-10 at 10 + flat 2, 11+ at 5 + flat 3 (cents). Lago's `from_value 0, to_value 10` is Stripe's up_to 10.
@pytest.mark.parametrize(("quantity", "expected"), [(0, 0), (1, 12), (10, 102), (11, 110), (12, 115)])
def test_lago_graduated_spec(quantity: int, expected: int) -> None:
    assert amount(tiered("graduated", (10, 10, 2), (None, 5, 3)), Decimal(quantity)) == expected


# Lago, volume_service_spec.rb: 0-100 at 2 + flat 10, 101-200 at 1, 201+ at 0.5 + flat 50 (major
# units there; here in cents).
@pytest.mark.parametrize(("quantity", "expected"), [(0, 0), (1, 1200), (100, 21000), (101, 10100), (200, 20000),
                                                    (300, 20000)])
def test_lago_volume_spec(quantity: int, expected: int) -> None:
    terms = tiered("volume", (100, 200, 1000), (200, 100, 0), (None, 50, 5000))
    assert amount(terms, Decimal(quantity)) == expected


def test_lago_volume_docs_example() -> None:
    # getlago.com/docs/guide/plans/charges/charge-models/volume: 65,000 API calls -> 65,000 x $0.0006 + $10 = $49.
    terms = tiered("volume", (10_000, "0.10", 1000), (50_000, "0.08", 1000), (100_000, "0.06", 1000),
                   (None, "0.04", 1000))
    assert amount(terms, Decimal(65_000)) == 4900


def test_autumn_graduated_docs_example() -> None:
    # docs.useautumn.com graduated pricing: 1,000 at $0.01, 9,000 at $0.008, then $0.005: 15,000 -> $107.
    terms = tiered("graduated", (1000, 1, None), (10_000, "0.8", None), (None, "0.5", None))
    assert amount(terms, Decimal(15_000)) == 10_700


@pytest.mark.parametrize(("quantity", "expected"), [(1, 10_000), (10, 10_000), (11, 20_000), (25, 20_000),
                                                    (26, 30_000)])
def test_chargebee_stairstep_is_volume_tiers_with_flat_amounts_only(quantity: int, expected: int) -> None:
    # Chargebee's stairstep model (a flat price per quantity range, chargebee.com/docs pricing models)
    # is a volume price whose tiers have only flat amounts: 1-10 users 100.00, 11-25 200.00, 26+ 300.00.
    terms = tiered("volume", (10, None, 10_000), (25, None, 20_000), (None, None, 30_000))
    assert amount(terms, Decimal(quantity)) == expected


def test_lago_package_spec() -> None:
    # Lago package_service_spec.rb: 1.00 per package of 10, 121 units -> 13 packages -> 13.00.
    assert amount(per_unit(100, TransformQuantity(divide_by=10, round="up")), Decimal(121)) == 1300


@pytest.mark.parametrize(("hours", "rounding", "expected"), [(130, "up", 3), (130, "down", 2), (120, "up", 2),
                                                              (1, "up", 1), (0, "up", 0), (59, "down", 0)])
def test_transform_quantity_rounds_to_whole_packages(hours: int, rounding: str, expected: int) -> None:
    # Stripe's transform quantities guide: usage in minutes billed per started (up) or full (down) hour.
    terms = per_unit(1000, TransformQuantity(divide_by=60, round=rounding))
    assert amount(terms, Decimal(hours)) == expected * 1000


def test_sub_minor_unit_prices_stay_unrounded_until_the_line_total() -> None:
    # 0.0125 cents a call: 1,234 calls are 15.425 cents, rounded once (half up) to 15; rounding the unit
    # first would have given 1,234 x 0.01 = 12.
    assert exact_amount(per_unit("0.0125"), Decimal(1234)) == Decimal("15.4250")
    assert amount(per_unit("0.0125"), Decimal(1234)) == 15
    assert amount(per_unit("0.0125"), Decimal(1240)) == 16  # 15.5 -> 16, half up
    assert amount(per_unit("0.000000000001"), Decimal(10**12)) == 1  # 12 decimals


def test_graduated_sub_minor_unit_tiers_round_once_over_all_tiers() -> None:
    # Each tier alone would round to 0 (0.4 + 0.4); the exact sum 0.8 rounds to 1.
    terms = tiered("graduated", (1, "0.4", None), (None, "0.4", None))
    assert amount(terms, Decimal(2)) == 1


def test_more_than_12_decimals_are_refused() -> None:
    with pytest.raises(ValidationError, match="12 decimals"):
        per_unit("0.0000000000001")


@pytest.mark.parametrize("tiers", [
    ((5, 700, None), (10, 650, None)),  # no open-ended last tier
    ((10, 700, None), (5, 650, None), (None, 600, None)),  # not increasing
    ((5, 700, None), (None, None, None)),  # a tier without an amount
])
def test_malformed_tiers_are_refused(tiers: tuple) -> None:
    with pytest.raises(ValidationError):
        tiered("volume", *tiers)


def test_transform_quantity_is_not_combined_with_tiers() -> None:
    with pytest.raises(ValidationError, match="transform_quantity"):
        PriceTerms(billing_scheme="tiered", tiers_mode="volume", tiers=(Tier(unit_amount_decimal=Decimal(1)),),
                   transform_quantity=TransformQuantity(divide_by=2, round="up"))


# --- currencies --------------------------------------------------------------------------------

def price(**fields: object) -> Price:
    values: dict = {"id": "price_1", "account_id": "acct_1", "product_id": "prod_1", "currency": "EUR",
                    "unit_amount_decimal": Decimal(1000), "created": NOW}
    values.update(fields)
    return Price(**values)


def test_a_customer_is_billed_in_their_currency_from_currency_options() -> None:
    p = price(currency_options={"jpy": {"unit_amount_decimal": "1500"}, "KWD": {"unit_amount_decimal": "3250"}})
    assert p.amount(Decimal(3), "EUR") == 3000  # 30.00 EUR
    assert p.amount(Decimal(3), "JPY") == 4500  # 4,500 yen (zero-decimal)
    assert p.amount(Decimal(3), "KWD") == 9750  # 9.750 KWD (three-decimal)


def test_a_currency_the_price_does_not_have_is_a_clear_error_never_a_conversion() -> None:
    with pytest.raises(CurrencyNotOffered, match="never converted") as error:
        price().amount(Decimal(1), "USD")
    assert error.value.code == "currency_not_offered"


def test_tiered_currency_options_keep_the_price_s_tiers_mode() -> None:
    p = price(billing_scheme="tiered", tiers_mode="volume", unit_amount_decimal=None,
              tiers=[{"up_to": 5, "unit_amount_decimal": "700"}, {"unit_amount_decimal": "600"}],
              currency_options={"JPY": {"tiers": [{"up_to": 5, "unit_amount_decimal": "1000"},
                                                  {"unit_amount_decimal": "900"}]}})
    assert p.amount(Decimal(6), "EUR") == 3600
    assert p.amount(Decimal(6), "JPY") == 5400


def test_a_currency_option_must_match_the_billing_scheme() -> None:
    with pytest.raises(ValidationError, match="currency_options"):
        price(currency_options={"JPY": {"tiers": [{"unit_amount_decimal": "1"}]}})


def test_recurring_prices_need_their_interval_and_one_time_prices_none() -> None:
    assert price(type="recurring", recurring=Recurring(interval="month")).recurring is not None
    with pytest.raises(ValidationError):
        price(type="recurring")
    with pytest.raises(ValidationError, match="three years"):
        Recurring(interval="month", interval_count=37)


def test_monthly_periods_from_an_anchor_on_the_31st_come_back_to_the_31st() -> None:
    monthly = Recurring(interval="month")
    anchor = NOW.replace(month=1, day=31)
    assert [monthly.boundary(anchor, i).date().isoformat() for i in range(4)] == [
        "2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30"]
    assert Recurring(interval="week", interval_count=2).boundary(anchor, 1).date().isoformat() == "2025-02-14"


# --- properties ------------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False)


@st.composite
def tier_lists(draw: st.DrawFn) -> tuple[Tier, ...]:
    bounds = sorted(draw(st.sets(st.integers(1, 10_000), min_size=0, max_size=5)))
    return tuple(Tier(up_to=b, unit_amount_decimal=draw(amounts), flat_amount_decimal=draw(st.none() | amounts))
                 for b in [*bounds, None])


quantities = st.integers(0, 20_000).map(Decimal)


@given(tier_lists(), quantities, quantities)
def test_graduated_is_never_negative_and_grows_with_the_quantity(tiers: tuple[Tier, ...], a: Decimal,
                                                                 b: Decimal) -> None:
    terms = PriceTerms(billing_scheme="tiered", tiers_mode="graduated", tiers=tiers)
    low, high = sorted((a, b))
    assert 0 <= exact_amount(terms, low) <= exact_amount(terms, high)
    assert amount(terms, low) <= amount(terms, high)


@given(tier_lists(), st.integers(1, 20_000).map(Decimal))
def test_volume_is_the_quantity_at_the_reached_tier_plus_its_flat_amount(tiers: tuple[Tier, ...],
                                                                         quantity: Decimal) -> None:
    terms = PriceTerms(billing_scheme="tiered", tiers_mode="volume", tiers=tiers)
    reached = next(t for t in tiers if t.up_to is None or quantity <= t.up_to)
    assert tier_reached(tiers, quantity) == reached
    expected = quantity * (reached.unit_amount_decimal or 0) + (reached.flat_amount_decimal or 0)
    assert amount(terms, quantity) == int(expected.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@given(tier_lists(), st.integers(1, 20_000).map(Decimal))
def test_one_open_tier_gives_the_same_as_per_unit_in_either_mode(tiers: tuple[Tier, ...], quantity: Decimal) -> None:
    only = (Tier(unit_amount_decimal=tiers[0].unit_amount_decimal),)
    unit = per_unit(tiers[0].unit_amount_decimal or 0)
    for mode in ("graduated", "volume"):
        terms = PriceTerms(billing_scheme="tiered", tiers_mode=mode, tiers=only)
        assert amount(terms, quantity) == amount(unit, quantity)


@given(st.integers(0, 10**6), st.integers(1, 1000), st.sampled_from(["up", "down"]), st.integers(0, 10**6))
def test_packages_are_whole_and_bracket_the_quantity(quantity: int, size: int, rounding: str, unit: int) -> None:
    transform = TransformQuantity(divide_by=size, round=rounding)
    packages = transform.packages(Decimal(quantity))
    assert packages == packages.to_integral_value()
    if rounding == "up":
        assert (packages - 1) * size < quantity <= packages * size
    else:
        assert packages * size <= quantity < (packages + 1) * size
    assert amount(per_unit(unit, transform), Decimal(quantity)) == packages * unit


@given(st.integers(0, 10**9), st.sampled_from(["JPY", "KWD", "EUR"]))
def test_whole_minor_unit_prices_are_exact_in_any_currency(quantity: int, currency: str) -> None:
    p = price(currency=currency, unit_amount_decimal=Decimal(7))
    assert p.amount(Decimal(quantity), currency) == 7 * quantity
