"""Metered usage: meters, the usage events they count, and the rule that puts each event in a period.

A **meter** names an event (`event_name`) and how its events aggregate over a billing period: `sum`,
`max` or `last` of a numeric value, `count` of events, or `unique_count` of a value (distinct users,
say). A **usage event** has an `identifier` of the sender's that makes it count once however often it
is delivered, the customer it belongs to, the time it happened, and its value.

**Which period an event counts in.** Events arrive late: a device was offline, a queue backed up.
A meter's `grace_period` is how long after a period ends its events may still arrive and count in
it. Each event gets a *bucket* time when it is recorded:

    bucket = max(occurred_at, received_at - grace_period)

so an event counts in the period it happened in when it arrived before that period's end plus the
grace period, and otherwise in the period in which `received_at - grace_period` falls. A period's
usage is aggregated from the events whose bucket lies in it, once the grace period after its end
has passed (a billing run waits that long; `ready_at`). An event whose bucket lies in a later
period than the one it happened in is a *late* event: the invoice of the period it lands in bills
it as an adjustment line that names the period it happened in (`PeriodUsage.adjustments`).

The rule needs no coordination between the recording of events and the billing of periods: the
bucket is decided from the event and the clock alone, so recording stays a single conditional put.

Values are exact decimals (never floats): up to 12 decimal places, as unit amounts are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from invoicing.domain.errors import Conflict, InvalidInput
from invoicing.domain.events import DomainEvent, new_event

# Stripe accepts meter events up to 35 days old and 5 minutes into the future.
MAX_AGE = timedelta(days=35)
MAX_AHEAD = timedelta(minutes=5)
MAX_GRACE = timedelta(days=7)
DEFAULT_GRACE = timedelta(hours=1)
MAX_DECIMALS = 12
MAX_VALUE = Decimal(10) ** 12
EVENT_NAME = r"^[a-z0-9][a-z0-9_.:-]{0,99}$"
IDENTIFIER = re.compile(r"^[\x21-\x7e]{1,100}$")  # printable ASCII, no spaces
PAYLOAD_KEY = r"^[A-Za-z0-9_]{1,40}$"


class AlreadyRecorded(Conflict):
    """A usage event with this identifier is recorded already (a redelivery): it counts once."""

    code = "duplicate_usage_event"


class Aggregation(StrEnum):
    SUM = "sum"
    MAX = "max"
    LAST = "last"
    COUNT = "count"
    UNIQUE_COUNT = "unique_count"

    @property
    def numeric(self) -> bool:
        """Whether the events' values are numbers (`sum`, `max`, `last`)."""
        return self in (Aggregation.SUM, Aggregation.MAX, Aggregation.LAST)


