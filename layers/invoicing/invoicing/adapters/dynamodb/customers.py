"""Customers (the buyers): `ACCOUNT#{acct}#CUSTOMER#{id}` / `CUSTOMER`; listed through GSI2
(`ACCOUNT#{acct}#CUSTOMERS#{shard}` / id). Each of its segments is an item beside it
(`SEGMENT#{segment}`), listed through GSI2 `ACCOUNT#{acct}#SEGMENT#{segment}#{shard}` / id: a
segment's customers, written and removed in the same commit as the customer's change.

The customer's credit balance is money that commits move (finalization takes credit off it, a
post-payment credit note adds to it), and a write cannot change a field inside the JSON document.
So `credit_balance` also lives in a plain numeric attribute, which is the truth: `get` lays it over
the document, `save` never writes it, and only `adjust_credit` changes it. A customer's item keeps
the events of its last change only (its audit trail is the bus's): `outbox_count` marks them.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from invoicing.adapters.dynamodb.codec import load
from invoicing.adapters.dynamodb.common import batch_get, sharded_page
from invoicing.adapters.dynamodb.events import with_events
from invoicing.adapters.dynamodb.keys import (
    GSI2,
    SHARDS,
    Item,
    collection_pk,
    customer_key,
    get_n,
    n,
    s,
    segment_member_key,
    segment_pk,
    shard,
)
from invoicing.domain.errors import Conflict, InvalidInput, NotFound
from invoicing.domain.party import Customer
from invoicing.services.ports import Page

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork


def decode_customer(item: Item) -> Customer:
    customer = load(item, Customer)
    balance = get_n(item, "credit_balance")
    return customer if balance is None else customer.model_copy(update={"credit_balance": balance})


def _not_found(customer_id: str) -> NotFound:
    return NotFound(f"No such customer: '{customer_id}'.", param="customer")


class DynamoCustomers:
    """The `Customers` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow
        self._versions: dict[str, int] = {}
        self._segments: dict[str, list[str]] = {}

    def forget(self) -> None:
        self._versions = {}
        self._segments = {}

    def _memberships(self, account_id: str, customer_id: str, before: list[str], after: list[str]) -> None:
        for segment in sorted(set(after) - set(before)):
            self._uow.put({**segment_member_key(account_id, customer_id, segment),
                           "GSI2PK": s(segment_pk(account_id, segment, shard(customer_id))), "GSI2SK": s(customer_id)},
                          lambda: Conflict("unreachable"))
        for segment in sorted(set(before) - set(after)):
            self._uow.delete(segment_member_key(account_id, customer_id, segment), lambda: Conflict("unreachable"))

    def add(self, customer: Customer) -> None:
        item: Item = {
            **customer_key(customer.account_id, customer.id),
            "credit_balance": n(customer.credit_balance),
            "version": n(customer.version),
            "GSI2PK": s(collection_pk(customer.account_id, "CUSTOMER", shard(customer.id))),
            "GSI2SK": s(customer.id),
            **with_events(customer, [], customer.events),
        }
        self._uow.put(item, lambda: Conflict(f"Customer '{customer.id}' already exists.", param="id",
                                             code="resource_already_exists"),
                      "attribute_not_exists(PK)")
        self._memberships(customer.account_id, customer.id, [], customer.segments)

    def get(self, account_id: str, customer_id: str) -> Customer:
        response = self._uow.client.get_item(TableName=self._uow.table, Key=customer_key(account_id, customer_id),
                                             ConsistentRead=True)
        item = response.get("Item")
        if item is None:
            raise _not_found(customer_id)
        customer = decode_customer(item)
        self._versions[customer.id] = customer.version
        self._segments[customer.id] = list(customer.segments)
        return customer

    def get_many(self, account_id: str, customer_ids: Sequence[str]) -> list[Customer]:
        found = [decode_customer(item) for item in batch_get(self._uow.client, self._uow.table,
                                                             [customer_key(account_id, c) for c in customer_ids])]
        self._versions.update({c.id: c.version for c in found})
        self._segments.update({c.id: list(c.segments) for c in found})
        return found

    def save(self, customer: Customer) -> None:
        """The customer's details and events, if its version is still the one read."""
        if customer.id not in self._versions:
            raise ValueError("save a customer read in this unit of work")
        self._uow.update(
            customer_key(customer.account_id, customer.id),
            "SET #doc = :doc, #version = :version, outbox_count = :count",
            lambda: Conflict(f"Customer '{customer.id}' was changed concurrently; reload it and try again.",
                             param="customer"),
            "#version = :loaded",
            ExpressionAttributeNames={"#doc": "doc", "#version": "version"},
            ExpressionAttributeValues={":doc": with_events(customer, [], customer.events)["doc"],
                                       ":version": n(customer.version),
                                       ":loaded": n(self._versions[customer.id]),
                                       ":count": n(len(customer.events))},
        )
        self._memberships(customer.account_id, customer.id, self._segments.get(customer.id, []), customer.segments)

    def adjust_credit(self, account_id: str, customer_id: str, delta: int) -> None:
        condition = "attribute_exists(PK)"
        values: dict[str, Any] = {":delta": n(delta), ":zero": n(0)}
        if delta < 0:
            condition += " AND credit_balance >= :needed"
            values[":needed"] = n(-delta)

        def explain() -> Exception:
            if delta >= 0:
                return _not_found(customer_id)
            return InvalidInput(f"The credit balance of customer '{customer_id}' is less than the {-delta} to "
                                "take off (it changed meanwhile); reload and try again.",
                                param="credit_balance", code="balance_insufficient")

        self._uow.update(
            customer_key(account_id, customer_id),
            "SET credit_balance = if_not_exists(credit_balance, :zero) + :delta, outbox_count = :zero",
            explain, condition, ExpressionAttributeValues=values,
        )

    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[Customer]:
        """Newest first (ids sort by creation time), merged from the shards of GSI2."""
        condition = "GSI2PK = :pk" + (" AND GSI2SK < :after" if starting_after else "")
        requests = [{"TableName": self._uow.table, "IndexName": GSI2, "KeyConditionExpression": condition,
                     "ExpressionAttributeValues": {":pk": s(collection_pk(account_id, "CUSTOMER", i))}}
                    for i in range(SHARDS)]
        return sharded_page(self._uow.client, requests, sort_key="GSI2SK", limit=limit, after=starting_after,
                            fetch=lambda keys: [decode_customer(i) for i in batch_get(self._uow.client,
                                                                                      self._uow.table, keys)])

    def in_segment(self, account_id: str, segment: str, shard_: int, *, limit: int,
                   cursor: dict[str, Any] | None) -> tuple[builtins.list[str], dict[str, Any] | None]:
        """One page of a segment's customer ids from one shard of its GSI2 partition (a billing run's page)."""
        request: dict[str, Any] = {"TableName": self._uow.table, "IndexName": GSI2, "Limit": limit,
                                   "KeyConditionExpression": "GSI2PK = :pk",
                                   "ExpressionAttributeValues": {":pk": s(segment_pk(account_id, segment, shard_))}}
        if cursor:
            request["ExclusiveStartKey"] = cursor
        response = self._uow.client.query(**request)
        return [str(item["GSI2SK"]["S"]) for item in response.get("Items", [])], response.get("LastEvaluatedKey")

    def list_in_segment(self, account_id: str, segment: str, *, limit: int,
                        starting_after: str | None) -> Page[Customer]:
        """A segment's customers, newest first, merged from the shards of its GSI2 partition."""
        condition = "GSI2PK = :pk" + (" AND GSI2SK < :after" if starting_after else "")
        requests = [{"TableName": self._uow.table, "IndexName": GSI2, "KeyConditionExpression": condition,
                     "ExpressionAttributeValues": {":pk": s(segment_pk(account_id, segment, i))}}
                    for i in range(SHARDS)]

        def fetch(keys: builtins.list[Item]) -> builtins.list[Customer]:
            ids = [str(k["GSI2SK"]["S"]) for k in keys]
            return [decode_customer(i) for i in batch_get(self._uow.client, self._uow.table,
                                                           [customer_key(account_id, c) for c in ids])]

        return sharded_page(self._uow.client, requests, sort_key="GSI2SK", limit=limit, after=starting_after,
                            fetch=fetch)
