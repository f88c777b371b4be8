"""Collecting through the real adapters: dunning's emails, dunning's charge retries, and the hosted
page's pay button.

- `EmailNotifier` (the `Notifier` port) mails reminders and payment-status notices through the
  sending capability (`SendingService.deliver`: SES, `.eml` copies locally). A reminder is the send
  `dunning:{invoice}:{step}`, a notice the send of its event's id: each is claimed in the invoice's
  correspondence before the mail goes and recorded after (`invoice.sent`, `delivery.kind` `reminder`
  or `payment_notice`), so a retried dunning step or a redelivered event finds it sent and mails
  nothing. The one window left is SES's (docs/sending.md, "Once per send").
- `ProviderCharger` (the `InvoiceCharger` port) charges the customer's saved payment method
  (`default_payment_method`, with `stripe_customer_id` for Stripe) through the `PaymentProvider`
  port, under the dunning step's idempotency key. Without a provider, or without a saved method, the
  attempt fails with a code that says so (`no_payment_provider`, `payment_method_missing`).
- `ProviderCheckout` (the `CheckoutLinks` port) asks the provider for a checkout of what remains,
  returning to the invoice's hosted page.
"""

from __future__ import annotations

from dataclasses import dataclass

from invoicing.domain.dunning import PlannedStep
from invoicing.domain.errors import DomainError
from invoicing.domain.invoice import Invoice
from invoicing.domain.sending import Notice
from invoicing.services.ports import ChargeResult, PaymentProvider, UnitOfWork
from invoicing.services.sending import SendingService, hosted_url


def reminder_send_id(invoice_id: str, step_id: str) -> str:
    """The send key of a dunning reminder: one mail per (invoice, step)."""
    return f"dunning:{invoice_id}:{step_id}"


@dataclass(frozen=True)
class EmailNotifier:
    sending: SendingService

    def send_reminder(self, invoice: Invoice, step: PlannedStep, language: str) -> bool:
        outcome = self.sending.deliver(invoice.account_id, invoice.id, reminder_send_id(invoice.id, step.id),
                                       "reminder", notice=Notice(kind="reminder", day=step.day, language=language))
        return outcome in ("sent", "already_sent")

    def send_payment_status(self, invoice: Invoice, change: str, language: str, *, event_id: str,
                            amount: int | None = None) -> bool:
        notice = Notice(kind="payment_notice", change=change, amount=amount, language=language)
        outcome = self.sending.deliver(invoice.account_id, invoice.id, event_id, "payment_notice", notice=notice)
        return outcome in ("sent", "already_sent")


@dataclass(frozen=True)
class ProviderCharger:
    uow: UnitOfWork
    provider: PaymentProvider | None  # None: no provider is configured (PaymentProvider=none)

    def charge(self, invoice: Invoice, idempotency_key: str) -> ChargeResult:
        """Charge what remains of `invoice` to the customer's saved payment method, once per key (the
        provider's idempotency). A network failure raises: the dunning step is retried with the same key."""
        if self.provider is None:
            return ChargeResult("failed", failure_code="no_payment_provider")
        with self.uow:
            customer = self.uow.customers.get(invoice.account_id, invoice.customer_id)
        if not customer.default_payment_method:
            return ChargeResult("failed", failure_code="payment_method_missing")
        reference = customer.stripe_customer_id if self.provider.name == "stripe" else None
        try:
            charge = self.provider.charge(invoice, payment_method=customer.default_payment_method,
                                          customer_reference=reference, idempotency_key=idempotency_key)
        except DomainError as error:  # the provider cannot take this charge (a currency it refuses, say)
            return ChargeResult("failed", failure_code=error.code)
        if charge.status == "succeeded":
            return ChargeResult("succeeded", payment_id=charge.reference)
        if charge.status == "processing":  # a bank debit: its webhook settles (or fails) it later
            return ChargeResult("pending", payment_id=charge.reference)
        if charge.status == "requires_action":  # the bank wants the customer (3-D Secure): off-session cannot
            return ChargeResult("failed", payment_id=charge.reference or None, failure_code="authentication_required")
        return ChargeResult("failed", payment_id=charge.reference or None,
                            failure_code=charge.failure_code or "charge_failed")


@dataclass(frozen=True)
class ProviderCheckout:
    provider: PaymentProvider
    base_url: str  # where the hosted pages are: the customer comes back to the invoice's page

    def checkout_link(self, invoice: Invoice) -> str | None:
        page = hosted_url(self.base_url, invoice)
        if page is None:
            return None
        # One checkout per state of the invoice: following the button twice gives the same session,
        # a payment in between (a new version, less remaining) a new one.
        key = f"checkout:{invoice.id}:v{invoice.version}:{invoice.amount_remaining}"
        return self.provider.checkout_link(invoice, success_url=page, cancel_url=page, idempotency_key=key).url


class StepsRunElsewhere:
    """The notifier or charger of a `DunningService` that does not perform that part (the API reads the
    history; the subscriber charges nothing): the dunning run performs the steps, so a call here is a
    wiring mistake, and it says so rather than pretend."""

    def _refuse(self) -> None:
        raise RuntimeError("This DunningService does not perform this: dunning steps run in the dunning function.")

    def send_reminder(self, invoice: Invoice, step: PlannedStep, language: str) -> bool:
        self._refuse()
        return False

    def send_payment_status(self, invoice: Invoice, change: str, language: str, *, event_id: str,
                            amount: int | None = None) -> bool:
        self._refuse()
        return False

    def charge(self, invoice: Invoice, idempotency_key: str) -> ChargeResult:
        self._refuse()
        return ChargeResult("failed")
