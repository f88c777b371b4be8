"""The usage use cases over the fakes; tests/integration/adapters/test_usage_on_dynamodb.py runs them
again on the DynamoDB unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from invoicing.domain.errors import Conflict, InvalidInput, NotFound
from invoicing.domain.usage import Period
from invoicing.services.usage import IncomingUsage, NewMeter, UsageService
from tests.unit.domain.builders import customer
from tests.unit.services.fakes import FakeClock, FakeIds, FakeUnitOfWork

NOV = Period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
DEC = Period(datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
ACCOUNT = "acct_test"


def month_of(at: datetime) -> Period:
    start = at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return Period(start, end)


@dataclass
class Usage:
    service: UsageService
    clock: FakeClock
    uow: Any
    customer_id: str

    def send(self, value: object = 1, *, ident: str | None = None, at: datetime | None = None,
             event_name: str = "api_calls", customer_id: str | None = None) -> Any:
        return self.service.record(ACCOUNT, IncomingUsage(
            event_name=event_name, identifier=ident, timestamp=at,
            payload={"customer": customer_id or self.customer_id, "value": value}))


@pytest.fixture
def uow() -> Any:
    return FakeUnitOfWork()


@pytest.fixture
def usage(uow: Any) -> Usage:
    clock = FakeClock(datetime(2026, 11, 10, 12, 0, tzinfo=UTC))
    buyer = customer("SE").model_copy(update={"account_id": ACCOUNT})
    with uow:
        uow.customers.add(buyer)
        uow.commit()
    service = UsageService(uow, clock, FakeIds())
    service.create_meter(ACCOUNT, NewMeter(event_name="api_calls", display_name="API calls"))
    return Usage(service, clock, uow, buyer.id)


def test_an_event_delivered_five_times_counts_once(usage: Usage) -> None:
    outcomes = [usage.send(3, ident="evt-1").duplicate for _ in range(5)]
    assert outcomes == [False, True, True, True, True]
    summary = usage.service.summary(ACCOUNT, _meter_id(usage), usage.customer_id, NOV.start, NOV.end)
    assert (summary.value, summary.events) == (Decimal(3), 1)


def test_events_without_identifier_each_count(usage: Usage) -> None:
    usage.send(1)
    usage.send(1)
    assert usage.service.summary(ACCOUNT, _meter_id(usage), usage.customer_id, NOV.start, NOV.end).value == 2


def test_unknown_meter_customer_and_inactive_refused(usage: Usage) -> None:
    with pytest.raises(NotFound) as missing:
        usage.send(1, event_name="nope")
    assert (missing.value.code, missing.value.param) == ("resource_missing", "event_name")
    with pytest.raises(InvalidInput, match="no such customer"):
        usage.send(1, customer_id="cus_missing")
    with pytest.raises(InvalidInput):
        usage.send("lots")


def test_event_names_are_unique_per_account(usage: Usage) -> None:
    with pytest.raises(Conflict):
        usage.service.create_meter(ACCOUNT, NewMeter(event_name="api_calls", display_name="again"))
    other = usage.service.create_meter("acct_other", NewMeter(event_name="api_calls", display_name="theirs"))
    assert other.account_id == "acct_other"


def test_meter_created_event_and_listing(usage: Usage) -> None:
    second = usage.service.create_meter(ACCOUNT, NewMeter(event_name="seats_max", display_name="Seats",
                                                          aggregation="max", grace_period_seconds=0))
    page = usage.service.list_meters(ACCOUNT, limit=10, starting_after=None)
    assert [m.id for m in page.data] == [second.id, _meter_id(usage)]
    assert usage.service.get_meter(ACCOUNT, second.id).aggregation == "max"
    if isinstance(usage.uow, FakeUnitOfWork):
        assert [e.type for e in usage.uow.store.outbox][-2:] == ["meter.created", "meter.created"]


def test_a_late_event_goes_on_the_next_period_as_an_adjustment(usage: Usage) -> None:
    usage.clock.current = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    usage.send(5, ident="in-time")
    usage.clock.current = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    usage.send(2, ident="in-grace", at=datetime(2026, 11, 30, 22, 0, tzinfo=UTC))
    usage.clock.current = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    usage.send(7, ident="late", at=datetime(2026, 11, 29, 9, 0, tzinfo=UTC))
    usage.send(1, ident="december")
    meter = usage.service.get_meter(ACCOUNT, _meter_id(usage))
    november = usage.service.billable(ACCOUNT, meter, usage.customer_id, NOV, month_of)
    assert (november.quantity, november.adjustments) == (Decimal(7), ())
    december = usage.service.billable(ACCOUNT, meter, usage.customer_id, DEC, month_of)
    assert december.quantity == 1
    assert [(a.period, a.quantity) for a in december.adjustments] == [(NOV, 7)]
    summary = usage.service.summary(ACCOUNT, meter.id, usage.customer_id, NOV.start, NOV.end)
    assert (summary.value, summary.billable_value, summary.events) == (Decimal(14), Decimal(7), 3)
    assert usage.service.summary(ACCOUNT, meter.id, usage.customer_id, DEC.start, DEC.end).late_events == 1


def test_the_meter_is_read_once_a_minute(usage: Usage, uow: Any) -> None:
    calls = []
    original = uow.meters.by_event_name
    uow.meters.by_event_name = lambda *a: calls.append(a) or original(*a)
    usage.service._known.clear()
    for i in range(3):
        usage.send(1, ident=f"c{i}")
    usage.clock.advance(seconds=61)
    usage.send(1, ident="after")
    assert len(calls) == 2


def _meter_id(usage: Usage) -> str:
    return usage.service.list_meters(ACCOUNT, limit=100, starting_after=None).data[-1].id


def test_period_usage_is_a_query_per_shard_not_the_whole_table(usage: Usage) -> None:
    for i in range(30):
        usage.send(i, ident=f"s{i}", at=NOV.start + timedelta(hours=i))
    meter = usage.service.get_meter(ACCOUNT, _meter_id(usage))
    usage.clock.current = datetime(2026, 12, 2, tzinfo=UTC)
    assert usage.service.billable(ACCOUNT, meter, usage.customer_id, NOV, month_of).quantity == sum(range(30))


def test_a_window_whose_end_is_not_after_its_start_holds_nothing(usage: Usage) -> None:
    usage.send(3, ident="evt-1")
    for end in (NOV.start, NOV.start - (NOV.end - NOV.start)):
        summary = usage.service.summary(ACCOUNT, _meter_id(usage), usage.customer_id, NOV.start, end)
        assert (summary.value, summary.events, summary.billable_value, summary.late_events, summary.end) == (
            0, 0, 0, 0, end)
