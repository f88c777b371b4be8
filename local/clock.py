"""The local runtime's clock: the system clock shifted by an offset that only moves forward.

Installed as the application's clock (`invoicing.adapters.clock.install`) while a runtime runs, so a
demo or a test can live through months of billing, dunning and payments in seconds.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


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
