"""The catalog's events are what their JSON Schemas in docs/events/ say, as the bus carries them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from invoicing.domain.catalog import Price, Product, Recurring
from invoicing.domain.coupons import Coupon
from invoicing.domain.errors import InvalidInput
from invoicing.domain.events import EVENT_TYPES, DomainEvent
from tests.unit.domain.builders import NOW

SCHEMAS = Path(__file__).resolve().parents[3] / "docs" / "events"


def check(event: DomainEvent) -> None:
    jsonschema.validate(event.model_dump(mode="json"), json.loads((SCHEMAS / f"{event.type}.json").read_text()))


def test_every_event_type_has_a_schema() -> None:
    assert sorted(p.stem for p in SCHEMAS.glob("*.json")) == sorted(EVENT_TYPES)


def test_product_created() -> None:
    product = Product(id="prod_1", account_id="acct_1", name="Seats", created=NOW).record_created(NOW)
    check(product.events[-1])


def test_price_created_and_updated() -> None:
    price = Price(id="price_1", account_id="acct_1", product_id="prod_1", currency="EUR", type="recurring",
                  recurring=Recurring(interval="month"), unit_amount_decimal=Decimal(1500),
                  currency_options={"JPY": {"unit_amount_decimal": "2500"}}, created=NOW).record_created(NOW)
    check(price.events[-1])
    updated = price.changed({"active": False}, NOW)
    assert [e.type for e in updated.events] == ["price.created", "price.updated"]
    assert updated.events[-1].data["object"]["currencies"] == ["EUR", "JPY"]
    check(updated.events[-1])


@pytest.mark.parametrize("fields", [{"percent_off": Decimal("12.5")}, {"amount_off": 500, "currency": "EUR"}])
def test_coupon_created(fields: dict) -> None:
    coupon = Coupon(id="coupon_1", account_id="acct_1", duration="once", created=NOW, **fields).record_created(NOW)
    check(coupon.events[-1])


def test_a_price_s_amounts_never_change() -> None:
    price = Price(id="price_1", account_id="acct_1", product_id="prod_1", currency="EUR",
                  unit_amount_decimal=Decimal(1500), created=NOW)
    with pytest.raises(InvalidInput) as error:
        price.changed({"unit_amount_decimal": Decimal(1)}, NOW)
    assert (error.value.code, error.value.param) == ("price_immutable", "unit_amount_decimal")
    assert price.changed({"nickname": "Monthly", "metadata": {"a": "b"}}, NOW).nickname == "Monthly"
