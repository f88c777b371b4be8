"""Dunning records, beside their invoice: `ACCOUNT#{acct}#INVOICE#{id}` /

- `DUNNING`: the record (plan, steps done, the step in progress), under its `version`;
- `DUNNING#STEP#{step}`: one per (invoice, step), put with `attribute_not_exists` when the step is
  claimed and given its outcome once when it completes: a step is claimed once, whatever runs;
- `NOTICE#{event id}`: a payment-status notice sent for that event.

The next-step index is GSI4 `DUNNING#{hour of the next step}#{shard}` /
`{when}#{acct}#{invoice}#{step}` on the record (keys only): a dunning run reads the hours it covers,
one Query per (hour, shard), across accounts, never a Scan. The shard is the invoice id's hash, so a
month-end's invoices, all due at one hour, spread over `SHARDS` partitions. Saving the record moves
its entry to the next step's hour; a stopped or completed record leaves the index.

The record of a test clock's customer (sandbox) is never in that index, so the real-time runs never
see it: it is indexed per clock instead, GSI1 `ACCOUNT#{acct}#TESTCLOCK#{clock}` /
`DUNNING#{when}#{invoice}#{step}` (beside the clock's drafts in review), which the clock's advance
reads in time order.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any

from invoicing.adapters.dynamodb.codec import load, packed
from invoicing.adapters.dynamodb.common import index_page
from invoicing.adapters.dynamodb.keys import (
    GSI1,
    GSI4,
    Item,
    children_pk,
    dunning_key,
    dunning_pk,
    dunning_step_key,
    get_s,
    n,
    notice_key,
    s,
    shard,
    timestamp,
)
from invoicing.domain.dunning import Dunning, PlannedStep, StepDone
from invoicing.domain.errors import Conflict, NotFound
from invoicing.services.ports import DueDunning

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork

WATERMARK: Item = {"PK": s("DUNNINGRUNS"), "SK": s("WATERMARK")}  # one write an hour
CLOCK_PREFIX = "DUNNING#"  # a test clock's records in its GSI1 partition


def _item(dunning: Dunning) -> Item:
    item: Item = {**dunning_key(dunning.account_id, dunning.invoice_id), "version": n(dunning.version),
                  "status": s(dunning.status), "doc": packed(dunning)}
    step = dunning.next_step
    if step is not None and dunning.test_clock is not None:
        item["GSI1PK"] = s(children_pk(dunning.account_id, "TESTCLOCK", dunning.test_clock))
        item["GSI1SK"] = s(f"{CLOCK_PREFIX}{timestamp(step.at)}#{dunning.invoice_id}#{step.id}")
    elif step is not None:
        item["GSI4PK"] = s(dunning_pk(step.at, shard(dunning.invoice_id)))
        item["GSI4SK"] = s(f"{timestamp(step.at)}#{dunning.account_id}#{dunning.invoice_id}#{step.id}")
    return item


class DynamoDunning:
    """The `DunningRecords` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow
        self._versions: dict[str, int] = {}

    def forget(self) -> None:
        self._versions = {}

    def add(self, dunning: Dunning) -> None:
        self._uow.put(_item(dunning), lambda: Conflict(f"Invoice '{dunning.invoice_id}' already has dunning.",
                                                       param="invoice", code="resource_already_exists"),
                      "attribute_not_exists(PK)")

    def find(self, account_id: str, invoice_id: str) -> Dunning | None:
        item = self._get(dunning_key(account_id, invoice_id))
        if item is None:
            return None
        dunning = load(item, Dunning)
        self._versions[dunning.invoice_id] = dunning.version
        return dunning

    def get(self, account_id: str, invoice_id: str) -> Dunning:
        dunning = self.find(account_id, invoice_id)
        if dunning is None:
            raise NotFound(f"Invoice '{invoice_id}' has no dunning.", param="invoice")
        return dunning

    def save(self, dunning: Dunning) -> None:
        if dunning.invoice_id not in self._versions:
            raise ValueError("save a dunning record read in this unit of work")
        self._uow.put(_item(dunning), lambda: Conflict(f"The dunning of '{dunning.invoice_id}' was changed "
                                                       "concurrently.", param="invoice"),
                      "#version = :loaded", ExpressionAttributeNames={"#version": "version"},
                      ExpressionAttributeValues={":loaded": n(self._versions[dunning.invoice_id])})

    def claim_step(self, dunning: Dunning, step: PlannedStep) -> None:
        item = {**dunning_step_key(dunning.account_id, dunning.invoice_id, step.id), "kind": s(step.kind),
                "due_at": s(timestamp(step.at))}
        self._uow.put(item, lambda: Conflict(f"Dunning step {step.id} of '{dunning.invoice_id}' is claimed already.",
                                             param="step"), "attribute_not_exists(PK)")

    def record_outcome(self, dunning: Dunning, done: StepDone) -> None:
        self._uow.update(dunning_step_key(dunning.account_id, dunning.invoice_id, done.step_id),
                         "SET outcome = :outcome, performed_at = :at",
                         lambda: Conflict(f"Dunning step {done.step_id} of '{dunning.invoice_id}' has its outcome "
                                          "already.", param="step"),
                         "attribute_exists(PK) AND attribute_not_exists(outcome)",
                         ExpressionAttributeValues={":outcome": s(done.outcome),
                                                    ":at": s(timestamp(done.performed_at))})

    def notice_sent(self, account_id: str, invoice_id: str, event_id: str) -> bool:
        return self._get(notice_key(account_id, invoice_id, event_id)) is not None

    def record_notice(self, account_id: str, invoice_id: str, event_id: str) -> None:
        self._uow.put(notice_key(account_id, invoice_id, event_id),
                      lambda: Conflict(f"The notice of {event_id} is recorded already.", param="event"),
                      "attribute_not_exists(PK)")

    def watermark(self) -> datetime | None:
        value = get_s(self._get(WATERMARK) or {}, "hour")
        return datetime.fromisoformat(value) if value else None

    def set_watermark(self, hour: datetime) -> None:
        self._uow.put({**WATERMARK, "hour": s(timestamp(hour))}, lambda: Conflict("unreachable"))

    def due(self, hour: datetime, shard_: int, *, until: datetime, limit: int,
            cursor: dict[str, Any] | None) -> tuple[builtins.list[DueDunning], dict[str, Any] | None]:
        """One page of the records whose next step, in one hour's shard of the index, is due by `until`."""
        keys, next_cursor = index_page(self._uow.client, self._uow.table, GSI4, dunning_pk(hour, shard_),
                                       until=timestamp(until) + "#~", limit=limit, cursor=cursor)
        found: builtins.list[DueDunning] = []
        for key in keys:
            _, account_id, invoice_id, step_id = key.split("#")
            found.append(DueDunning(account_id=account_id, invoice_id=invoice_id, step_id=step_id))
        return found, next_cursor

    def clock_next(self, account_id: str, clock_id: str) -> datetime | None:
        keys = self._clock_keys(account_id, clock_id, until=None, limit=1)
        return datetime.fromisoformat(keys[0].split("#")[1]) if keys else None

    def clock_due(self, account_id: str, clock_id: str, *, until: datetime,
                  limit: int) -> builtins.list[DueDunning]:
        found: builtins.list[DueDunning] = []
        for key in self._clock_keys(account_id, clock_id, until=until, limit=limit):
            _, _, invoice_id, step_id = key.split("#")
            found.append(DueDunning(account_id=account_id, invoice_id=invoice_id, step_id=step_id))
        return found

    def _clock_keys(self, account_id: str, clock_id: str, *, until: datetime | None,
                    limit: int) -> builtins.list[str]:
        """The sort keys of a clock's records, oldest next step first, up to `until` (None: any)."""
        upper = f"{CLOCK_PREFIX}{timestamp(until)}#~" if until is not None else f"{CLOCK_PREFIX}~"
        request: dict[str, Any] = {
            "TableName": self._uow.table, "IndexName": GSI1, "Limit": limit,
            "KeyConditionExpression": "GSI1PK = :pk AND GSI1SK BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":pk": s(children_pk(account_id, "TESTCLOCK", clock_id)),
                                          ":low": s(CLOCK_PREFIX), ":high": s(upper)},
        }
        keys: builtins.list[str] = []
        while len(keys) < limit:
            response = self._uow.client.query(**request)
            keys += [str(item["GSI1SK"]["S"]) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return keys[:limit]

    def _get(self, key: Item) -> Item | None:
        item: Item | None = self._uow.client.get_item(TableName=self._uow.table, Key=key,
                                                      ConsistentRead=True).get("Item")
        return item
