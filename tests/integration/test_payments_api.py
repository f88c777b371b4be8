"""The payment routes of the API function over moto: manual payments, the review queue, applying a
payment, `POST /invoices/{id}/pay` through the reconciliation, and statement upload URLs."""

from __future__ import annotations

import urllib.parse

import boto3

from tests.integration.conftest import HandlerStack
from tests.integration.test_api import SELLER, swedish_customer

LINE = [{"description": "Consulting", "quantity": 1, "unit_amount": 10_000}]


def open_invoice(stack: HandlerStack, customer: dict) -> dict:
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": LINE})
    return stack.ok("POST", f"/invoices/{draft['id']}/finalize")


def test_a_manual_payment_quoting_the_reference_pays_the_invoice(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    invoice = open_invoice(stack, swedish_customer(stack))  # 125.00 SEK
    status, payment = stack.call("POST", "/payments", {"amount": 5_000, "currency": "sek",
                                                       "reference": invoice["payment_reference"]})
    assert status == 201 and payment["status"] == "applied" and payment["rule"] == "reference"
    assert payment["applications"] == [{"invoice": invoice["id"], "amount": 5_000}]
    partly = stack.ok("GET", f"/invoices/{invoice['id']}")
    assert (partly["status"], partly["amount_remaining"]) == ("open", 7_500)
    paid = stack.ok("POST", f"/invoices/{invoice['id']}/pay")
    assert paid["status"] == "paid" and paid["amount_paid"] == 12_500
    status, again = stack.call("POST", f"/invoices/{invoice['id']}/pay")
    assert status == 409 and again["error"]["code"] == "invalid_state_transition"
    listed = stack.ok("GET", "/payments")["data"]
    assert sorted(p["amount"] for p in listed) == [5_000, 7_500]


def test_an_unmatched_payment_waits_with_suggestions_until_a_person_applies_it(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    customer = swedish_customer(stack)
    invoice = open_invoice(stack, customer)
    status, payment = stack.call("POST", "/payments", {"amount": 12_500, "currency": "SEK",
                                                       "reference": "thanks for everything"})
    assert status == 201 and payment["status"] == "unmatched"
    queue = stack.ok("GET", "/payments", query={"status": "unmatched"})["data"]
    assert [p["id"] for p in queue] == [payment["id"]]
    shown = stack.ok("GET", f"/payments/{payment['id']}")
    assert shown["suggestions"][0]["invoice"] == invoice["id"]
    assert "amount equals what remains" in shown["suggestions"][0]["reasons"]
    applied = stack.ok("POST", f"/payments/{payment['id']}/apply", {"invoices": [invoice["id"]]})
    assert applied["status"] == "applied" and applied["customer"] == customer["id"]
    assert stack.ok("GET", f"/invoices/{invoice['id']}")["status"] == "paid"
    assert stack.ok("GET", "/payments", query={"status": "unmatched"})["data"] == []
    status, twice = stack.call("POST", f"/payments/{payment['id']}/apply", {"invoices": [invoice["id"]]})
    assert status == 409 and twice["error"]["code"] == "payment_not_unmatched"


def test_bad_payment_input_is_a_4xx_naming_the_field(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    for body, param in (({"amount": 10.5, "currency": "SEK"}, "amount"),
                        ({"amount": 100, "currency": "XXY"}, "currency"),
                        ({"amount": 0, "currency": "SEK"}, "amount")):
        status, error = stack.call("POST", "/payments", body)
        assert status == 400 and error["error"]["param"] == param, (body, error)
    status, error = stack.call("POST", "/payments", {"amount": 100, "currency": "SEK", "invoice": "in_missing"})
    assert status == 404
    status, error = stack.call("GET", "/payments/pay_missing")
    assert status == 404 and error["error"]["code"] == "resource_missing"
    status, error = stack.call("GET", "/payments", query={"status": "lost"})
    assert status == 400 and error["error"]["param"] == "status"


def test_a_statement_upload_hands_out_a_presigned_put_url(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    status, created = stack.call("POST", "/bank_statements", {"filename": "march.xml"})
    assert status == 201 and created["status"] == "awaiting_upload"
    assert created["upload"]["method"] == "PUT" and "X-Amz-Signature=" in created["upload"]["url"]
    path = urllib.parse.urlparse(created["upload"]["url"]).path
    assert path.endswith(f"/statements/{stack.account_id}/{created['id']}")
    shown = stack.ok("GET", f"/bank_statements/{created['id']}")
    assert shown["status"] == "awaiting_upload" and shown["filename"] == "march.xml"
    assert stack.call("GET", "/bank_statements/stmt_missing")[0] == 404
    assert boto3.client("s3").list_objects_v2(Bucket="statements").get("KeyCount") == 0
