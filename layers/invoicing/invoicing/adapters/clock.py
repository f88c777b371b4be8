"""Where "now" comes from.

The domain never reads the clock: services are given a `Clock` and pass the time in. On Lambda it
is the system clock. A process may install another clock before handlers run (the local runtime
installs one that tests and the demo advance, like Stripe's test clocks); `install` returns the
clock it replaced, so the caller can put it back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class _Installed:
    """The process-wide clock: what `current.now()` answers with."""

    def __init__(self) -> None:
        self.clock: Clock = SystemClock()

    def now(self) -> datetime:
        return self.clock.now()


current = _Installed()


def install(clock: Clock) -> Clock:
    """Make `clock` the process-wide clock; returns the one it replaces."""
    previous, current.clock = current.clock, clock
    return previous
