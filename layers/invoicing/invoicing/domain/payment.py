"""The payment aggregate: money received (or refused) once, under the key of where it came from,
and what it paid.

A payment is recorded once per `key`: a provider's event or object id (`stripe:pi_...`), a bank
entry's `bank:{account}:{entry_reference}`, or `manual:{id}`. Its id is derived from the account and
that key (`payment_id`), so recording the same payment twice is the same write, which the unit of
work makes conditional on the item being new.

Statuses: `unmatched` (nothing applied: waits for a person, with suggestions), `applied` (its money
went to invoices and/or the customer's credit), `refunded` / `reversed` (all of it was given back:
what it paid is owed again), `failed` (a provider's failed attempt: no money, recorded for the trail).
A partial refund keeps a payment `applied`, with `amount_refunded` saying how much went back.

Nothing here touches storage or the clock.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from invoicing.domain.errors import Conflict, InvalidInput
from invoicing.domain.events import DomainEvent, new_event
from invoicing.domain.payment_allocation import Allocation, Application
from invoicing.domain.payment_matching import AppliedPayment, IncomingPayment, MatchDecision, Rule, Suggestion

PaymentStatus = Literal["unmatched", "applied", "refunded", "reversed", "failed"]
PaymentSource = Literal["manual", "bank_statement", "stripe", "bank_transfer"]
PaymentMethod = Literal["card", "sepa_debit", "us_bank_account", "bank_transfer", "wallet", "other"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def payment_id(account_id: str, key: str) -> str:
    """The payment recorded under `key`: the same key, the same id (and so the same item)."""
    digest = hashlib.sha256(f"{account_id}\x1f{key}".encode()).hexdigest()
    return f"pay_{digest[:26]}"


class Payment(_Model):
    id: str
    object: Literal["payment"] = "payment"
    account_id: str
    key: str
    source: PaymentSource
    method: PaymentMethod | None = None
    status: PaymentStatus
    amount: int = Field(gt=0)
    currency: str
    received_on: date | None = None
    structured_reference: str | None = None
    remittance_text: str | None = None
    payer_name: str | None = None
    payer_iban: str | None = None
    end_to_end_id: str | None = None
    invoice_id: str | None = None  # the invoice the payer or the provider named
    provider_reference: str | None = None  # e.g. Stripe's payment intent, for refunds to find the payment
    statement_id: str | None = None  # the uploaded bank statement it came in
    customer_id: str | None = None
    rule: Rule | Literal["manual"] | None = None
    allocation: Allocation = Field(default_factory=Allocation)
    amount_unapplied: int = 0  # an overpayment that could not become credit (customer in another currency)
    amount_refunded: int = 0
    credit_shortfall: int = 0  # credit given back that the customer had already spent: for a person
    suggestions: tuple[Suggestion, ...] = ()
    failure_message: str | None = None
    reversal_keys: tuple[str, ...] = ()  # the refunds / reversal entries already taken into account
    created: datetime
    version: int = 0
    events: tuple[DomainEvent, ...] = Field(default=(), exclude=True)

    # --- creation ------------------------------------------------------------------------------

    @classmethod
    def received(cls, account_id: str, incoming: IncomingPayment, *, source: PaymentSource, now: datetime,
                 method: PaymentMethod | None = None, provider_reference: str | None = None,
                 statement_id: str | None = None) -> Payment:
        """A payment as it arrives, before it is matched: `payment.received`."""
        payment = cls(
            id=payment_id(account_id, incoming.key), account_id=account_id, key=incoming.key, source=source,
            method=method, status="unmatched", amount=incoming.amount, currency=incoming.currency,
            received_on=incoming.received_on or now.date(), structured_reference=incoming.structured_reference,
            remittance_text=incoming.remittance_text, payer_name=incoming.payer_name,
            payer_iban=incoming.payer_iban, end_to_end_id=incoming.end_to_end_id, invoice_id=incoming.invoice_id,
            provider_reference=provider_reference, statement_id=statement_id, created=now, version=1,
        )
        return payment._recorded("payment.received", now)

    @classmethod
    def failed(cls, account_id: str, incoming: IncomingPayment, *, source: PaymentSource, now: datetime,
               message: str | None, provider_reference: str | None = None) -> Payment:
        """A provider's attempt that took no money (a declined card): `payment.failed`, for the trail
        and for dunning's retries; nothing is applied."""
        payment = cls(
            id=payment_id(account_id, incoming.key), account_id=account_id, key=incoming.key, source=source,
            status="failed", amount=incoming.amount, currency=incoming.currency,
            received_on=incoming.received_on or now.date(), invoice_id=incoming.invoice_id,
            provider_reference=provider_reference, failure_message=(message or "")[:500] or None, created=now,
            version=1,
        )
        return payment._recorded("payment.failed", now)

    def incoming(self) -> IncomingPayment:
        return IncomingPayment(key=self.key, amount=self.amount, currency=self.currency,
                               received_on=self.received_on, structured_reference=self.structured_reference,
                               remittance_text=self.remittance_text, payer_name=self.payer_name,
                               payer_iban=self.payer_iban, end_to_end_id=self.end_to_end_id,
                               invoice_id=self.invoice_id)

    # --- matching ------------------------------------------------------------------------------

    def decided(self, decision: MatchDecision, now: datetime, *, credit_allowed: bool = True) -> Payment:
        """What matching decided: applied (`payment.applied`) or waiting for a person
        (`payment.unmatched`, with the suggestions)."""
        if decision.status == "unmatched":
            return self.model_copy(update={"suggestions": decision.suggestions,
                                           "version": self.version + 1})._recorded("payment.unmatched", now)
        return self.applied(decision.allocation, customer_id=decision.customer_id, rule=decision.rule, now=now,
                            credit_allowed=credit_allowed)

    def applied(self, allocation: Allocation, *, customer_id: str | None, rule: Rule | Literal["manual"] | None,
                now: datetime, credit_allowed: bool = True) -> Payment:
        """Its money spread over invoices, the rest the customer's credit (`credit_allowed`: the
        customer's balance is in the payment's currency), else left unapplied on the payment."""
        if self.status != "unmatched":
            raise Conflict(f"Payment {self.id} is {self.status}; only an unmatched payment can be applied.",
                           param="payment", code="payment_not_unmatched")
        if allocation.applied + allocation.credit != self.amount - self.amount_refunded:
            raise InvalidInput("An allocation spreads the whole payment (less what was refunded).", param="amount")
        unapplied = 0
        if allocation.credit and not credit_allowed:
            unapplied, allocation = allocation.credit, Allocation(applications=allocation.applications)
        changed = self.model_copy(update={"status": "applied", "allocation": allocation, "customer_id": customer_id,
                                          "rule": rule, "amount_unapplied": unapplied, "suggestions": (),
                                          "version": self.version + 1})
        return changed._recorded("payment.applied", now)

    # --- giving money back ---------------------------------------------------------------------

    @property
    def refundable(self) -> int:
        return self.amount - self.amount_refunded if self.status in ("applied", "unmatched") else 0

    def take_back(self, reversal_key: str, amount: int, available_credit: int, now: datetime, *,
                  kind: Literal["refund", "reversal"]) -> tuple[Payment, tuple[Application, ...], int]:
        """Give back `amount` of this payment (a refund, or a bank's reversal of all of it): first
        what it left unapplied and its credit (as far as the customer still has `available_credit`),
        then what it paid, the invoice paid last first. Returns the changed payment, what each
        invoice is reopened by, and the credit to withdraw. A `reversal_key` seen before is refused."""
        if reversal_key in self.reversal_keys:
            raise Conflict(f"'{reversal_key}' was already applied to payment {self.id}.", param="payment",
                           code="reversal_already_applied")
        if not 0 < amount <= self.refundable:
            raise InvalidInput(f"Payment {self.id} has {self.refundable} that can be given back; not {amount}.",
                               param="amount", code="amount_exceeds_refundable")
        left = amount
        from_unapplied = min(left, self.amount_unapplied)
        left -= from_unapplied
        credit = self.allocation.credit
        from_credit = min(left, credit)
        left -= from_credit
        withdrawn = min(from_credit, max(available_credit, 0))
        shortfall = from_credit - withdrawn
        reopen: list[Application] = []
        applications = list(self.allocation.applications)
        for index in range(len(applications) - 1, -1, -1):
            if not left:
                break
            application = applications[index]
            share = min(left, application.amount)
            reopen.append(Application(invoice_id=application.invoice_id, amount=share))
            left -= share
            rest = application.amount - share
            if rest:
                applications[index] = Application(invoice_id=application.invoice_id, amount=rest)
            else:
                del applications[index]
        refunded = self.amount_refunded + amount
        status: PaymentStatus = self.status
        if refunded == self.amount:
            status = "refunded" if kind == "refund" else "reversed"
        changed = self.model_copy(update={
            "status": status, "amount_refunded": refunded, "amount_unapplied": self.amount_unapplied - from_unapplied,
            "allocation": Allocation(applications=tuple(applications), credit=credit - from_credit),
            "credit_shortfall": self.credit_shortfall + shortfall, "suggestions": () if status != "unmatched"
            else self.suggestions, "reversal_keys": (*self.reversal_keys, reversal_key)[-50:],
            "version": self.version + 1,
        })
        event = "payment.refunded" if kind == "refund" else "payment.reversed"
        return changed._recorded(event, now, {**changed.summary(), "amount_given_back": amount,
                                              "reopened": [a.model_dump() for a in reopen]}), tuple(reopen), withdrawn

    def as_applied(self) -> AppliedPayment:
        """What `payment_matching.find_reversed` compares a reversal entry with."""
        return AppliedPayment(key=self.key, amount=self.amount, currency=self.currency, customer_id=self.customer_id,
                              structured_reference=self.structured_reference, end_to_end_id=self.end_to_end_id,
                              payer_iban=self.payer_iban, received_on=self.received_on, allocation=self.allocation,
                              reversed=self.status in ("refunded", "reversed") or self.amount_refunded > 0)

    # --- events --------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id, "object": "payment", "status": self.status, "source": self.source,
            "amount": self.amount, "currency": self.currency, "customer": self.customer_id,
            "invoice": self.invoice_id, "statement": self.statement_id,
            "applications": [{"invoice": a.invoice_id, "amount": a.amount} for a in self.allocation.applications],
            "credit": self.allocation.credit, "amount_unapplied": self.amount_unapplied,
            "amount_refunded": self.amount_refunded, "rule": self.rule,
        }

    def _recorded(self, type_: str, at: datetime, obj: dict[str, Any] | None = None) -> Payment:
        event = new_event(type_, account_id=self.account_id, aggregate="payment", aggregate_id=self.id,
                          version=self.version, at=at, obj=obj if obj is not None else self.summary())
        return self.model_copy(update={"events": (*self.events, event)})
