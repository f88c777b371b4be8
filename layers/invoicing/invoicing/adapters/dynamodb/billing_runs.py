"""Billing runs, their figures and their review list (docs/dynamodb-access-patterns.md).

- a run: `ACCOUNT#{acct}#BILLINGRUN#{run}` / `BILLINGRUN`, listed through GSI2
  `ACCOUNT#{acct}#BILLINGRUNS#{shard}` / `{run}`;
- its figures: 16 counter items `ACCOUNT#{acct}#BILLINGRUN#{run}#{shard}` / `COUNTER` (a partition each,
  so a month-end run's workers spread their increments), summed on read;
- a resolved boundary: `…#BILLINGRUN#{run}#ENTRY#{sub}#{k}` / `ENTRY`, put `attribute_not_exists` in the
  commit that counts it, so a redelivered message never counts twice;
- its plan (across accounts: a scheduled run reads every account's renewals):
  `BILLINGRUN#{run}` / `PLAN` with the pages opened and closed, and one item per listed page
  `BILLINGRUN#{run}#PAGE#{page}` / `PAGE` holding what the page listed, so a redelivered page sends
  the same boundaries and counts nothing again;
- a draft held for review: `ACCOUNT#{acct}#REVIEW#{in}` / `REVIEW` (GSI4 `AUTOFINALIZE#{day}#{shard}` /
  `{at}#{acct}#{in}` while it may auto-finalize; GSI1 `ACCOUNT#{acct}#TESTCLOCK#{clock}` on a test clock;
  GSI5 the run's list by creation), and `REVIEW#amount`, `REVIEW#change` beside it: the run's list in
  those orders. GSI5 projects what the list filters on.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import zlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from invoicing.adapters.dynamodb.codec import load, packed
from invoicing.adapters.dynamodb.common import batch_get, check_limit, sharded_page
from invoicing.adapters.dynamodb.events import with_events
from invoicing.adapters.dynamodb.keys import (
    GSI1,
    GSI2,
    GSI4,
    GSI5,
    SHARDS,
    Item,
    auto_finalize_pk,
    billing_run_key,
    children_pk,
    collection_pk,
    get_n,
    get_s,
    n,
    review_key,
    review_pk,
    run_counter_key,
    run_entry_key,
    run_page_key,
    run_plan_key,
    s,
    shard,
    test_clock_key,
    timestamp,
)
from invoicing.domain.billing_run import AlreadyCounted, BillingRun, ReviewEntry, RunCounts
from invoicing.domain.errors import Conflict, InvalidInput, NotFound
from invoicing.domain.test_clock import TestClock
from invoicing.services.ports import DueBoundary, Page, ReviewFilter, ReviewSort

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork

COUNTERS = ("total", "done", "failed", "needs_review", "invoiced")
OFFSET = 10**18  # signed amounts as sortable text
REVIEW_SORTS: tuple[ReviewSort, ...] = ("created", "amount", "change")


def _run_missing(run_id: str) -> NotFound:
    return NotFound(f"No such billing run: '{run_id}'.", param="billing_run")


class DynamoBillingRuns:
    """The `BillingRunRecords` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow
        self._versions: dict[str, int] = {}

    def forget(self) -> None:
        self._versions = {}

    # --- the run --------------------------------------------------------------------------------
    def _item(self, run: BillingRun) -> Item:
        return {**billing_run_key(run.account_id, run.id), "version": n(run.version), "status": s(run.status),
                "GSI2PK": s(collection_pk(run.account_id, "BILLINGRUN", shard(run.id))), "GSI2SK": s(run.id),
                **with_events(run, [], run.events)}

    def add(self, run: BillingRun) -> None:
        self._uow.put(self._item(run), lambda: Conflict(f"Billing run '{run.id}' exists.", param="id",
                                                        code="resource_already_exists"),
                      "attribute_not_exists(PK)")

    def ensure(self, run: BillingRun) -> None:
        """The account's record of a scheduled run, written once (the first page that finds one of its
        boundaries); later calls change nothing."""
        try:
            self._uow.client.put_item(TableName=self._uow.table, Item=self._item(run),
                                      ConditionExpression="attribute_not_exists(PK)")
        except self._uow.client.exceptions.ConditionalCheckFailedException:
            pass

    def get(self, account_id: str, run_id: str) -> BillingRun:
        item = self._uow.client.get_item(TableName=self._uow.table, Key=billing_run_key(account_id, run_id),
                                         ConsistentRead=True).get("Item")
        if item is None:
            raise _run_missing(run_id)
        run = load(item, BillingRun)
        self._versions[run.id] = run.version
        return run

    def save(self, run: BillingRun) -> None:
        if run.id not in self._versions:
            raise ValueError("save a billing run read in this unit of work")
        self._uow.put(self._item(run), lambda: Conflict(f"Billing run '{run.id}' changed meanwhile.",
                                                        code="billing_run_changed"),
                      "#version = :loaded", ExpressionAttributeNames={"#version": "version"},
                      ExpressionAttributeValues={":loaded": n(self._versions[run.id])})

    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[BillingRun]:
        condition = "GSI2PK = :pk" + (" AND GSI2SK < :after" if starting_after else "")
        requests = [{"TableName": self._uow.table, "IndexName": GSI2, "KeyConditionExpression": condition,
                     "ExpressionAttributeValues": {":pk": s(collection_pk(account_id, "BILLINGRUN", i))}}
                    for i in range(SHARDS)]
        return sharded_page(self._uow.client, requests, sort_key="GSI2SK", limit=limit, after=starting_after,
                            fetch=lambda keys: [load(i, BillingRun) for i in batch_get(self._uow.client,
                                                                                       self._uow.table, keys)])

    # --- figures --------------------------------------------------------------------------------
    def count(self, account_id: str, run_id: str, spread: str, **deltas: int) -> None:
        """Adds `deltas` (total, done, failed, needs_review, invoiced) to one counter shard at commit;
        `spread` (a subscription or page id) picks the shard."""
        names = [name for name, value in deltas.items() if value]
        if not names:
            return
        self._uow.update(run_counter_key(account_id, run_id, shard(spread)),
                         "ADD " + ", ".join(f"#{name} :{name}" for name in names),
                         lambda: Conflict("unreachable"),
                         ExpressionAttributeNames={f"#{name}": name for name in names},
                         ExpressionAttributeValues={f":{name}": n(deltas[name]) for name in names})

    def claim(self, account_id: str, run_id: str, boundary: DueBoundary, outcome: str) -> None:
        """The boundary counted for the run once: the commit fails with AlreadyCounted if it was."""
        self._uow.put({**run_entry_key(account_id, run_id, boundary.subscription_id, boundary.boundary),
                       "outcome": s(outcome)},
                      lambda: AlreadyCounted("This boundary is counted for the run already."),
                      "attribute_not_exists(PK)")

    def counts(self, account_id: str, run_id: str) -> RunCounts:
        keys = [run_counter_key(account_id, run_id, i) for i in range(SHARDS)]
        total = RunCounts()
        for item in batch_get(self._uow.client, self._uow.table, keys):
            total = total + RunCounts(*(get_n(item, name) or 0 for name in COUNTERS))
        return total

    # --- the plan -------------------------------------------------------------------------------
    def open_plan(self, run_id: str, pages: int) -> None:
        self._uow.put({**run_plan_key(run_id), "opened": n(pages), "closed": n(0)},
                      lambda: Conflict(f"Billing run '{run_id}' is planned already."), "attribute_not_exists(PK)")

    def plan(self, run_id: str) -> tuple[int, int, builtins.list[str]]:
        """(pages opened, pages closed, the accounts it found boundaries of), summed over the plan's
        shards (each holds the flags of the pages that hash to it, so no item grows with the run)."""
        opened = closed = 0
        accounts: set[str] = set()
        keys = [run_plan_key(run_id, i) for i in range(SHARDS)]
        for item in batch_get(self._uow.client, self._uow.table, keys):
            opened += get_n(item, "opened") or 0
            closed += get_n(item, "closed") or 0
            accounts |= set(item.get("accounts", {}).get("SS", []))
        return opened, closed, sorted(accounts)

    def listed(self, run_id: str, page: str) -> tuple[builtins.list[DueBoundary], dict[str, Any] | None] | None:
        """What a page listed when it was first read (None: not read yet)."""
        item = self._uow.client.get_item(TableName=self._uow.table, Key=run_page_key(run_id, page),
                                         ConsistentRead=True).get("Item")
        if item is None:
            return None
        listing = json.loads(zlib.decompress(item["listing"]["B"]))
        return [DueBoundary(*b) for b in listing["due"]], listing["next"]

    def close_page(self, run_id: str, page: str, due: builtins.list[DueBoundary], next_cursor: dict[str, Any] | None,
                   opened: int) -> None:
        """At commit: the page closed on the plan once (a flag per page on the plan item, set
        `attribute_not_exists`: AlreadyCounted if it was closed before), the pages it opens added, each
        account's `total` raised, and the listing of a page that found something kept for its
        redeliveries. A page that found nothing is one conditional UpdateItem (most pages of an hourly
        run are empty), never a transaction."""
        flag = "p_" + hashlib.sha256(page.encode()).hexdigest()[:16]
        accounts = sorted({d.account_id for d in due})
        update = "SET #flag = :true ADD closed :one, opened :opened" + (", accounts :accounts" if accounts else "")
        values: dict[str, Any] = {":one": n(1), ":opened": n(opened), ":true": {"BOOL": True}}
        if accounts:
            values[":accounts"] = {"SS": accounts}
        self._uow.update(run_plan_key(run_id, shard(page)), update,
                         lambda: AlreadyCounted("This page is counted for the run already."),
                         "attribute_not_exists(#flag)", ExpressionAttributeNames={"#flag": flag},
                         ExpressionAttributeValues=values)
        if not due and next_cursor is None:
            return
        listing = {"due": [[d.account_id, d.subscription_id, d.boundary] for d in due], "next": next_cursor}
        self._uow.put({**run_page_key(run_id, page),
                       "listing": {"B": zlib.compress(json.dumps(listing, separators=(",", ":")).encode())}},
                      lambda: AlreadyCounted("This page is counted for the run already."))
        for account_id in accounts:
            self.count(account_id, run_id, page, total=sum(1 for d in due if d.account_id == account_id))


