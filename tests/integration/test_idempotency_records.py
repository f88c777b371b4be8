"""Idempotency records keep a reference to the answer (status, object, id, digest), and a replay
rebuilds the answer from the object: the first answer byte for byte while the object is unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.conftest import HandlerStack
from tests.integration.lambdas import LambdaContext, api_event
from tests.integration.test_api import SELLER, count_invoices, swedish_customer

LINES = [{"description": "Konsulttimmar", "quantity": "12.5", "unit_amount": 98000},
         {"description": "Resekostnader", "unit_amount": 245000}]


@pytest.fixture
def seller(stack: HandlerStack) -> dict:
    return stack.ok("POST", "/account", SELLER)


def send(stack: HandlerStack, method: str, path: str, body: Any = None, *, key: str) -> dict[str, Any]:
    event = api_event(method, path, account_id=stack.account_id, body=body, idempotency_key=key)
    response: dict[str, Any] = stack.api.lambda_handler(event, LambdaContext())
    return response


def twice(stack: HandlerStack, method: str, path: str, body: Any = None, *, key: str) -> dict[str, Any]:
    """Send a request and its retry; the retry must be the first answer, byte for byte."""
    first = send(stack, method, path, body, key=key)
    again = send(stack, method, path, body, key=key)
    assert 200 <= first["statusCode"] < 300, first
    assert "Idempotent-Replayed" not in (first.get("headers") or {})
    assert again["headers"]["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed-Changed" not in again["headers"], path
    assert (again["statusCode"], again["body"]) == (first["statusCode"], first["body"]), path
    return json.loads(first["body"])


def records(stack: HandlerStack) -> list[dict[str, Any]]:
    items = stack.dynamodb.scan(TableName=stack.tables["IdempotencyTable"])["Items"]
    return [{name: next(iter(value.values())) for name, value in item.items()} for item in items]


def test_every_post_replays_its_first_answer_byte_for_byte(stack: HandlerStack) -> None:
    twice(stack, "POST", "/account", SELLER, key="account")
    customer = twice(stack, "POST", "/customers", {"name": "Kund AB", "email": "ekonomi@kund.example",
                                                   "currency": "SEK", "address": {"line1": "Storgatan 1",
                                                                                  "city": "Malmö", "country": "SE"}},
                     key="customer")
    twice(stack, "POST", f"/customers/{customer['id']}", {"email": "faktura@kund.example"}, key="customer-update")
    draft = twice(stack, "POST", "/invoices", {"customer": customer["id"], "lines": LINES[:1]}, key="create")
    twice(stack, "POST", f"/invoices/{draft['id']}/lines", {"lines": LINES[1:]}, key="lines")
    invoice = twice(stack, "POST", f"/invoices/{draft['id']}/finalize", key="finalize")
    assert invoice["number"]
    twice(stack, "POST", "/credit_notes", {"invoice": invoice["id"], "amount": 1000}, key="credit")
    twice(stack, "POST", f"/invoices/{invoice['id']}/pay", key="pay")
    other = send(stack, "POST", "/invoices", {"customer": customer["id"], "lines": LINES}, key="other")
    other_id = json.loads(other["body"])["id"]
    send(stack, "POST", f"/invoices/{other_id}/finalize", key="other-finalize")
    twice(stack, "POST", f"/invoices/{other_id}/mark_uncollectible", key="uncollectible")
    assert count_invoices(stack) == 2


def test_a_replay_after_the_object_changed_says_so_and_runs_nothing_again(stack: HandlerStack, seller: dict) -> None:
    customer = swedish_customer(stack)
    first = send(stack, "POST", "/invoices", {"customer": customer["id"], "lines": LINES[:1]}, key="c-1")
    draft = json.loads(first["body"])
    stack.ok("POST", f"/invoices/{draft['id']}/lines", {"lines": LINES[1:]})  # a later request, no key
    again = send(stack, "POST", "/invoices", {"customer": customer["id"], "lines": LINES[:1]}, key="c-1")
    assert again["statusCode"] == 201
    assert again["headers"]["Idempotent-Replayed"] == "true"
    assert again["headers"]["Idempotent-Replayed-Changed"] == "true"
    replayed = json.loads(again["body"])
    assert replayed["id"] == draft["id"] and len(replayed["lines"]["data"]) == 2  # the invoice as it is now
    assert count_invoices(stack) == 1


def test_a_record_holds_a_reference_and_no_personal_data(stack: HandlerStack, seller: dict) -> None:
    customer = swedish_customer(stack)
    text = "Konsultation för Anna Andersson, Storgatan 1 " * 10
    body = {"customer": customer["id"], "lines": [{"description": text, "unit_amount": 100}] * 200}
    big = send(stack, "POST", "/invoices", body, key="big")
    assert big["statusCode"] == 201 and len(big["body"]) > 100_000
    send(stack, "POST", "/customers", {"name": "Anna Andersson", "email": "anna@example.se"}, key="person")
    kept = records(stack)
    assert len(kept) == 2
    for record in kept:
        assert record["status"] == "COMPLETED"
        answer = json.loads(record["data"])
        assert set(answer) == {"statusCode", "object", "id", "sha256"}
        stored = json.dumps(record, default=str)
        for personal in ("Anna", "anna@example.se", "Storgatan", "Kund AB", "ekonomi@"):
            assert personal not in stored
        # One write unit per write: names and values well under 1 KB, however big the answer.
        assert sum(len(name) + len(str(value)) for name, value in record.items()) < 600
    replayed = send(stack, "POST", "/invoices", body, key="big")
    assert (replayed["statusCode"], replayed["body"]) == (201, big["body"])
    assert count_invoices(stack) == 1


def test_catalog_usage_and_subscription_posts_replay_their_first_answer(stack: HandlerStack) -> None:
    twice(stack, "POST", "/account", SELLER, key="account")
    customer = twice(stack, "POST", "/customers", {"name": "Kund AB", "email": "ekonomi@kund.example",
                                                   "currency": "SEK", "address": {"line1": "Storgatan 1",
                                                                                  "city": "Malmö", "country": "SE"}},
                     key="customer")
    product = twice(stack, "POST", "/products", {"name": "Seats"}, key="product")
    price = twice(stack, "POST", "/prices", {"product": product["id"], "currency": "sek", "unit_amount": 9900,
                                             "recurring": {"interval": "month"}}, key="price")
    twice(stack, "POST", "/coupons", {"percent_off": "10", "duration": "once"}, key="coupon")
    twice(stack, "POST", "/meters", {"event_name": "api_calls", "display_name": "API calls"}, key="meter")
    twice(stack, "POST", "/usage_events", {"event_name": "api_calls", "identifier": "e1",
                                           "payload": {"customer": customer["id"], "value": 3}}, key="usage")
    sub = twice(stack, "POST", "/subscriptions", {"customer": customer["id"], "items": [{"price": price["id"]}]},
                key="subscription")
    assert len(stack.ok("GET", "/subscriptions")["data"]) == 1 and sub["latest_invoice"]
    kinds = sorted(json.loads(r["data"]).get("object", "(whole answer)") for r in records(stack)
                   if r.get("status") == "COMPLETED")
    assert kinds == ["(whole answer)", "account", "coupon", "customer", "meter", "price", "product", "subscription"]


def test_an_empty_idempotency_key_is_refused_and_nothing_runs(stack: HandlerStack) -> None:
    # Asked for idempotency without a key to keep it under: run unprotected, a retry would run twice.
    event = api_event("POST", "/customers", account_id=stack.account_id, body={"name": "Kund AB"})
    event["headers"]["Idempotency-Key"] = ""
    event["multiValueHeaders"]["Idempotency-Key"] = [""]
    response = stack.api.lambda_handler(event, LambdaContext())
    error = json.loads(response["body"])["error"]
    assert (response["statusCode"], error["code"], error["param"]) == (400, "idempotency_key_empty", "Idempotency-Key")
    assert stack.ok("GET", "/customers")["data"] == []
    assert records(stack) == []
