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


def create_account_with_key(client: Any, table_name: str, *, name: str, mode: str = "live") -> tuple[Account, str]:
    """The account and its first key: `sk_live_` (mode "live") on a deployed stack, `sk_test_` locally."""
    account = Account(id=new_id("acct"), name=name, created=clock.now())
    with DynamoUnitOfWork(client, table_name) as uow:
        uow.accounts.save(account)
        uow.commit()
    return account, create_api_key(client, table_name, account.id, mode=mode)


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description="Create a seller account and its first API key.")
    parser.add_argument("--table", required=True, help="the stack's TableName output")
    parser.add_argument("--name", required=True, help="the seller's legal name")
    parser.add_argument("--endpoint-url", default=None, help="a local emulator's URL")
    parser.add_argument("--mode", choices=["live", "test"], default="live",
                        help="the key's kind: live (sk_live_, the default) deployed, test (sk_test_) local")
    args = parser.parse_args(argv)
    client = boto3.client("dynamodb", endpoint_url=args.endpoint_url)
    account, key = create_account_with_key(client, args.table, name=args.name, mode=args.mode)
    print(f"account: {account.id}")
    print(f"api key: {key}   (shown once; store it in your secret manager)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