def _review_sort_key(entry: ReviewEntry, sort: ReviewSort) -> str:
    match sort:
        case "amount":
            return f"{entry.amount + OFFSET:020d}#{entry.invoice_id}"
        case "change":
            return f"{(entry.change or 0) + OFFSET:020d}#{entry.invoice_id}"
        case _:
            return entry.invoice_id


class DynamoReviews:
    """The `Reviews` repository: drafts held for review."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow

    def forget(self) -> None:
        pass

    def add(self, entry: ReviewEntry) -> None:
        shard_ = shard(entry.invoice_id)
        filters: Item = {"r_customer": s(entry.customer_id), "r_amount": n(entry.amount),
                         "r_blocking": {"BOOL": entry.blocking},
                         "r_issues": s(" ".join(entry.issues)), "r_flags": s(" ".join(entry.flags)),
                         "r_segments": s(" ".join(entry.segments))}
        if entry.change is not None:
            filters["r_change"] = n(entry.change)
        for sort in REVIEW_SORTS:
            item: Item = {**review_key(entry.account_id, entry.invoice_id, "" if sort == "created" else sort),
                          "GSI5PK": s(review_pk(entry.account_id, entry.run_id, sort, shard_)),
                          "GSI5SK": s(_review_sort_key(entry, sort)), **filters}
            if sort == "created":
                item["doc"] = packed(entry)
                if entry.test_clock:
                    item["GSI1PK"] = s(children_pk(entry.account_id, "TESTCLOCK", entry.test_clock))
                    item["GSI1SK"] = s(f"REVIEW#{entry.invoice_id}")
                elif entry.auto_finalize_at is not None:
                    item["GSI4PK"] = s(auto_finalize_pk(entry.auto_finalize_at, shard_))
                    item["GSI4SK"] = s(f"{timestamp(entry.auto_finalize_at)}#{entry.account_id}#{entry.invoice_id}")
            self._uow.put(item, lambda: Conflict("unreachable"))  # replaces: a draft's entry changes as a whole

    def remove(self, account_id: str, invoice_id: str) -> None:
        """The draft leaves the review list (finalized, or no longer a draft). The main item must still
        be there, so that of two concurrent removals (an approval and the window) one commits and the
        other fails with a Conflict: what the commit counts is counted once."""
        for sort in REVIEW_SORTS:
            main = sort == "created"
            self._uow.delete(review_key(account_id, invoice_id, "" if main else sort),
                             lambda: Conflict(f"Invoice '{invoice_id}' left the review list meanwhile.",
                                              code="not_in_review"),
                             "attribute_exists(PK)" if main else None)

    def get(self, account_id: str, invoice_id: str) -> ReviewEntry:
        item = self._uow.client.get_item(TableName=self._uow.table, Key=review_key(account_id, invoice_id),
                                         ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound(f"Invoice '{invoice_id}' is not waiting for review.", param="invoice")
        return load(item, ReviewEntry)

    def get_many(self, account_id: str, invoice_ids: builtins.list[str]) -> builtins.list[ReviewEntry]:
        keys = [review_key(account_id, i) for i in invoice_ids]
        return [load(item, ReviewEntry) for item in batch_get(self._uow.client, self._uow.table, keys)]

    def list(self, account_id: str, run_id: str, flt: ReviewFilter, *, sort: ReviewSort, limit: int,
             starting_after: str | None) -> Page[ReviewEntry]:
        """One page of the run's drafts, descending in `sort`, filtered on the projected attributes:
        per shard a Query of GSI5 reading on until `limit + 1` match, merged by sort key."""
        check_limit(limit)
        after = _review_sort_key(self.get(account_id, starting_after), sort) if starting_after else None
        filters, names, values = _review_filter(flt)
        found: builtins.list[Item] = []
        for i in range(SHARDS):
            request: dict[str, Any] = {
                "TableName": self._uow.table, "IndexName": GSI5, "ScanIndexForward": False,
                "KeyConditionExpression": "GSI5PK = :pk" + (" AND GSI5SK < :after" if after else ""),
                "ExpressionAttributeValues": {":pk": s(review_pk(account_id, run_id, sort, i)), **values,
                                              **({":after": s(after)} if after else {})},
            }
            if filters:
                request["FilterExpression"] = " AND ".join(filters)
                request["ExpressionAttributeNames"] = names
            found.extend(_read_until(self._uow.client, request, limit + 1))
        found.sort(key=lambda item: str(get_s(item, "GSI5SK")), reverse=True)
        keys = [{"PK": item["PK"], "SK": s("REVIEW")} for item in found[:limit]]
        entries = [load(item, ReviewEntry) for item in batch_get(self._uow.client, self._uow.table, keys)]
        return Page[ReviewEntry](data=entries, has_more=len(found) > limit)

    def due(self, day: datetime, shard_: int, *, until: datetime, limit: int,
            cursor: dict[str, Any] | None) -> tuple[builtins.list[tuple[str, str]], dict[str, Any] | None]:
        """One page of (account, invoice) whose auto-finalize time in `day`'s shard has come."""
        request: dict[str, Any] = {
            "TableName": self._uow.table, "IndexName": GSI4, "Limit": limit,
            "KeyConditionExpression": "GSI4PK = :pk AND GSI4SK <= :until",
            "ExpressionAttributeValues": {":pk": s(auto_finalize_pk(day, shard_)),
                                          ":until": s(timestamp(until) + "#~")},
        }
        if cursor:
            request["ExclusiveStartKey"] = cursor
        response = self._uow.client.query(**request)
        found = []
        for item in response.get("Items", []):
            _, account_id, invoice_id = str(get_s(item, "GSI4SK")).split("#")
            found.append((account_id, invoice_id))
        return found, response.get("LastEvaluatedKey")

    def on_clock(self, account_id: str, clock_id: str) -> builtins.list[ReviewEntry]:
        """The drafts in review of a test clock's subscriptions (bounded by the clock's subscriptions)."""
        request: dict[str, Any] = {
            "TableName": self._uow.table, "IndexName": GSI1,
            "KeyConditionExpression": "GSI1PK = :pk AND begins_with(GSI1SK, :prefix)",
            "ExpressionAttributeValues": {":pk": s(children_pk(account_id, "TESTCLOCK", clock_id)),
                                          ":prefix": s("REVIEW#")},
        }
        keys = [{"PK": item["PK"], "SK": item["SK"]} for item in _read_until(self._uow.client, request, 10_000)]
        return [load(item, ReviewEntry) for item in batch_get(self._uow.client, self._uow.table, keys)]


