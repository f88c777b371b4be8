"""Invoices: `ACCOUNT#{acct}#INVOICE#{id}` / `INVOICE`, with their audit trail in the item.

Indexes (see docs/dynamodb-access-patterns.md):
- GSI1 `ACCOUNT#{acct}#CUSTOMER#{customer}` / `INVOICE#{id}`: a customer's invoices (projects
  status, due date and total, for filters and the customer's usual total);
- GSI2 `ACCOUNT#{acct}#INVOICES#{shard}` / `{id}`: all invoices, newest first;
- GSI3 `ACCOUNT#{acct}#STATUS#{status}#{shard}` / `{due or 0000-00-00}#{id}`: by status;
- GSI4 `ACCOUNT#{acct}#DUE#{shard}` / `{due}#{id}`: by due date (only with a due date);
- GSI5 `ACCOUNT#{acct}#REFERENCE#{digits of the number}` / `INVOICE#{id}`: a numbered invoice by the
  payment references a payer quotes (RF, OCR: `payment_reference.lookup_digits`); a key per number,
  so no bulk run makes it hot.
The indexes project keys only (GSI1 a few attributes); lists merge the shards and fetch the
documents by key.
"""

from __future__ import annotations

import builtins  # `list` is also a method here
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from invoicing.adapters.dynamodb.codec import load
from invoicing.adapters.dynamodb.common import batch_get, query_page, sharded_page
from invoicing.adapters.dynamodb.events import decode_events, event_history, with_events
from invoicing.adapters.dynamodb.keys import (
    AFTER_ANY_ID,
    GSI1,
    GSI2,
    GSI3,
    GSI4,
    GSI5,
    SHARDS,
    Item,
    children_pk,
    collection_pk,
    due_pk,
    due_sk,
    get_s,
    invoice_key,
    n,
    reference_pk,
    s,
    shard,
    status_pk,
)
from invoicing.domain.errors import ConcurrentChange, Conflict, NotFound
from invoicing.domain.events import DomainEvent
from invoicing.domain.invoice import Invoice
from invoicing.domain.payment_reference import ocr_body
from invoicing.services.ports import InvoiceFilter, Page

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork

FINALIZED = ("open", "paid", "uncollectible")  # what counts for a customer's usual total (not draft, not void)
RECENT_TOTALS_MAX_READS = 5  # requests; bounds `recent_totals` for a customer with many drafts or voids
LAST_DUE_SK = f"9999-12-31#{AFTER_ANY_ID}"
FIRST_REAL_DUE_SK = "0000-00-01"  # after every `0000-00-00#...` (no due date)


def invoice_item(invoice: Invoice, history: builtins.list[dict[str, Any]]) -> Item:
    shard_ = shard(invoice.id)
    item: Item = {
        **invoice_key(invoice.account_id, invoice.id),
        "status": s(invoice.status),
        "version": n(invoice.version),
        "GSI1PK": s(children_pk(invoice.account_id, "CUSTOMER", invoice.customer_id)),
        "GSI1SK": s(f"INVOICE#{invoice.id}"),
        "GSI2PK": s(collection_pk(invoice.account_id, "INVOICE", shard_)),
        "GSI2SK": s(invoice.id),
        "GSI3PK": s(status_pk(invoice.account_id, invoice.status, shard_)),
        "GSI3SK": s(due_sk(invoice.due_date, invoice.id)),
        **with_events(invoice, history, invoice.events),
    }
    if invoice.totals is not None:
        item["total"] = n(invoice.totals.total)
    if invoice.due_date is not None:
        item["due_date"] = s(invoice.due_date.isoformat())
        item["GSI4PK"] = s(due_pk(invoice.account_id, shard_))
        item["GSI4SK"] = s(due_sk(invoice.due_date, invoice.id))
    if invoice.number is not None and (digits := ocr_body(invoice.number)):
        item["GSI5PK"] = s(reference_pk(invoice.account_id, digits))
        item["GSI5SK"] = s(f"INVOICE#{invoice.id}")
    return item


def decode_invoice(item: Item) -> Invoice:
    return load(item, Invoice)


def _not_found(invoice_id: str) -> NotFound:
    return NotFound(f"No such invoice: '{invoice_id}'.", param="invoice")


