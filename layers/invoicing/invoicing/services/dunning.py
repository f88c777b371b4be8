"""Dunning: reminders, charge retries, late fees and a final action for invoices that stay unpaid,
each step once per (invoice, step), in order, on a schedule (docs/dunning.md).

- `schedule` (on `invoice.finalized`): the customer's segment picks the account's policy; its plan
  becomes the invoice's dunning record, in the cross-account index by the hour its next step falls due.
- `stop` (on `invoice.paid`, `invoice.voided`, `invoice.marked_uncollectible`, `credit_note.created`
  that settles it): the record stops and leaves the index. The worker checks the invoice itself before
  every step as well, so an event that arrives late never lets a step through on a settled invoice.
- A run (hourly): `plan` the (hour, shard) partitions of the index to read (a lookback window, or on
  from the watermark after a longer downtime), `due_page` one page of one partition, and `perform_due`
  (the worker) the due steps of one invoice, oldest first: claim (a step record written once, the
  record's version checked), perform, complete.
- A test clock's invoices (sandbox) are indexed per clock instead: its advance asks `clock_next` for
  the moment their next step falls due and, standing there, `perform_clock_due` performs them.
- `notify_payment_status` (on `invoice.paid`, `invoice.partially_paid`, `payment.failed`,
  `invoice.reopened`): the customer is told by email, once per (invoice, event).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from invoicing.domain.dunning import Dunning, PlannedStep, StepOutcome, policy_for, start_dunning
from invoicing.domain.errors import Conflict, DomainError, InvalidStateTransition, InvoiceNotDraft
from invoicing.domain.invoice import Invoice, InvoiceLine
from invoicing.domain.late_payment import EUR_COMPENSATION, days_late, late_interest, statutory_rate
from invoicing.domain.party import language_of
from invoicing.services.billing import hours_to_read
from invoicing.services.invoices import InvoiceService
from invoicing.services.ports import Clock, DueDunning, Ids, InvoiceCharger, Notifier, Queue, UnitOfWork
from invoicing.services.subscriptions import SubscriptionService

LOOKBACK_HOURS = 48
MAX_HOURS_PER_RUN = 7 * 24
PAGE_SIZE = 500
MAX_STEPS_PER_MESSAGE = 25  # a policy has fewer: one message catches up on all of an invoice's due steps
STOPPING_EVENTS = {"invoice.paid": "paid", "invoice.voided": "void", "invoice.marked_uncollectible": "uncollectible",
                   "credit_note.created": "credited"}
# A failed attempt is the payment's event (nothing changed on the invoice); a refund or reversal reopens it.
PAYMENT_STATUS_EVENTS = frozenset({"invoice.paid", "invoice.partially_paid", "invoice.payment_failed",
                                   "payment.failed", "invoice.reopened"})
MOVED = {"invoice.paid": "amount_applied", "invoice.partially_paid": "amount_applied", "payment.failed": "amount",
         "invoice.reopened": "amount_reversed"}  # the field of the event's object holding what the change moved
LATE_FEE_NOTE = "Not subject to VAT: late-payment interest and compensation (Directive 2011/7/EU)"


@dataclass(frozen=True)
class StepResult:
    step_id: str
    outcome: StepOutcome


@dataclass(frozen=True)
class DunningService:
    uow: UnitOfWork
    clock: Clock
    ids: Ids
    notifier: Notifier
    payments: InvoiceCharger
    invoices: InvoiceService
    subscriptions: SubscriptionService

    # --- the record follows the invoice ------------------------------------------------------------
    def schedule(self, account_id: str, invoice_id: str) -> Dunning | None:
        """The dunning record of a finalized invoice (once: a redelivered event finds it)."""
        with self.uow:
            existing = self.uow.dunning.find(account_id, invoice_id)
            if existing is not None:
                return existing
            invoice = self.uow.invoices.get(account_id, invoice_id)
            if invoice.status != "open" or invoice.status_transitions.finalized_at is None \
                    or "late_fees_for" in invoice.metadata:  # late fees are not charged on late fees
                return None
            seller = self.uow.accounts.get(account_id)
            customer = self.uow.customers.get(account_id, invoice.customer_id)
            dunning = start_dunning(
                policy_for(seller.dunning_policies, customer.segments), account_id=account_id,
                invoice_id=invoice.id, customer_id=invoice.customer_id, due_date=invoice.due_date,
                charge_automatically=invoice.collection_method == "charge_automatically",
                finalized_at=invoice.status_transitions.finalized_at, test_clock=customer.test_clock)
            if dunning is None:
                return None
            self.uow.dunning.add(dunning)
            try:
                self.uow.commit()
            except Conflict:  # a concurrent delivery of the same event scheduled it
                return None
            return dunning

    def stop(self, account_id: str, invoice_id: str, reason: str) -> bool:
        """Stop the record when the invoice no longer needs chasing (a partial credit does not stop
        it: what remains is still chased). True when it stopped now."""
        with self.uow:
            dunning = self.uow.dunning.find(account_id, invoice_id)
            if dunning is None or dunning.status != "active":
                return False
            invoice = self.uow.invoices.get(account_id, invoice_id)
            if _still_owed(invoice):
                return False
            self.uow.dunning.save(dunning.stop(_settled_reason(invoice, reason)))
            self.uow.commit()
            return True

    def history(self, account_id: str, invoice_id: str) -> Dunning | None:
        """The invoice's dunning record (None: the invoice has no dunning). NotFound for no invoice."""
        with self.uow:
            self.uow.invoices.get(account_id, invoice_id)
            return self.uow.dunning.find(account_id, invoice_id)

    # --- the run ----------------------------------------------------------------------------------
    def plan(self, shards: int, lookback_hours: int = LOOKBACK_HOURS,
             max_hours: int = MAX_HOURS_PER_RUN) -> list[tuple[datetime, int]]:
        """The (hour, shard) partitions of the index a run reads, oldest first: the lookback window, or
        on from the watermark after a longer downtime, at most `max_hours` a run."""
        now = self.clock.now()
        with self.uow:
            watermark = self.uow.dunning.watermark()
        hours = hours_to_read(now, watermark, lookback_hours, max_hours)
        with self.uow:
            self.uow.dunning.set_watermark(hours[-1] + timedelta(hours=1))
            self.uow.commit()
        return [(hour, s) for hour in hours for s in range(shards)]

    def due_page(self, hour: datetime, shard: int, cursor: dict[str, Any] | None,
                 limit: int = PAGE_SIZE) -> tuple[list[DueDunning], dict[str, Any] | None]:
        with self.uow:
            return self.uow.dunning.due(hour, shard, until=self.clock.now(), limit=limit, cursor=cursor)

    # --- a test clock's steps (sandbox) -----------------------------------------------------------
    def clock_next(self, account_id: str, clock_id: str) -> datetime | None:
        """When the earliest next step of the clock's invoices falls due: a moment its advance stops at."""
        with self.uow:
            return self.uow.dunning.clock_next(account_id, clock_id)

    def perform_clock_due(self, account_id: str, clock_id: str) -> list[StepResult]:
        """What the hourly run would have done at the clock's time (this service's clock stands at it):
        every due step of the clock's invoices, oldest first, each once (the same claims as the run)."""
        results: list[StepResult] = []
        with self.uow:
            due = self.uow.dunning.clock_due(account_id, clock_id, until=self.clock.now(), limit=PAGE_SIZE)
        for invoice_id in dict.fromkeys(d.invoice_id for d in due):
            results += self.perform_due(account_id, invoice_id)
        return results

    # --- the worker --------------------------------------------------------------------------------
    def perform_due(self, account_id: str, invoice_id: str) -> list[StepResult]:
        """Every step of the invoice that is due now, in plan order, each once. A step another worker
        holds (its claim won) is left to it."""
        results: list[StepResult] = []
        for _ in range(MAX_STEPS_PER_MESSAGE):
            result = self._perform_next(account_id, invoice_id)
            if result is None:
                break
            results.append(result)
            if result.outcome == "charged":
                break  # its payment arrives by webhook: the next run finds the invoice paid, not overdue
        return results

    def _perform_next(self, account_id: str, invoice_id: str) -> StepResult | None:
        now = self.clock.now()
        with self.uow:
            dunning = self.uow.dunning.find(account_id, invoice_id)
            if dunning is None:
                return None
            invoice = self.uow.invoices.get(account_id, invoice_id)
            if dunning.status == "active" and not _still_owed(invoice):
                self.uow.dunning.save(dunning.stop(_settled_reason(invoice, "paid")))
                self.uow.commit()
                return None
            step = dunning.due_step(now)
            if step is None:
                return None
            if dunning.in_progress != step.id:  # else: claimed before a crash; perform it again
                fee_invoice = self._draft_late_fees(dunning, step, invoice, now) if step.kind == "late_fees" else None
                dunning = dunning.claim(step, fee_invoice)
                self.uow.dunning.save(dunning)
                self.uow.dunning.claim_step(dunning, step)
                try:
                    self.uow.commit()
                except Conflict:  # another worker claimed it (or changed the record) first
                    return None
        outcome, detail = self._perform(dunning, step, invoice)
        with self.uow:
            current = self.uow.dunning.get(account_id, invoice_id)
            try:
                completed = current.complete(step, outcome, self.clock.now(), detail)
            except InvalidStateTransition:  # stopped meanwhile (paid while the step ran)
                return StepResult(step.id, outcome)
            self.uow.dunning.save(completed)
            self.uow.dunning.record_outcome(completed, completed.done[-1])
            self.uow.commit()
        return StepResult(step.id, outcome)

    def _perform(self, dunning: Dunning, step: PlannedStep, invoice: Invoice) -> tuple[StepOutcome, str | None]:
        if step.kind == "reminder":
            customer = invoice.customer_snapshot
            if self.notifier.send_reminder(invoice, step, language_of(customer.locale if customer else None)):
                return "sent", None
            return "not_sent", "customer_email_missing"
        if step.kind == "charge":
            result = self.payments.charge(invoice, idempotency_key=f"dunning:{invoice.id}:{step.id}")
            if result.status == "failed":
                return "charge_failed", result.failure_code
            return "charged", result.payment_id
        if step.kind == "late_fees":
            return self._finalize_late_fees(dunning)
        return self._final_action(dunning, invoice)

    # --- late fees: an extra invoice ---------------------------------------------------------------
    def _draft_late_fees(self, dunning: Dunning, step: PlannedStep, invoice: Invoice, now: datetime) -> str | None:
        """The late-fee draft, added in the claim's commit (the record names it), so a retried step
        finalizes it instead of drafting another. None when no interest rate or compensation applies."""
        lines = self._late_fee_lines(dunning, step, invoice)
        if not lines:
            return None
        draft = Invoice(id=self.ids.new("in"), account_id=invoice.account_id,
                        customer_id=invoice.customer_id, currency=invoice.currency, lines=tuple(lines), created=now,
                        description=f"Late payment of invoice {invoice.number}",
                        metadata={"late_fees_for": invoice.id, "dunning_step": step.id})
        seller = self.uow.accounts.get(invoice.account_id)
        customer = self.uow.customers.get(invoice.account_id, invoice.customer_id)
        self.uow.invoices.add(draft.priced(seller, customer, now.date()).record_created(now))
        return draft.id

    def _late_fee_lines(self, dunning: Dunning, step: PlannedStep, invoice: Invoice) -> list[InvoiceLine]:
        fees = dunning.late_fees
        if fees is None or invoice.due_date is None:
            return []
        lines: list[InvoiceLine] = []
        days = days_late(invoice.due_date, step.at.date())
        rate = fees.annual_rate_percent if fees.annual_rate_percent is not None else statutory_rate(invoice.due_date)
        if fees.interest and rate is not None:
            interest = late_interest(invoice.amount_remaining, rate, days)
            if interest > 0:
                lines.append(self._fee_line(
                    f"Late-payment interest on invoice {invoice.number}: {_percent(rate)} % a year on "
                    f"{invoice.amount_remaining} minor units for {days} days", interest))
        compensation = fees.compensation_amount if fees.compensation_amount is not None else (
            EUR_COMPENSATION if invoice.currency == "EUR" else None)
        if fees.compensation and compensation:
            lines.append(self._fee_line(f"Fixed compensation for recovery costs, invoice {invoice.number}",
                                        compensation))
        return lines

    def _fee_line(self, description: str, amount: int) -> InvoiceLine:
        from invoicing.domain.tax import TaxRate

        return InvoiceLine(id=self.ids.new("il"), description=description, quantity=Decimal(1),
                           unit_amount_decimal=Decimal(amount),
                           tax_rate=TaxRate(category="E", percent=Decimal(0), exemption_reason=LATE_FEE_NOTE))

    def _finalize_late_fees(self, dunning: Dunning) -> tuple[StepOutcome, str | None]:
        fee_id = dunning.late_fee_invoice
        if fee_id is None:
            return "not_invoiced", "no interest rate or compensation applies"
        try:
            self.invoices.finalize(dunning.account_id, fee_id)
        except InvoiceNotDraft:  # finalized before a crash: the step is performed again
            pass
        except DomainError as error:  # e.g. a blocking validation issue: the draft waits for review
            return "not_invoiced", f"{fee_id} held as a draft: {error.code}"
        return "invoiced", fee_id

    # --- the final action ------------------------------------------------------------------------
    def _final_action(self, dunning: Dunning, invoice: Invoice) -> tuple[StepOutcome, str | None]:
        if dunning.final_action == "mark_uncollectible":
            if invoice.status == "open":
                self.invoices.mark_uncollectible(invoice.account_id, invoice.id)
            return "marked_uncollectible", None
        if dunning.final_action == "cancel_subscription":
            subscription_id = invoice.metadata.get("subscription")
            if subscription_id:
                try:
                    self.subscriptions.cancel(invoice.account_id, subscription_id, at_period_end=False)
                except InvalidStateTransition:  # canceled already (by hand, or before a crash: performed again)
                    pass
                return "subscription_canceled", subscription_id
        return "left_open", None

    # --- payment-status notices --------------------------------------------------------------------
    def notify_payment_status(self, event: Mapping[str, Any]) -> bool:
        """Email the customer that the invoice's payment status changed, once per (invoice, event): True
        when this call handled it (sent, or nothing to send to: no address, no invoice named)."""
        obj = event.get("data", {}).get("object", {})
        type_ = str(event["type"])
        named = obj.get("invoice") if type_ == "payment.failed" else obj.get("id")
        if not named:
            return False  # a failed payment that named no invoice: there is no invoice to tell of
        account_id, invoice_id, event_id = str(event["account_id"]), str(named), str(event["id"])
        with self.uow:
            if self.uow.dunning.notice_sent(account_id, invoice_id, event_id):
                return False
            invoice = self.uow.invoices.get(account_id, invoice_id)
        customer = invoice.customer_snapshot
        language = language_of(customer.locale if customer else None)
        moved = obj.get(MOVED.get(type_, ""))
        self.notifier.send_payment_status(invoice, type_, language, event_id=event_id,
                                          amount=int(moved) if isinstance(moved, int) else None)
        with self.uow:
            self.uow.dunning.record_notice(account_id, invoice_id, event_id)
            try:
                self.uow.commit()
            except Conflict:  # a concurrent delivery recorded it first
                return False
        return True

    def handle_event(self, event: Mapping[str, Any]) -> str:
        """One bus event: the dunning record follows the invoice, and the customer hears of payments."""
        type_ = str(event["type"])
        account_id = str(event["account_id"])
        obj = event.get("data", {}).get("object", {})
        invoice_id = str(obj.get("invoice") if type_ == "credit_note.created" else obj.get("id"))
        done = []
        if type_ == "invoice.finalized":
            done.append("scheduled" if self.schedule(account_id, invoice_id) else "no_dunning")
        if type_ in STOPPING_EVENTS:
            done.append("stopped" if self.stop(account_id, invoice_id, STOPPING_EVENTS[type_]) else "not_stopped")
        if type_ in PAYMENT_STATUS_EVENTS:
            done.append("notified" if self.notify_payment_status(event) else "already_notified")
        return ",".join(done) or "ignored"


