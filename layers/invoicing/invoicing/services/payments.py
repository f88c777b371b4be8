"""Reconciliation: the one use case every payment ends in, whichever way it came (a provider's
webhook, a bank statement entry, a manual entry, `POST /invoices/{id}/pay`).

The rules it enforces (docs/payments.md):

- **Once per key.** A payment is recorded under the key of where it came from (the provider's
  payment id, the bank entry's reference, a manual entry's id); its id is derived from that key and
  its item is written only if new, in the same commit as everything it changes. Delivered again,
  it changes nothing and the first record is returned.
- **One commit.** The payment, the invoices it pays (each conditioned on the version read) and
  the customer's credit are one atomic write. Two payments racing for one invoice: the second
  commit fails its version check, and the use case runs again on fresh reads, so it sees what the
  first left (`amount_remaining` never goes below zero; what is too much becomes credit).
- **Matching** is the domain's (`domain.payment_matching`): a named invoice, a structured reference,
  invoice numbers with the amount, a customer's group of invoices, or else nothing, with ranked
  suggestions for a person (`status=unmatched`).
- **Partial payments** lower `amount_remaining` and leave the invoice open
  (`invoice.partially_paid`); an overpayment is the customer's credit, used by their next invoice
  at finalization; a payment naming an invoice that is paid already is credit for its customer.
- **Refunds and reversals** take back what the payment gave: its credit as far as the customer
  still has it, then the invoices it paid (reopened: `invoice.reopened`).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeVar

from invoicing.domain.errors import (
    ConcurrentChange,
    Conflict,
    InvalidInput,
    InvalidStateTransition,
    NotFound,
    PaymentAlreadyRecorded,
    PaymentContention,
    SeriesMoved,
)
from invoicing.domain.payment import Payment, PaymentMethod, PaymentSource, PaymentStatus, payment_id
from invoicing.domain.payment_allocation import allocate
from invoicing.domain.payment_matching import (
    IncomingPayment,
    MatchDecision,
    OpenInvoice,
    OpenInvoices,
    match_payment,
    references_in,
    suggest,
)
from invoicing.domain.payment_reference import lookup_digits
from invoicing.services.invoices import InvoiceView
from invoicing.services.ports import Clock, Ids, InvoiceFilter, Page, Retry, UnitOfWork

T = TypeVar("T")

MATCH_CANDIDATES = 2_000  # open invoices read for matching a payment that names none (see docs/payments.md)
MAX_APPLICATIONS = 95  # a commit: the payment, the customer and the invoices, within 100 items
OPEN = ("open", "uncollectible")


@dataclass(frozen=True)
class Recorded:
    """A payment and whether it had been recorded before (a redelivered webhook, a file again)."""

    payment: Payment
    duplicate: bool = False


@dataclass(frozen=True)
class PaymentView:
    """A payment with what a person needs to apply it: fresh suggestions while it is unmatched."""

    payment: Payment


class _Stale(Exception):
    """The invoices matched on changed before they were read for the commit: decide again."""


@dataclass
class OpenInvoiceBook:
    """The account's open invoices as matching sees them, kept current across the entries of one
    statement (each commit takes what it applied off), so the invoices are read once per file."""

    invoices: dict[str, OpenInvoice] = field(default_factory=dict)
    _index: OpenInvoices | None = field(default=None, repr=False, compare=False)

    def index(self) -> OpenInvoices:
        """The invoices indexed for matching: built again only after an entry applied some."""
        if self._index is None:
            self._index = OpenInvoices(self.invoices.values())
        return self._index

    def applied(self, payment: Payment) -> None:
        if payment.allocation.applications:
            self._index = None
        for application in payment.allocation.applications:
            current = self.invoices.get(application.invoice_id)
            if current is None:
                continue
            left = current.amount_remaining - application.amount
            if left > 0:
                self.invoices[current.id] = current.model_copy(update={"amount_remaining": left})
            else:
                del self.invoices[current.id]


@dataclass(frozen=True)
class PaymentService:
    uow: UnitOfWork
    clock: Clock
    ids: Ids
    retry: Retry

    # --- receiving ----------------------------------------------------------------------------

    def receive(self, account_id: str, incoming: IncomingPayment, *, source: PaymentSource,
                method: PaymentMethod | None = None, provider_reference: str | None = None,
                statement_id: str | None = None, book: OpenInvoiceBook | None = None) -> Recorded:
        """Record `incoming` once and apply it as matching decides (see the module's rules)."""
        def work(uow: UnitOfWork, fresh: bool) -> Payment:
            uow.accounts.get(account_id)  # NotFound: no such account here (a provider's metadata may say anything)
            now = self.clock.now()
            payment = Payment.received(account_id, incoming, source=source, now=now, method=method,
                                       provider_reference=provider_reference, statement_id=statement_id)
            decision = self._decide(uow, account_id, payment.incoming(), None if fresh else book)
            return self._register(uow, payment, decision, now)

        recorded = self._once(account_id, incoming.key, work)
        if book is not None and not recorded.duplicate:
            book.applied(recorded.payment)
        return recorded

    def record_failure(self, account_id: str, incoming: IncomingPayment, *, source: PaymentSource,
                       message: str | None, provider_reference: str | None = None) -> Recorded:
        """A provider's failed attempt (`payment.failed`): recorded once, nothing applied."""
        def work(uow: UnitOfWork, fresh: bool) -> Payment:
            payment = Payment.failed(account_id, incoming, source=source, now=self.clock.now(), message=message,
                                     provider_reference=provider_reference)
            uow.payments.add(payment)
            return payment

        return self._once(account_id, incoming.key, work)

    def pay_invoice(self, account_id: str, invoice_id: str) -> InvoiceView:
        """`POST /invoices/{id}/pay`: a manual payment of everything that remains, recorded as a
        payment like any other (its key is the invoice's version, so a retry pays nothing twice)."""
        with self.uow:
            invoice = self.uow.invoices.get(account_id, invoice_id)
        if invoice.status not in OPEN or invoice.amount_remaining <= 0:
            raise InvalidStateTransition(f"Invoice {invoice.number or invoice.id} is {invoice.status} and cannot "
                                         "become paid.", param="status")
        incoming = IncomingPayment(key=f"manual:{invoice.id}:v{invoice.version}", amount=invoice.amount_remaining,
                                   currency=invoice.currency, invoice_id=invoice.id)
        recorded = self.receive(account_id, incoming, source="manual", method="other")
        with self.uow:
            paid = self.uow.invoices.get(account_id, invoice_id)
        if recorded.duplicate and paid.status != "paid":
            raise Conflict(f"Invoice {paid.number or paid.id} changed while it was being paid; try again.",
                           param="invoice", code="conflict")
        return InvoiceView(paid, [])

    def record_manual(self, account_id: str, *, amount: int, currency: str, reference: str | None,
                      invoice_id: str | None, payer_name: str | None, received_on: datetime | None = None,
                      method: PaymentMethod | None = None) -> Recorded:
        """`POST /payments`: money a person saw arrive; matched like a bank entry (a named invoice
        first, then the reference), else it waits in the review queue."""
        if invoice_id is not None:
            with self.uow:
                invoice = self.uow.invoices.get(account_id, invoice_id)  # 404 for an unknown invoice
            if invoice.currency != currency:
                raise InvalidInput(f"Invoice {invoice.number or invoice.id} is in {invoice.currency}, the payment "
                                   f"in {currency}.", param="currency", code="currency_mismatch")
        incoming = IncomingPayment(key=f"manual:{self.ids.new('pay')}", amount=amount, currency=currency,
                                   received_on=received_on.date() if received_on else None,
                                   structured_reference=reference if reference and _structured(reference) else None,
                                   remittance_text=reference, payer_name=payer_name, invoice_id=invoice_id)
        return self.receive(account_id, incoming, source="manual", method=method)

    # --- a person applies -----------------------------------------------------------------------

    def apply(self, account_id: str, payment_id_: str, invoice_ids: Sequence[str]) -> Payment:
        """A person applies an unmatched payment to `invoice_ids`, in that order (each gets at most
        what remains on it); what is left is the customer's credit. The invoices are one customer's,
        in the payment's currency."""
        if not invoice_ids:
            raise InvalidInput("Name at least one invoice.", param="invoices")
        if len(set(invoice_ids)) != len(invoice_ids):
            raise InvalidInput("An invoice is named twice.", param="invoices")
        if len(invoice_ids) > MAX_APPLICATIONS:
            raise InvalidInput(f"At most {MAX_APPLICATIONS} invoices at once.", param="invoices")

        def work(uow: UnitOfWork) -> Payment:
            payment = uow.payments.get(account_id, payment_id_)
            if payment.status != "unmatched":
                raise Conflict(f"Payment {payment.id} is {payment.status}; only an unmatched payment can be applied.",
                               param="payment", code="payment_not_unmatched")
            found = {i.id: i for i in uow.invoices.get_many(account_id, invoice_ids)}
            invoices = []
            for invoice_id in invoice_ids:
                invoice = found.get(invoice_id)
                if invoice is None:
                    raise NotFound(f"No such invoice: '{invoice_id}'.", param="invoices")
                if invoice.status not in OPEN:
                    raise Conflict(f"Invoice {invoice.number} is {invoice.status}.", param="invoices",
                                   code="invoice_not_open")
                if invoice.currency != payment.currency:
                    raise InvalidInput(f"Invoice {invoice.number} is in {invoice.currency}, the payment in "
                                       f"{payment.currency}.", param="invoices", code="currency_mismatch")
                invoices.append(invoice)
            if len({i.customer_id for i in invoices}) > 1:
                raise InvalidInput("The invoices are of different customers: apply the payment to one customer's.",
                                   param="invoices")
            # What is left of it: an unmatched payment may have been partly refunded meanwhile.
            allocation = allocate(payment.refundable, [(i.id, i.amount_remaining) for i in invoices])
            decision = MatchDecision(payment_key=payment.key, status="matched", customer_id=invoices[0].customer_id,
                                     applications=allocation.applications, credit=allocation.credit)
            return self._register(uow, payment, decision, self.clock.now(), rule="manual", new=False)

        return self._retrying(work)

    # --- giving back ----------------------------------------------------------------------------

    def take_back(self, account_id: str, payment_id_: str, *, reversal_key: str, amount: int | None,
                  kind: Literal["refund", "reversal"]) -> Recorded:
        """A refund (`amount`, None: all that is left) or a bank's reversal of a payment: its credit
        is withdrawn as far as the customer still has it, then the invoices it paid reopen, the one
        paid last first. Once per `reversal_key`: delivered again, nothing changes."""
        def work(uow: UnitOfWork) -> Recorded:
            payment = uow.payments.get(account_id, payment_id_)
            if reversal_key in payment.reversal_keys:
                return Recorded(payment, duplicate=True)
            wanted = payment.refundable if amount is None else amount
            if wanted <= 0:
                return Recorded(payment, duplicate=True)
            available = 0
            if payment.allocation.credit and payment.customer_id:
                available = uow.customers.get(account_id, payment.customer_id).credit_balance
            now = self.clock.now()
            changed, reopen, withdrawn = payment.take_back(reversal_key, wanted, available, now, kind=kind)
            invoices = {i.id: i for i in uow.invoices.get_many(account_id, [a.invoice_id for a in reopen])}
            for application in reopen:
                uow.invoices.save(invoices[application.invoice_id].reverse_payment(application.amount, payment.id, now))
            if withdrawn and payment.customer_id:
                uow.customers.adjust_credit(account_id, payment.customer_id, -withdrawn)
            uow.payments.save(changed)
            return Recorded(changed)

        return self._retrying(work)

    def refunded_to(self, account_id: str, payment_id_: str, *, reversal_key: str, total_refunded: int) -> Recorded:
        """A provider says `total_refunded` of the payment has been refunded in all (Stripe's
        `charge.refunded` carries the running total): take back what is not taken back yet."""
        with self.uow:
            payment = self.uow.payments.get(account_id, payment_id_)
        missing = min(total_refunded, payment.amount) - payment.amount_refunded
        if missing <= 0:
            return Recorded(payment, duplicate=True)
        return self.take_back(account_id, payment_id_, reversal_key=reversal_key, amount=missing, kind="refund")

    # --- reading --------------------------------------------------------------------------------

    def get(self, account_id: str, payment_id_: str) -> PaymentView:
        """The payment; while it is unmatched, with suggestions ranked afresh on the open invoices."""
        with self.uow:
            payment = self.uow.payments.get(account_id, payment_id_)
            if payment.status != "unmatched":
                return PaymentView(payment)
            candidates = self._open_invoices(self.uow, account_id)
        suggestions = suggest(payment.incoming(), candidates, {})
        return PaymentView(payment.model_copy(update={"suggestions": suggestions}))

    def find(self, account_id: str, key: str) -> Payment | None:
        with self.uow:
            return self.uow.payments.find(account_id, payment_id(account_id, key))

    def list(self, account_id: str, *, status: PaymentStatus | None, limit: int,
             starting_after: str | None) -> Page[Payment]:
        with self.uow:
            return self.uow.payments.list(account_id, status=status, limit=limit, starting_after=starting_after)

    def open_invoice_book(self, account_id: str) -> OpenInvoiceBook:
        with self.uow:
            return OpenInvoiceBook({i.id: i for i in self._open_invoices(self.uow, account_id)})

    # --- the one commit -------------------------------------------------------------------------

    def _decide(self, uow: UnitOfWork, account_id: str, incoming: IncomingPayment,
                book: OpenInvoiceBook | None) -> MatchDecision:
        if incoming.invoice_id is not None:
            named = self._named(uow, account_id, incoming)
            if named is not None:
                return named
        if book is not None:  # read once per file: invoices finalized since are found by their reference
            candidates = book.index()
            candidates = candidates.including(self._referenced(uow, account_id, incoming, candidates))
        else:
            found = self._open_invoices(uow, account_id)
            candidates = OpenInvoices(found)
            if len(found) >= MATCH_CANDIDATES:  # not all of them were read: the reference index finds the rest
                candidates = candidates.including(self._referenced(uow, account_id, incoming, candidates))
        decision = match_payment(incoming, candidates)
        if len(decision.applications) > MAX_APPLICATIONS:
            return MatchDecision(payment_key=incoming.key, status="unmatched",
                                 suggestions=suggest(incoming, candidates, {}))
        return decision

    @staticmethod
    def _referenced(uow: UnitOfWork, account_id: str, incoming: IncomingPayment,
                    candidates: OpenInvoices) -> builtins.list[OpenInvoice]:
        """The open invoices that the payment's references name, found by the reference index when
        the invoices read for matching (at most `MATCH_CANDIDATES`) hold none of them: a payment
        quoting its RF or OCR reference finds its invoice in an account of any size."""
        references = references_in(incoming)
        if not references or any(candidates.knows(r) for r in references):
            return []
        digits = [d for r in references for d in lookup_digits(r)]
        found = uow.invoices.by_number_digits(account_id, digits) if digits else []
        return [OpenInvoice.of(i) for i in found if i.status in OPEN and i.amount_remaining > 0]

    @staticmethod
    def _named(uow: UnitOfWork, account_id: str, incoming: IncomingPayment) -> MatchDecision | None:
        """The invoice the payer or provider named: what remains on it is paid, the rest is its
        customer's credit (also all of it, when the invoice is paid already: paid twice)."""
        try:
            invoice = uow.invoices.get(account_id, incoming.invoice_id or "")
        except NotFound:
            return None
        if invoice.currency != incoming.currency or invoice.status not in (*OPEN, "paid"):
            return None
        targets = [(invoice.id, invoice.amount_remaining)] if invoice.status in OPEN else []
        allocation = allocate(incoming.amount, targets)
        return MatchDecision(payment_key=incoming.key, status="matched", rule="provider_invoice",
                             customer_id=invoice.customer_id, applications=allocation.applications,
                             credit=allocation.credit)

    @staticmethod
    def _open_invoices(uow: UnitOfWork, account_id: str) -> builtins.list[OpenInvoice]:
        """The account's open and uncollectible invoices (their status index), at most
        `MATCH_CANDIDATES`, the latest due first."""
        found: builtins.list[OpenInvoice] = []
        for status in OPEN:
            after = None
            while len(found) < MATCH_CANDIDATES:
                page = uow.invoices.list(account_id, InvoiceFilter(status=status), limit=100,
                                         starting_after=after)
                found.extend(OpenInvoice.of(i) for i in page.data if i.amount_remaining > 0)
                if not page.has_more or not page.data:
                    break
                after = page.data[-1].id
        return found[:MATCH_CANDIDATES]

    def _register(self, uow: UnitOfWork, payment: Payment, decision: MatchDecision, now: datetime, *,
                  rule: Literal["manual"] | None = None, new: bool = True) -> Payment:
        """Register the payment as decided, with the invoices it pays and the customer's credit."""
        if decision.status == "matched":
            invoices = {i.id: i for i in uow.invoices.get_many(payment.account_id,
                                                               [a.invoice_id for a in decision.applications])}
            for application in decision.applications:
                invoice = invoices.get(application.invoice_id)
                if invoice is None or invoice.status not in OPEN or application.amount > invoice.amount_remaining:
                    raise _Stale()
                uow.invoices.save(invoice.receive_payment(application.amount, payment.id, now))
            credit_allowed = True
            if decision.credit and decision.customer_id:
                customer = uow.customers.get(payment.account_id, decision.customer_id)
                credit_allowed = customer.currency == payment.currency
                if credit_allowed:
                    uow.customers.adjust_credit(payment.account_id, customer.id, decision.credit)
            if rule is not None:
                payment = payment.applied(decision.allocation, customer_id=decision.customer_id, rule=rule, now=now,
                                          credit_allowed=credit_allowed)
            else:
                payment = payment.decided(decision, now, credit_allowed=credit_allowed)
        else:
            payment = payment.decided(decision, now)
        if new:
            uow.payments.add(payment)
        else:
            uow.payments.save(payment)
        return payment

    def _once(self, account_id: str, key: str, work: Callable[[UnitOfWork, bool], Payment]) -> Recorded:
        """`work` registers a new payment under `key`; committed once, or the recorded one returned."""
        fresh = False
        for _ in self.retry.attempts():
            with self.uow:
                existing = self.uow.payments.find(account_id, payment_id(account_id, key))
                if existing is not None:
                    return Recorded(existing, duplicate=True)
                try:
                    payment = work(self.uow, fresh)
                    self.uow.commit()
                except PaymentAlreadyRecorded:
                    continue  # recorded meanwhile: the next attempt reads it
                except (_Stale, ConcurrentChange, SeriesMoved):
                    fresh = True  # decide again on fresh reads
                    continue
                return Recorded(payment)
        raise PaymentContention("The invoices of this payment stayed busy; nothing was applied. Try again.",
                                param="payment")

    def _retrying(self, work: Callable[[UnitOfWork], T]) -> T:
        for _ in self.retry.attempts():
            with self.uow:
                try:
                    result = work(self.uow)
                    self.uow.commit()
                except (_Stale, ConcurrentChange, SeriesMoved):
                    continue
                return result
        raise PaymentContention("The payment's invoices stayed busy; nothing was changed. Try again.",
                                param="payment")


def _structured(reference: str) -> bool:
    """An RF creditor reference or an OCR-like number: what a payer types as the reference."""
    compact = reference.replace(" ", "").upper()
    return compact.startswith("RF") or compact.isdigit()

