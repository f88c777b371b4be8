"""Domain events: what happened to an aggregate, recorded by the aggregate itself.

An aggregate method that changes state returns the changed aggregate with the event appended to
its `events` (never stored in its document). The unit of work writes those events in the same
transaction as the change: they are the audit trail and the outbox at once, and a relay publishes
them to the event bus, where rendering, sending, metrics and reports subscribe.

Event ids are derived from the aggregate, its version and the event type, so a retried commit
records the same event under the same id, and consumers deduplicate on it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

EVENT_TYPES = (
    "invoice.created",
    "invoice.updated",
    "invoice.finalized",
    "invoice.paid",
    "invoice.partially_paid",  # emitted by payments; dunning's subscriber consumes them and payment_failed
    "invoice.payment_failed",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "invoice.reopened",
    "invoice.rendered",
    "invoice.send_requested",
    "invoice.sent",
    "invoice.question",
    "invoice.question_forwarded",
    "invoice.hosted_link_rotated",
    "credit_note.created",
    "customer.created",
    "customer.updated",
    "meter.created",
    "product.created",
    "price.created",
    "price.updated",
    "coupon.created",
    "discount_rule.created",
    "discount_rule.updated",
    "subscription.created",
    "subscription.updated",
    "subscription.renewed",
    "subscription.paused",
    "subscription.resumed",
    "subscription.deleted",
    "billing_run.completed",
    "payment.received",
    "payment.applied",
    "payment.unmatched",
    "payment.failed",
    "payment.refunded",
    "payment.reversed",
    "statement.received",
    "statement.reconciled",
    "statement.rejected",
)


class DomainEvent(BaseModel):
    """One fact about one aggregate (`invoice`, `customer`), in the words of the API."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    type: str
    account_id: str
    aggregate: str  # "invoice" | "customer" | "product" | "price" | "coupon": whose audit trail holds the event
    aggregate_id: str
    version: int  # the aggregate's version after the change
    created: datetime
    data: dict[str, Any]  # {"object": <a compact view of the object the event is about>}


def event_id(aggregate_id: str, version: int, type_: str) -> str:
    digest = hashlib.sha256(f"{aggregate_id}:{version}:{type_}".encode()).hexdigest()
    return f"evt_{digest[:26]}"


def new_event(type_: str, *, account_id: str, aggregate: str, aggregate_id: str, version: int,
              at: datetime, obj: dict[str, Any]) -> DomainEvent:
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    return DomainEvent(id=event_id(aggregate_id, version, type_), type=type_, account_id=account_id,
                       aggregate=aggregate, aggregate_id=aggregate_id, version=version, created=at,
                       data={"object": obj})
