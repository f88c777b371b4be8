"""Credit notes: `ACCOUNT#{acct}#CREDITNOTE#{id}` / `CREDITNOTE`; an invoice's credit notes through
GSI1 (`ACCOUNT#{acct}#INVOICE#{invoice}` / `CREDITNOTE#{id}`). Their `credit_note.created` event is
in the credited invoice's audit trail: one commit writes both."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from invoicing.adapters.dynamodb.codec import load, packed
from invoicing.adapters.dynamodb.common import batch_get, query_page
from invoicing.adapters.dynamodb.keys import GSI1, Item, children_pk, credit_note_key, n, s
from invoicing.domain.credit_note import CreditNote
from invoicing.domain.errors import Conflict, NotFound
from invoicing.services.ports import Page

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork


def decode_credit_note(item: Item) -> CreditNote:
    return load(item, CreditNote)


class DynamoCreditNotes:
    """The `CreditNotes` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow

    def forget(self) -> None:
        pass

    def add(self, credit_note: CreditNote) -> None:
        item: Item = {
            **credit_note_key(credit_note.account_id, credit_note.id),
            "doc": packed(credit_note),
            "total": n(credit_note.amount),
            "GSI1PK": s(children_pk(credit_note.account_id, "INVOICE", credit_note.invoice_id)),
            "GSI1SK": s(f"CREDITNOTE#{credit_note.id}"),
        }
        self._uow.put(item, lambda: Conflict(f"Credit note '{credit_note.id}' already exists.", param="id",
                                             code="resource_already_exists"),
                      "attribute_not_exists(PK)")

    def get(self, account_id: str, credit_note_id: str) -> CreditNote:
        response = self._uow.client.get_item(TableName=self._uow.table,
                                             Key=credit_note_key(account_id, credit_note_id), ConsistentRead=True)
        item = response.get("Item")
        if item is None:
            raise NotFound(f"No such credit note: '{credit_note_id}'.", param="credit_note")
        return decode_credit_note(item)

    def list_for_invoice(
        self, account_id: str, invoice_id: str, *, limit: int, starting_after: str | None
    ) -> Page[CreditNote]:
        """The invoice's credit notes, newest first: keys from GSI1, documents by key."""
        pk = s(children_pk(account_id, "INVOICE", invoice_id))
        request: dict[str, Any] = {
            "TableName": self._uow.table, "IndexName": GSI1,
            "KeyConditionExpression": "GSI1PK = :pk AND begins_with(GSI1SK, :prefix)",
            "ExpressionAttributeValues": {":pk": pk, ":prefix": s("CREDITNOTE#")},
            "ScanIndexForward": False,
        }
        if starting_after:
            request["ExclusiveStartKey"] = {**credit_note_key(account_id, starting_after), "GSI1PK": pk,
                                            "GSI1SK": s(f"CREDITNOTE#{starting_after}")}
        page = query_page(self._uow.client, request, limit=limit, decode=lambda item: item)
        notes = [decode_credit_note(item) for item in batch_get(self._uow.client, self._uow.table, page.data)]
        return Page[CreditNote](data=notes, has_more=page.has_more)
