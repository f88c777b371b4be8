"""Payments and bank statement uploads.

- A payment: `ACCOUNT#{acct}#PAYMENT#{id}` / `PAYMENT`, its id derived from its key
  (`domain.payment.payment_id`), written only if absent: a payment is recorded once, however often
  its webhook or file arrives. Its events travel in the item (`outbox_count`), like an invoice's.
- All of an account's payments, newest first: GSI2 `ACCOUNT#{acct}#PAYMENTS#{shard}` /
  `{created}#{id}`; by status (the review queue is `unmatched`): GSI3
  `ACCOUNT#{acct}#PAYSTATUS#{status}#{shard}` / `{created}#{id}`. Both sharded by the id's hash and
  keys only; a list merges the shards and fetches the documents by key.
- Payments of one amount (what a bank reversal may send back): GSI1
  `ACCOUNT#{acct}#PAYAMOUNT#{currency}#{amount}` / `{created}#{id}`.
- A statement upload: `ACCOUNT#{acct}#STATEMENT#{id}` / `STATEMENT`.

See docs/dynamodb-access-patterns.md.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

from invoicing.adapters.dynamodb.codec import load
from invoicing.adapters.dynamodb.common import batch_get, sharded_page
from invoicing.adapters.dynamodb.events import with_events
from invoicing.adapters.dynamodb.keys import GSI1, GSI2, GSI3, SHARDS, Item, n, s, shard, timestamp
from invoicing.adapters.dynamodb.versioned import VersionedDocuments
from invoicing.domain.errors import ConcurrentChange, NotFound, PaymentAlreadyRecorded
from invoicing.domain.payment import Payment, PaymentStatus
from invoicing.domain.statement_import import StatementImport
from invoicing.services.ports import Page

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork


def payment_key(account_id: str, payment_id: str) -> Item:
    return {"PK": s(f"ACCOUNT#{account_id}#PAYMENT#{payment_id}"), "SK": s("PAYMENT")}


def statement_import_key(account_id: str, statement_id: str) -> Item:
    return {"PK": s(f"ACCOUNT#{account_id}#STATEMENT#{statement_id}"), "SK": s("STATEMENT")}


def payments_pk(account_id: str, shard_: int) -> str:
    return f"ACCOUNT#{account_id}#PAYMENTS#{shard_:02d}"


def payment_status_pk(account_id: str, status: str, shard_: int) -> str:
    return f"ACCOUNT#{account_id}#PAYSTATUS#{status}#{shard_:02d}"


def payment_amount_pk(account_id: str, currency: str, amount: int) -> str:
    return f"ACCOUNT#{account_id}#PAYAMOUNT#{currency}#{amount}"


def _sort_key(payment: Payment) -> str:
    return f"{timestamp(payment.created)}#{payment.id}"


def payment_item(payment: Payment) -> Item:
    shard_ = shard(payment.id)
    order = _sort_key(payment)
    return {
        **payment_key(payment.account_id, payment.id),
        "status": s(payment.status),
        "version": n(payment.version),
        "GSI1PK": s(payment_amount_pk(payment.account_id, payment.currency, payment.amount)),
        "GSI1SK": s(order),
        "GSI2PK": s(payments_pk(payment.account_id, shard_)),
        "GSI2SK": s(order),
        "GSI3PK": s(payment_status_pk(payment.account_id, payment.status, shard_)),
        "GSI3SK": s(order),
        **with_events(payment, [], payment.events),
    }


class DynamoPayments:
    """The `Payments` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow
        self._versions: dict[str, int] = {}

    def forget(self) -> None:
        self._versions = {}

    def add(self, payment: Payment) -> None:
        self._uow.put(payment_item(payment),
                      lambda: PaymentAlreadyRecorded(f"Payment '{payment.key}' is recorded already.", param="payment"),
                      "attribute_not_exists(PK)")

    def find(self, account_id: str, payment_id: str) -> Payment | None:
        item = self._get(payment_key(account_id, payment_id))
        if item is None:
            return None
        payment = load(item, Payment)
        self._versions[payment.id] = payment.version
        return payment

    def get(self, account_id: str, payment_id: str) -> Payment:
        payment = self.find(account_id, payment_id)
        if payment is None:
            raise NotFound(f"No such payment: '{payment_id}'.", param="payment")
        return payment

    def save(self, payment: Payment) -> None:
        if payment.id not in self._versions:
            raise ValueError("save a payment read in this unit of work")
        self._uow.put(payment_item(payment),
                      lambda: ConcurrentChange(f"Payment '{payment.id}' was changed concurrently; try again.",
                                               param="payment"),
                      "#version = :loaded", ExpressionAttributeNames={"#version": "version"},
                      ExpressionAttributeValues={":loaded": n(self._versions[payment.id])})

    def list(self, account_id: str, *, status: PaymentStatus | None, limit: int,
             starting_after: str | None) -> Page[Payment]:
        """Newest first, merged from the shards of GSI2 (all) or GSI3 (one status)."""
        after = None
        if starting_after:
            cursor = self._get(payment_key(account_id, starting_after))
            if cursor is None:
                raise NotFound(f"No such payment: '{starting_after}'.", param="starting_after")
            after = _sort_key(load(cursor, Payment))
        index, pk_name, sk_name = (GSI3, "GSI3PK", "GSI3SK") if status else (GSI2, "GSI2PK", "GSI2SK")
        condition = f"{pk_name} = :pk" + (f" AND {sk_name} < :after" if after else "")
        requests = []
        for i in range(SHARDS):
            partition = payment_status_pk(account_id, status, i) if status else payments_pk(account_id, i)
            requests.append({"TableName": self._uow.table, "IndexName": index, "KeyConditionExpression": condition,
                             "ExpressionAttributeValues": {":pk": s(partition)}})
        return sharded_page(self._uow.client, requests, sort_key=sk_name, limit=limit, after=after,
                            fetch=self._fetch)

    def of_amount(self, account_id: str, currency: str, amount: int, *, limit: int = 50) -> builtins.list[Payment]:
        response = self._uow.client.query(
            TableName=self._uow.table, IndexName=GSI1, KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues={":pk": s(payment_amount_pk(account_id, currency, amount))},
            ScanIndexForward=False, Limit=limit)
        return self._fetch(response.get("Items", []))

    def _fetch(self, keys: builtins.list[Item]) -> builtins.list[Payment]:
        return [load(item, Payment) for item in batch_get(self._uow.client, self._uow.table, keys)]

    def _get(self, key: Item) -> Item | None:
        item: Item | None = self._uow.client.get_item(TableName=self._uow.table, Key=key,
                                                      ConsistentRead=True).get("Item")
        return item


class DynamoStatementImports(VersionedDocuments[StatementImport]):
    """The `StatementImports` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        super().__init__(uow, StatementImport, statement_import_key, noun="bank statement", param="bank_statement")
