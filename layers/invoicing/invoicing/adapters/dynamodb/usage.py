"""Meters and usage events.

- A meter: `ACCOUNT#{acct}#METER#{id}` / `METER` (its events: `outbox_count`), listed through GSI2
  (`ACCOUNT#{acct}#METERS#{shard}` / id). Its event name is claimed by `ACCOUNT#{acct}#METERNAME#{name}`
  / `METERNAME`, written in the same transaction, which also carries the meter's document: recording
  an event reads the meter by its name in one GetItem.
- A usage event: `ACCOUNT#{acct}#USAGE#{event_name}#{identifier}` / `USAGE`, written only if absent,
  so an event delivered five times is stored once. Each event has a partition of its own: a meter
  receiving thousands of events a second writes as many partitions.
- A period's events: GSI1 (`ACCOUNT#{acct}#METERED#{event_name}#{customer}#{shard}` /
  `{bucket}#{identifier}`), the shard a hash of the identifier, so even one customer's thousands of
  events a second spread over `SHARDS` index partitions. GSI1 projects the few attributes a period's
  aggregation reads (`occurred_at`, `received_at`, `usage_value`), so it is a Query per shard and no
  read of the events' items.

See docs/dynamodb-access-patterns.md and docs/usage.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from invoicing.adapters.dynamodb.codec import load, packed
from invoicing.adapters.dynamodb.common import batch_get, sharded_page
from invoicing.adapters.dynamodb.events import with_events
from invoicing.adapters.dynamodb.keys import (
    GSI1,
    GSI2,
    SHARDS,
    Item,
    collection_pk,
    get_s,
    meter_key,
    meter_name_key,
    metered_pk,
    n,
    s,
    shard,
    timestamp,
    usage_event_key,
)
from invoicing.domain.errors import Conflict, NotFound
from invoicing.domain.usage import AlreadyRecorded, Meter, UsageEvent
from invoicing.services.ports import Page

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork


def _meter_missing(meter_id: str) -> NotFound:
    return NotFound(f"No such meter: '{meter_id}'.", param="meter")


class DynamoMeters:
    """The `Meters` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow

    def forget(self) -> None:
        pass

    def add(self, meter: Meter) -> None:
        self._uow.put({
            **meter_key(meter.account_id, meter.id),
            "version": n(meter.version),
            "GSI2PK": s(collection_pk(meter.account_id, "METER", shard(meter.id))),
            "GSI2SK": s(meter.id),
            **with_events(meter, [], meter.events),
        }, lambda: Conflict(f"Meter '{meter.id}' already exists.", param="id", code="resource_already_exists"),
            "attribute_not_exists(PK)")
        self._uow.put({**meter_name_key(meter.account_id, meter.event_name), "doc": packed(meter)},
                      lambda: Conflict(f"A meter for event_name '{meter.event_name}' already exists.",
                                       param="event_name", code="resource_already_exists"),
                      "attribute_not_exists(PK)")

    def get(self, account_id: str, meter_id: str) -> Meter:
        item = self._get(meter_key(account_id, meter_id))
        if item is None:
            raise _meter_missing(meter_id)
        return load(item, Meter)

    def by_event_name(self, account_id: str, event_name: str) -> Meter:
        item = self._get(meter_name_key(account_id, event_name))
        if item is None:
            raise NotFound(f"No meter counts event_name '{event_name}': create it first (POST /meters).",
                           param="event_name")
        return load(item, Meter)

    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[Meter]:
        condition = "GSI2PK = :pk" + (" AND GSI2SK < :after" if starting_after else "")
        requests = [{"TableName": self._uow.table, "IndexName": GSI2, "KeyConditionExpression": condition,
                     "ExpressionAttributeValues": {":pk": s(collection_pk(account_id, "METER", i))}}
                    for i in range(SHARDS)]
        return sharded_page(self._uow.client, requests, sort_key="GSI2SK", limit=limit, after=starting_after,
                            fetch=lambda keys: [load(i, Meter) for i in batch_get(self._uow.client,
                                                                                  self._uow.table, keys)])

    def _get(self, key: Item) -> Item | None:
        response = self._uow.client.get_item(TableName=self._uow.table, Key=key, ConsistentRead=True)
        item: Item | None = response.get("Item")
        return item


class DynamoUsageEvents:
    """The `UsageEvents` store."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow

    def forget(self) -> None:
        pass

    def add(self, event: UsageEvent) -> None:
        """Registers the event's write; the commit raises `AlreadyRecorded` if it is recorded already."""
        self._uow.put({
            **usage_event_key(event.account_id, event.event_name, event.identifier),
            "customer": s(event.customer_id),
            "occurred_at": s(timestamp(event.occurred_at)),
            "received_at": s(timestamp(event.received_at)),
            "usage_value": s(event.value),
            "GSI1PK": s(metered_pk(event.account_id, event.event_name, event.customer_id, shard(event.identifier))),
            "GSI1SK": s(f"{timestamp(event.bucket)}#{event.identifier}"),
        }, lambda: AlreadyRecorded(f"Usage event '{event.identifier}' is already recorded.",
                                   param="identifier"),
            "attribute_not_exists(PK)")

    def landed(self, account_id: str, event_name: str, customer_id: str, start: datetime,
               end: datetime) -> list[UsageEvent]:
        """The customer's events of the meter whose bucket lies in [start, end), from every shard."""
        found: list[UsageEvent] = []
        for i in range(SHARDS):
            pk = metered_pk(account_id, event_name, customer_id, i)
            request: dict[str, Any] = {
                "TableName": self._uow.table, "IndexName": GSI1,
                # "{end}" sorts before every "{end}#id" and after every earlier bucket: [start, end).
                "KeyConditionExpression": "GSI1PK = :pk AND GSI1SK BETWEEN :start AND :end",
                "ExpressionAttributeValues": {":pk": s(pk), ":start": s(timestamp(start)),
                                              ":end": s(timestamp(end))},
            }
            while True:
                response = self._uow.client.query(**request)
                found.extend(_decode(item, account_id, event_name, customer_id) for item in response.get("Items", []))
                if "LastEvaluatedKey" not in response:
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return found


def _decode(item: Item, account_id: str, event_name: str, customer_id: str) -> UsageEvent:
    bucket, identifier = str(get_s(item, "GSI1SK")).split("#", 1)
    return UsageEvent(account_id=account_id, event_name=event_name, identifier=identifier, customer_id=customer_id,
                      occurred_at=datetime.fromisoformat(str(get_s(item, "occurred_at"))),
                      received_at=datetime.fromisoformat(str(get_s(item, "received_at"))),
                      bucket=datetime.fromisoformat(bucket), value=str(get_s(item, "usage_value")))
