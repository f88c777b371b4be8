"""Products, prices and coupons through the API function over moto: Stripe's shapes, clear 400s,
idempotent POSTs, the OpenAPI contract, and the catalog's events on the stream."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.conftest import HandlerStack
from tests.integration.lambdas import LambdaContext, api_event, load_function

STRIPE_TIERS = [{"up_to": 5, "unit_amount": 700}, {"up_to": 10, "unit_amount": 650},
                {"up_to": "inf", "unit_amount": 600}]


@pytest.fixture
def product(stack: HandlerStack) -> dict:
    return stack.ok("POST", "/products", {"name": "Seats", "unit_label": "seat", "tax_code": "standard"})


def test_a_product_is_created_retrieved_and_listed(stack: HandlerStack, product: dict) -> None:
    assert product["id"].startswith("prod_") and product["object"] == "product" and product["created"].endswith("Z")
    assert stack.ok("GET", f"/products/{product['id']}") == product
    second = stack.ok("POST", "/products", {"name": "Storage"})
    page = stack.ok("GET", "/products", query={"limit": "1"})
    assert ([p["id"] for p in page["data"]], page["has_more"]) == ([second["id"]], True)
    rest = stack.ok("GET", "/products", query={"limit": "1", "starting_after": second["id"]})
    assert ([p["id"] for p in rest["data"]], rest["has_more"]) == ([product["id"]], False)


def test_a_tiered_price_in_stripe_s_shape(stack: HandlerStack, product: dict) -> None:
    price = stack.ok("POST", "/prices", {
        "product": product["id"], "currency": "eur", "billing_scheme": "tiered", "tiers_mode": "graduated",
        "tiers": STRIPE_TIERS, "recurring": {"interval": "month"},
        "currency_options": {"jpy": {"tiers": [{"up_to": 5, "unit_amount": 1000},
                                               {"up_to": "inf", "unit_amount": 900}]}},
    })
    assert price["id"].startswith("price_")
    assert (price["currency"], price["type"], price["tax_code"], price["unit_amount"]) == ("EUR", "recurring",
                                                                                         "standard", None)
    assert price["recurring"] == {"interval": "month", "interval_count": 1, "usage_type": "licensed"}
    assert price["tiers"][0] == {"up_to": 5, "unit_amount": 700, "unit_amount_decimal": "700", "flat_amount": None,
                                 "flat_amount_decimal": None}
    assert price["tiers"][-1]["up_to"] is None
    assert price["currency_options"]["JPY"]["tiers"][1]["unit_amount"] == 900
    assert stack.ok("GET", f"/prices/{price['id']}") == price


def test_a_sub_cent_per_unit_price_and_a_package_price(stack: HandlerStack, product: dict) -> None:
    calls = stack.ok("POST", "/prices", {"product": product["id"], "currency": "USD", "unit_amount_decimal": "0.0125",
                                         "recurring": {"interval": "month", "usage_type": "metered"}})
    assert (calls["unit_amount"], calls["unit_amount_decimal"]) == (None, "0.0125")
    package = stack.ok("POST", "/prices", {"product": product["id"], "currency": "USD", "unit_amount": 1000,
                                           "transform_quantity": {"divide_by": 60, "round": "up"}})
    assert package["transform_quantity"] == {"divide_by": 60, "round": "up"} and package["type"] == "one_time"


@pytest.mark.parametrize(("body", "param", "code"), [
    ({"currency": "EUR"}, None, "invalid_field"),  # neither unit_amount nor unit_amount_decimal
    ({"currency": "EUR", "unit_amount": 10.5}, "unit_amount", "invalid_field"),  # a float
    ({"currency": "EUR", "unit_amount": 100, "unit_amount_decimal": "100"}, None, "invalid_field"),
    ({"currency": "EUR", "unit_amount_decimal": "0.0000000000001"}, "unit_amount_decimal", "invalid_field"),
    ({"currency": "XYZ", "unit_amount": 100}, "currency", "invalid_field"),
    ({"currency": "EUR", "billing_scheme": "tiered", "tiers_mode": "volume",
      "tiers": [{"up_to": 5, "unit_amount": 700}]}, None, "invalid_input"),  # no open last tier
    ({"currency": "EUR", "billing_scheme": "tiered", "tiers": STRIPE_TIERS}, None, "invalid_input"),  # no mode
    ({"currency": "EUR", "unit_amount": 100, "recurring": {"interval": "month", "interval_count": 37}},
     "recurring", "invalid_input"),
    ({"currency": "EUR", "unit_amount": 100, "currency_options": {"jpy": {"tiers": STRIPE_TIERS}}}, None,
     "invalid_input"),
    ({"currency": "EUR", "unit_amount": 100, "colour": "blue"}, "colour", "unknown_field"),
])
def test_bad_prices_are_400s_naming_the_field(stack: HandlerStack, product: dict, body: dict, param: str | None,
                                              code: str) -> None:
    status, error = stack.call("POST", "/prices", {"product": product["id"], **body})
    assert status == 400, error
    assert (error["error"]["param"], error["error"]["code"]) == (param, code)
    assert error["error"]["message"]
    assert stack.ok("GET", "/prices", query={"product": product["id"]})["data"] == []


def test_a_price_of_a_missing_product_is_a_404(stack: HandlerStack) -> None:
    status, error = stack.call("POST", "/prices", {"product": "prod_missing", "currency": "EUR", "unit_amount": 1})
    assert (status, error["error"]["code"]) == (404, "resource_missing")


def test_prices_are_immutable_but_for_active_nickname_and_metadata(stack: HandlerStack, product: dict) -> None:
    price = stack.ok("POST", "/prices", {"product": product["id"], "currency": "EUR", "unit_amount": 1500})
    updated = stack.ok("POST", f"/prices/{price['id']}", {"active": False, "metadata": {"plan": "legacy"}})
    assert (updated["active"], updated["metadata"], updated["unit_amount"]) == (False, {"plan": "legacy"}, 1500)
    status, error = stack.call("POST", f"/prices/{price['id']}", {"unit_amount": 1})
    assert status == 400 and "cannot change once created" in error["error"]["message"]
    status, error = stack.call("POST", f"/prices/{price['id']}", {"active": None})
    assert status == 400
    assert stack.ok("GET", f"/prices/{price['id']}")["unit_amount"] == 1500


def test_prices_list_by_product_and_active(stack: HandlerStack, product: dict) -> None:
    other = stack.ok("POST", "/products", {"name": "Storage"})
    old = stack.ok("POST", "/prices", {"product": product["id"], "currency": "EUR", "unit_amount": 1000})
    new = stack.ok("POST", "/prices", {"product": product["id"], "currency": "EUR", "unit_amount": 1200})
    elsewhere = stack.ok("POST", "/prices", {"product": other["id"], "currency": "EUR", "unit_amount": 5})
    stack.ok("POST", f"/prices/{old['id']}", {"active": False})

    def ids(**query: str) -> list[str]:
        return [p["id"] for p in stack.ok("GET", "/prices", query=query)["data"]]

    assert ids(product=product["id"]) == [new["id"], old["id"]]
    assert ids(product=product["id"], active="true") == [new["id"]]
    assert ids(active="false") == [old["id"]]
    assert ids() == [elsewhere["id"], new["id"], old["id"]]
    assert stack.call("GET", "/prices", query={"product": "prod_missing"})[0] == 404


def test_coupons(stack: HandlerStack) -> None:
    coupon = stack.ok("POST", "/coupons", {"percent_off": "12.5", "duration": "repeating", "duration_in_months": 3,
                                           "name": "Launch"})
    assert coupon["id"].startswith("coupon_") and coupon["percent_off"] == "12.5" and coupon["valid"]
    assert stack.ok("GET", f"/coupons/{coupon['id']}") == coupon
    amount = stack.ok("POST", "/coupons", {"amount_off": 500, "currency": "eur",
                                           "currency_options": {"jpy": {"amount_off": 800}}, "duration": "once"})
    assert (amount["currency"], amount["currency_options"]) == ("EUR", {"JPY": {"amount_off": 800}})
    expired = stack.ok("POST", "/coupons", {"percent_off": 10, "redeem_by": "2001-01-01T00:00:00Z"})
    assert expired["valid"] is False
    for bad in ({"percent_off": 10.5}, {"amount_off": 500}, {"percent_off": "10", "duration": "repeating"},
                {"percent_off": "101"}, {"percent_off": 10, "redeem_by": "2030-01-01T00:00:00"}):
        status, error = stack.call("POST", "/coupons", bad)
        assert status == 400, (bad, error)
    assert stack.call("GET", "/coupons/coupon_missing")[0] == 404


def test_a_retried_post_creates_one_product(stack: HandlerStack) -> None:
    def create() -> dict[str, Any]:
        event = api_event("POST", "/products", account_id=stack.account_id, body={"name": "Once"},
                          idempotency_key="prod-once-1")
        return stack.api.lambda_handler(event, LambdaContext())

    first, second = create(), create()
    assert json.loads(first["body"])["id"] == json.loads(second["body"])["id"]
    assert second["headers"].get("Idempotent-Replayed") == "true"
    assert [p["name"] for p in stack.ok("GET", "/products")["data"]] == ["Once"]


def test_the_catalog_s_changes_reach_the_relay_once_each(stack: HandlerStack, product: dict) -> None:
    price = stack.ok("POST", "/prices", {"product": product["id"], "currency": "EUR", "unit_amount": 1500})
    stack.ok("POST", f"/prices/{price['id']}", {"active": False})
    stack.ok("POST", "/coupons", {"percent_off": 10})
    # product.created, price.created, price.updated, coupon.created: one stream record each, published
    # without a failure; a second pass finds nothing new.
    assert stack.relay_outbox() == 4
    assert stack.relay_outbox() == 0


def test_the_openapi_document_declares_the_catalog_s_answers(stack: HandlerStack) -> None:
    # The document comes from the docs function (DocsFunction), generated from the API's routes.
    response = load_function("docs").lambda_handler(api_event("GET", "/swagger", account_id="",
                                                              query={"format": "json"}), LambdaContext())
    assert response["statusCode"] == 200
    document = json.loads(response["body"])
    paths = document["paths"]
    create = paths["/prices"]["post"]
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/PriceObject")
    assert "400" in create["responses"] and "404" in create["responses"]
    assert any(p["name"].lower() == "idempotency-key" and p["in"] == "header" for p in create["parameters"])
    assert paths["/products"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] \
        .endswith("/ProductList")
    assert set(paths) >= {"/products", "/products/{product_id}", "/prices", "/prices/{price_id}", "/coupons",
                          "/coupons/{coupon_id}"}
    tiers = document["components"]["schemas"]["TierObject"]["properties"]
    assert {"up_to", "unit_amount_decimal", "flat_amount_decimal"} <= set(tiers)
