"""Meters, usage events, and which period an event counts in (invoicing.domain.usage)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing.domain.errors import InvalidInput
from invoicing.domain.usage import Aggregation, Meter, Period, UsageEvent, aggregate, period_usage

NOV = Period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
DEC = Period(datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
OCT = Period(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))


def month_of(at: datetime) -> Period:
    start = at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return Period(start, end)


def meter(aggregation: str = "sum", grace: int = 3600) -> Meter:
    return Meter(id="mtr_1", account_id="acct_1", event_name="api_calls", display_name="API calls",
                 aggregation=Aggregation(aggregation), grace_period_seconds=grace, created=NOV.start)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(m: Meter, occurred: str, received: str | None = None, value: object = "1", ident: str | None = None,
          customer: str = "cus_1") -> UsageEvent:
    return m.event(identifier=f"e-{occurred}-{value}" if ident is None else ident, occurred_at=at(occurred),
                   payload={"customer": customer, "value": value}, received_at=at(received or occurred))


class TestBucket:
    def test_an_event_in_time_counts_in_the_period_it_happened_in(self) -> None:
        m = meter(grace=3600)
        assert event(m, "2026-11-02T10:00:00", "2026-11-20T08:00:00").bucket in NOV  # days later, same period
        assert event(m, "2026-11-30T23:59:00", "2026-12-01T00:59:00").bucket in NOV  # within the grace period
        assert event(m, "2026-11-29T12:00:00", "2026-12-01T00:30:00").bucket in NOV  # an older one, in grace too

    def test_an_event_after_the_grace_period_lands_in_a_later_period(self) -> None:
        m = meter(grace=3600)
        late = event(m, "2026-11-29T12:00:00", "2026-12-01T01:00:01")
        assert late.bucket in DEC and late.bucket == at("2026-12-01T00:00:01")

    def test_no_grace_period(self) -> None:
        m = meter(grace=0)
        assert event(m, "2026-11-30T23:59:59", "2026-12-01T00:00:00").bucket in DEC

    @given(occurred=st.datetimes(min_value=datetime(2026, 10, 1), max_value=datetime(2026, 12, 31)),
           delay=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=35)),
           grace=st.integers(min_value=0, max_value=7 * 86400))
    def test_the_rule(self, occurred: datetime, delay: timedelta, grace: int) -> None:
        """An event counts in its own period exactly when it arrived before that period's end plus
        the grace period; otherwise it lands in a period it arrived in time for."""
        m = meter(grace=grace)
        occurred = occurred.replace(tzinfo=UTC)
        e = m.event(identifier="x", occurred_at=occurred, payload={"customer": "c", "value": 1},
                    received_at=occurred + delay)
        own = month_of(occurred)
        assert (e.bucket in own) == (e.received_at < m.ready_at(own.end))
        landed = month_of(e.bucket)
        assert e.bucket >= occurred and e.received_at <= m.ready_at(landed.end)


class TestEventChecks:
    def test_values(self) -> None:
        m = meter("sum")
        assert event(m, "2026-11-02T10:00:00", value="2.500").value == "2.5"
        assert event(m, "2026-11-02T10:00:00", value=7).value == "7"
        assert event(m, "2026-11-02T10:00:00", value="0.000000000001").value == "1E-12"
        for bad in (1.5, True, "abc", "-1", "1e12", "0.0000000000001", "NaN", None, [1]):
            with pytest.raises(InvalidInput) as error:
                event(m, "2026-11-02T10:00:00", value=bad)
            assert error.value.param == "payload.value"

    def test_count_needs_no_value_and_unique_count_takes_text(self) -> None:
        e = meter("count").event(identifier="a", occurred_at=NOV.start, payload={"customer": "c"},
                                 received_at=NOV.start)
        assert e.value == "1"
        assert event(meter("unique_count"), "2026-11-02T10:00:00", value="user-42").value == "user-42"
        with pytest.raises(InvalidInput):
            event(meter("unique_count"), "2026-11-02T10:00:00", value="")

    def test_customer_timestamp_and_identifier(self) -> None:
        m = meter()
        with pytest.raises(InvalidInput, match="customer"):
            m.event(identifier="a", occurred_at=NOV.start, payload={"value": 1}, received_at=NOV.start)
        with pytest.raises(InvalidInput, match="future"):
            event(m, "2026-11-02T10:06:00", "2026-11-02T10:00:00")
        assert event(m, "2026-11-02T10:04:59", "2026-11-02T10:00:00").bucket == at("2026-11-02T10:04:59")
        with pytest.raises(InvalidInput, match="35 days"):
            event(m, "2026-10-01T00:00:00", "2026-11-06T00:00:00")
        for bad in ("", "has space", "x" * 101, "ünïcode"):
            with pytest.raises(InvalidInput, match="identifier"):
                event(m, "2026-11-02T10:00:00", ident=bad)
        with pytest.raises(InvalidInput, match="time zone"):
            m.event(identifier="a", occurred_at=datetime(2026, 11, 2), payload={"customer": "c", "value": 1},
                    received_at=NOV.start)


class TestAggregate:
    def test_each_formula(self) -> None:
        values = [("2026-11-02T10:00:00", "3"), ("2026-11-05T10:00:00", "10.5"), ("2026-11-03T10:00:00", "3")]
        expected = {"sum": Decimal("16.5"), "max": Decimal("10.5"), "last": Decimal("10.5"), "count": 3,
                    "unique_count": 2}
        for formula, want in expected.items():
            m = meter(formula)
            events = [event(m, when, value=v) for when, v in values]
            assert aggregate(m.aggregation, events) == Decimal(want), formula
            assert aggregate(m.aggregation, []) == 0

    def test_last_is_by_when_it_happened_not_by_arrival(self) -> None:
        m = meter("last")
        later_sent_first = event(m, "2026-11-20T10:00:00", "2026-11-20T10:00:00", value="5")
        earlier_sent_last = event(m, "2026-11-10T10:00:00", "2026-11-21T10:00:00", value="9")
        assert aggregate(m.aggregation, [later_sent_first, earlier_sent_last]) == 5
        assert aggregate(m.aggregation, [earlier_sent_last, later_sent_first]) == 5

    def test_sums_exactly(self) -> None:
        m = meter("sum")
        events = [event(m, "2026-11-02T10:00:00", value="0.1", ident=f"e{i}") for i in range(10)]
        assert aggregate(m.aggregation, events) == Decimal("1.0")


class TestPeriodUsage:
    def test_own_events_and_a_late_one_as_an_adjustment_naming_its_period(self) -> None:
        m = meter("sum")
        landed = [event(m, "2026-12-03T10:00:00", value="4"),
                  event(m, "2026-12-10T10:00:00", value="6"),
                  event(m, "2026-11-28T10:00:00", "2026-12-05T10:00:00", value="2"),  # late for November
                  event(m, "2026-10-30T10:00:00", "2026-12-02T10:00:00", value="1")]  # late for October
        usage = period_usage(m.aggregation, DEC, [e for e in landed if e.bucket in DEC], month_of)
        assert (usage.quantity, usage.events) == (Decimal(10), 2)
        assert [(a.period, a.quantity, a.events) for a in usage.adjustments] == [(OCT, 1, 1), (NOV, 2, 1)]

    def test_max_adjusts_by_the_difference_to_what_was_billed(self) -> None:
        m = meter("max")
        billed = [event(m, "2026-11-10T10:00:00", value="7"), event(m, "2026-11-12T10:00:00", value="3")]
        late = [event(m, "2026-11-20T10:00:00", "2026-12-04T00:00:00", value="9"),
                event(m, "2026-11-21T10:00:00", "2026-12-04T00:00:00", value="5")]
        usage = period_usage(m.aggregation, DEC, late, month_of, lambda p: billed if p == NOV else [])
        assert [(a.period, a.quantity) for a in usage.adjustments] == [(NOV, 2)]  # max 7 -> 9
        smaller = period_usage(m.aggregation, DEC, late[1:], month_of, lambda p: billed)
        assert smaller.adjustments[0].quantity == 0

    def test_last_can_adjust_down(self) -> None:
        m = meter("last")
        billed = [event(m, "2026-11-10T10:00:00", value="7")]
        late = [event(m, "2026-11-25T10:00:00", "2026-12-04T00:00:00", value="4")]
        usage = period_usage(m.aggregation, DEC, late, month_of, lambda p: billed)
        assert usage.adjustments[0].quantity == -3

    def test_unique_count_counts_only_new_values(self) -> None:
        m = meter("unique_count")
        billed = [event(m, "2026-11-10T10:00:00", value="u1"), event(m, "2026-11-11T10:00:00", value="u2")]
        late = [event(m, "2026-11-25T10:00:00", "2026-12-04T00:00:00", value="u2"),
                event(m, "2026-11-26T10:00:00", "2026-12-04T00:00:00", value="u3")]
        usage = period_usage(m.aggregation, DEC, late, month_of, lambda p: billed)
        assert usage.adjustments[0].quantity == 1

    @given(st.lists(st.tuples(st.integers(0, 60 * 24 * 90), st.integers(0, 60 * 24 * 34), st.integers(0, 100)),
                    max_size=40),
           st.integers(0, 7 * 24 * 60))
    def test_every_event_is_billed_exactly_once(self, raw: list[tuple[int, int, int]], grace_minutes: int) -> None:
        """However late events arrive (within 35 days), the periods' quantities and adjustments
        together bill each event once: for `sum`, their total is the sum of all values."""
        m = meter("sum", grace=grace_minutes * 60)
        start = OCT.start
        events = [m.event(identifier=f"e{i}", occurred_at=start + timedelta(minutes=o),
                          payload={"customer": "c", "value": v},
                          received_at=start + timedelta(minutes=o + d)) for i, (o, d) in
                  enumerate((o, d) for o, d, _ in raw) for v in [raw[i][2]]]
        periods, p = [], month_of(start)
        while p.start < start + timedelta(days=130):
            periods.append(p)
            p = month_of(p.end)
        billed = Decimal(0)
        for period in periods:
            usage = period_usage(m.aggregation, period, [e for e in events if e.bucket in period], month_of)
            billed += usage.quantity + sum((a.quantity for a in usage.adjustments), Decimal(0))
            assert all(a.period.end <= period.start for a in usage.adjustments)
        assert billed == sum(Decimal(v) for _, _, v in raw)

    def test_a_period_must_have_positive_length(self) -> None:
        with pytest.raises(InvalidInput):
            Period(NOV.end, NOV.start)
