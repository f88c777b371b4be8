"""The usage part of the API: meters and usage events (docs/usage.md). Request bodies, views and
routes of one capability; `build_app` includes the router.

    POST /meters                       create a meter
    GET  /meters                       list meters, newest first
    GET  /meters/{id}                  retrieve a meter
    GET  /meters/{id}/usage            a customer's usage over [start_time, end_time)
    POST /usage_events                 record a usage event (also: the usage queue)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import Field, StrictInt

from invoicing.api.contract import CREATE, LIST, READ, IsoDateTime, answers
from invoicing.api.requests import Command
from invoicing.api.usage_requests import UsageEventCreate
from invoicing.api.views import DecimalText, ListOf, View, decimal_text, iso, list_view
from invoicing.domain.usage import EVENT_NAME, PAYLOAD_KEY, Meter
from invoicing.services.usage import NewMeter, Recorded, UsageService, UsageSummary


class MeterCreate(Command):
    event_name: str = Field(pattern=EVENT_NAME, description="The name usage events of this meter carry")
    display_name: str = Field(min_length=1, max_length=250)
    aggregation: Literal["sum", "max", "last", "count", "unique_count"] = "sum"
    customer_key: str = Field(default="customer", pattern=PAYLOAD_KEY,
                              description="The payload key holding the customer id")
    value_key: str = Field(default="value", pattern=PAYLOAD_KEY,
                           description="The payload key holding the value (the distinct value for unique_count)")
    grace_period_seconds: StrictInt | None = Field(default=None, ge=0, le=7 * 86400,
                                             description="How long after a period ends its events may arrive "
                                                         "and still count in it (default 3600)")


# --- views --------------------------------------------------------------------------------------

class MeterObject(View):
    id: str = Field(examples=["mtr_01JD4V6Q3Z0M6V2K3W5N8P9R7T"])
    object: Literal["meter"]
    event_name: str
    display_name: str
    aggregation: Literal["sum", "max", "last", "count", "unique_count"]
    customer_key: str
    value_key: str
    grace_period_seconds: int
    status: Literal["active", "inactive"]
    created: datetime


class MeterList(ListOf[MeterObject]):
    pass


class UsageEventObject(View):
    object: Literal["usage_event"]
    event_name: str
    identifier: str
    customer: str
    timestamp: datetime
    value: str = Field(description="A decimal string for sum, max and last; 1 for count; the value counted for "
                                   "unique_count")
    period_time: datetime = Field(description="The start of the period it counts in")
    duplicate: bool = Field(description="true: an event with this identifier was recorded before (it counts once)")


class UsageSummaryObject(View):
    object: Literal["usage_summary"]
    meter: str
    customer: str
    start_time: datetime
    end_time: datetime
    aggregation: Literal["sum", "max", "last", "count", "unique_count"]
    aggregated_value: DecimalText
    events: int
    billable_value: DecimalText
    late_events: int


def meter_view(meter: Meter) -> dict[str, Any]:
    data = meter.model_dump(mode="json", exclude={"account_id", "version"})
    data["created"] = iso(meter.created)
    return data


def usage_event_view(recorded: Recorded) -> dict[str, Any]:
    e = recorded.event
    return {"object": "usage_event", "event_name": e.event_name, "identifier": e.identifier,
            "customer": e.customer_id, "timestamp": iso(e.occurred_at), "value": e.value,
            "period_time": iso(e.bucket), "duplicate": recorded.duplicate}


def usage_summary_view(summary: UsageSummary) -> dict[str, Any]:
    return {"object": "usage_summary", "meter": summary.meter.id, "customer": summary.customer_id,
            "start_time": iso(summary.start), "end_time": iso(summary.end),
            "aggregation": summary.meter.aggregation.value, "aggregated_value": decimal_text(summary.value),
            "events": summary.events, "billable_value": decimal_text(summary.billable_value),
            "late_events": summary.late_events}


# --- routes -------------------------------------------------------------------------------------

def usage_router(usage: UsageService, account_id: Callable[[], str]) -> Router:
    router = Router()

    def ok(body: dict[str, Any], status: int = 200) -> Response:
        return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))

    @router.post("/meters", tags=["usage"], summary="Create a meter: what usage events to count, and how",
                responses=answers(201, MeterObject, CREATE))
    def create_meter(body: Annotated[MeterCreate, Body()]):
        cmd = NewMeter(**body.model_dump())
        return ok(meter_view(usage.create_meter(account_id(), cmd)), 201)

    @router.get("/meters", tags=["usage"], summary="List meters, newest first",
                responses=answers(200, MeterList, LIST))
    def list_meters(limit: Annotated[int, Query(ge=1, le=100)] = 10,
                    starting_after: Annotated[str | None, Query(max_length=64)] = None):
        page = usage.list_meters(account_id(), limit=limit, starting_after=starting_after)
        return ok(list_view(page, meter_view, "/meters"))

    @router.get("/meters/<meter_id>", tags=["usage"], summary="Retrieve a meter",
                responses=answers(200, MeterObject, READ))
    def get_meter(meter_id: Annotated[str, Path(max_length=64)]):
        return ok(meter_view(usage.get_meter(account_id(), meter_id)))

    @router.get("/meters/<meter_id>/usage", tags=["usage"],
                summary="A customer's usage of a meter over [start_time, end_time) (none when end_time is not "
                        "after start_time: the window is empty)",
                responses=answers(200, UsageSummaryObject, READ))
    def meter_usage(meter_id: Annotated[str, Path(max_length=64)],
                    customer: Annotated[str, Query(min_length=1, max_length=64)],
                    start_time: Annotated[IsoDateTime, Query(description="ISO 8601 with a zone")],
                    end_time: Annotated[IsoDateTime, Query(description="ISO 8601 with a zone")]):
        summary = usage.summary(account_id(), meter_id, customer, _aware(start_time), _aware(end_time))
        return ok(usage_summary_view(summary))

    @router.post("/usage_events", tags=["usage"], summary="Record a usage event (counted once per identifier)",
                responses=answers(201, UsageEventObject, CREATE, 404, also={200: UsageEventObject}))
    def record_usage(body: Annotated[UsageEventCreate, Body()]):
        recorded = usage.record(account_id(), body.incoming())
        return ok(usage_event_view(recorded), 200 if recorded.duplicate else 201)

    return router


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
