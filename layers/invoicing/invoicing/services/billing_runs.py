"""Billing runs as objects: started by the hourly schedule or by hand, counted, completed once, and
the review of the drafts they hold (domain/billing_run.py; docs/subscriptions.md).

A run is a plan of pages (what it reads: the renewal index's hours for the schedule; one customer,
one segment's customers or the account's subscriptions by hand), each page listing due boundaries
onto the billing queue. A page is listed once: the first delivery keeps what it listed and counts it
into the run's `total`; a redelivery sends the same boundaries and counts nothing. The worker counts
each boundary once, in the commit that resolves it (services/billing.py). The run completes when
every page it opened is closed and `done + failed` reaches `total`: whoever sees that first (a
worker after its batch, or the page that closes the plan) records `billing_run.completed`, under the
run's version, so it is recorded once.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from invoicing.domain.billing_run import AlreadyCounted, BillingRun, ReviewEntry, RunCounts
from invoicing.domain.discount_rules import DiscountRule
from invoicing.domain.errors import Conflict, DomainError, InvalidInput, InvoiceNotDraft, NotFound
from invoicing.domain.subscription import Subscription
from invoicing.domain.test_clock import TestClock
from invoicing.services.billing import LOOKBACK_HOURS, MAX_HOURS_PER_RUN, PAGE_SIZE, Billed, BillingRuns, BillingService
from invoicing.services.invoices import BatchOutcome, InvoiceService
from invoicing.services.ports import (
    Clock,
    DueBoundary,
    FrozenAt,
    Ids,
    Page,
    Queue,
    ReviewFilter,
    ReviewSort,
    UnitOfWork,
)

SEGMENT_PAGE_SIZE = 100  # customers a segment page reads (each one Query of its subscriptions)
PREVIEW_MAX = 200  # subscriptions a dry run examines; beyond that it says `truncated`
APPROVE_MAX = 500  # drafts one `approve all` request finalizes; `remaining` says when to ask again
AUTO_FINALIZE_LOOKBACK_DAYS = 7  # days of the auto-finalize index the scheduled step reads
AUTO_FINALIZE_PAGES = 10  # pages per (day, shard) per step


@dataclass(frozen=True)
class NewBillingRun:
    segment: str | None = None
    customer_id: str | None = None
    review: bool = False  # hold every invoice of the run as a draft for review


@dataclass(frozen=True)
class PreviewLine:
    subscription_id: str
    customer_id: str
    boundary: int
    currency: str
    subtotal: int
    tax: int
    total: int
    lines: int


@dataclass(frozen=True)
class RunPreview:
    """What a run would bill now; nothing written."""

    lines: builtins.list[PreviewLine]
    truncated: bool

    def totals(self) -> dict[str, dict[str, int]]:
        sums: dict[str, dict[str, int]] = {}
        for line in self.lines:
            per = sums.setdefault(line.currency, {"invoices": 0, "subtotal": 0, "tax": 0, "total": 0})
            per["invoices"] += 1
            per["subtotal"] += line.subtotal
            per["tax"] += line.tax
            per["total"] += line.total
        return sums


@dataclass(frozen=True)
class RunView:
    run: BillingRun
    counts: RunCounts


@dataclass(frozen=True)
class Approval:
    finalized: builtins.list[str]
    failed: dict[str, DomainError]
    remaining: bool = False


@dataclass
class WorkBatch:
    """What one worker batch billed, per account: drafts to finalize (and which come from review)."""

    finalize: dict[str, dict[str, str]] = field(default_factory=dict)  # account -> invoice -> message id
    reviewed: set[str] = field(default_factory=set)
    runs: set[tuple[str, str]] = field(default_factory=set)  # (account, run)
    # account -> its active discount rules, read once for the batch (not once per boundary)
    discount_rules: dict[str, tuple[DiscountRule, ...]] = field(default_factory=dict)

    def clear(self) -> None:
        self.finalize.clear()
        self.reviewed.clear()
        self.runs.clear()
        self.discount_rules.clear()


def page_key(message: dict[str, Any]) -> str:
    where = ":".join(str(message.get(k, "")) for k in ("kind", "account_id", "hour", "segment", "customer_id", "shard"))
    cursor = json.dumps(message.get("cursor"), sort_keys=True)
    return f"{where}:{hashlib.sha256(cursor.encode()).hexdigest()[:16]}"


def due_boundary(sub: Subscription, now: datetime) -> DueBoundary | None:
    """The subscription's next boundary if a real-time run bills it now (test-clock ones never)."""
    k = sub.billed_through + 1
    if sub.finished or sub.test_clock is not None or sub.due_at(k) > now:
        return None
    return DueBoundary(sub.account_id, sub.id, k)


