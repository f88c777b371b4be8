"""An invoice's correspondence (what was sent, what its customer asked): `ACCOUNT#{acct}#INVOICE#{id}` /
`CORRESPONDENCE`, beside the invoice's own item in its partition, with its events in the item like every
aggregate's (the relay publishes them; they are part of the invoice's audit trail). Its own version: a
send being recorded never conflicts with a payment or a credit note on the invoice."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from invoicing.adapters.dynamodb.codec import load
from invoicing.adapters.dynamodb.events import decode_events, event_history, with_events
from invoicing.adapters.dynamodb.keys import Item, n, s
from invoicing.domain.errors import Conflict
from invoicing.domain.events import DomainEvent
from invoicing.domain.sending import InvoiceCorrespondence

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork


def correspondence_key(account_id: str, invoice_id: str) -> Item:
    return {"PK": s(f"ACCOUNT#{account_id}#INVOICE#{invoice_id}"), "SK": s("CORRESPONDENCE")}


class DynamoCorrespondence:
    """The `Correspondence` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow
        self._loaded: dict[str, tuple[int, builtins.list[dict[str, Any]]]] = {}

    def forget(self) -> None:
        self._loaded = {}

    def _item(self, account_id: str, invoice_id: str, projection: str | None = None) -> Item | None:
        request: dict[str, Any] = {"TableName": self._uow.table, "Key": correspondence_key(account_id, invoice_id),
                                   "ConsistentRead": True}
        if projection:
            request["ProjectionExpression"] = projection
        item: Item | None = self._uow.client.get_item(**request).get("Item")
        return item

    def get(self, account_id: str, invoice_id: str) -> InvoiceCorrespondence:
        item = self._item(account_id, invoice_id)
        if item is None:
            self._loaded[invoice_id] = (0, [])
            return InvoiceCorrespondence(account_id=account_id, invoice_id=invoice_id)
        found = load(item, InvoiceCorrespondence)
        self._loaded[invoice_id] = (found.version, event_history(item))
        return found

    def save(self, correspondence: InvoiceCorrespondence) -> None:
        if correspondence.invoice_id not in self._loaded:
            raise ValueError("save a correspondence read in this unit of work")
        loaded, history = self._loaded[correspondence.invoice_id]
        item = {**correspondence_key(correspondence.account_id, correspondence.invoice_id),
                "version": n(correspondence.version), **with_events(correspondence, history, correspondence.events)}

        def conflict() -> Exception:
            return Conflict(f"The correspondence of invoice '{correspondence.invoice_id}' was changed concurrently; "
                            "try again.", param="invoice")

        if loaded == 0:
            self._uow.put(item, conflict, "attribute_not_exists(PK)")
        else:
            self._uow.put(item, conflict, "#version = :loaded", ExpressionAttributeNames={"#version": "version"},
                          ExpressionAttributeValues={":loaded": n(loaded)})

    def events(self, account_id: str, invoice_id: str) -> builtins.list[DomainEvent]:
        item = self._item(account_id, invoice_id, projection="doc")
        return decode_events(item) if item is not None else []
