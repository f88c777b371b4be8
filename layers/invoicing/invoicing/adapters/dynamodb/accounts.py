"""Accounts (the sellers) in the single table: `ACCOUNT#{id}` / `ACCOUNT`."""

from __future__ import annotations

from typing import Any

from invoicing.adapters.dynamodb.common import low_level_client
from invoicing.adapters.dynamodb.keys import account_key, s
from invoicing.domain.errors import NotFound
from invoicing.domain.party import Account


class DynamoAccounts:
    """The `Accounts` port on DynamoDB."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = low_level_client(client)
        self._table = table_name

    def get(self, account_id: str) -> Account:
        response = self._client.get_item(TableName=self._table, Key=account_key(account_id), ConsistentRead=True)
        item = response.get("Item")
        if item is None:
            raise NotFound(f"No such account: '{account_id}'.", param="account")
        return Account.model_validate_json(item["doc"]["S"])

    def put(self, account: Account) -> None:
        """Create or replace the account (its settings change as a whole)."""
        self._client.put_item(
            TableName=self._table,
            Item={**account_key(account.id), "doc": s(account.model_dump_json())},
        )