# The dunning service standing at a given time (the composition root builds it with its mailer and
# charger): a test clock's advance performs the clock's steps at each of its moments.
DunningAt = Callable[[Clock], DunningService]


def _still_owed(invoice: Invoice) -> bool:
    return invoice.status == "open" and invoice.amount_remaining > 0


def _settled_reason(invoice: Invoice, default: str) -> str:
    return {"paid": "paid", "void": "void", "uncollectible": "uncollectible"}.get(invoice.status, default)


def _percent(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


@dataclass(frozen=True)
class DunningRuns:
    """A run over one queue: page messages (hour, shard, cursor) list due records as invoice messages."""

    dunning: DunningService
    queue: Queue
    shards: int
    lookback_hours: int = LOOKBACK_HOURS
    max_hours: int = MAX_HOURS_PER_RUN

    def start(self) -> int:
        plan = self.dunning.plan(self.shards, self.lookback_hours, self.max_hours)
        self.queue.send_many([{"hour": hour.isoformat(), "shard": shard} for hour, shard in plan])
        return len(plan)

    def handle(self, message: dict[str, Any]) -> int:
        """A page message queues its due invoices (and the next page); an invoice message performs its
        due steps. Returns how many invoices were queued or steps performed."""
        if "hour" in message:
            due, cursor = self.dunning.due_page(datetime.fromisoformat(message["hour"]), int(message["shard"]),
                                                message.get("cursor"))
            self.queue.send_many([{"account_id": d.account_id, "invoice_id": d.invoice_id} for d in due])
            if cursor:
                self.queue.send_many([{"hour": message["hour"], "shard": message["shard"], "cursor": cursor}])
            return len(due)
        return len(self.dunning.perform_due(str(message["account_id"]), str(message["invoice_id"])))
