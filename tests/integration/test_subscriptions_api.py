"""Subscriptions through the API function over moto: created with their first invoice, changed with
proration, canceled at period end; clear 400s and 404s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invoicing.adapters.clock import install
from tests.integration.conftest import HandlerStack

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class At:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> At:
    at = At(START)
    previous = install(at)
    request.addfinalizer(lambda: install(previous))
    return at


@pytest.fixture
def plan(stack: HandlerStack, clock: At) -> dict:
    stack.ok("POST", "/account", {"address": {"line1": "Sveavägen 1", "city": "Stockholm", "country": "SE"},
                                  "tax_ids": [{"type": "eu_vat", "value": "SE556703748501"}],
                                  "iban": "SE4550000000058398257466"})
    customer = stack.ok("POST", "/customers", {"name": "Kund AB", "currency": "EUR", "email": "ap@kund.example",
                                               "address": {"line1": "Storgatan 1", "city": "Malmö", "country": "SE"}})
    product = stack.ok("POST", "/products", {"name": "Team plan"})
    seats = stack.ok("POST", "/prices", {"product": product["id"], "currency": "eur", "unit_amount": 1000,
                                         "nickname": "Seats", "recurring": {"interval": "month"}})
    calls = stack.ok("POST", "/prices", {"product": product["id"], "currency": "eur", "unit_amount_decimal": "0.5",
                                         "nickname": "API calls",
                                         "recurring": {"interval": "month", "usage_type": "metered"}})
    stack.ok("POST", "/meters", {"event_name": "api_calls", "display_name": "API calls"})
    return {"customer": customer["id"], "seats": seats["id"], "calls": calls["id"]}


def test_a_subscription_is_created_with_its_first_invoice(stack: HandlerStack, plan: dict) -> None:
    status, sub = stack.call("POST", "/subscriptions", {
        "customer": plan["customer"], "items": [{"price": plan["seats"], "quantity": 3},
                                                {"price": plan["calls"], "meter": "api_calls"}]})
    assert status == 201, sub
    assert (sub["status"], sub["current_period_start"], sub["current_period_end"]) == (
        "active", "2026-11-01T09:00:00Z", "2026-12-01T09:00:00Z")
    assert sub["next_billing_at"] == "2026-12-01T10:00:00Z"  # the meter's hour of grace
    invoice = stack.ok("GET", f"/invoices/{sub['latest_invoice']}")
    assert (invoice["status"], invoice["number"], invoice["total"]) == ("open", "INV-000001", 3750)
    assert [line["description"] for line in invoice["lines"]["data"]] == ["Seats × 3"]
    assert stack.ok("GET", f"/subscriptions/{sub['id']}") == sub
    listed = stack.ok("GET", "/subscriptions", query={"customer": plan["customer"]})
    assert [s["id"] for s in listed["data"]] == [sub["id"]]


def test_an_upgrade_halfway_is_prorated_on_the_next_invoice_and_a_cancel_waits_for_period_end(
        stack: HandlerStack, plan: dict, clock: At) -> None:
    sub = stack.ok("POST", "/subscriptions", {"customer": plan["customer"],
                                              "items": [{"price": plan["seats"], "quantity": 1}]})
    clock.current = START + timedelta(days=15)  # halfway through November's 30 days
    item = sub["items"][0]["id"]
    upgraded = stack.ok("POST", f"/subscriptions/{sub['id']}/items/{item}", {"quantity": 2})
    # 1 -> 2 seats at 10.00 halfway: -5.00 and +10.00, two lines for the next invoice.
    end = (START + timedelta(days=30)).isoformat().replace("+00:00", "Z")
    assert [(p["kind"], p["amount"], p["description"], p["price"], p["period_end"])
            for p in upgraded["pending_prorations"]] == [
        ("credit", -500, "Unused time on 1 × Seats", plan["seats"], end),
        ("charge", 1000, "Remaining time on 2 × Seats", plan["seats"], end)]
    canceled = stack.ok("POST", f"/subscriptions/{sub['id']}/cancel", {"at_period_end": True})
    assert (canceled["status"], canceled["cancel_at_period_end"]) == ("active", True)
    status, again = stack.call("POST", f"/subscriptions/{sub['id']}/pause")
    assert status == 200 and again["status"] == "paused"
    assert stack.call("POST", f"/subscriptions/{sub['id']}/pause")[0] == 409


def test_bad_subscriptions_are_4xx(stack: HandlerStack, plan: dict) -> None:
    cases = [
        ({"customer": "cus_missing", "items": [{"price": plan["seats"]}]}, 404),
        ({"customer": plan["customer"], "items": [{"price": "price_missing"}]}, 404),
        ({"customer": plan["customer"], "items": []}, 400),
        ({"customer": plan["customer"], "items": [{"price": plan["calls"]}]}, 400),  # metered without a meter
        ({"customer": plan["customer"], "items": [{"price": plan["seats"], "quantity": -1}]}, 400),
        ({"customer": plan["customer"], "items": [{"price": plan["seats"]}], "trial_end": "2020-01-01T00:00:00Z"},
         400),
        ({"customer": plan["customer"], "items": [{"price": plan["seats"]}], "trial_period_days": 7,
          "trial_end": "2030-01-01T00:00:00Z"}, 400),
    ]
    for body, expected in cases:
        status, answer = stack.call("POST", "/subscriptions", body)
        assert status == expected, (body, answer)
    assert stack.ok("GET", "/subscriptions")["data"] == []  # nothing was written
    assert stack.call("GET", "/subscriptions/sub_missing")[0] == 404
    assert stack.call("POST", "/subscriptions/sub_missing/cancel")[0] == 404


def test_a_trial_bills_nothing_until_it_ends(stack: HandlerStack, plan: dict) -> None:
    sub = stack.ok("POST", "/subscriptions", {"customer": plan["customer"], "trial_period_days": 14,
                                              "items": [{"price": plan["seats"], "quantity": 2}]})
    assert (sub["status"], sub["latest_invoice"], sub["trial_end"]) == ("trialing", None, "2026-11-15T09:00:00Z")
    assert sub["next_billing_at"] == "2026-11-15T09:00:00Z"


def test_items_are_added_changed_and_removed_and_always_invoice_retried_makes_one_invoice(
        stack: HandlerStack, plan: dict, clock: At) -> None:
    pro = stack.ok("POST", "/prices", {"product": stack.ok("GET", f"/prices/{plan['seats']}")["product"],
                                       "currency": "eur", "unit_amount": 2000, "nickname": "Pro seats",
                                       "recurring": {"interval": "month"}})
    sub = stack.ok("POST", "/subscriptions", {"customer": plan["customer"],
                                              "items": [{"price": plan["seats"], "quantity": 1}]})
    clock.current = START + timedelta(days=15)  # halfway through November's 30 days
    item = sub["items"][0]["id"]
    path = f"/subscriptions/{sub['id']}/items/{item}"
    body = {"price": pro["id"], "proration_behavior": "always_invoice"}
    answers = [stack.call("POST", path, body, idempotency_key="upgrade-1") for _ in range(3)]
    assert [status for status, _ in answers] == [200, 200, 200]
    changed = answers[0][1]
    assert changed["items"][0]["price"] == pro["id"] and changed["pending_prorations"] == []
    invoices = stack.ok("GET", "/invoices", query={"customer": plan["customer"]})["data"]
    assert len(invoices) == 2  # the first period's, and one for the upgrade: −5.00 + 10.00
    upgrade = next(i for i in invoices if i["id"] != sub["latest_invoice"])
    assert (upgrade["status"], upgrade["subtotal"], upgrade["total"]) == ("open", 500, 625)
    added = stack.ok("POST", f"/subscriptions/{sub['id']}/items", {"price": plan["seats"], "quantity": 2})
    assert [(i["price"], i["quantity"]) for i in added["items"]] == [(pro["id"], 1), (plan["seats"], 2)]
    assert [p["amount"] for p in added["pending_prorations"]] == [1000]  # 2 × 10.00 for half the period
    removed = stack.ok("POST", f"/subscriptions/{sub['id']}/items/{added['items'][1]['id']}",
                       {"deleted": True, "proration_behavior": "none"})
    assert [i["price"] for i in removed["items"]] == [pro["id"]]
    for bad, expected in (({}, 400), ({"deleted": True, "quantity": 1}, 400), ({"quantity": 2, "proration_basis":
                                                                              "hours"}, 400)):
        assert stack.call("POST", path, bad)[0] == expected, bad
    assert stack.call("POST", f"/subscriptions/{sub['id']}/items/si_missing", {"quantity": 2})[0] == 404
    assert stack.call("POST", path, {"deleted": True})[0] == 400  # the last item: cancel instead
