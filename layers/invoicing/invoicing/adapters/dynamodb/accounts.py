"""Accounts (the sellers): `ACCOUNT#{id}` / `ACCOUNT`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from invoicing.adapters.dynamodb.codec import load, packed
from invoicing.adapters.dynamodb.keys import account_key
from invoicing.domain.errors import NotFound
from invoicing.domain.party import Account

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork


class DynamoAccounts:
    """The `Accounts` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow

    def forget(self) -> None:
        pass

    def get(self, account_id: str) -> Account:
        response = self._uow.client.get_item(TableName=self._uow.table, Key=account_key(account_id),
                                             ConsistentRead=True)
        item = response.get("Item")
        if item is None:
            raise NotFound(f"No such account: '{account_id}'.", param="account")
        return load(item, Account)

    def save(self, account: Account) -> None:
        """Create or replace the account (its settings change as a whole)."""
        self._uow.put({**account_key(account.id), "doc": packed(account)},
                      lambda: NotFound(f"No such account: '{account.id}'.", param="account"))
