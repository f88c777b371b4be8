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
from invoicing.services.ports import Clock, Ids, UnitOfWork

MAX_STEPS = 5_000  # moments one advance runs (a day-long period over two years is ~730)


@dataclass(frozen=True)
class TestClockService:
    __test__ = False

    uow: UnitOfWork
    clock: Clock
    ids: Ids
    runs: BillingRunService

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
        """Moves the clock to `to` one moment at a time: at each boundary falling due or held draft's
        auto-finalize time, oldest first, the clock stands at that moment while a billing run over its
        subscriptions bills them (usage aggregated for the period that ended) and the drafts whose
        window passed are finalized. Each period is billed once, in order."""
        with self.uow:
            target = self.uow.test_clocks.get(account_id, clock_id).checked_target(to)
        for _ in range(MAX_STEPS):
            clock, subs, entries = self._state(account_id, clock_id)
            moment = next_moment(subs, entries)
            if moment is None or moment > target:
                break
            clock = self._move(account_id, clock_id, max(moment, clock.frozen_time))
            self.runs.clock_step(clock, subs)
        else:
            raise Conflict("The advance did not settle; advance by less at a time.", param="frozen_time")
        return self._move(account_id, clock_id, target)

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
