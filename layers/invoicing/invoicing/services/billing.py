"""Billing runs: subscription boundaries that fall due become invoices, each exactly once.

A run has three stages, so no invocation enumerates more than a page (docs/billing.md, "Billing runs"):

1. `plan`: the hours whose renewal-index partitions may hold due boundaries (the last
   `LOOKBACK_HOURS`, or on from where the last run stopped after a longer downtime, a week of hours
   at most per run), times the index's shards: one message each.
2. `due_page`: one page of one (hour, shard) partition's due boundaries, each becoming a message for
   the workers, plus a message for the next page if there is one.
3. `bill` (the worker): one boundary of one subscription becomes one draft invoice, committed with
   the subscription's `billed_through` under its version; then `finalize` numbers a batch of drafts
   with one counter update (the core's `NumberSeries`). A redelivered message, a rerun, or two
   overlapping runs find the boundary billed and do nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from invoicing.documents.line_texts import line_texts
from invoicing.domain.billing_run import AlreadyCounted, BillingRun, ReviewEntry, amount_unusual, usage_spike
from invoicing.domain.corrective import NegativeTotal
from invoicing.domain.discount_rules import DiscountRule, with_rule_discounts
from invoicing.domain.errors import Conflict
from invoicing.domain.invoice import Invoice, InvoiceLine
from invoicing.domain.party import Account, Customer
from invoicing.domain.subscription import PendingLine, PlannedLine, Subscription, proration_line
from invoicing.domain.usage import PeriodUsage
from invoicing.services.invoices import BatchOutcome, InvoiceService
from invoicing.services.ports import Clock, Clocks, DueBoundary, Ids, Queue, UnitOfWork
from invoicing.services.usage import UsageService

LOOKBACK_HOURS = 48
MAX_HOURS_PER_RUN = 7 * 24
PAGE_SIZE = 500


@dataclass(frozen=True)
class Billed:
    outcome: str  # "invoiced", "nothing_to_bill", "skipped_paused", "already_billed", "not_due", "finished"
    invoice_id: str | None = None
    held: bool = False  # the draft waits for review (domain/billing_run.py): not finalized by the worker


@dataclass(frozen=True)
class Planned:
    """The invoice a boundary would bill (None: nothing to bill), with what the review decides on, and
    the credit its prorations give the customer's balance instead when they would take it to zero or
    below (minor units, tax included)."""

    invoice: Invoice | None
    seller: Account
    customer: Customer
    balance_credit: int = 0


def hours_between(start: datetime, end: datetime) -> list[datetime]:
    """Every whole UTC hour from `start`'s to `end`'s, inclusive (the renewal index's partitions)."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    hours = []
    while hour <= end:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def hours_to_read(now: datetime, watermark: datetime | None, lookback_hours: int, max_hours: int) -> list[datetime]:
    """The hours of an hourly index a scheduled run reads: the last `lookback_hours`, or, after a
    longer downtime, on from the hour the previous run stopped at (`watermark`), at most `max_hours`,
    oldest first (billing runs, dunning runs)."""
    start = now - timedelta(hours=lookback_hours)
    if watermark is not None and watermark < start:
        start = watermark
    return hours_between(start, now)[:max_hours]


@dataclass(frozen=True)
class BillingService:
    uow: UnitOfWork
    clock: Clock
    ids: Ids
    usage: UsageService
    invoices: InvoiceService
    clocks: Clocks | None = None  # test clocks (sandbox): a subscription's own time; else `clock`

    def now_for(self, account_id: str, test_clock: str | None) -> datetime:
        if self.clocks is None or test_clock is None:
            return self.clock.now()
        return self.clocks.now(account_id, test_clock)

    # --- stages 1 and 2: find what is due ---------------------------------------------------------
    def plan(self, shards: int, lookback_hours: int = LOOKBACK_HOURS,
             max_hours: int = MAX_HOURS_PER_RUN) -> list[tuple[datetime, int]]:
        """The (hour, shard) partitions a run reads: the last `lookback_hours`, or, after downtime
        longer than that, on from the hour the previous run stopped at (the watermark), at most
        `max_hours` a run, oldest first: a run that was down catches up over the next runs."""
        now = self.clock.now()
        with self.uow:
            watermark = self.uow.subscriptions.watermark()
        hours = hours_to_read(now, watermark, lookback_hours, max_hours)
        with self.uow:
            self.uow.subscriptions.set_watermark(hours[-1] + timedelta(hours=1))
            self.uow.commit()
        return [(hour, s) for hour in hours for s in range(shards)]

    def due_page(self, hour: datetime, shard: int, cursor: dict[str, Any] | None,
                 limit: int = PAGE_SIZE) -> tuple[list[DueBoundary], dict[str, Any] | None]:
        with self.uow:
            return self.uow.subscriptions.due(hour, shard, until=self.clock.now(), limit=limit, cursor=cursor)

    # --- stage 3: bill -----------------------------------------------------------------------------
    def bill(self, account_id: str, subscription_id: str, boundary: int, run: BillingRun | None = None,
             rules: Sequence[DiscountRule] | None = None) -> Billed:
        """Boundary `boundary` of the subscription billed once: a draft invoice and the subscription's
        next state in one commit. Concurrent workers: the one whose commit loses re-reads and finds
        the boundary billed. Within a run, the same commit counts the boundary for the run (once) and
        holds the draft for review where the run, the customer's segment or a blocking issue says so.
        `rules`: the account's active discount rules, when the caller read them for a batch (else read
        here)."""
        for attempt in range(3):
            try:
                return self._bill(account_id, subscription_id, boundary, run, rules)
            except Conflict:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _bill(self, account_id: str, subscription_id: str, k: int, run: BillingRun | None,
              rules: Sequence[DiscountRule] | None) -> Billed:
        with self.uow:
            sub = self.uow.subscriptions.get(account_id, subscription_id)
        now = self.now_for(account_id, sub.test_clock)
        early = self._not_billable(sub, k, now)
        if early:
            if run is not None:
                self._count_only(run, DueBoundary(account_id, subscription_id, k), early.outcome)
            return early
        usage = self._usage(sub, k)  # read outside the commit's unit of work (the usage service has its own)
        before = self._usage(sub, k - 1) if run is not None and k > 1 and usage else {}
        with self.uow:
            current = self.uow.subscriptions.get(account_id, subscription_id)
            if current.version != sub.version:  # changed meanwhile: decide again
                raise Conflict(f"Subscription '{sub.id}' changed while it was being billed.")
            boundary = DueBoundary(account_id, subscription_id, k)
            if sub.status == "paused":  # its pending prorations wait for the next invoice
                self.uow.subscriptions.save(sub.billed(k, None, now, sub.pending_lines))
                self._counted(run, boundary, "skipped_paused")
                self.uow.commit()
                return Billed("skipped_paused")
            planned = self._planned(sub, k, usage, now, rules)
            invoice = planned.invoice
            self.uow.subscriptions.save(sub.billed(k, invoice.id if invoice else None, now))
            if planned.balance_credit:
                self.uow.customers.adjust_credit(account_id, sub.customer_id, planned.balance_credit)
            held = False
            if invoice is not None:
                self.uow.invoices.add(invoice)
                held = self._review(run, sub, planned, usage, before, now)
            outcome = "invoiced" if invoice else "nothing_to_bill"
            self._counted(run, boundary, outcome, invoiced=int(bool(invoice) and not held), needs_review=int(held))
            self.uow.commit()
            return Billed(outcome, invoice.id, held) if invoice else Billed(outcome)

    def _counted(self, run: BillingRun | None, boundary: DueBoundary, outcome: str, **deltas: int) -> None:
        """Registers the boundary's count for the run in the current commit (once: see `claim`)."""
        if run is None:
            return
        self.uow.billing_runs.claim(run.account_id, run.id, boundary, outcome)
        self.uow.billing_runs.count(run.account_id, run.id, boundary.subscription_id, done=1, **deltas)

    def _count_only(self, run: BillingRun, boundary: DueBoundary, outcome: str) -> None:
        """A boundary the run found resolved (billed by another run, finished, not due): done, once."""
        with self.uow:
            self.uow.billing_runs.claim(run.account_id, run.id, boundary, outcome)
            self.uow.billing_runs.count(run.account_id, run.id, boundary.subscription_id, done=1)
            try:
                self.uow.commit()
            except AlreadyCounted:
                pass  # counted at an earlier delivery

    def count_failed(self, run: BillingRun, boundary: DueBoundary) -> None:
        """A boundary the run gives up on (its message's last delivery failed): failed, once."""
        with self.uow:
            self.uow.billing_runs.claim(run.account_id, run.id, DueBoundary(boundary.account_id,
                                                                           f"{boundary.subscription_id}#FAILED",
                                                                           boundary.boundary), "failed")
            self.uow.billing_runs.count(run.account_id, run.id, boundary.subscription_id, failed=1)
            try:
                self.uow.commit()
            except AlreadyCounted:
                pass  # counted at an earlier delivery

    def _review(self, run: BillingRun | None, sub: Subscription, planned: Planned, usage: dict[str, PeriodUsage],
                before: dict[str, PeriodUsage], now: datetime) -> bool:
        """Holds the run's draft for review (registering its review entry) when the run, a held segment
        of the customer or a blocking issue says so; returns whether it is held."""
        if run is None:
            return False
        seller, customer, invoice = planned.seller, planned.customer, planned.invoice
        assert invoice is not None
        previous = self.uow.invoices.recent_totals(sub.account_id, customer.id)
        issues = invoice.validation_issues(seller, customer, previous)
        blocking = any(i.blocking for i in issues)
        held_segment = bool(set(customer.segments) & set(seller.review.held_segments))
        if not (run.review or held_segment or blocking):
            return False
        total = invoice.totals.total if invoice.totals else 0
        flags = []
        if amount_unusual(total, previous):
            flags.append("amount_unusual")
        if any(usage_spike(u.quantity, before[item].quantity if item in before else None)
               for item, u in usage.items()):
            flags.append("usage_spike")
        window = timedelta(minutes=seller.review.auto_finalize_after_minutes)
        self.uow.reviews.add(ReviewEntry(
            invoice_id=invoice.id, account_id=sub.account_id, run_id=run.id, customer_id=customer.id,
            subscription_id=sub.id, segments=tuple(customer.segments), currency=invoice.currency, amount=total,
            previous_amount=previous[0] if previous else None, issues=tuple(i.code for i in issues),
            blocking=blocking, flags=tuple(flags), auto_finalize_at=None if blocking else now + window,
            test_clock=sub.test_clock, created=now))
        return True

    @staticmethod
    def _not_billable(sub: Subscription, k: int, now: datetime) -> Billed | None:
        if sub.billed_through >= k:
            return Billed("already_billed", sub.latest_invoice)
        if sub.finished:
            return Billed("finished")
        if k != sub.billed_through + 1 or now < sub.due_at(k):
            return Billed("not_due")
        return None

    def _usage(self, sub: Subscription, k: int) -> dict[str, PeriodUsage]:
        usage: dict[str, PeriodUsage] = {}
        if k > 0 and sub.status != "paused":
            for item in sub.items:
                if item.meter:
                    meter = self.usage.meter_named(sub.account_id, item.meter)
                    usage[item.id] = self.usage.billable(sub.account_id, meter, sub.customer_id, sub.period(k - 1),
                                                         sub.period_at)
        return usage

    def preview(self, sub: Subscription, now: datetime) -> Invoice | None:
        """The invoice the subscription's next boundary would bill now, if it is due; nothing is written."""
        k = sub.billed_through + 1
        if self._not_billable(sub, k, now) or sub.status == "paused":
            return None
        usage = self._usage(sub, k)
        with self.uow:
            return self._planned(sub, k, usage, now).invoice

    def _planned(self, sub: Subscription, k: int, usage: dict[str, PeriodUsage], now: datetime,
                 rules: Sequence[DiscountRule] | None = None) -> Planned:
        """The boundary's invoice: its items' lines and the pending prorations. When the prorations would
        take it to zero or below (a credit larger than what the boundary bills; an invoice never comes to
        less than zero: domain/corrective.py), the invoice bills the items alone and what the prorations
        come to, tax included, goes to the customer's balance (Stripe credits a negative invoice's total
        to the balance), which pays this invoice and the next ones at finalization."""
        seller = self.uow.accounts.get(sub.account_id)
        customer = self.uow.customers.get(sub.account_id, sub.customer_id)
        rules = self.uow.discount_rules.active(sub.account_id) if rules is None else rules
        lines = sub.lines_at(k, usage, texts=line_texts(customer.locale))
        items = [line for line in lines if not line.proration and line.quantity > 0 and line.unit_amount_decimal >= 0]
        prorations = [line for line in lines if line.proration]
        if prorations:
            invoice = self._invoice(sub, k, [*items, *prorations], now, seller, customer, rules)
            if invoice is not None and invoice.totals is not None and invoice.totals.total > 0:
                return Planned(invoice, seller, customer)
        invoice = self._invoice(sub, k, items, now, seller, customer, rules) if items else None
        return Planned(invoice, seller, customer, balance_credit=self._credit_of(sub, prorations, now, seller,
                                                                                 customer))

    def _credit_of(self, sub: Subscription, prorations: list[PlannedLine], now: datetime, seller: Account,
                   customer: Customer) -> int:
        """What prorations that net to a credit come to, tax included, as a positive amount: the lines with
        their signs turned, priced (half-up rounding is symmetric, so this is exactly their negative)."""
        if not prorations:
            return 0
        turned = [replace(line, quantity=-line.quantity) for line in prorations]
        priced = _priced(self._draft(sub, turned, now, {}), seller, customer, now)
        return priced.totals.total if priced is not None and priced.totals is not None else 0

    def _invoice(self, sub: Subscription, k: int, planned: list[PlannedLine], now: datetime,
                 seller: Account, customer: Customer, rules: Sequence[DiscountRule]) -> Invoice | None:
        """The draft of `planned` with the discount rules on its item lines and the coupon on what they
        come to (prorations are not discountable, as in Stripe: their amounts already carry the discounts
        of the items they prorate); None when it would come below zero."""
        planned = with_rule_discounts(planned, rules, customer, sub.currency)
        draft = self._draft(sub, planned, now, {"subscription": sub.id, "subscription_boundary": str(k)})
        priced = _priced(draft, seller, customer, now)
        if priced is None:
            return None
        if sub.coupon_applies(k) and sub.coupon is not None and priced.totals is not None:
            discountable = sum(line.net_amount or 0 for line, p in zip(priced.lines, planned, strict=True)
                               if not p.proration)
            discount = sub.coupon.invoice_discount(discountable, sub.currency,
                                                   part=discountable != priced.totals.subtotal)
            priced = _priced(draft.model_copy(update={"discounts": (discount,)}), seller, customer, now)
        return priced.record_created(now) if priced is not None else None

    def _draft(self, sub: Subscription, planned: Sequence[PlannedLine], now: datetime,
               metadata: dict[str, str]) -> Invoice:
        lines = tuple(InvoiceLine(id=self.ids.new("il"), description=p.description, quantity=p.quantity,
                                  unit_amount_decimal=p.unit_amount_decimal, tax_code=p.tax_code,
                                  supply_type=p.supply_type, discounts=p.discounts,
                                  period_start=p.period.start.date(),
                                  period_end=(p.period.end - timedelta(microseconds=1)).date(),
                                  proration=p.proration)
                      for p in planned)
        return Invoice(id=self.ids.new("in"), account_id=sub.account_id, customer_id=sub.customer_id,
                       currency=sub.currency, collection_method=sub.collection_method,
                       days_until_due=sub.days_until_due, lines=lines, created=now, description=None,
                       metadata=metadata)

    def proration_invoice(self, sub: Subscription, prorations: Sequence[PendingLine], now: datetime,
                          change_id: str) -> Invoice | None:
        """The invoice `always_invoice` makes now: the prorations' lines, credits and charges, each with its
        period (no coupon and no discount rule: as in Stripe, prorations are not discountable; their amounts
        already carry their items' discounts). None when they come to zero or less (a downgrade: an invoice
        never comes to less than zero; the caller keeps them for the next invoice). Added in the caller's
        unit of work, in the commit of the change."""
        if not prorations:
            return None
        seller = self.uow.accounts.get(sub.account_id)
        customer = self.uow.customers.get(sub.account_id, sub.customer_id)
        draft = self._draft(sub, [proration_line(p) for p in prorations], now,
                            {"subscription": sub.id, "subscription_change": change_id})
        priced = _priced(draft, seller, customer, now)
        if priced is None or priced.totals is None or priced.totals.total <= 0:
            return None
        invoice = priced.record_created(now)
        self.uow.invoices.add(invoice)
        return invoice

    def finalize(self, account_id: str, invoice_ids: Sequence[str]) -> BatchOutcome:
        """The drafts of a worker's batch, numbered together (now, or a test clock customer's time:
        InvoiceService.finalize_many); a draft with a blocking validation issue stays a draft (it waits
        for review) and is reported."""
        return self.invoices.finalize_many(account_id, invoice_ids)


def _priced(draft: Invoice, seller: Account, customer: Customer, now: datetime) -> Invoice | None:
    """The draft priced, or None when its lines come to less than zero (a subscription's invoice is never
    a corrective one: the caller bills its prorations elsewhere, or later)."""
    try:
        return draft.priced(seller, customer, now.date())
    except NegativeTotal:
        return None


@dataclass(frozen=True)
class BillingRuns:
    """Stages 1 and 2 of a run over queues: `pages` carries (hour, shard, cursor) messages, `work` one
    message per due boundary."""

    billing: BillingService
    pages: Queue
    work: Queue
    shards: int
    lookback_hours: int = LOOKBACK_HOURS
    max_hours: int = MAX_HOURS_PER_RUN

    def start(self) -> int:
        """Queues one page message per (hour, shard) of the lookback window; returns how many."""
        plan = self.billing.plan(self.shards, self.lookback_hours, self.max_hours)
        self.pages.send_many([{"hour": hour.isoformat(), "shard": shard} for hour, shard in plan])
        return len(plan)

    def page(self, message: dict[str, Any]) -> int:
        """Queues the due boundaries of one page, and the next page; returns how many boundaries."""
        hour = datetime.fromisoformat(message["hour"])
        due, cursor = self.billing.due_page(hour, int(message["shard"]), message.get("cursor"))
        self.work.send_many([{"account_id": d.account_id, "subscription_id": d.subscription_id,
                              "boundary": d.boundary} for d in due])
        if cursor:
            self.pages.send_many([{"hour": message["hour"], "shard": message["shard"], "cursor": cursor}])
        return len(due)


def by_account(billed: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for account_id, invoice_id in billed:
        grouped.setdefault(account_id, []).append(invoice_id)
    return grouped
