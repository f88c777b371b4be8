"""Test clocks (Stripe's): a time of its own that a sandbox's customers and subscriptions follow.

A subscription created for a customer attached to a test clock lives on the clock's time: it is
created at `frozen_time`, and nothing happens to it until the clock is advanced. Advancing runs, in
order, everything that would have happened in between (services/test_clocks.py). Real-time billing
runs leave such subscriptions alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from invoicing.domain.errors import InvalidInput
from invoicing.domain.party import Model

MAX_SUBSCRIPTIONS = 100  # per clock: an advance bills them all within one request
MAX_ADVANCE = timedelta(days=2 * 366)  # per advance


class TestClock(Model):
    __test__ = False  # not a pytest test class

    id: str
    object: Literal["test_clock"] = "test_clock"
    account_id: str
    name: str | None = Field(default=None, max_length=200)
    frozen_time: datetime
    status: Literal["ready", "advancing"] = "ready"
    subscriptions: tuple[str, ...] = ()
    created: datetime
    version: int = 0

    def attach(self, subscription_id: str) -> TestClock:
        if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise InvalidInput(f"A test clock holds at most {MAX_SUBSCRIPTIONS} subscriptions.", param="test_clock")
        return self.model_copy(update={"subscriptions": (*self.subscriptions, subscription_id),
                                       "version": self.version + 1})

    def checked_target(self, to: datetime) -> datetime:
        if to <= self.frozen_time:
            raise InvalidInput("frozen_time must be after the clock's current time.", param="frozen_time")
        if to - self.frozen_time > MAX_ADVANCE:
            raise InvalidInput("A test clock advances at most two years at a time.", param="frozen_time")
        return to

    def at(self, moment: datetime) -> TestClock:
        return self.model_copy(update={"frozen_time": moment, "version": self.version + 1})
