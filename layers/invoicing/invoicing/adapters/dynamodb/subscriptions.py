"""Subscriptions: `ACCOUNT#{acct}#SUBSCRIPTION#{id}` / `SUBSCRIPTION` (its events: `outbox_count`).

- GSI1 `ACCOUNT#{acct}#CUSTOMER#{cus}` / `SUBSCRIPTION#{id}`: a customer's subscriptions.
- GSI2 `ACCOUNT#{acct}#SUBSCRIPTIONS#{shard}` / `{id}`: all of an account's, newest first.
- GSI4 `RENEWAL#{hour of due}#{shard}` / `{due}#{acct}#{id}#{boundary}`: what is due for billing,
  across accounts, by the hour it falls due (see docs/billing.md, "Billing runs"). A month-end
  renewal of a million subscriptions due in one hour spreads over `SHARDS` partitions; billing a
  boundary moves the key to the next boundary's hour, and a finished subscription leaves the index.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any

from invoicing.adapters.dynamodb.codec import load
from invoicing.adapters.dynamodb.common import batch_get, index_page, query_page, sharded_page
from invoicing.adapters.dynamodb.events import with_events
from invoicing.adapters.dynamodb.keys import (
    GSI1,
    GSI2,
    GSI4,
    SHARDS,
    Item,
    children_pk,
    collection_pk,
    get_s,
    n,
    renewal_pk,
    s,
    shard,
    subscription_key,
    timestamp,
)
from invoicing.domain.errors import Conflict, NotFound
from invoicing.domain.subscription import Subscription
from invoicing.services.ports import DueBoundary, Page

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork


WATERMARK: Item = {"PK": s("BILLINGRUNS"), "SK": s("WATERMARK")}  # one write an hour


def _item(sub: Subscription) -> Item:
    shard_ = shard(sub.id)
    item: Item = {
        **subscription_key(sub.account_id, sub.id),
        "version": n(sub.version),
        "status": s(sub.status),
        "GSI1PK": s(children_pk(sub.account_id, "CUSTOMER", sub.customer_id)),
        "GSI1SK": s(f"SUBSCRIPTION#{sub.id}"),
        "GSI2PK": s(collection_pk(sub.account_id, "SUBSCRIPTION", shard_)),
        "GSI2SK": s(sub.id),
        **with_events(sub, [], sub.events),
    }
    if not sub.finished and sub.test_clock is None:  # a test clock's subscriptions follow its advances
        k = sub.billed_through + 1
        due = sub.due_at(k)
        item["GSI4PK"] = s(renewal_pk(due, shard_))
        item["GSI4SK"] = s(f"{timestamp(due)}#{sub.account_id}#{sub.id}#{k}")
    return item


def _missing(subscription_id: str) -> NotFound:
    return NotFound(f"No such subscription: '{subscription_id}'.", param="subscription")


class DynamoSubscriptions:
    """The `Subscriptions` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow
        self._versions: dict[str, int] = {}

    def forget(self) -> None:
        self._versions = {}

    def add(self, sub: Subscription) -> None:
        self._uow.put(_item(sub), lambda: Conflict(f"Subscription '{sub.id}' already exists.", param="id",
                                                   code="resource_already_exists"),
                      "attribute_not_exists(PK)")

    def get(self, account_id: str, subscription_id: str) -> Subscription:
        response = self._uow.client.get_item(TableName=self._uow.table,
                                             Key=subscription_key(account_id, subscription_id), ConsistentRead=True)
        item = response.get("Item")
        if item is None:
            raise _missing(subscription_id)
        sub = load(item, Subscription)
        self._versions[sub.id] = sub.version
        return sub

    def save(self, sub: Subscription) -> None:
        """The next version of a subscription read in this unit of work, if nobody changed it since."""
        if sub.id not in self._versions:
            raise ValueError("save a subscription read in this unit of work")
        self._uow.put(_item(sub), lambda: Conflict(f"Subscription '{sub.id}' was changed concurrently; reload it "
                                                   "and try again.", param="subscription"),
                      "#version = :loaded", ExpressionAttributeNames={"#version": "version"},
                      ExpressionAttributeValues={":loaded": n(self._versions[sub.id])})

    def list(self, account_id: str, *, customer_id: str | None, limit: int,
             starting_after: str | None) -> Page[Subscription]:
        fetch = lambda keys: [load(i, Subscription) for i in batch_get(self._uow.client, self._uow.table, keys)]  # noqa: E731
        if customer_id:
            pk = s(children_pk(account_id, "CUSTOMER", customer_id))
            request: dict[str, Any] = {
                "TableName": self._uow.table, "IndexName": GSI1, "ScanIndexForward": False,
                "KeyConditionExpression": "GSI1PK = :pk AND begins_with(GSI1SK, :prefix)",
                "ExpressionAttributeValues": {":pk": pk, ":prefix": s("SUBSCRIPTION#")},
            }
            if starting_after:
                request["ExclusiveStartKey"] = {**subscription_key(account_id, starting_after), "GSI1PK": pk,
                                                "GSI1SK": s(f"SUBSCRIPTION#{starting_after}")}
            page = query_page(self._uow.client, request, limit=limit, decode=lambda item: item)
            return Page[Subscription](data=fetch(page.data), has_more=page.has_more)
        condition = "GSI2PK = :pk" + (" AND GSI2SK < :after" if starting_after else "")
        requests = [{"TableName": self._uow.table, "IndexName": GSI2, "KeyConditionExpression": condition,
                     "ExpressionAttributeValues": {":pk": s(collection_pk(account_id, "SUBSCRIPTION", i))}}
                    for i in range(SHARDS)]
        return sharded_page(self._uow.client, requests, sort_key="GSI2SK", limit=limit, after=starting_after,
                            fetch=fetch)

    def shard_page(self, account_id: str, shard_: int, *, limit: int, cursor: dict[str, Any] | None
                   ) -> tuple[builtins.list[Subscription], dict[str, Any] | None]:
        """One page of one shard of the account's subscriptions (GSI2), the documents fetched by key."""
        request: dict[str, Any] = {"TableName": self._uow.table, "IndexName": GSI2, "Limit": limit,
                                   "KeyConditionExpression": "GSI2PK = :pk",
                                   "ExpressionAttributeValues": {":pk": s(collection_pk(account_id, "SUBSCRIPTION",
                                                                                         shard_))}}
        if cursor:
            request["ExclusiveStartKey"] = cursor
        response = self._uow.client.query(**request)
        keys = [{"PK": i["PK"], "SK": i["SK"]} for i in response.get("Items", [])]
        subs = [load(i, Subscription) for i in batch_get(self._uow.client, self._uow.table, keys)]
        return subs, response.get("LastEvaluatedKey")

    def watermark(self) -> datetime | None:
        response = self._uow.client.get_item(TableName=self._uow.table, Key=WATERMARK, ConsistentRead=True)
        value = get_s(response.get("Item") or {}, "hour")
        return datetime.fromisoformat(value) if value else None

    def set_watermark(self, hour: datetime) -> None:
        self._uow.put({**WATERMARK, "hour": s(timestamp(hour))}, lambda: Conflict("unreachable"))

    def due(self, hour: datetime, shard_: int, *, until: datetime, limit: int,
            cursor: dict[str, Any] | None) -> tuple[builtins.list[DueBoundary], dict[str, Any] | None]:
        """One page of the boundaries due by `until` in one hour's shard of the renewal index."""
        keys, next_cursor = index_page(self._uow.client, self._uow.table, GSI4, renewal_pk(hour, shard_),
                                       until=timestamp(until) + "#~", limit=limit, cursor=cursor)
        found: builtins.list[DueBoundary] = []
        for key in keys:
            _, account_id, subscription_id, k = key.split("#")
            found.append(DueBoundary(account_id=account_id, subscription_id=subscription_id, boundary=int(k)))
        return found, next_cursor