@dataclass(frozen=True)
class BillingRunService:
    uow: UnitOfWork
    clock: Clock
    ids: Ids
    billing: BillingService
    invoices: InvoiceService
    pages: Queue
    work: Queue
    shards: int
    lookback_hours: int = LOOKBACK_HOURS
    max_hours: int = MAX_HOURS_PER_RUN
    # What a worker reads of a run never changes (its id, account, `review`): kept per container, so a
    # month-end run's messages do not all read the one run item.
    _runs: dict[tuple[str, str], BillingRun] = field(default_factory=dict, repr=False, compare=False)

    # --- starting runs ------------------------------------------------------------------------------
    def start(self, account_id: str, cmd: NewBillingRun) -> BillingRun:
        """A run by hand over the account, one segment or one customer: its record and plan in one
        commit, then its pages on the run queue."""
        now = self.clock.now()
        if cmd.segment and cmd.customer_id:
            raise InvalidInput("Give a segment or a customer, not both.", param="segment")
        run = BillingRun(id=self.ids.new("run"), account_id=account_id, trigger="manual", segment=cmd.segment,
                         customer_id=cmd.customer_id, review=cmd.review, created=now)
        base: dict[str, Any] = {"run_id": run.id, "account_id": account_id}
        if cmd.customer_id:
            messages = [{**base, "kind": "customer", "customer_id": cmd.customer_id}]
        elif cmd.segment:
            messages = [{**base, "kind": "segment", "segment": cmd.segment, "shard": i} for i in range(self.shards)]
        else:
            messages = [{**base, "kind": "account", "shard": i} for i in range(self.shards)]
        with self.uow:
            if cmd.customer_id:
                self.uow.customers.get(account_id, cmd.customer_id)  # 404 for a customer that does not exist
            self.uow.billing_runs.add(run)
            self.uow.billing_runs.open_plan(run.id, len(messages))
            self.uow.commit()
        self.pages.send_many(messages)
        return run

    def start_scheduled(self) -> int:
        """The hourly run: one page message per (hour, shard) of the lookback window (BillingService.plan);
        each account it finds boundaries of gets its own record of the run. Returns the pages."""
        run_id = self.ids.new("run")
        plan = self.billing.plan(self.shards, self.lookback_hours, self.max_hours)
        with self.uow:
            self.uow.billing_runs.open_plan(run_id, len(plan))
            self.uow.commit()
        self.pages.send_many([{"run_id": run_id, "kind": "renewal", "hour": hour.isoformat(), "shard": shard}
                              for hour, shard in plan])
        return len(plan)

    def preview(self, account_id: str, cmd: NewBillingRun) -> RunPreview:
        """A dry run: what the run would bill now, per subscription, reading only."""
        now = self.clock.now()
        subs, truncated = self._scope(account_id, cmd)
        lines = []
        for sub in subs:
            if due_boundary(sub, now) is None:
                continue
            invoice = self.billing.preview(sub, now)
            if invoice is None or invoice.totals is None:
                continue
            totals = invoice.totals
            lines.append(PreviewLine(subscription_id=sub.id, customer_id=sub.customer_id,
                                     boundary=sub.billed_through + 1, currency=invoice.currency,
                                     subtotal=totals.subtotal, tax=totals.tax, total=totals.total,
                                     lines=len(invoice.lines)))
        return RunPreview(lines=lines, truncated=truncated)

    def _scope(self, account_id: str, cmd: NewBillingRun) -> tuple[builtins.list[Subscription], bool]:
        """At most PREVIEW_MAX subscriptions of the scope (and whether there were more)."""
        if cmd.segment and cmd.customer_id:
            raise InvalidInput("Give a segment or a customer, not both.", param="segment")
        found: builtins.list[Subscription] = []
        with self.uow:
            if cmd.customer_id:
                self.uow.customers.get(account_id, cmd.customer_id)
                customers: Iterable[str] = [cmd.customer_id]
            elif cmd.segment:
                customers = self._segment_customers(account_id, cmd.segment)
            else:
                after = None
                while len(found) <= PREVIEW_MAX:
                    page = self.uow.subscriptions.list(account_id, customer_id=None, limit=100, starting_after=after)
                    found += page.data
                    if not page.has_more:
                        break
                    after = page.data[-1].id
                return found[:PREVIEW_MAX], len(found) > PREVIEW_MAX
            for customer_id in customers:
                found += self._customer_subscriptions(account_id, customer_id)
                if len(found) > PREVIEW_MAX:
                    break
        return found[:PREVIEW_MAX], len(found) > PREVIEW_MAX

    def _segment_customers(self, account_id: str, segment: str) -> Iterable[str]:
        after = None
        while True:
            page = self.uow.customers.list_in_segment(account_id, segment, limit=100, starting_after=after)
            yield from (c.id for c in page.data)
            if not page.has_more:
                return
            after = page.data[-1].id

    def _customer_subscriptions(self, account_id: str, customer_id: str) -> builtins.list[Subscription]:
        found: builtins.list[Subscription] = []
        after = None
        while True:
            page = self.uow.subscriptions.list(account_id, customer_id=customer_id, limit=100, starting_after=after)
            found += page.data
            if not page.has_more:
                return found
            after = page.data[-1].id

    # --- pages ---------------------------------------------------------------------------------------
    def page(self, message: dict[str, Any]) -> int:
        """One page of a run: listed (once), counted into the run's total (once), its boundaries and the
        next page queued (again on a redelivery). Returns how many boundaries it queued."""
        run_id = message.get("run_id")
        if run_id is None:  # a page queued before runs had records
            return self._legacy_page(message)
        key = page_key(message)
        with self.uow:
            replay = self.uow.billing_runs.listed(run_id, key)
        if replay is None:
            due, cursor = self._list(message)
            self._ensure_records(message, run_id, due)
            with self.uow:
                self.uow.billing_runs.close_page(run_id, key, due, cursor, opened=1 if cursor else 0)
                try:
                    self.uow.commit()
                except AlreadyCounted:  # closed by an earlier delivery: what it listed, or nothing
                    replay = self.uow.billing_runs.listed(run_id, key) or ([], None)
        if replay is not None:
            due, cursor = replay
            self._ensure_records(message, run_id, due)
        self.work.send_many([{"run_id": run_id, "account_id": d.account_id, "subscription_id": d.subscription_id,
                              "boundary": d.boundary} for d in due])
        if cursor:
            self.pages.send_many([{**message, "cursor": cursor}])
        self._complete_plan(run_id, message.get("account_id"))
        return len(due)

    def _legacy_page(self, message: dict[str, Any]) -> int:
        return BillingRuns(self.billing, self.pages, self.work, self.shards).page(message)

    def _ensure_records(self, message: dict[str, Any], run_id: str, due: Sequence[DueBoundary]) -> None:
        """A scheduled run's record in each account it bills, before any of its boundaries is billed."""
        if message.get("kind") != "renewal":
            return
        now = self.clock.now()
        with self.uow:
            for account_id in sorted({d.account_id for d in due}):
                self.uow.billing_runs.ensure(BillingRun(id=run_id, account_id=account_id, trigger="schedule",
                                                        created=now))

    def _list(self, message: dict[str, Any]) -> tuple[builtins.list[DueBoundary], dict[str, Any] | None]:
        now = self.clock.now()
        kind, cursor = message["kind"], message.get("cursor")
        if kind == "renewal":
            return self.billing.due_page(datetime.fromisoformat(message["hour"]), int(message["shard"]), cursor)
        account_id = str(message["account_id"])
        with self.uow:
            if kind == "customer":
                subs = self._customer_subscriptions(account_id, str(message["customer_id"]))
                cursor = None
            elif kind == "segment":
                customers, cursor = self.uow.customers.in_segment(account_id, str(message["segment"]),
                                                                  int(message["shard"]), limit=SEGMENT_PAGE_SIZE,
                                                                  cursor=cursor)
                subs = [s for c in customers for s in self._customer_subscriptions(account_id, c)]
            elif kind == "account":
                subs, cursor = self.uow.subscriptions.shard_page(account_id, int(message["shard"]), limit=PAGE_SIZE,
                                                                 cursor=cursor)
            else:
                raise InvalidInput(f"unknown page kind {kind!r}")
        return [d for d in (due_boundary(s, now) for s in subs) if d is not None], cursor

    # --- the worker ------------------------------------------------------------------------------------
    def run_of(self, account_id: str, run_id: str | None) -> BillingRun | None:
        if run_id is None:
            return None
        if (account_id, run_id) not in self._runs:
            if len(self._runs) > 1000:
                self._runs.clear()
            with self.uow:
                self._runs[(account_id, run_id)] = self.uow.billing_runs.get(account_id, run_id)
        return self._runs[(account_id, run_id)]

    def work_on(self, message: dict[str, Any], batch: WorkBatch, message_id: str, last_attempt: bool) -> str:
        """One message of the billing queue: bill a boundary (for its run), or finalize a held draft whose
        window has passed; what to finalize goes into `batch`. Returns the outcome."""
        account_id = str(message["account_id"])
        if "finalize" in message:
            invoice_id = str(message["finalize"])
            with self.uow:
                try:
                    entry = self.uow.reviews.get(account_id, invoice_id)
                except NotFound:
                    return "not_in_review"  # approved or finalized meanwhile
            if entry.blocking or entry.auto_finalize_at is None or entry.auto_finalize_at > self.clock.now():
                return "not_due"
            batch.finalize.setdefault(account_id, {})[invoice_id] = message_id
            batch.reviewed.add(invoice_id)
            batch.runs.add((account_id, entry.run_id))
            return "auto_finalize"
        run = self.run_of(account_id, message.get("run_id"))
        boundary = DueBoundary(account_id, str(message["subscription_id"]), int(message["boundary"]))
        try:
            billed = self.billing.bill(account_id, boundary.subscription_id, boundary.boundary, run,
                                       self._rules(account_id, batch))
        except Exception:
            if run is not None and last_attempt:
                self.billing.count_failed(run, boundary)
                batch.runs.add((account_id, run.id))
            raise
        if run is not None:
            batch.runs.add((account_id, run.id))
        self._to_finalize(billed, account_id, message_id, batch)
        return billed.outcome

    def _rules(self, account_id: str, batch: WorkBatch) -> tuple[DiscountRule, ...]:
        """The account's active discount rules, read at its first boundary of the batch (a rule created
        or deactivated meanwhile counts from the next batch)."""
        if account_id not in batch.discount_rules:
            with self.uow:
                batch.discount_rules[account_id] = tuple(self.uow.discount_rules.active(account_id))
        return batch.discount_rules[account_id]

    @staticmethod
    def new_batch() -> WorkBatch:
        return WorkBatch()

    def settle(self, batch: WorkBatch) -> tuple[int, builtins.list[str]]:
        """After a worker batch: its drafts finalized per account (a failure there fails that account's
        messages, whose redelivery finds the boundaries billed and finalizes then), then each run it
        touched completed if it is done. Returns (invoices finalized, message ids failed)."""
        finalized, failed = 0, []
        for account_id, invoices in batch.finalize.items():
            try:
                outcome = self.finalize(account_id, list(invoices), batch.reviewed)
            except Exception:
                failed += list(invoices.values())
                continue
            finalized += len(outcome.finalized)
        for account_id, run_id in sorted(batch.runs):
            self.complete_if_done(account_id, run_id)
        return finalized, failed

    @staticmethod
    def _to_finalize(billed: Billed, account_id: str, message_id: str, batch: WorkBatch) -> None:
        if billed.invoice_id and not billed.held and billed.outcome in ("invoiced", "already_billed"):
            batch.finalize.setdefault(account_id, {})[billed.invoice_id] = message_id

    def finalize(self, account_id: str, invoice_ids: Sequence[str], reviewed: set[str]) -> BatchOutcome:
        """Finalizes drafts in batches (InvoiceService.finalize_many: numbered together, now or at a test
        clock customer's time); those that came from review leave the review list, and their run
        counts them invoiced instead of waiting. A reviewed draft that meets a blocking issue now stays in
        the list, no longer auto-finalizing."""
        outcome = self.invoices.finalize_many(account_id, invoice_ids)
        done = [i.id for i in outcome.finalized] + [i for i, e in outcome.failed.items()
                                                     if isinstance(e, InvoiceNotDraft)]
        for invoice_id in done:
            if invoice_id in reviewed:
                self._leave_review(account_id, invoice_id, finalized=invoice_id not in outcome.failed)
        for invoice_id, error in outcome.failed.items():
            if invoice_id in reviewed and not isinstance(error, InvoiceNotDraft):
                self._block(account_id, invoice_id)
        return outcome

    def _leave_review(self, account_id: str, invoice_id: str, *, finalized: bool) -> None:
        with self.uow:
            try:
                entry = self.uow.reviews.get(account_id, invoice_id)
            except NotFound:
                return
            self.uow.reviews.remove(account_id, invoice_id)
            self.uow.billing_runs.count(account_id, entry.run_id, entry.subscription_id, needs_review=-1,
                                        invoiced=int(finalized))
            try:
                self.uow.commit()
            except Conflict:
                pass  # removed by a concurrent approval or auto-finalization: counted there

    def _block(self, account_id: str, invoice_id: str) -> None:
        with self.uow:
            try:
                entry = self.uow.reviews.get(account_id, invoice_id)
            except NotFound:
                return
            self.uow.reviews.add(entry.model_copy(update={"blocking": True, "auto_finalize_at": None}))
            self.uow.commit()

    # --- completion ----------------------------------------------------------------------------------
    def _complete_plan(self, run_id: str, account_id: str | None) -> None:
        with self.uow:
            opened, closed, accounts = self.uow.billing_runs.plan(run_id)
        if closed >= opened:
            for account in sorted(set(accounts) | ({account_id} if account_id else set())):
                self.complete_if_done(account, run_id)

    def complete_if_done(self, account_id: str, run_id: str) -> bool:
        """Records `billing_run.completed` once every page is listed and every boundary resolved."""
        with self.uow:
            opened, closed, _ = self.uow.billing_runs.plan(run_id)
            if closed < opened:
                return False
            run = self.uow.billing_runs.get(account_id, run_id)
            if run.status == "completed":
                return False
            counts = self.uow.billing_runs.counts(account_id, run_id)
            if not counts.settled:
                return False
            self.uow.billing_runs.save(run.completed(counts, self.clock.now()))
            try:
                self.uow.commit()
            except Conflict:
                return False  # completed by a concurrent check
            return True

    # --- reading --------------------------------------------------------------------------------------
    def get(self, account_id: str, run_id: str) -> RunView:
        with self.uow:
            return RunView(self.uow.billing_runs.get(account_id, run_id),
                           self.uow.billing_runs.counts(account_id, run_id))

    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[RunView]:
        with self.uow:
            page = self.uow.billing_runs.list(account_id, limit=limit, starting_after=starting_after)
            return Page[RunView](data=[RunView(r, self.uow.billing_runs.counts(account_id, r.id)) for r in page.data],
                                 has_more=page.has_more)

    # --- review ---------------------------------------------------------------------------------------
    def drafts(self, account_id: str, run_id: str, flt: ReviewFilter, *, sort: ReviewSort, limit: int,
               starting_after: str | None) -> Page[ReviewEntry]:
        with self.uow:
            self.uow.billing_runs.get(account_id, run_id)
            return self.uow.reviews.list(account_id, run_id, flt, sort=sort, limit=limit,
                                         starting_after=starting_after)

    def approve(self, account_id: str, run_id: str, invoice_ids: Sequence[str] | None) -> Approval:
        """Finalizes the run's drafts in review: those named, or all of them (APPROVE_MAX a request)."""
        remaining = False
        with self.uow:
            self.uow.billing_runs.get(account_id, run_id)
            if invoice_ids is None:
                ids: builtins.list[str] = []
                after = None
                while len(ids) <= APPROVE_MAX:
                    page = self.uow.reviews.list(account_id, run_id, ReviewFilter(), sort="created", limit=100,
                                                 starting_after=after)
                    ids += [e.invoice_id for e in page.data if not e.blocking]
                    if not page.has_more:
                        break
                    after = page.data[-1].invoice_id
                remaining = len(ids) > APPROVE_MAX
                ids = ids[:APPROVE_MAX]
            else:
                entries = {e.invoice_id: e for e in self.uow.reviews.get_many(account_id, list(invoice_ids))}
                for invoice_id in invoice_ids:
                    if invoice_id not in entries or entries[invoice_id].run_id != run_id:
                        raise NotFound(f"Invoice '{invoice_id}' is not a draft of billing run '{run_id}' in review.",
                                       param="invoices")
                ids = list(dict.fromkeys(invoice_ids))
        outcome = self.finalize(account_id, ids, set(ids))
        self.complete_if_done(account_id, run_id)
        return Approval(finalized=[i.id for i in outcome.finalized], failed=outcome.failed, remaining=remaining)

    def auto_finalize_due(self) -> int:
        """The scheduled step: held drafts whose window has passed, found through the auto-finalize
        index, queued for the workers (who finalize them in batches). Returns how many."""
        now = self.clock.now()
        queued = 0
        for days_back in range(AUTO_FINALIZE_LOOKBACK_DAYS):
            day = now - timedelta(days=days_back)
            for shard in range(self.shards):
                cursor = None
                for _ in range(AUTO_FINALIZE_PAGES):
                    with self.uow:
                        due, cursor = self.uow.reviews.due(day, shard, until=now, limit=PAGE_SIZE, cursor=cursor)
                    self.work.send_many([{"account_id": a, "finalize": i} for a, i in due])
                    queued += len(due)
                    if not cursor:
                        break
        return queued

    # --- a test clock's step -------------------------------------------------------------------------
    def clock_step(self, clock: TestClock, subs: Sequence[Subscription]) -> builtins.list[str]:
        """What the hourly run and the auto-finalize step would have done at the clock's time, for the
        clock's subscriptions, through the same services standing at that time (so an invoice is
        finalized, numbered and due on the clock's dates): a run over their due boundaries (billed,
        held or finalized in one batch, counted, completed), then the clock's held drafts whose window
        has passed, finalized. Returns the invoices it finalized."""
        now = clock.frozen_time
        at = FrozenAt(now)
        runs = replace(self, clock=at, invoices=replace(self.invoices, clock=at))
        due = [DueBoundary(s.account_id, s.id, s.billed_through + 1) for s in subs
               if not s.finished and s.due_at(s.billed_through + 1) <= now]
        finalized: builtins.list[str] = []
        if due:
            run = BillingRun(id=self.ids.new("run"), account_id=clock.account_id, trigger="test_clock",
                             test_clock=clock.id, created=now)
            with self.uow:
                self.uow.billing_runs.add(run)
                self.uow.billing_runs.open_plan(run.id, 1)
                self.uow.commit()
            with self.uow:
                self.uow.billing_runs.close_page(run.id, "test_clock", due, None, opened=0)
                self.uow.commit()
            batch = WorkBatch()
            for boundary in due:
                billed = self.billing.bill(boundary.account_id, boundary.subscription_id, boundary.boundary, run,
                                           runs._rules(boundary.account_id, batch))
                runs._to_finalize(billed, boundary.account_id, boundary.subscription_id, batch)
            for account_id, invoices in batch.finalize.items():
                finalized += [i.id for i in runs.finalize(account_id, list(invoices), set()).finalized]
            runs.complete_if_done(clock.account_id, run.id)
        with self.uow:
            entries = self.uow.reviews.on_clock(clock.account_id, clock.id)
        ready = [e for e in entries if not e.blocking and e.auto_finalize_at is not None and e.auto_finalize_at <= now]
        if ready:
            outcome = runs.finalize(clock.account_id, [e.invoice_id for e in ready], {e.invoice_id for e in ready})
            finalized += [i.id for i in outcome.finalized]
            for run_id in sorted({e.run_id for e in ready}):
                runs.complete_if_done(clock.account_id, run_id)
        return finalized


def next_moment(subs: Sequence[Subscription], entries: Sequence[ReviewEntry]) -> datetime | None:
    """The earliest thing a test clock's advance must run next: a boundary falling due, or a held
    draft's auto-finalize time."""
    moments = [s.due_at(s.billed_through + 1) for s in subs if not s.finished]
    moments += [e.auto_finalize_at for e in entries if not e.blocking and e.auto_finalize_at is not None]
    return min(moments) if moments else None
