"""The review's rules and a run's completion (domain/billing_run.py), and test clocks' limits."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from invoicing.domain.billing_run import BillingRun, RunCounts, amount_unusual, usage_spike
from invoicing.domain.errors import Conflict, InvalidInput
from invoicing.domain.test_clock import MAX_SUBSCRIPTIONS, TestClock
from tests.unit.domain.builders import NOW

SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "events" / "billing_run.completed.json"


@pytest.mark.parametrize(("total", "previous", "unusual"), [
    (10000, [10000, 10000], False),
    (15000, [10000, 10000], False),  # exactly 50 % more: not beyond the rule
    (15001, [10000, 10000], True),
    (4999, [10000, 10000], True),
    (5000, [10000, 10000], False),
    (30000, [10000], False),  # one earlier invoice is no history
    (30000, [10000, 10000, 90000], True),  # the median, not the mean
    (30000, [0, 0], False),
    (100, [100, 100, 100, 100, 100, 100, 5000], False),  # only the latest six count
])
def test_amount_unusual_is_half_the_median_either_way(total: int, previous: list[int], unusual: bool) -> None:
    assert amount_unusual(total, previous) is unusual


def test_a_usage_spike_is_more_than_three_times_the_period_before() -> None:
    assert usage_spike(Decimal("301"), Decimal("100"))
    assert not usage_spike(Decimal("300"), Decimal("100"))
    assert not usage_spike(Decimal("5"), Decimal("0"))  # nothing before: no spike
    assert not usage_spike(Decimal("5"), None)


def test_a_run_completes_once_with_its_figures_in_the_event() -> None:
    run = BillingRun(id="run_1", account_id="acct_1", trigger="manual", segment="nordics", created=NOW)
    counts = RunCounts(total=3, done=2, failed=1, needs_review=1, invoiced=1)
    assert counts.settled and not RunCounts(total=3, done=2).settled
    done = run.completed(counts, NOW + timedelta(minutes=5))
    [event] = done.events
    assert (event.type, event.version, event.data["object"]["failed"]) == ("billing_run.completed", 1, 1)
    jsonschema.validate(event.model_dump(mode="json"), json.loads(SCHEMA.read_text()))
    with pytest.raises(Conflict):
        done.completed(counts, NOW)


def test_a_test_clock_moves_forward_within_its_limits() -> None:
    clock = TestClock(id="clock_1", account_id="acct_1", frozen_time=NOW, created=NOW)
    with pytest.raises(InvalidInput):
        clock.checked_target(NOW)
    with pytest.raises(InvalidInput):
        clock.checked_target(NOW + timedelta(days=800))
    assert clock.checked_target(NOW + timedelta(days=1)) == NOW + timedelta(days=1)
    for n in range(MAX_SUBSCRIPTIONS):
        clock = clock.attach(f"sub_{n}")
    with pytest.raises(InvalidInput):
        clock.attach("sub_more")
