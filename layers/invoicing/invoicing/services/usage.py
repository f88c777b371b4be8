"""Use cases for metered usage: meters, recording usage events (from the API and from the usage queue:
both end in `UsageService.record`), and the usage a period bills.

Recording is idempotent on the event's identifier: a redelivered event is answered as a duplicate
and counts once. The meter and the customer an event names are read once a minute per container
at most (a meter's name, aggregation and grace period never change; a customer is never deleted),
so a busy meter costs one write per event and almost no reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from invoicing.domain.errors import InvalidInput, NotFound
from invoicing.domain.usage import (
    MAX_AGE,
    AlreadyRecorded,
    Meter,
    Period,
    PeriodUsage,
    UsageEvent,
    aggregate,
    period_usage,
)
from invoicing.services.ports import Clock, Clocks, Ids, Page, UnitOfWork

CACHE_FOR = timedelta(seconds=60)


@dataclass(frozen=True)
class NewMeter:
    event_name: str
    display_name: str
    aggregation: str = "sum"
    customer_key: str = "customer"
    value_key: str = "value"
    grace_period_seconds: int | None = None


@dataclass(frozen=True)
class IncomingUsage:
    """A usage event as a sender sends it (Stripe's meter event): no identifier means one is made up,
    and then only the transport's own deduplication (Idempotency-Key, the SQS message id) applies."""

    event_name: str
    payload: dict[str, Any]
    identifier: str | None = None
    timestamp: datetime | None = None


@dataclass(frozen=True)
class Recorded:
    event: UsageEvent
    duplicate: bool  # the identifier was recorded before: this delivery changed nothing


@dataclass(frozen=True)
class UsageSummary:
    """A meter's usage for one customer over [start, end)."""

    meter: Meter
    customer_id: str
    start: datetime
    end: datetime
    value: Decimal  # of the events that happened in the window, as recorded so far
    events: int
    # What an invoice for the window bills of its own usage: the events that happened in it and
    # landed in it (arrived before its end plus the grace period); and how many events of earlier
    # periods landed in it (billed as adjustments naming their periods).
    billable_value: Decimal
    late_events: int


@dataclass
class UsageService:
    uow: UnitOfWork
    clock: Clock
    ids: Ids
    _known: dict[tuple[str, str, str], tuple[datetime, Any]] = field(default_factory=dict, repr=False)
    clocks: Clocks | None = None  # a test-clock customer's events are received on the clock's time

    # --- meters ------------------------------------------------------------------------------------
    def create_meter(self, account_id: str, cmd: NewMeter) -> Meter:
        now = self.clock.now()
        fields: dict[str, Any] = {k: v for k, v in vars(cmd).items() if v is not None}
        meter = Meter.model_validate({**fields, "id": self.ids.new("mtr"), "account_id": account_id,
                                      "created": now}).record_created(now)
        with self.uow:
            self.uow.meters.add(meter)
            self.uow.commit()
        return meter

    def meter_named(self, account_id: str, event_name: str) -> Meter:
        with self.uow:
            return self.uow.meters.by_event_name(account_id, event_name)

    def get_meter(self, account_id: str, meter_id: str) -> Meter:
        with self.uow:
            return self.uow.meters.get(account_id, meter_id)

    def list_meters(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[Meter]:
        with self.uow:
            return self.uow.meters.list(account_id, limit=limit, starting_after=starting_after)

    # --- events ------------------------------------------------------------------------------------
    def record(self, account_id: str, incoming: IncomingUsage) -> Recorded:
        """Checks the event against its meter and records it once; a redelivery is a duplicate. The
        event of a customer on a test clock is received at the clock's time (so it lands in the
        clock's periods by the same rule)."""
        received = self.clock.now()
        meter = self._cached(("meter", account_id, incoming.event_name), received,
                             lambda: self.uow.meters.by_event_name(account_id, incoming.event_name))
        if meter.status != "active":
            raise InvalidInput(f"Meter '{meter.id}' is inactive: it takes no events.", param="event_name")
        customer_id = incoming.payload.get(meter.customer_key)
        if isinstance(customer_id, str) and customer_id:
            # Before the event is checked: its timestamp is judged against the clock's time.
            test_clock = self._cached(("customer", account_id, customer_id), received,
                                      lambda: self._customer(account_id, customer_id, meter.customer_key))
            if test_clock is not None and self.clocks is not None:
                received = self.clocks.now(account_id, test_clock)
        event = meter.event(identifier=incoming.identifier or self.ids.new("use"),
                            occurred_at=incoming.timestamp or received, payload=incoming.payload,
                            received_at=received)
        with self.uow:
            self.uow.usage_events.add(event)
            try:
                self.uow.commit()
            except AlreadyRecorded:
                return Recorded(event, duplicate=True)
        return Recorded(event, duplicate=False)

    def _customer(self, account_id: str, customer_id: str, key: str) -> str | None:
        """The customer's test clock (None: real time); bad input when there is no such customer."""
        try:
            return self.uow.customers.get(account_id, customer_id).test_clock
        except NotFound:
            raise InvalidInput(f"payload.{key}: no such customer: '{customer_id}'.",
                               param=f"payload.{key}") from None

    def _cached(self, key: tuple[str, str, str], now: datetime, load: Callable[[], Any]) -> Any:
        hit = self._known.get(key)
        if hit and now - hit[0] < CACHE_FOR:
            return hit[1]
        with self.uow:
            value = load()
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[key] = (now, value)
        return value

    # --- what a period bills -----------------------------------------------------------------------
    def billable(self, account_id: str, meter: Meter, customer_id: str, period: Period,
                 period_of: Callable[[datetime], Period]) -> PeriodUsage:
        """What an invoice for `period` bills for the meter and customer: call it once
        `meter.ready_at(period.end)` has passed. `period_of` gives the billing period of an earlier
        time (the subscription's), which names each late event's adjustment."""
        with self.uow:
            landed = self.uow.usage_events.landed(account_id, meter.event_name, customer_id, period.start,
                                                  period.end)

            def billed_before(earlier: Period) -> list[UsageEvent]:
                return self.uow.usage_events.landed(account_id, meter.event_name, customer_id, earlier.start,
                                                    period.start)

            return period_usage(meter.aggregation, period, landed, period_of, billed_before)

    def summary(self, account_id: str, meter_id: str, customer_id: str, start: datetime,
                end: datetime) -> UsageSummary:
        """The meter's value over the events that happened in the window [start, end), as recorded
        so far (an event lands at most 35 days plus the grace period after it happened), and what an
        invoice for the window would bill. A window whose end is not after its start holds no
        moment: nothing happened in it (0, no events)."""
        with self.uow:
            meter = self.uow.meters.get(account_id, meter_id)
            if end <= start:
                return UsageSummary(meter=meter, customer_id=customer_id, start=start, end=end, value=Decimal(0),
                                    events=0, billable_value=Decimal(0), late_events=0)
            period = Period(start, end)
            landed = self.uow.usage_events.landed(account_id, meter.event_name, customer_id, period.start,
                                                  period.end + MAX_AGE + meter.grace_period)
        happened = [e for e in landed if e.occurred_at in period]
        own = [e for e in happened if e.bucket in period]
        late = [e for e in landed if e.bucket in period and e.occurred_at < period.start]
        return UsageSummary(meter=meter, customer_id=customer_id, start=start, end=end,
                            value=aggregate(meter.aggregation, happened), events=len(happened),
                            billable_value=aggregate(meter.aggregation, own), late_events=len(late))