class DynamoInvoices:
    """The `Invoices` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow
        self._loaded: dict[str, tuple[int, builtins.list[dict[str, Any]]]] = {}  # id -> (version, events)

    def forget(self) -> None:
        self._loaded = {}

    def add(self, invoice: Invoice) -> None:
        self._uow.put(invoice_item(invoice, []),
                      lambda: Conflict(f"Invoice '{invoice.id}' already exists.", param="id",
                                       code="resource_already_exists"),
                      "attribute_not_exists(PK)")

    def get(self, account_id: str, invoice_id: str) -> Invoice:
        item = self._get_item(invoice_key(account_id, invoice_id))
        if item is None:
            raise _not_found(invoice_id)
        return self._loaded_from(item)

    def get_many(self, account_id: str, invoice_ids: Sequence[str]) -> builtins.list[Invoice]:
        items = batch_get(self._uow.client, self._uow.table, [invoice_key(account_id, i) for i in invoice_ids])
        return [self._loaded_from(item) for item in items]

    def by_number_digits(self, account_id: str, digits: Sequence[str]) -> builtins.list[Invoice]:
        """The numbered invoices whose numbers read as `digits` (GSI5: one key each, a few invoices
        at most), read like `get_many`."""
        ids: builtins.list[str] = []
        for key in dict.fromkeys(digits):
            request = self._request(GSI5, "GSI5PK = :pk", {":pk": s(reference_pk(account_id, key))})
            page = query_page(self._uow.client, request, limit=10, decode=lambda item: get_s(item, "GSI5SK") or "")
            ids += [sk.removeprefix("INVOICE#") for sk in page.data if sk]
        return self.get_many(account_id, ids) if ids else []

    def _loaded_from(self, item: Item) -> Invoice:
        invoice = decode_invoice(item)
        self._loaded[invoice.id] = (invoice.version, event_history(item))
        return invoice

    def save(self, invoice: Invoice) -> None:
        """The next version of an invoice read in this unit of work, with its new events appended to
        its audit trail, if nobody changed it since it was read."""
        if invoice.id not in self._loaded:
            raise ValueError("save an invoice read in this unit of work")
        loaded_version, history = self._loaded[invoice.id]
        if invoice.version <= loaded_version:
            raise ValueError(f"invoice {invoice.id}: a saved change is a new version (read {loaded_version})")
        self._uow.put(
            invoice_item(invoice, history),
            lambda: ConcurrentChange(f"Invoice '{invoice.id}' was changed concurrently; reload it and try again.",
                                     param="invoice"),
            "#version = :loaded",
            ExpressionAttributeNames={"#version": "version"},
            ExpressionAttributeValues={":loaded": n(loaded_version)},
        )

    def events(self, account_id: str, invoice_id: str) -> builtins.list[DomainEvent]:
        item = self._get_item(invoice_key(account_id, invoice_id), projection="doc")
        if item is None:
            raise _not_found(invoice_id)
        return decode_events(item)

    def list(
        self, account_id: str, flt: InvoiceFilter, *, limit: int, starting_after: str | None
    ) -> Page[Invoice]:
        """Newest first; by status or due date, latest due date first (then newest).

        Index: customer -> GSI1 (status and due dates filtered); status -> GSI3 (due dates as a key
        range); due dates only -> GSI4; nothing -> GSI2. The sharded ones are merged."""
        if flt.due_date_gte and flt.due_date_lte and flt.due_date_gte > flt.due_date_lte:
            return Page[Invoice](data=[], has_more=False)  # no day is in the range: nothing is due in it
        lo, hi = _due_range(flt)
        if flt.customer_id:
            return self._list_for_customer(account_id, flt, limit=limit, starting_after=starting_after)
        if not (flt.status or lo is not None):
            condition = "GSI2PK = :pk" + (" AND GSI2SK < :after" if starting_after else "")
            requests = [self._request(GSI2, condition, {":pk": s(collection_pk(account_id, "INVOICE", i))})
                        for i in range(SHARDS)]
            return sharded_page(self._uow.client, requests, sort_key="GSI2SK", limit=limit, after=starting_after,
                                fetch=self._fetch)
        index, pk_name, sk_name = (GSI3, "GSI3PK", "GSI3SK") if flt.status else (GSI4, "GSI4PK", "GSI4SK")
        after = None
        if starting_after:
            after = due_sk(self._due_date_of(account_id, starting_after), starting_after)
            if lo is not None and after < lo:
                return Page[Invoice](data=[], has_more=False)  # it was the last of the range
            if hi is not None and after > hi:
                after = None  # its due date moved past the range since that page: start from the top
        upper = ":after" if after else (":hi" if hi is not None else None)
        condition = f"{pk_name} = :pk"
        values: dict[str, Any] = {}
        if lo is not None and upper:
            condition += f" AND {sk_name} BETWEEN :lo AND {upper}"
            values[":lo"] = s(lo)
        elif upper:
            condition += f" AND {sk_name} <= {upper}"
        if hi is not None and not after:
            values[":hi"] = s(hi)
        requests = []
        for i in range(SHARDS):
            partition = status_pk(account_id, flt.status, i) if flt.status else due_pk(account_id, i)
            requests.append(self._request(index, condition, {":pk": s(partition), **values}))
        return sharded_page(self._uow.client, requests, sort_key=sk_name, limit=limit, after=after,
                            fetch=self._fetch)

    def _list_for_customer(self, account_id: str, flt: InvoiceFilter, *, limit: int,
                           starting_after: str | None) -> Page[Invoice]:
        """One customer's partition of GSI1: bounded by that customer's invoices; filtered by the
        projected status and due date, then the documents fetched by key."""
        customer_pk = children_pk(account_id, "CUSTOMER", flt.customer_id or "")
        condition = "GSI1PK = :pk AND begins_with(GSI1SK, :prefix)"
        values: dict[str, Any] = {":pk": s(customer_pk), ":prefix": s("INVOICE#")}
        filters, names = [], {}
        if flt.status:
            filters.append("#status = :status")
            names["#status"] = "status"
            values[":status"] = s(flt.status)
        if flt.due_date_gte:
            filters.append("#due_date >= :gte")
            values[":gte"] = s(flt.due_date_gte.isoformat())
        if flt.due_date_lte:
            filters.append("#due_date <= :lte")
            values[":lte"] = s(flt.due_date_lte.isoformat())
        if flt.due_date_gte or flt.due_date_lte:
            names["#due_date"] = "due_date"
        request = self._request(GSI1, condition, values)
        request["ScanIndexForward"] = False
        if starting_after:
            request["ExclusiveStartKey"] = {**invoice_key(account_id, starting_after), "GSI1PK": s(customer_pk),
                                            "GSI1SK": s(f"INVOICE#{starting_after}")}
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
            request["ExpressionAttributeNames"] = names
        page = query_page(self._uow.client, request, limit=limit, decode=lambda item: item, filtered=bool(filters))
        return Page[Invoice](data=self._fetch(page.data), has_more=page.has_more)

    def recent_totals(self, account_id: str, customer_id: str, *, limit: int = 12) -> builtins.list[int]:
        """The totals of the customer's latest finalized, non-void invoices (GSI1's projection)."""
        request: dict[str, Any] = {
            "TableName": self._uow.table, "IndexName": GSI1,
            "KeyConditionExpression": "GSI1PK = :pk AND begins_with(GSI1SK, :prefix)",
            "FilterExpression": "#status IN (:open, :paid, :uncollectible)",
            "ProjectionExpression": "#total",
            "ExpressionAttributeNames": {"#status": "status", "#total": "total"},
            "ExpressionAttributeValues": {
                ":pk": s(children_pk(account_id, "CUSTOMER", customer_id)), ":prefix": s("INVOICE#"),
                **{f":{status}": s(status) for status in FINALIZED},
            },
            "ScanIndexForward": False,
            "Limit": 25,
        }
        totals: builtins.list[int] = []
        for _ in range(RECENT_TOTALS_MAX_READS):
            response = self._uow.client.query(**request)
            totals.extend(int(item["total"]["N"]) for item in response.get("Items", []) if "total" in item)
            if len(totals) >= limit or "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return totals[:limit]

    # --- helpers -------------------------------------------------------------------------------

    def _request(self, index: str, condition: str, values: dict[str, Any]) -> dict[str, Any]:
        return {"TableName": self._uow.table, "IndexName": index, "KeyConditionExpression": condition,
                "ExpressionAttributeValues": values}

    def _fetch(self, keys: builtins.list[Item]) -> builtins.list[Invoice]:
        return [decode_invoice(item) for item in batch_get(self._uow.client, self._uow.table, keys)]

    def _due_date_of(self, account_id: str, invoice_id: str) -> date | None:
        item = self._get_item(invoice_key(account_id, invoice_id), projection="due_date")
        if item is None:
            raise NotFound(f"No such invoice: '{invoice_id}'.", param="starting_after")
        value = get_s(item, "due_date")
        return date.fromisoformat(value) if value else None

    def _get_item(self, key: Item, projection: str | None = None) -> Item | None:
        request: dict[str, Any] = {"TableName": self._uow.table, "Key": key, "ConsistentRead": True}
        if projection:
            request["ProjectionExpression"] = f"PK, #{projection}"
            request["ExpressionAttributeNames"] = {f"#{projection}": projection}
        item: Item | None = self._uow.client.get_item(**request).get("Item")
        return item


def _due_range(flt: InvoiceFilter) -> tuple[str | None, str | None]:
    """GSI3/GSI4 sort-key bounds for the due-date filter (None, None without one). Invoices
    without a due date (`0000-00-00`) fall outside any range."""
    if not (flt.due_date_gte or flt.due_date_lte):
        return None, None
    lo = f"{flt.due_date_gte.isoformat()}#" if flt.due_date_gte else FIRST_REAL_DUE_SK
    hi = f"{flt.due_date_lte.isoformat()}#{AFTER_ANY_ID}" if flt.due_date_lte else LAST_DUE_SK
    return lo, hi
