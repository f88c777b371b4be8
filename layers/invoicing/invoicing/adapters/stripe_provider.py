"""Stripe, through the official `stripe` library (pinned in the layer): the `PaymentProvider` port,
webhook signature verification, and the webhook events that end in the reconciliation.

- Requests go through `stripe.StripeClient` (its typed objects back), every one with an idempotency
  key, so a retried charge or refund is the same request to Stripe. Tests point the client's
  documented `base_addresses` at a local server replaying recorded responses.
- Webhook signatures are verified in `stripe_webhooks.py` (a module the webhook function loads alone).
- `StripeEvents` turns a verified event into one `PaymentService` call. The objects we create carry
  `metadata.account_id` and `metadata.invoice_id`; an event about an object without an account is
  not ours and is ignored. A payment is keyed on its PaymentIntent (`stripe:pi_...`), which
  `payment_intent.succeeded` and `checkout.session.completed` both name: whichever comes first
  records it, the other (and every redelivery) finds it recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import stripe

from invoicing.domain.errors import Conflict, InvalidInput, NotFound
from invoicing.domain.invoice import Invoice
from invoicing.domain.money import exponent
from invoicing.domain.payment import PaymentMethod, payment_id
from invoicing.domain.payment_matching import IncomingPayment
from invoicing.services.payments import PaymentService
from invoicing.services.ports import Charge, CheckoutLink, Refund

HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded",
           "checkout.session.completed", "invoice.paid")
Outcome = Literal["recorded", "duplicate", "ignored", "failed", "refunded"]


def _stripe_amount(invoice: Invoice) -> int:
    """Stripe takes amounts in the currency's smallest unit, as we keep them; for three-decimal
    currencies (BHD, KWD, ...) it needs the last digit to be 0."""
    amount = invoice.amount_remaining
    if exponent(invoice.currency) == 3 and amount % 10:
        raise InvalidInput(f"Stripe charges {invoice.currency} in multiples of 10 minor units; {amount} is not.",
                           param="amount")
    return amount


def _metadata(invoice: Invoice) -> dict[str, str]:
    return {"account_id": invoice.account_id, "invoice_id": invoice.id, "invoice_number": invoice.number or ""}


def client_for_key(api_key: Callable[[], str], **options: Any) -> Callable[[], stripe.StripeClient]:
    """A `StripeClient` per call with the key `api_key()` gives (the composition root reads it from SSM
    through Powertools Parameters, which caches it per container: a rotated key is used within its
    max age, without a redeploy). `options` are the client's own (`base_addresses`, `http_client`)."""
    return lambda: stripe.StripeClient(api_key(), **options)


class StripeProvider:
    """The `PaymentProvider` port on Stripe: a client, or a function giving one per call (`client_for_key`)."""

    name = "stripe"

    def __init__(self, client: stripe.StripeClient | Callable[[], stripe.StripeClient]) -> None:
        self._clients = client if callable(client) else (lambda: client)

    @property
    def _client(self) -> stripe.StripeClient:
        return self._clients()

    def charge(self, invoice: Invoice, *, payment_method: str, customer_reference: str | None,
               idempotency_key: str) -> Charge:
        params: dict[str, Any] = {
            "amount": _stripe_amount(invoice), "currency": invoice.currency.lower(), "payment_method": payment_method,
            "confirm": True, "off_session": True, "metadata": _metadata(invoice),
            "description": f"Invoice {invoice.number}",
        }
        if customer_reference:
            params["customer"] = customer_reference
        try:
            intent = self._client.v1.payment_intents.create(params=params,  # type: ignore[arg-type]
                                                            options={"idempotency_key": idempotency_key})
        except stripe.CardError as error:
            # A declined card: the attempt exists (its payment_intent.payment_failed event follows).
            failed = getattr(error.error, "payment_intent", None) if error.error else None
            failed_status = getattr(failed, "status", None)
            return Charge(reference=str(getattr(failed, "id", "") or ""),
                          status="requires_action" if failed_status == "requires_action" else "failed",
                          amount=invoice.amount_remaining, currency=invoice.currency,
                          failure_message=error.user_message, failure_code=error.code or "card_error")
        except stripe.InvalidRequestError as error:
            # The saved method cannot be charged (detached, another customer's, missing): no retry helps.
            return Charge(reference="", status="failed", amount=invoice.amount_remaining, currency=invoice.currency,
                          failure_message=error.user_message, failure_code=error.code or "invalid_request")
        last_error = intent.last_payment_error
        return Charge(reference=intent.id, status=intent.status, amount=intent.amount,
                      currency=intent.currency.upper(), failure_code=last_error.code if last_error else None)

    def checkout_link(self, invoice: Invoice, *, success_url: str, cancel_url: str,
                      idempotency_key: str) -> CheckoutLink:
        metadata = _metadata(invoice)
        session = self._client.v1.checkout.sessions.create(params={
            "mode": "payment", "success_url": success_url, "cancel_url": cancel_url,
            "client_reference_id": invoice.id, "metadata": metadata,
            "payment_intent_data": {"metadata": metadata, "description": f"Invoice {invoice.number}"},
            "line_items": [{"quantity": 1, "price_data": {
                "currency": invoice.currency.lower(), "unit_amount": _stripe_amount(invoice),
                "product_data": {"name": f"Invoice {invoice.number}"}}}],
        }, options={"idempotency_key": idempotency_key})
        return CheckoutLink(url=session.url, reference=session.id)

    def refund(self, reference: str, *, amount: int | None, idempotency_key: str) -> Refund:
        params: dict[str, Any] = {"payment_intent": reference}
        if amount is not None:
            params["amount"] = amount
        refund = self._client.v1.refunds.create(params=params,  # type: ignore[arg-type]
                                                options={"idempotency_key": idempotency_key})
        return Refund(reference=refund.id, status=str(refund.status), amount=refund.amount,
                      currency=refund.currency.upper())


