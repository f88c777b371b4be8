"""The subscriptions part of the API (docs/billing.md): request bodies, views and routes.

    POST /subscriptions                          create (its first period is billed at once)
    GET  /subscriptions                          list, newest first (?customer=)
    GET  /subscriptions/{id}                     retrieve
    POST /subscriptions/{id}/items               add an item, with proration
    POST /subscriptions/{id}/items/{item_id}     change an item's price or quantity, or remove it, with proration
    POST /subscriptions/{id}/cancel              now, or at the end of the period
    POST /subscriptions/{id}/pause               no invoices until resumed
    POST /subscriptions/{id}/resume
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import AwareDatetime, ConfigDict, Field, StrictBool, StrictInt, model_validator

from invoicing.api.contract import CHANGE, CREATE, LIST, READ, answers
from invoicing.api.requests import Command
from invoicing.api.views import ListOf, View, iso, list_view
from invoicing.domain.schema_rules import at_most_one, given
from invoicing.domain.subscription import MAX_ITEMS, Subscription, SubscriptionStatus
from invoicing.services.billing import BillingService
from invoicing.services.subscription_items import SubscriptionItems
from invoicing.services.subscriptions import NewItem, NewSubscription, SubscriptionService

Id = Annotated[str, Field(min_length=1, max_length=64)]
SubscriptionId = Annotated[str, Path(max_length=64)]
ItemId = Annotated[str, Path(max_length=64)]


class ItemIn(Command):
    price: Id
    quantity: StrictInt = Field(default=1, ge=0, le=10**7)
    meter: str | None = Field(default=None, max_length=100, description="A metered price's meter (its event_name)")


class SubscriptionCreate(Command):
    customer: Id
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_ITEMS)
    collection_method: Literal["charge_automatically", "send_invoice"] = "send_invoice"
    days_until_due: StrictInt | None = Field(default=None, ge=0, le=365)
    model_config = ConfigDict(json_schema_extra={"allOf": [at_most_one("trial_end", "trial_period_days")]})

    trial_end: AwareDatetime | None = None
    trial_period_days: StrictInt | None = Field(default=None, ge=1, le=730)
    coupon: Id | None = None
    metadata: dict[Annotated[str, Field(min_length=1, max_length=40)], Annotated[str, Field(max_length=500)]] = \
        Field(default_factory=dict, max_length=50)

    @model_validator(mode="after")
    def _one_trial(self) -> SubscriptionCreate:
        if self.trial_end is not None and self.trial_period_days is not None:
            raise ValueError("give trial_end or trial_period_days, not both")
        if self.collection_method == "send_invoice" and self.days_until_due is None:
            self.days_until_due = 30
        return self

    def command(self, now: datetime) -> NewSubscription:
        trial_end = self.trial_end or (now + timedelta(days=self.trial_period_days) if self.trial_period_days else None)
        items = [NewItem(price_id=i.price, quantity=i.quantity, meter=i.meter) for i in self.items]
        return NewSubscription(customer_id=self.customer, items=items,
                               collection_method=self.collection_method, days_until_due=self.days_until_due,
                               trial_end=trial_end.astimezone(UTC) if trial_end else None, coupon_id=self.coupon,
                               metadata=dict(self.metadata))


class Proration(Command):
    proration_behavior: Literal["create_prorations", "none", "always_invoice"] = Field(
        default="create_prorations",
        description="create_prorations: a credit line for the unused time on the old item and a charge line for "
                    "the remaining time on the new one wait for the next invoice; always_invoice: the pending "
                    "prorations are invoiced now, on one invoice (unless they come to zero or less: then they "
                    "wait); none: no proration")
    proration_basis: Literal["seconds", "days"] = Field(
        default="seconds", description="seconds (Stripe's): the share of the period's seconds left; days: whole "
                                       "days from the change's date to the period's end, the change's day included")


class ItemAdd(Proration):
    price: Id
    quantity: StrictInt = Field(default=1, ge=0, le=10**7)
    meter: str | None = Field(default=None, max_length=100, description="A metered price's meter (its event_name)")


class ItemUpdate(Proration):
    # Exactly one of: a new price or quantity (or both), or `deleted: true`.
    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"anyOf": [given("price"), given("quantity")]},
        {"required": ["deleted"], "properties": {"deleted": {"const": True}}}]})

    price: Id | None = Field(default=None, description="The item's new price (same interval and usage type)")
    quantity: StrictInt | None = Field(default=None, ge=0, le=10**7)
    deleted: StrictBool = Field(default=False, description="Remove the item (its unused time is credited)")

    @model_validator(mode="after")
    def _one_change(self) -> ItemUpdate:
        if self.deleted and (self.price is not None or self.quantity is not None):
            raise ValueError("a deleted item takes no price or quantity")
        if not self.deleted and self.price is None and self.quantity is None:
            raise ValueError("give the item's new price or quantity, or deleted: true")
        return self


class CancelBody(Command):
    at_period_end: StrictBool = Field(default=False, description="Bill the period's usage at its end, then end")


class SubscriptionItemObject(View):
    id: str
    object: Literal["subscription_item"]
    price: str
    quantity: int
    meter: str | None


class PendingProrationObject(View):
    kind: Literal["credit", "charge"] = Field(description="credit: the unused time on the old item; charge: the "
                                                          "remaining time on the new one")
    description: str = Field(examples=["Unused time on 1 × Basic"])
    amount: int = Field(description="Minor units: negative for a credit")
    price: str
    period_start: datetime
    period_end: datetime


class SubscriptionObject(View):
    id: str = Field(examples=["sub_01JD4V6Q3Z0M6V2K3W5N8P9R7T"])
    object: Literal["subscription"]
    customer: str
    currency: str
    status: SubscriptionStatus
    collection_method: Literal["charge_automatically", "send_invoice"]
    days_until_due: int | None
    billing_cycle_anchor: datetime
    trial_end: datetime | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    next_billing_at: datetime | None
    cancel_at_period_end: bool
    canceled_at: datetime | None
    ended_at: datetime | None
    latest_invoice: str | None
    coupon: str | None
    items: list[SubscriptionItemObject]
    pending_prorations: list[PendingProrationObject]
    metadata: dict[str, str]
    created: datetime


class SubscriptionList(ListOf[SubscriptionObject]):
    pass


def subscription_view(sub: Subscription) -> dict[str, Any]:
    current = sub.current_period
    return {
        "id": sub.id, "object": "subscription", "customer": sub.customer_id, "currency": sub.currency,
        "status": sub.status, "collection_method": sub.collection_method, "days_until_due": sub.days_until_due,
        "billing_cycle_anchor": iso(sub.billing_cycle_anchor), "trial_end": iso(sub.trial_end),
        "current_period_start": iso(current.start) if current else None,
        "current_period_end": iso(current.end) if current else None,
        "next_billing_at": None if sub.finished else iso(sub.due_at(sub.billed_through + 1)),
        "cancel_at_period_end": sub.cancel_at_period_end, "canceled_at": iso(sub.canceled_at),
        "ended_at": iso(sub.ended_at), "latest_invoice": sub.latest_invoice,
        "coupon": sub.coupon.id if sub.coupon else None,
        "items": [{"id": i.id, "object": "subscription_item", "price": i.price.id, "quantity": i.quantity,
                   "meter": i.meter} for i in sub.items],
        "pending_prorations": [{"kind": p.kind, "description": p.description, "amount": p.amount, "price": p.price_id,
                                "period_start": iso(p.period_start), "period_end": iso(p.period_end)}
                               for p in sub.pending_lines],
        "metadata": sub.metadata, "created": iso(sub.created),
    }


def subscriptions_router(subscriptions: SubscriptionService, billing: BillingService,
                         account_id: Callable[[], str], now: Callable[[], datetime]) -> Router:
    router = Router()

    def ok(body: dict[str, Any], status: int = 200) -> Response:
        return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))

    @router.post("/subscriptions", tags=["subscriptions"], summary="Create a subscription; its first period is billed",
                responses=answers(201, SubscriptionObject, CREATE, 404))
    def create_subscription(body: Annotated[SubscriptionCreate, Body()]):
        account = account_id()
        sub = subscriptions.create(account, body.command(now()))
        billed = billing.bill(account, sub.id, 0)  # at once, unless a trial comes first (then: its end)
        if billed.invoice_id:  # at the subscription's time (its test clock's, in a sandbox)
            billing.finalize(account, [billed.invoice_id])
        return ok(subscription_view(subscriptions.get(account, sub.id)), 201)

    @router.get("/subscriptions", tags=["subscriptions"], summary="List subscriptions, newest first",
                responses=answers(200, SubscriptionList, LIST))
    def list_subscriptions(limit: Annotated[int, Query(ge=1, le=100)] = 10,
                           starting_after: Annotated[str | None, Query(max_length=64)] = None,
                           customer: Annotated[str | None, Query(max_length=64)] = None):
        page = subscriptions.list(account_id(), customer_id=customer, limit=limit, starting_after=starting_after)
        return ok(list_view(page, subscription_view, "/subscriptions"))

    @router.get("/subscriptions/<subscription_id>", tags=["subscriptions"], summary="Retrieve a subscription",
                responses=answers(200, SubscriptionObject, READ))
    def get_subscription(subscription_id: SubscriptionId):
        return ok(subscription_view(subscriptions.get(account_id(), subscription_id)))

    items = SubscriptionItems(subscriptions, billing)

    def change_id() -> str | None:
        """The change's id, for a retry of the same request with the same Idempotency-Key (docs/subscriptions.md)."""
        event = router.current_event
        key = next((v for k, v in (event.headers or {}).items() if k.lower() == "idempotency-key"), None)
        if not key:
            return None
        request = json.dumps([key, event.path, json.loads(event.body or "null")], sort_keys=True)
        return "chg_" + hashlib.sha256(request.encode()).hexdigest()[:32]

    @router.post("/subscriptions/<subscription_id>/items", tags=["subscriptions"],
                 summary="Add an item from now, with proration",
                 responses=answers(200, SubscriptionObject, CHANGE))
    def add_item(subscription_id: SubscriptionId, body: Annotated[ItemAdd, Body()]):
        result = items.add(account_id(), subscription_id, price_id=body.price, quantity=body.quantity,
                           meter=body.meter, behavior=body.proration_behavior, basis=body.proration_basis,
                           change_id=change_id())
        return ok(subscription_view(subscriptions.get(account_id(), result.subscription.id)))

    @router.post("/subscriptions/<subscription_id>/items/<item_id>", tags=["subscriptions"],
                 summary="Change an item's price or quantity from now, or remove it, with proration",
                 responses=answers(200, SubscriptionObject, CHANGE))
    def update_item(subscription_id: SubscriptionId, item_id: ItemId,
                    body: Annotated[ItemUpdate, Body()]):
        how: dict[str, Any] = {"behavior": body.proration_behavior, "basis": body.proration_basis,
                               "change_id": change_id()}
        if body.deleted:
            items.remove(account_id(), subscription_id, item_id, **how)
        else:
            items.update(account_id(), subscription_id, item_id, price_id=body.price, quantity=body.quantity, **how)
        return ok(subscription_view(subscriptions.get(account_id(), subscription_id)))

    @router.post("/subscriptions/<subscription_id>/cancel", tags=["subscriptions"],
                 summary="Cancel now, or at the end of the current period",
                responses=answers(200, SubscriptionObject, CHANGE))
    def cancel_subscription(subscription_id: SubscriptionId, body: Annotated[CancelBody | None, Body()] = None):
        at_period_end = body.at_period_end if body else False
        return ok(subscription_view(subscriptions.cancel(account_id(), subscription_id, at_period_end=at_period_end)))

    @router.post("/subscriptions/<subscription_id>/pause", tags=["subscriptions"],
                 summary="Pause: the periods that pass while paused are not billed",
                responses=answers(200, SubscriptionObject, CHANGE))
    def pause_subscription(subscription_id: SubscriptionId):
        return ok(subscription_view(subscriptions.pause(account_id(), subscription_id)))

    @router.post("/subscriptions/<subscription_id>/resume", tags=["subscriptions"], summary="Resume billing",
                responses=answers(200, SubscriptionObject, CHANGE))
    def resume_subscription(subscription_id: SubscriptionId):
        return ok(subscription_view(subscriptions.resume(account_id(), subscription_id)))

    return router
