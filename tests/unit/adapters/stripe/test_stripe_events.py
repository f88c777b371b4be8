"""Verified Stripe events -> the reconciliation, on the services' fakes: each payment applied once
whichever events name it and however often they come; refunds reopen; events not ours are ignored;
a signature that does not verify is refused before anything is read."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest

from invoicing.adapters.stripe_provider import StripeEvents
from invoicing.adapters.stripe_webhooks import WebhookRejected, verify_webhook
from invoicing.domain.errors import Conflict
from invoicing.services.payments import PaymentService
from tests.unit.adapters.stripe.replay import event
from tests.unit.services.conftest import Services
from tests.unit.services.test_payments import credit, open_invoice, stored

SECRET = "whsec_test_4eC39HqLyjWDarjtT1zdp7dc"


def sign(payload: bytes, secret: str = SECRET, at: int | None = None) -> str:
    """Stripe's scheme: `t=<unix time>,v1=<hex HMAC-SHA256 of "{t}.{payload}" with the endpoint secret>`."""
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def events_for(s: Services, invoice: Any) -> dict[str, dict[str, Any]]:
    values = {"account_id": s.seller.id, "invoice_id": invoice.id, "invoice_number": invoice.number}
    return {name: event(name, values) for name in ("payment_intent.succeeded", "payment_intent.payment_failed",
                                                   "charge.refunded", "checkout.session.completed", "invoice.paid")}


def test_a_signed_event_verifies_and_anything_else_is_refused() -> None:
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "payment_intent.succeeded",
                          "data": {"object": {"id": "pi_1", "object": "payment_intent"}}}).encode()
    assert verify_webhook(payload, sign(payload), SECRET)["id"] == "evt_1"
    tampered = payload.replace(b"pi_1", b"pi_2")
    stale = sign(payload, at=int(time.time()) - 301)
    for body, header in ((tampered, sign(payload)), (payload, stale), (payload, sign(payload, "whsec_other")),
                         (payload, None), (payload, "t=1,v1=00"), (b"not json", sign(b"not json"))):
        with pytest.raises(WebhookRejected):
            verify_webhook(body, header, SECRET)
    assert verify_webhook(payload, sign(payload, at=int(time.time()) - 290), SECRET)["id"] == "evt_1"


def test_the_same_payment_is_applied_once_however_often_and_by_whichever_event(
        services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)  # 125.00 EUR
    stripe = StripeEvents(payments)
    succeeded = events_for(services, invoice)["payment_intent.succeeded"]
    assert [stripe.handle(succeeded) for _ in range(3)] == ["recorded", "duplicate", "duplicate"]
    after = stored(services, invoice.id)
    assert after.status == "paid" and after.amount_paid == 12_500
    listed = payments.list(services.seller.id, status=None, limit=10, starting_after=None).data
    assert len(listed) == 1 and listed[0].method == "card" and listed[0].provider_reference == succeeded["data"][
        "object"]["id"]


def test_a_checkout_completed_and_its_payment_intent_are_one_payment(
        services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)
    stripe = StripeEvents(payments)
    completed = events_for(services, invoice)["checkout.session.completed"]
    same_intent = json.loads(json.dumps(events_for(services, invoice)["payment_intent.succeeded"]))
    same_intent["data"]["object"]["id"] = completed["data"]["object"]["payment_intent"]
    assert stripe.handle(completed) == "recorded"
    assert stripe.handle(same_intent) == "duplicate"
    assert stored(services, invoice.id).amount_paid == 12_500 and credit(services) == 0


def test_a_refund_reopens_the_invoice_by_what_was_refunded_once(services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)
    stripe = StripeEvents(payments)
    events = events_for(services, invoice)
    with pytest.raises(Conflict):
        stripe.handle(events["charge.refunded"])  # before its payment: fails, so the queue brings it back
    stripe.handle(events["payment_intent.succeeded"])
    assert [stripe.handle(events["charge.refunded"]) for _ in range(3)] == ["refunded", "duplicate", "duplicate"]
    after = stored(services, invoice.id)
    assert (after.status, after.amount_remaining) == ("open", 2_500)


def test_a_failed_payment_is_recorded_once_and_pays_nothing(services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)
    stripe = StripeEvents(payments)
    failed = events_for(services, invoice)["payment_intent.payment_failed"]
    assert [stripe.handle(failed) for _ in range(2)] == ["failed", "duplicate"]
    (record,) = payments.list(services.seller.id, status="failed", limit=10, starting_after=None).data
    assert record.failure_message == "Your card has insufficient funds."
    assert stored(services, invoice.id).amount_paid == 0


def test_a_stripe_invoice_paid_pays_the_invoice_it_names(services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)
    assert StripeEvents(payments).handle(events_for(services, invoice)["invoice.paid"]) == "recorded"
    assert stored(services, invoice.id).status == "paid"


def test_events_about_objects_of_no_account_here_or_of_other_types_are_ignored(
        services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)
    foreign = json.loads(json.dumps(events_for(services, invoice)["payment_intent.succeeded"]))
    foreign["data"]["object"]["metadata"] = {"order_id": "15"}
    other = dict(foreign, type="customer.created")
    elsewhere = json.loads(json.dumps(events_for(services, invoice)["payment_intent.succeeded"]))
    elsewhere["data"]["object"]["metadata"]["account_id"] = "acct_of_another_deployment"
    stripe = StripeEvents(payments)
    assert [stripe.handle(e) for e in (foreign, other, elsewhere)] == ["ignored"] * 3
    assert stored(services, invoice.id).amount_paid == 0
