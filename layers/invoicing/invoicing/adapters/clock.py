"""Where "now" comes from.

The domain never reads the clock: services are given a `Clock` and pass the time in. On Lambda it
is the system clock; the local runtime installs an `OffsetClock` that tests and the demo advance
(like Stripe's test clocks), so months of billing can pass in seconds.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetClock:
    """The system clock shifted by an offset that only moves forward."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0) if start is None else start - datetime.now(UTC)

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._offset += delta
        return self.now()


class _Installed:
    """The process-wide clock, which the local runtime may replace before handlers run."""

    def __init__(self) -> None:
        self.clock: Clock = SystemClock()

    def now(self) -> datetime:
        return self.clock.now()


current = _Installed()


def install(clock: Clock) -> None:
    current.clock = clock
