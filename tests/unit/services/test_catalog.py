"""The catalog's use cases against the ports (fakes here; DynamoDB in
tests/integration/adapters/test_services_on_dynamodb.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from invoicing.domain.errors import InvalidInput, NotFound
from invoicing.services.ports import PriceFilter
from tests.unit.services.conftest import Services

SEATS = {"name": "Seats", "tax_code": "standard"}
STRIPE_TIERS = [{"up_to": 5, "unit_amount_decimal": Decimal(700)}, {"up_to": 10, "unit_amount_decimal": Decimal(650)},
                {"up_to": None, "unit_amount_decimal": Decimal(600)}]


def product(s: Services, **fields: Any) -> str:
    return s.catalog.create_product(s.seller.id, {**SEATS, **fields}).id


def price(s: Services, product_id: str, **fields: Any) -> str:
    values: dict[str, Any] = {"product_id": product_id, "currency": "EUR", "unit_amount_decimal": Decimal(1500),
                              "recurring": {"interval": "month"}}
    values.update(fields)
    return s.catalog.create_price(s.seller.id, values).id


def test_a_product_and_its_prices_are_stored_with_their_events(services: Services) -> None:
    prod = product(services, tax_code="zero_rated")
    tiered = price(services, prod, billing_scheme="tiered", tiers_mode="volume", tiers=STRIPE_TIERS,
                   unit_amount_decimal=None, currency_options={"jpy": {"tiers": [
                       {"up_to": 5, "unit_amount_decimal": Decimal(1000)}, {"unit_amount_decimal": Decimal(900)}]}})
    stored = services.catalog.get_price(services.seller.id, tiered)
    assert (stored.type, stored.tax_code, stored.currencies) == ("recurring", "zero_rated", ("EUR", "JPY"))
    assert stored.amount(Decimal(6), "EUR") == 3900
    assert stored.amount(Decimal(6), "JPY") == 5400
    created = services.catalog.create_price(services.seller.id, {"product_id": prod, "currency": "EUR",
                                                                 "unit_amount_decimal": Decimal(1)})
    assert [e.type for e in created.events] == ["price.created"]
    assert created.events[0].data["object"]["product"] == prod


def test_a_price_names_its_own_tax_code_or_takes_the_product_s(services: Services) -> None:
    prod = product(services, tax_code="exempt")
    assert services.catalog.get_price(services.seller.id, price(services, prod)).tax_code == "exempt"
    assert services.catalog.get_price(services.seller.id, price(services, prod, tax_code="standard")).tax_code \
        == "standard"


def test_a_one_time_price_has_no_interval(services: Services) -> None:
    one_time = services.catalog.get_price(services.seller.id, price(services, product(services), recurring=None))
    assert (one_time.type, one_time.recurring) == ("one_time", None)


def test_a_price_of_a_product_that_does_not_exist_is_not_found(services: Services) -> None:
    with pytest.raises(NotFound):
        price(services, "prod_missing")


@pytest.mark.parametrize(("fields", "param"), [
    ({"billing_scheme": "tiered", "tiers_mode": "volume", "unit_amount_decimal": None,
      "tiers": [{"up_to": 5, "unit_amount_decimal": Decimal(1)}]}, None),  # no open-ended tier
    ({"currency": "XYZ"}, "currency"),
    ({"unit_amount_decimal": Decimal("0.0000000000001")}, None),
    ({"recurring": {"interval": "fortnight"}}, "recurring.interval"),
])
def test_bad_prices_are_a_clear_400_and_write_nothing(services: Services, fields: dict, param: str | None) -> None:
    prod = product(services)
    with pytest.raises(InvalidInput) as error:
        price(services, prod, **fields)
    assert error.value.param == param and error.value.message
    assert services.catalog.list_prices(services.seller.id, PriceFilter(product_id=prod), limit=10,
                                        starting_after=None).data == []


def test_a_price_changes_only_its_active_flag_nickname_and_metadata(services: Services) -> None:
    p = price(services, product(services))
    updated = services.catalog.update_price(services.seller.id, p, {"active": False, "nickname": "Old seats"})
    assert (updated.active, updated.nickname, updated.version) == (False, "Old seats", 1)
    assert services.catalog.get_price(services.seller.id, p).active is False
    with pytest.raises(InvalidInput) as error:
        services.catalog.update_price(services.seller.id, p, {"unit_amount_decimal": Decimal(1)})
    assert error.value.code == "price_immutable"
    assert [e.type for e in updated.events] == ["price.updated"]
    assert services.catalog.get_price(services.seller.id, p).nickname == "Old seats"


def test_prices_list_by_product_and_active(services: Services) -> None:
    seats, storage = product(services), product(services, name="Storage")
    a, b = price(services, seats), price(services, seats)
    c = price(services, storage)
    services.catalog.update_price(services.seller.id, a, {"active": False})
    acct = services.seller.id

    def ids(**flt: Any) -> list[str]:
        return [p.id for p in services.catalog.list_prices(acct, PriceFilter(**flt), limit=10,
                                                            starting_after=None).data]

    assert ids(product_id=seats) == [b, a]
    assert ids(product_id=seats, active=True) == [b]
    assert ids(product_id=seats, active=False) == [a]
    assert ids() == [c, b, a]
    assert ids(active=True) == [c, b]
    first = services.catalog.list_prices(acct, PriceFilter(), limit=2, starting_after=None)
    assert [p.id for p in first.data] == [c, b] and first.has_more
    rest = services.catalog.list_prices(acct, PriceFilter(), limit=2, starting_after=b)
    assert [p.id for p in rest.data] == [a] and not rest.has_more
    with pytest.raises(NotFound):
        ids(product_id="prod_missing")


def test_products_list_newest_first_with_a_cursor(services: Services) -> None:
    made = [product(services, name=f"P{i}") for i in range(3)]
    acct = services.seller.id
    page = services.catalog.list_products(acct, limit=2, starting_after=None)
    assert [p.id for p in page.data] == made[::-1][:2] and page.has_more
    assert [p.id for p in services.catalog.list_products(acct, limit=2, starting_after=made[1]).data] == [made[0]]


def test_a_coupon_is_stored_with_its_event(services: Services) -> None:
    c = services.catalog.create_coupon(services.seller.id, {"percent_off": Decimal("12.5"), "duration": "repeating",
                                                            "duration_in_months": 3, "name": "Launch"})
    stored = services.catalog.get_coupon(services.seller.id, c.id)
    assert stored.discount_on(10_000, "EUR") == 1250
    assert services.catalog.coupon_valid(stored)
    assert [e.type for e in c.events] == ["coupon.created"]
    with pytest.raises(InvalidInput):
        services.catalog.create_coupon(services.seller.id, {"amount_off": 500, "duration": "once"})  # no currency
    with pytest.raises(NotFound):
        services.catalog.get_coupon(services.seller.id, "coupon_missing")


def test_another_account_sees_nothing_of_the_catalog(services: Services) -> None:
    p = price(services, product(services))
    with pytest.raises(NotFound):
        services.catalog.get_price("acct_other", p)
    assert services.catalog.list_products("acct_other", limit=10, starting_after=None).data == []
