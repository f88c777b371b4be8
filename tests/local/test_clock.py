"""The runtime's clock is the application's clock while the runtime runs, through the clock's public API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invoicing.adapters.clock import SystemClock, current, install
from local.clock import OffsetClock
from local.stack import LocalRuntime


def test_install_returns_the_clock_it_replaces() -> None:
    mine = OffsetClock(datetime(2030, 1, 1, tzinfo=UTC))
    previous = install(mine)
    try:
        assert current.now().year == 2030
    finally:
        assert install(previous) is mine
    assert current.clock is previous


def test_offset_clock_only_moves_forward() -> None:
    clock = OffsetClock()
    before = clock.now()

    assert clock.advance(timedelta(days=31)) - before >= timedelta(days=31)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(timedelta(seconds=-1))


def test_the_running_runtime_is_the_application_clock(stack: LocalRuntime) -> None:
    assert current.clock is stack.clock
    before = current.now()
    stack.advance_clock(timedelta(minutes=30))

    assert current.now() - before >= timedelta(minutes=30)
    assert not isinstance(current.clock, SystemClock)
