"""The Stripe adapter of the `PaymentProvider` port, against recorded exchanges replayed locally: the
requests it sends (and their idempotency keys) and what it makes of Stripe's typed answers."""

from __future__ import annotations

from typing import Any

import pytest

from invoicing.adapters.bank_transfer import BankTransferProvider
from invoicing.adapters.stripe_provider import StripeProvider
from invoicing.domain.errors import Conflict
from tests.unit.adapters.stripe.replay import exchange, replaying
from tests.unit.domain.builders import NOW, customer, draft, line, seller


def finalized() -> Any:
    invoice = draft(line(10_000))
    return invoice.finalize(seller=seller("SE"), customer=customer("SE"), number="INV-000042", now=NOW,
                            previous_totals=[], payment_reference="RF29INV000042")


def values(invoice: Any) -> dict[str, str]:
    return {"account_id": invoice.account_id, "invoice_id": invoice.id, "invoice_number": invoice.number}


def test_charging_a_saved_payment_method_sends_the_invoice_with_our_metadata() -> None:
    invoice = finalized()
    recorded = exchange("create_payment_intent", values(invoice))
    with replaying(recorded) as (replay, client):
        charge = StripeProvider(client).charge(invoice, payment_method="pm_1SXn4bLkdIwHu7ixCard0001",
                                               customer_reference="cus_TUa8mG2cQpV1bC", idempotency_key="charge-1")
    (sent,) = replay.seen
    assert (sent.method, sent.path) == ("POST", recorded["request"]["path"])
    assert sent.form == recorded["request"]["form"]
    assert sent.headers["idempotency-key"] == "charge-1"
    assert sent.headers["authorization"] == "Bearer sk_test_replay"
    assert (charge.reference, charge.status, charge.amount, charge.currency) == (
        "pi_3SXn5cLkdIwHu7ix0Zx4aB12", "succeeded", 12_500, "EUR")


def test_a_declined_card_is_a_failed_charge_not_an_error() -> None:
    invoice = finalized()
    with replaying(exchange("card_declined", values(invoice))) as (replay, client):
        charge = StripeProvider(client).charge(invoice, payment_method="pm_card_chargeDeclined",
                                               customer_reference=None, idempotency_key="charge-2")
    assert "customer" not in replay.seen[0].form
    assert charge.status == "failed" and charge.failure_message == "Your card was declined."
    assert charge.reference == "pi_3SXn6dLkdIwHu7ix1Declined"


def test_a_checkout_link_is_a_session_for_what_remains() -> None:
    invoice = finalized()
    recorded = exchange("create_checkout_session", values(invoice))
    with replaying(recorded) as (replay, client):
        link = StripeProvider(client).checkout_link(invoice, success_url="https://pay.example/thanks",
                                                    cancel_url="https://pay.example/invoice", idempotency_key="co-1")
    assert replay.seen[0].form == recorded["request"]["form"]
    assert link.url == "https://checkout.stripe.com/c/pay/cs_test_a1SXn7eLkdIwHu7ixCheckout01"
    assert link.reference == "cs_test_a1SXn7eLkdIwHu7ixCheckout01"


def test_a_refund_names_the_payment_intent_and_the_amount() -> None:
    recorded = exchange("create_refund", {})
    with replaying(recorded) as (replay, client):
        refund = StripeProvider(client).refund("pi_3SXn5cLkdIwHu7ix0Zx4aB12", amount=2_500, idempotency_key="re-1")
    assert replay.seen[0].form == recorded["request"]["form"]
    assert replay.seen[0].headers["idempotency-key"] == "re-1"
    assert (refund.reference, refund.amount, refund.currency, refund.status) == (
        "re_3SXn5cLkdIwHu7ix0Refund01", 2_500, "EUR", "succeeded")


def test_the_bank_transfer_provider_gives_instructions_and_charges_nothing() -> None:
    invoice = finalized()
    provider = BankTransferProvider()
    link = provider.checkout_link(invoice, success_url="-", cancel_url="-", idempotency_key="-")
    assert link.url is None and link.instructions is not None
    assert link.instructions["iban"] == "SE4550000000058398257466"
    assert link.instructions["reference"] == "RF29 INV0 0004 2"
    assert link.instructions["amount"] == invoice.amount_remaining
    with pytest.raises(Conflict):
        provider.charge(invoice, payment_method="-", customer_reference=None, idempotency_key="-")
    with pytest.raises(Conflict):
        provider.refund("-", amount=None, idempotency_key="-")


def test_a_bankgiro_only_seller_can_offer_bank_transfer() -> None:
    invoice = draft(line(10_000)).finalize(seller=seller("SE", iban=None, bic=None, bankgiro="5050-1055"),
                                           customer=customer("SE"), number="INV-000043", now=NOW,
                                           previous_totals=[], payment_reference="RF29INV000042",
                                           ocr_reference="4300000000436")
    link = BankTransferProvider().checkout_link(invoice, success_url="-", cancel_url="-", idempotency_key="-")
    assert link.instructions is not None
    assert link.instructions["iban"] is None
    assert link.instructions["bankgiro"] == invoice.seller_snapshot.bankgiro
    assert link.instructions["reference"] == "4300000000436"  # the OCR number, for Bankgirot


def test_a_seller_without_any_account_cannot_offer_bank_transfer() -> None:
    invoice = draft(line(10_000)).finalize(seller=seller("SE", iban=None, bic=None), customer=customer("SE"),
                                           number="INV-000044", now=NOW, previous_totals=[],
                                           payment_reference="RF29INV000042")
    with pytest.raises(Conflict) as refused:
        BankTransferProvider().checkout_link(invoice, success_url="-", cancel_url="-", idempotency_key="-")
    assert refused.value.code == "bank_details_missing"
