"""The catalog over real HTTP on the local runtime: a product, its prices (Stripe's tier example, a
package, a sub-cent metered price, currency options), a coupon, an idempotent retry, and the events
the bus carries, each as its JSON Schema says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from local.client import ApiClient
from local.stack import LocalRuntime
from tests.e2e.test_events_over_http import tap  # noqa: F401 - the fixture: a queue subscribed to the bus

pytestmark = pytest.mark.e2e
SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "events"
STRIPE_TIERS = [{"up_to": 5, "unit_amount": 700}, {"up_to": 10, "unit_amount": 650},
                {"up_to": "inf", "unit_amount": 600}]


def test_a_catalog_over_http(stack: LocalRuntime, api: ApiClient, tap: Any) -> None:  # noqa: F811
    seats = api.post("/products", {"name": "Seats", "unit_label": "seat"})
    assert api.get(f"/products/{seats['id']}")["name"] == "Seats"

    volume = api.post("/prices", {"product": seats["id"], "currency": "usd", "billing_scheme": "tiered",
                                  "tiers_mode": "volume", "tiers": STRIPE_TIERS, "recurring": {"interval": "month"},
                                  "currency_options": {"jpy": {"tiers": [{"up_to": 5, "unit_amount": 1000},
                                                                         {"up_to": "inf", "unit_amount": 900}]}}})
    assert (volume["type"], volume["tiers_mode"], volume["tiers"][-1]["up_to"]) == ("recurring", "volume", None)
    assert set(volume["currency_options"]) == {"JPY"}
    package = api.post("/prices", {"product": seats["id"], "currency": "usd", "unit_amount": 1000,
                                   "transform_quantity": {"divide_by": 10, "round": "up"}})
    metered = api.post("/prices", {"product": seats["id"], "currency": "usd", "unit_amount_decimal": "0.0125",
                                   "recurring": {"interval": "month", "usage_type": "metered"}})
    assert metered["unit_amount_decimal"] == "0.0125" and metered["unit_amount"] is None

    status, error = api.request("POST", f"/prices/{volume['id']}", {"tiers": STRIPE_TIERS})
    assert status == 400 and error["error"]["type"] == "invalid_request_error"
    assert api.post(f"/prices/{package['id']}", {"active": False})["active"] is False
    listed = api.get(f"/prices?product={seats['id']}&active=true")
    assert [p["id"] for p in listed["data"]] == [metered["id"], volume["id"]]

    body = {"percent_off": "25", "duration": "repeating", "duration_in_months": 3}
    first = api.request("POST", "/coupons", body, idempotency_key="coupon-launch")
    again = api.request("POST", "/coupons", body, idempotency_key="coupon-launch")
    assert first == again and first[0] == 201
    assert api.get(f"/coupons/{first[1]['id']}")["percent_off"] == "25"

    assert stack.drain(timeout=60)
    account = api.get("/account")["id"]
    catalog = [m["detail"] for m in tap() if m["detail"]["account_id"] == account
               and m["detail"]["aggregate"] in ("product", "price", "coupon")]
    for event in catalog:  # each as its schema says
        jsonschema.validate(event, json.loads((SCHEMAS / f"{event['type']}.json").read_text()))
    assert sorted(e["type"] for e in catalog) == [  # once each, the refused update none
        "coupon.created", "price.created", "price.created", "price.created", "price.updated", "product.created"]