# --- events in ------------------------------------------------------------------------------------

_METHODS: dict[str, PaymentMethod] = {"card": "card", "sepa_debit": "sepa_debit", "us_bank_account": "us_bank_account",
                                      "customer_balance": "bank_transfer", "link": "wallet"}


def _method(types: Any) -> PaymentMethod | None:
    first = next(iter(types or ()), None)
    return _METHODS.get(str(first), "other") if first else None


def _on(created: Any) -> Any:
    return datetime.fromtimestamp(int(created), UTC).date() if created else None


class StripeEvents:
    """Verified Stripe events -> the reconciliation (one `PaymentService` call each)."""

    def __init__(self, payments: PaymentService) -> None:
        self._payments = payments

    def handle(self, document: Mapping[str, Any]) -> Outcome:
        event = stripe.Event.construct_from(dict(document), None)
        if event.type not in HANDLED:
            return "ignored"
        obj = event.data.object
        found = getattr(obj, "metadata", None)
        metadata: dict[str, Any] = found.to_dict() if found is not None else {}
        account_id = metadata.get("account_id")
        if not account_id:
            return "ignored"  # not an object this deployment created
        invoice_id = metadata.get("invoice_id") or getattr(obj, "client_reference_id", None)
        if event.type == "payment_intent.succeeded":
            return self._received(account_id, f"stripe:{obj.id}", obj.amount_received or obj.amount, obj.currency,
                                  invoice_id, _method(obj.payment_method_types), obj.id, _on(obj.created))
        if event.type == "checkout.session.completed":
            if obj.payment_status != "paid" or not obj.payment_intent:
                return "ignored"  # a delayed method (SEPA debit): payment_intent.succeeded brings it
            intent = obj.payment_intent if isinstance(obj.payment_intent, str) else obj.payment_intent.id
            return self._received(account_id, f"stripe:{intent}", obj.amount_total, obj.currency, invoice_id,
                                  _method(obj.payment_method_types), intent, _on(obj.created))
        if event.type == "invoice.paid":
            return self._received(account_id, f"stripe:invoice:{obj.id}", obj.amount_paid, obj.currency, invoice_id,
                                  None, obj.id, _on(obj.created))
        if event.type == "payment_intent.payment_failed":
            error = getattr(obj, "last_payment_error", None)
            incoming = IncomingPayment(key=f"stripe:failed:{event.id}", amount=obj.amount,
                                       currency=obj.currency.upper(), invoice_id=invoice_id)
            recorded = self._payments.record_failure(account_id, incoming, source="stripe", provider_reference=obj.id,
                                                     message=getattr(error, "message", None) if error else None)
            return "duplicate" if recorded.duplicate else "failed"
        # charge.refunded: the running total refunded of the payment the charge belongs to.
        intent = obj.payment_intent if isinstance(obj.payment_intent, str) else getattr(obj.payment_intent, "id", None)
        if not intent:
            return "ignored"
        try:
            taken = self._payments.refunded_to(account_id, payment_id(account_id, f"stripe:{intent}"),
                                               reversal_key=f"stripe:{event.id}", total_refunded=obj.amount_refunded)
        except NotFound as error:
            # The refund overtook its payment's event: fail, so the queue brings it again later.
            raise Conflict(f"The payment of {intent} is not recorded yet.", param="payment") from error
        return "duplicate" if taken.duplicate else "refunded"

    def _received(self, account_id: str, key: str, amount: int, currency: str, invoice_id: str | None,
                  method: PaymentMethod | None, reference: str, on: Any) -> Outcome:
        if not amount or amount <= 0:
            return "ignored"  # nothing was paid (a free checkout, a fully discounted invoice)
        incoming = IncomingPayment(key=key, amount=amount, currency=currency.upper(), invoice_id=invoice_id,
                                   received_on=on)
        try:
            recorded = self._payments.receive(account_id, incoming, source="stripe", method=method,
                                              provider_reference=reference)
        except NotFound:
            return "ignored"  # metadata naming an account this deployment does not have
        return "duplicate" if recorded.duplicate else "recorded"