class Meter(BaseModel):
    """What to count, and how. Its `event_name` is unique in the account and never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    object: Literal["meter"] = "meter"
    account_id: str
    event_name: str = Field(pattern=EVENT_NAME)
    display_name: str = Field(min_length=1, max_length=250)
    aggregation: Aggregation = Aggregation.SUM
    # The payload keys that hold the customer id and the value (Stripe's `customer_mapping` and
    # `value_settings`): `unique_count` counts distinct values of `value_key`.
    customer_key: str = Field(default="customer", pattern=PAYLOAD_KEY)
    value_key: str = Field(default="value", pattern=PAYLOAD_KEY)
    grace_period_seconds: int = Field(default=int(DEFAULT_GRACE.total_seconds()), ge=0,
                                      le=int(MAX_GRACE.total_seconds()))
    status: Literal["active", "inactive"] = "active"
    created: datetime
    version: int = 0
    events: tuple[DomainEvent, ...] = Field(default=(), exclude=True)

    @property
    def grace_period(self) -> timedelta:
        return timedelta(seconds=self.grace_period_seconds)

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "object": "meter", "event_name": self.event_name,
                "aggregation": self.aggregation.value, "grace_period_seconds": self.grace_period_seconds,
                "status": self.status}

    def record_created(self, at: datetime) -> Meter:
        event = new_event("meter.created", account_id=self.account_id, aggregate="meter", aggregate_id=self.id,
                          version=self.version, at=at, obj=self.summary())
        return self.model_copy(update={"events": (*self.events, event)})

    def ready_at(self, period_end: datetime) -> datetime:
        """When a period ending at `period_end` may be billed: every event that counts in it has
        arrived (the grace period has passed)."""
        return period_end + self.grace_period

    def event(self, *, identifier: str, occurred_at: datetime, payload: dict[str, Any],
              received_at: datetime) -> UsageEvent:
        """A usage event of this meter from what the sender sent, checked; or `InvalidInput`."""
        if not IDENTIFIER.match(identifier):
            raise InvalidInput("identifier must be 1-100 printable ASCII characters without spaces.",
                               param="identifier")
        if occurred_at.tzinfo is None:
            raise InvalidInput("timestamp must carry a time zone (for example 2026-11-02T10:00:00Z).",
                               param="timestamp")
        if occurred_at > received_at + MAX_AHEAD:
            raise InvalidInput("timestamp is more than 5 minutes in the future.", param="timestamp")
        if occurred_at < received_at - MAX_AGE:
            raise InvalidInput("timestamp is more than 35 days in the past.", param="timestamp")
        customer = payload.get(self.customer_key)
        if not isinstance(customer, str) or not customer:
            raise InvalidInput(f"payload.{self.customer_key} must be the id of the customer the usage belongs to.",
                               param=f"payload.{self.customer_key}")
        value = self._value(payload)
        return UsageEvent(account_id=self.account_id, event_name=self.event_name, identifier=identifier,
                          customer_id=customer, occurred_at=occurred_at, received_at=received_at, value=value,
                          bucket=max(occurred_at, received_at - self.grace_period))

    def _value(self, payload: dict[str, Any]) -> str:
        param = f"payload.{self.value_key}"
        raw = payload.get(self.value_key)
        if self.aggregation is Aggregation.COUNT:
            return "1"
        if self.aggregation is Aggregation.UNIQUE_COUNT:
            if isinstance(raw, bool) or not isinstance(raw, (str, int)) or str(raw) == "":
                raise InvalidInput(f"{param} must be the value to count distinct values of (a string).",
                                   param=param)
            text = str(raw)
            if len(text) > 200:
                raise InvalidInput(f"{param} may be at most 200 characters.", param=param)
            return text
        return str(usage_quantity(raw, param))


def usage_quantity(raw: object, param: str) -> Decimal:
    """A numeric usage value: an integer or a decimal string, 0 <= value < 10^12, at most 12 decimals."""
    if isinstance(raw, bool) or isinstance(raw, float) or not isinstance(raw, (str, int)):
        raise InvalidInput(f"{param} must be an integer or a decimal string such as \"2.5\" (not a JSON float).",
                           param=param)
    try:
        value = Decimal(raw.strip()) if isinstance(raw, str) else Decimal(raw)
    except ArithmeticError:
        raise InvalidInput(f"{param} '{raw}' is not a number.", param=param) from None
    if not value.is_finite() or value < 0 or value >= MAX_VALUE:
        raise InvalidInput(f"{param} must be a number from 0 to below 10^12.", param=param)
    if value.quantize(Decimal(1).scaleb(-MAX_DECIMALS)) != value:
        raise InvalidInput(f"{param} may have at most {MAX_DECIMALS} decimal places.", param=param)
    return value.normalize() if value else Decimal(0)


class UsageEvent(BaseModel):
    """One event as recorded. `bucket` decides the period it counts in (module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    account_id: str
    event_name: str
    identifier: str
    customer_id: str
    occurred_at: datetime
    received_at: datetime
    bucket: datetime
    value: str  # a decimal for sum/max/last ("1" for count), the counted value for unique_count

    @field_validator("occurred_at", "received_at", "bucket")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a time zone")
        return value


@dataclass(frozen=True)
class Period:
    """A half-open billing period [start, end)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidInput("A period's end must be after its start.", param="end_time")

    def __contains__(self, at: datetime) -> bool:
        return self.start <= at < self.end


def aggregate(aggregation: Aggregation, events: Iterable[UsageEvent]) -> Decimal:
    """The meter's value over `events` (0 when there are none)."""
    events = list(events)
    if not events:
        return Decimal(0)
    match aggregation:
        case Aggregation.SUM:
            return sum((Decimal(e.value) for e in events), Decimal(0))
        case Aggregation.COUNT:
            return Decimal(len(events))
        case Aggregation.MAX:
            return max(Decimal(e.value) for e in events)
        case Aggregation.LAST:
            # The latest by when it happened; the identifier breaks ties, so the order of arrival
            # (which a redelivery changes) never decides.
            return Decimal(max(events, key=lambda e: (e.occurred_at, e.identifier)).value)
        case Aggregation.UNIQUE_COUNT:
            return Decimal(len({e.value for e in events}))
    raise ValueError(aggregation)


@dataclass(frozen=True)
class Adjustment:
    """Usage of an earlier, already billed period, billed now: `quantity` may be negative for `last`."""

    period: Period
    quantity: Decimal
    events: int
    billed: Decimal = Decimal(0)  # what the period's invoices billed before (a tiered price's base)


@dataclass(frozen=True)
class PeriodUsage:
    """What an invoice for `period` bills for one meter and customer."""

    period: Period
    quantity: Decimal  # events that happened in the period and arrived in time
    events: int
    adjustments: tuple[Adjustment, ...]


def period_usage(
    aggregation: Aggregation,
    period: Period,
    landed: Sequence[UsageEvent],
    period_of: Callable[[datetime], Period],
    billed_before: Callable[[Period], Sequence[UsageEvent]] = lambda _: (),
) -> PeriodUsage:
    """The usage an invoice for `period` bills, from the events whose bucket lies in `period`.

    Events that happened in `period` give its quantity. Each earlier period with late events landing
    here gets one adjustment: for `sum` and `count`, the late events' own aggregate; for `max`,
    `last` and `unique_count`, the period's value with the late events minus its value without
    them. Either way the adjustment says what the period billed before (`billed`, from
    `billed_before(p)`: the period's events whose bucket lies before `period`), so a tiered price
    charges the late units at the tier they reach. Events that happened after `period` (at most 5 minutes ahead)
    cannot land here: their bucket is never before when they happened.
    """
    own = [e for e in landed if e.occurred_at in period]
    late: dict[Period, list[UsageEvent]] = {}
    for e in landed:
        if e.occurred_at < period.start:
            late.setdefault(period_of(e.occurred_at), []).append(e)
    adjustments = []
    for earlier in sorted(late, key=lambda p: p.start):
        events = late[earlier]
        billed = [e for e in billed_before(earlier) if e.occurred_at in earlier]
        before = aggregate(aggregation, billed)
        if aggregation in (Aggregation.SUM, Aggregation.COUNT):
            quantity = aggregate(aggregation, events)
        else:
            quantity = aggregate(aggregation, [*billed, *events]) - before
        adjustments.append(Adjustment(period=earlier, quantity=quantity, events=len(events), billed=before))
    return PeriodUsage(period=period, quantity=aggregate(aggregation, own), events=len(own),
                       adjustments=tuple(adjustments))