def _read_until(client: Any, request: dict[str, Any], wanted: int) -> builtins.list[Item]:
    request = dict(request)
    found: builtins.list[Item] = []
    while len(found) < wanted:
        request["Limit"] = max(wanted - len(found), 100)
        response = client.query(**request)
        found.extend(response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            break
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return found[:wanted]


def _review_filter(flt: ReviewFilter) -> tuple[builtins.list[str], dict[str, str], dict[str, Any]]:
    filters: builtins.list[str] = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    if flt.amount_gte is not None and flt.amount_lte is not None and flt.amount_gte > flt.amount_lte:
        raise InvalidInput("amount[gte] must not exceed amount[lte].", param="amount")

    def add(expression: str, name: str, attribute: str, **vals: Any) -> None:
        filters.append(expression)
        names[name] = attribute
        values.update(vals)

    if flt.customer_id:
        add("#c = :customer", "#c", "r_customer", **{":customer": s(flt.customer_id)})
    if flt.segment:
        add("contains(#seg, :segment)", "#seg", "r_segments", **{":segment": s(flt.segment)})
    if flt.amount_gte is not None:
        add("#a >= :amount_gte", "#a", "r_amount", **{":amount_gte": n(flt.amount_gte)})
    if flt.amount_lte is not None:
        add("#a <= :amount_lte", "#a", "r_amount", **{":amount_lte": n(flt.amount_lte)})
    if flt.change_gte is not None:
        add("#ch >= :change_gte", "#ch", "r_change", **{":change_gte": n(flt.change_gte)})
    if flt.change_lte is not None:
        add("#ch <= :change_lte", "#ch", "r_change", **{":change_lte": n(flt.change_lte)})
    if flt.blocking is not None:
        add("#b = :blocking", "#b", "r_blocking", **{":blocking": {"BOOL": flt.blocking}})
    if flt.issue:
        add("contains(#i, :issue)", "#i", "r_issues", **{":issue": s(flt.issue)})
    if flt.flag:
        add("contains(#f, :flag)", "#f", "r_flags", **{":flag": s(flt.flag)})
    return filters, names, values


class DynamoTestClocks:
    """The `TestClocks` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow
        self._versions: dict[str, int] = {}

    def forget(self) -> None:
        self._versions = {}

    def add(self, clock: TestClock) -> None:
        self._uow.put({**test_clock_key(clock.account_id, clock.id), "version": n(clock.version),
                       "doc": packed(clock)},
                      lambda: Conflict(f"Test clock '{clock.id}' exists.", code="resource_already_exists"),
                      "attribute_not_exists(PK)")

    def get(self, account_id: str, clock_id: str) -> TestClock:
        item = self._uow.client.get_item(TableName=self._uow.table, Key=test_clock_key(account_id, clock_id),
                                         ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound(f"No such test clock: '{clock_id}'.", param="test_clock")
        clock = load(item, TestClock)
        self._versions[clock.id] = clock.version
        return clock

    def save(self, clock: TestClock) -> None:
        if clock.id not in self._versions:
            raise ValueError("save a test clock read in this unit of work")
        self._uow.put({**test_clock_key(clock.account_id, clock.id), "version": n(clock.version),
                       "doc": packed(clock)},
                      lambda: Conflict(f"Test clock '{clock.id}' changed meanwhile; try again.", param="test_clock"),
                      "#version = :loaded", ExpressionAttributeNames={"#version": "version"},
                      ExpressionAttributeValues={":loaded": n(self._versions[clock.id])})


class TestClockTime:
    """The `Clocks` port on DynamoDB: real time (the process clock), or a test clock's frozen time."""

    __test__ = False

    def __init__(self, base: Any, client: Any, table: str) -> None:
        self._base, self._client, self._table = base, client, table

    def now(self, account_id: str, test_clock: str | None) -> datetime:
        if test_clock is None:
            return self._base.now()
        item = self._client.get_item(TableName=self._table, Key=test_clock_key(account_id, test_clock),
                                     ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound(f"No such test clock: '{test_clock}'.", param="test_clock")
        return load(item, TestClock).frozen_time
