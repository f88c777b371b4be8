"""Tax decisions: EU VAT by the seller's and buyer's location and the buyer's VAT ID, dated rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from invoicing.domain.errors import InvalidInput
from invoicing.domain.party import TaxId
from invoicing.domain.tax import (
    EXEMPT_NOTE,
    EXPORT_NOTE,
    OUTSIDE_SCOPE_NOTE,
    REVERSE_CHARGE_NOTE,
    TaxRate,
    decide_tax,
    eu_standard_rate,
    wants_reverse_charge_without_vat_id,
)

from .builders import DE_VAT, customer, seller

ON = date(2025, 3, 14)


def test_domestic_sale_in_sweden_is_standard_rated_25() -> None:
    decision = decide_tax(seller("SE"), customer("SE"), ON)
    assert decision.missing is None
    assert decision.rate is not None
    assert (decision.rate.category, decision.rate.percent) == ("S", Decimal(25))
    assert decision.rate.exemption_reason is None


def test_domestic_business_with_a_vat_id_still_pays_domestic_vat() -> None:
    decision = decide_tax(seller("SE"), customer("SE", vat="SE556703748501"), ON)
    assert decision.rate is not None
    assert (decision.rate.category, decision.rate.percent) == ("S", Decimal(25))


def test_german_business_with_a_valid_vat_id_is_reverse_charged() -> None:
    decision = decide_tax(seller("SE"), customer("DE", vat=DE_VAT), ON)
    assert decision.rate is not None
    assert (decision.rate.category, decision.rate.percent) == ("AE", Decimal(0))
    assert decision.rate.exemption_reason == REVERSE_CHARGE_NOTE
    assert "Article 196" in decision.rate.exemption_reason


def test_german_consumer_without_vat_id_pays_the_sellers_rate() -> None:
    decision = decide_tax(seller("SE"), customer("DE"), ON)
    assert decision.rate is not None
    assert (decision.rate.category, decision.rate.percent) == ("S", Decimal(25))


def test_vat_id_of_another_country_does_not_make_a_reverse_charge() -> None:
    # A buyer in Germany holding only a Swedish VAT ID: not a German business for VAT.
    decision = decide_tax(seller("SE"), customer("DE", vat="SE556703748501"), ON)
    assert decision.rate is not None
    assert decision.rate.category == "S"


def test_goods_to_a_us_customer_are_an_export() -> None:
    decision = decide_tax(seller("SE"), customer("US"), ON, "goods")
    assert decision.rate is not None
    assert (decision.rate.category, decision.rate.percent) == ("G", Decimal(0))
    assert decision.rate.exemption_reason == EXPORT_NOTE
    assert decision.rate.exemption_reason_code == "VATEX-EU-G"


def test_exempt_customer_is_exempt_wherever_it_is() -> None:
    for country in ("SE", "DE", "US", None):
        decision = decide_tax(seller("SE"), customer(country, tax_exempt="exempt"), ON)
        assert decision.rate is not None
        assert (decision.rate.category, decision.rate.percent) == ("E", Decimal(0))
        assert decision.rate.exemption_reason == EXEMPT_NOTE
        assert decision.missing is None


@pytest.mark.parametrize("seller_country", ["US", "GB"])
def test_seller_outside_the_eu_charges_no_automatic_tax(seller_country: str) -> None:
    decision = decide_tax(seller(seller_country), customer("DE", vat=DE_VAT), ON)
    assert decision.rate is not None
    assert (decision.rate.category, decision.rate.percent) == ("O", Decimal(0))
    assert decision.rate.exemption_reason == OUTSIDE_SCOPE_NOTE


def test_missing_customer_address_is_reported() -> None:
    decision = decide_tax(seller("SE"), customer(None), ON)
    assert decision.rate is None
    assert decision.missing == "customer_address"


def test_missing_seller_address_is_reported() -> None:
    decision = decide_tax(seller(None), customer("SE"), ON)
    assert decision.rate is None
    assert decision.missing == "seller_address"


def test_greek_buyer_with_an_el_vat_number_is_reverse_charged() -> None:
    decision = decide_tax(seller("SE"), customer("GR", vat="EL094259216"), ON)
    assert decision.rate is not None
    assert decision.rate.category == "AE"


# --- dated rates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "on", "rate"),
    [
        ("FI", date(2024, 8, 31), "24"),
        ("FI", date(2024, 9, 1), "25.5"),
        ("FI", date(2026, 1, 1), "25.5"),
        ("SK", date(2024, 1, 1), "20"),
        ("SK", date(2024, 12, 31), "20"),
        ("SK", date(2025, 1, 1), "23"),
        ("EE", date(2025, 6, 30), "22"),
        ("EE", date(2025, 7, 1), "24"),
        ("DE", date(2020, 6, 30), "19"),
        ("DE", date(2020, 7, 1), "16"),
        ("DE", date(2020, 12, 31), "16"),
        ("DE", date(2021, 1, 1), "19"),
        ("SE", date(2025, 3, 14), "25"),
        ("GR", date(2025, 3, 14), "24"),
    ],
)
def test_the_rate_in_force_on_the_date(country: str, on: date, rate: str) -> None:
    assert eu_standard_rate(country, on) == Decimal(rate)


@pytest.mark.parametrize(
    ("country", "on", "rate"),
    [("FI", date(2024, 8, 31), "24"), ("FI", date(2024, 9, 1), "25.5"), ("SK", date(2024, 6, 1), "20"),
     ("SK", date(2025, 6, 1), "23"), ("EE", date(2025, 6, 30), "22"), ("EE", date(2025, 7, 1), "24")],
)
def test_domestic_decision_uses_the_dated_rate(country: str, on: date, rate: str) -> None:
    decision = decide_tax(seller(country), customer(country), on)
    assert decision.rate is not None
    assert decision.rate.percent == Decimal(rate)


def test_unknown_country_has_no_eu_rate() -> None:
    with pytest.raises(InvalidInput) as raised:
        eu_standard_rate("US", ON)
    assert raised.value.param == "address.country"


def test_date_before_the_first_known_rate_raises() -> None:
    with pytest.raises(InvalidInput):
        eu_standard_rate("EE", date(2023, 12, 31))


def test_every_eu_country_has_a_rate_today() -> None:
    from invoicing.domain.tax import EU_COUNTRIES

    assert len(EU_COUNTRIES) == 27
    for country in EU_COUNTRIES:
        assert Decimal(15) <= eu_standard_rate(country, ON) <= Decimal(27)


# --- reverse charge without a VAT ID ---------------------------------------------------------------


def test_reverse_charge_customer_without_vat_id_is_flagged() -> None:
    assert wants_reverse_charge_without_vat_id(seller("SE"), customer("DE", tax_exempt="reverse"))


def test_reverse_charge_customer_with_vat_id_is_not_flagged() -> None:
    assert not wants_reverse_charge_without_vat_id(seller("SE"), customer("DE", vat=DE_VAT, tax_exempt="reverse"))


def test_reverse_charge_flag_needs_a_cross_border_eu_sale() -> None:
    assert not wants_reverse_charge_without_vat_id(seller("SE"), customer("SE", tax_exempt="reverse"))
    assert not wants_reverse_charge_without_vat_id(seller("SE"), customer("US", tax_exempt="reverse"))
    assert not wants_reverse_charge_without_vat_id(seller("US"), customer("DE", tax_exempt="reverse"))
    assert not wants_reverse_charge_without_vat_id(seller("SE"), customer("DE"))


# --- the TaxRate value ----------------------------------------------------------------------------


def test_group_key_ignores_trailing_zeros() -> None:
    assert TaxRate(percent=Decimal("25.50")).group_key == TaxRate(percent=Decimal("25.5")).group_key
    assert TaxRate(percent=Decimal(0), category="Z").group_key != TaxRate(percent=Decimal(0), category="E").group_key


@pytest.mark.parametrize("percent", ["-1", "100.01", "12.34567"])
def test_tax_rate_percent_is_bounded(percent: str) -> None:
    with pytest.raises(ValidationError):
        TaxRate(percent=Decimal(percent))


def test_tax_id_country_for_non_eu_types() -> None:
    assert TaxId(type="gb_vat", value="980780684").country == "GB"
    assert TaxId(type="us_ein", value="123456789").country == "US"
