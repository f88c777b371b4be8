"""Parties: tax IDs validated and compacted by python-stdnum, ISO 3166 addresses."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from invoicing.domain.errors import InvalidInput, InvalidTaxId, UnknownCurrency
from invoicing.domain.party import Address, Customer, TaxId, validated_tax_id

from .builders import CREATED, customer, seller


@pytest.mark.parametrize(
    ("raw", "compact", "country"),
    [
        ("DE136695976", "DE136695976", "DE"),
        ("DE 136 695 976", "DE136695976", "DE"),
        ("SE556703748501", "SE556703748501", "SE"),
        ("SE 5567 0374 8501", "SE556703748501", "SE"),
        ("se556703748501", "SE556703748501", "SE"),
        ("EL094259216", "EL094259216", "GR"),
    ],
)
def test_valid_eu_vat_numbers_are_compacted(raw: str, compact: str, country: str) -> None:
    tax_id = validated_tax_id("eu_vat", raw)
    assert tax_id == TaxId(type="eu_vat", value=compact)
    assert tax_id.country == country


@pytest.mark.parametrize("raw", ["DE136695977", "SE556703748502", "DE12345", "XX136695976", ""])
def test_invalid_eu_vat_numbers_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidTaxId) as raised:
        validated_tax_id("eu_vat", raw)
    assert raised.value.param == "tax_ids"
    assert raised.value.code == "invalid_tax_id"
    assert isinstance(raised.value, InvalidInput)


def test_invalid_tax_id_names_the_given_param() -> None:
    with pytest.raises(InvalidTaxId) as raised:
        validated_tax_id("eu_vat", "DE136695977", param="tax_ids[1].value")
    assert raised.value.param == "tax_ids[1].value"


def test_unsupported_tax_id_type_is_rejected() -> None:
    with pytest.raises(InvalidTaxId):
        validated_tax_id("br_cnpj", "11222333000181")


def test_greek_el_prefix_maps_to_gr() -> None:
    assert TaxId(type="eu_vat", value="EL094259216").country == "GR"
    assert TaxId(type="eu_vat", value="DE136695976").country == "DE"


def test_address_upper_cases_its_country() -> None:
    address = Address(line1="Drottninggatan 1", city="Stockholm", country=" se ")
    assert address.country == "SE"


@pytest.mark.parametrize("country", ["Sweden", "S", "SWE", "12", "", "S1"])
def test_address_rejects_a_bad_country(country: str) -> None:
    with pytest.raises(ValidationError):
        Address(line1="Drottninggatan 1", city="Stockholm", country=country)


def test_address_rejects_unknown_fields_and_empty_lines() -> None:
    with pytest.raises(ValidationError):
        Address(line1="", city="Stockholm", country="SE")
    with pytest.raises(ValidationError):
        Address(line1="x", city="Stockholm", country="SE", county="Stockholm")  # type: ignore[call-arg]


def test_party_country_and_vat_id_come_from_address_and_tax_ids() -> None:
    buyer = customer("DE", vat="DE136695976")
    assert buyer.country == "DE"
    assert buyer.vat_id == TaxId(type="eu_vat", value="DE136695976")
    assert customer(None).country is None
    assert customer("DE").vat_id is None
    assert seller("SE").country == "SE"
    assert seller("SE").vat_id is not None


def test_customer_currency_is_normalized() -> None:
    assert customer("SE", currency="sek").currency == "SEK"


def test_customer_with_unknown_currency_raises_the_typed_error() -> None:
    # A domain error raised in a validator is not wrapped by pydantic: the API sees UnknownCurrency.
    with pytest.raises(UnknownCurrency):
        Customer(id="cus_1", account_id="acct_1", name="X", currency="EURO", created=CREATED)


def test_customer_credit_balance_cannot_be_negative() -> None:
    with pytest.raises(ValidationError):
        customer("SE", credit_balance=-1)
