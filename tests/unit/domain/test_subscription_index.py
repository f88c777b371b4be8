"""`Subscription.index_at` is arithmetic, and finds the same period as walking the boundaries one by one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.domain.catalog import Recurring
from invoicing.domain.subscription import Subscription, SubscriptionItem
from tests.unit.domain.test_subscription import price, subscription

INTERVALS = st.sampled_from([("day", 1), ("day", 30), ("week", 1), ("week", 3), ("month", 1), ("month", 3),
                             ("month", 36), ("year", 1), ("year", 3)])
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2080, 12, 31), timezones=st.just(UTC))


def on(interval: str, count: int, anchor: datetime) -> Subscription:
    recurring = Recurring(interval=interval, interval_count=count)
    return subscription(items=(SubscriptionItem(id="si_1", price=price(recurring=recurring)),),
                        billing_cycle_anchor=anchor)


def walked(sub: Subscription, at: datetime) -> int:
    """The walk `index_at` used to do."""
    if at < sub.billing_cycle_anchor:
        return -1
    k = 0
    while sub.boundary(k + 1) <= at:
        k += 1
    return k


@settings(max_examples=400, deadline=None)
@given(INTERVALS, MOMENTS, st.integers(min_value=-3, max_value=400), st.integers(min_value=-2, max_value=2))
def test_index_at_is_the_walks_answer(interval: tuple[str, int], anchor: datetime, periods: int, offset: int) -> None:
    sub = on(*interval, anchor)
    # Around a boundary (where a clamped month's day or an off-by-one would show), and anywhere.
    base = sub.boundary(max(0, periods))
    at = base + timedelta(microseconds=offset) if periods >= 0 else anchor - timedelta(days=-periods)
    assert sub.index_at(at) == walked(sub, at)


@settings(max_examples=200, deadline=None)
@given(INTERVALS, MOMENTS, MOMENTS)
def test_index_at_anywhere(interval: tuple[str, int], anchor: datetime, at: datetime) -> None:
    sub = on(*interval, anchor)
    if at > anchor + timedelta(days=365 * 20) and interval[0] == "day" and interval[1] == 1:
        at = anchor + timedelta(days=365 * 20)  # keep the walk it is compared with short
    assert sub.index_at(at) == walked(sub, at)


def test_month_ends_clamp_and_come_back() -> None:
    sub = on("month", 1, datetime(2024, 1, 31, 9, tzinfo=UTC))
    assert sub.index_at(datetime(2024, 2, 29, 8, 59, tzinfo=UTC)) == 0
    assert sub.index_at(datetime(2024, 2, 29, 9, tzinfo=UTC)) == 1
    assert sub.index_at(datetime(2024, 3, 31, 8, 59, tzinfo=UTC)) == 1
    assert sub.index_at(datetime(2124, 1, 31, 9, tzinfo=UTC)) == 1200  # a century on, without walking it
