"""Test clocks (sandbox): create, read, and advance — which runs, in order and through the same
services as real time, everything that would have happened in between (domain/test_clock.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from invoicing.domain.billing_run import ReviewEntry
from invoicing.domain.errors import Conflict
from invoicing.domain.subscription import Subscription
from invoicing.domain.test_clock import TestClock
from invoicing.services.billing_runs import BillingRunService, next_moment
from invoicing.services.dunning import DunningAt
from invoicing.services.ports import Clock, FrozenAt, Ids, UnitOfWork

MAX_STEPS = 5_000  # moments one advance runs (a day-long period over two years is ~730)


@dataclass(frozen=True)
class TestClockService:
    __test__ = False

    uow: UnitOfWork
    clock: Clock
    ids: Ids
    runs: BillingRunService
    dunning: DunningAt | None = None  # None: the clock bills only (no dunning where it is built)

    def create(self, account_id: str, frozen_time: datetime, name: str | None) -> TestClock:
        clock = TestClock(id=self.ids.new("clock"), account_id=account_id, name=name, frozen_time=frozen_time,
                          created=self.clock.now())
        with self.uow:
            self.uow.test_clocks.add(clock)
            self.uow.commit()
        return clock

    def get(self, account_id: str, clock_id: str) -> TestClock:
        with self.uow:
            return self.uow.test_clocks.get(account_id, clock_id)

    def advance(self, account_id: str, clock_id: str, to: datetime) -> TestClock:
        """Moves the clock to `to` one moment at a time: at each boundary falling due, held draft's
        auto-finalize time or dunning step of the clock's invoices, oldest first, the clock stands at
        that moment while a billing run over its subscriptions bills them (usage aggregated for the
        period that ended), the drafts whose window passed are finalized, and the dunning steps due
        are performed (those of the invoices just finalized included). Each period is billed once,
        each dunning step performed once, in order."""
        with self.uow:
            target = self.uow.test_clocks.get(account_id, clock_id).checked_target(to)
        idle_at = None
        for _ in range(MAX_STEPS):
            clock, subs, entries = self._state(account_id, clock_id)
            moment = _earliest(next_moment(subs, entries), self._dunning_next(clock))
            if moment is None or moment > target:
                break
            clock = self._move(account_id, clock_id, max(moment, clock.frozen_time))
            finalized = self.runs.clock_step(clock, subs)
            if not self._dunning_step(clock, finalized) and not finalized and idle_at == clock.frozen_time:
                # Twice at one moment with nothing done: what falls due is held elsewhere (a step another
                # worker claimed, say). Stop here rather than spin; the clock stands at that moment.
                raise Conflict("The advance cannot get past what falls due now; try again shortly.",
                               param="frozen_time")
            idle_at = clock.frozen_time
        else:
            raise Conflict("The advance did not settle; advance by less at a time.", param="frozen_time")
        return self._move(account_id, clock_id, target)

    def _dunning_next(self, clock: TestClock) -> datetime | None:
        if self.dunning is None:
            return None
        return self.dunning(FrozenAt(clock.frozen_time)).clock_next(clock.account_id, clock.id)

    def _dunning_step(self, clock: TestClock, finalized: list[str]) -> int:
        """At the clock's moment: dunning scheduled for the invoices just finalized (the subscriber of
        `invoice.finalized` finds it done), then every step due performed. Returns how many were."""
        if self.dunning is None:
            return 0
        dunning = self.dunning(FrozenAt(clock.frozen_time))
        for invoice_id in finalized:
            dunning.schedule(clock.account_id, invoice_id)
        return len(dunning.perform_clock_due(clock.account_id, clock.id))

    def _state(self, account_id: str, clock_id: str) -> tuple[TestClock, list[Subscription], list[ReviewEntry]]:
        with self.uow:
            clock = self.uow.test_clocks.get(account_id, clock_id)
            subs = [self.uow.subscriptions.get(account_id, s) for s in clock.subscriptions]
            entries = self.uow.reviews.on_clock(account_id, clock_id)
        return clock, subs, entries

    def _move(self, account_id: str, clock_id: str, moment: datetime) -> TestClock:
        with self.uow:
            clock = self.uow.test_clocks.get(account_id, clock_id)
            if moment == clock.frozen_time:
                return clock
            moved = clock.at(moment)
            self.uow.test_clocks.save(moved)
            self.uow.commit()
            return moved


def _earliest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return min(known) if known else None
