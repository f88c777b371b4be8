"""Opening an account: the seller record and its first API key.

A deployer runs this once after `sam deploy` (the table name is a stack output):

    python -m invoicing.onboarding --table <TableName> --name "Your Company AB"

It prints the account id and the API key. The key is shown once and stored only as a hash;
further keys for the same account: `python -m invoicing.adapters.api_keys create ...`.
"""

from __future__ import annotations

import argparse
from typing import Any

from invoicing.adapters.api_keys import create_api_key
from invoicing.adapters.clock import current as clock
from invoicing.adapters.dynamodb import DynamoUnitOfWork
from invoicing.adapters.ids import new_id
from invoicing.domain.party import Account


def create_account_with_key(client: Any, table_name: str, *, name: str) -> tuple[Account, str]:
    account = Account(id=new_id("acct"), name=name, created=clock.now())
    with DynamoUnitOfWork(client, table_name) as uow:
        uow.accounts.save(account)
        uow.commit()
    return account, create_api_key(client, table_name, account.id)


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description="Create a seller account and its first API key.")
    parser.add_argument("--table", required=True, help="the stack's TableName output")
    parser.add_argument("--name", required=True, help="the seller's legal name")
    parser.add_argument("--endpoint-url", default=None, help="a local emulator's URL")
    args = parser.parse_args(argv)
    client = boto3.client("dynamodb", endpoint_url=args.endpoint_url)
    account, key = create_account_with_key(client, args.table, name=args.name)
    print(f"account: {account.id}")
    print(f"api key: {key}   (shown once; store it in your secret manager)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
