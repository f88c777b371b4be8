"""API keys: `sk_live_...` (deployed) and `sk_test_...` (local) bearer tokens that say which account a
request acts for.

Only the SHA-256 of a key is stored (item `APIKEY#{sha256 hex}` / `APIKEY` with `account_id`,
`key_id`, `last4` and `created`); the plain key is returned once, when it is created, and is
never stored or logged. A key is 32 random bytes, so a fast hash is enough (nothing to
brute-force), and looking it up by its hash reveals nothing through timing.

A new seller gets its account and first key from `python -m invoicing.onboarding`. A key for an
existing account (the first one, a rotation, one per integration), after `sam deploy` (or against
the local emulator with --endpoint-url):

    PYTHONPATH=layers/invoicing python -m invoicing.adapters.api_keys create \\
        --table <the InvoicingTable's name, an output of the stack> \\
        --account-id acct_... [--region eu-west-1] [--endpoint-url http://127.0.0.1:5000]

prints the key on stdout, once: keep it in a secret store. Use it as `Authorization: Bearer sk_live_...`.

The prefix says where a key was made, as Stripe's do: `sk_live_` by default, for a deployed stack;
`sk_test_` (`--mode test`) for the local runtime (`make dev`, `make demo`, the tests), so a key seen in a
terminal, a log or a leak scanner says whether it opens real accounts. Either kind is valid only on the
stack whose table holds its hash.

Revoking a key deletes its item; the key is read from standard input, so it stays out of shell history
and process lists:

    printf '%s\\n' "$KEY" | PYTHONPATH=layers/invoicing python -m invoicing.adapters.api_keys revoke \\
        --table <TableName> [--region eu-west-1] [--endpoint-url http://127.0.0.1:5000]

The authorizer reads the table on every call (a consistent read); API Gateway caches its answer per key
for the API's `ReauthorizeEvery` (300 s), so a revoked key is refused at most five minutes later.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sys
from datetime import UTC, datetime
from typing import Any

from invoicing.adapters.ids import new_id

# This module is the authorizer's whole storage adapter, so it imports only the standard library
# (and the id generator, standard library too): no pydantic, no domain, no services. That is also
# why it does not use `invoicing.adapters.dynamodb`: importing that package loads the repositories
# and the invoice domain (bench/README.md, "Cold starts").
KEY_PREFIXES = {"live": "sk_live_", "test": "sk_test_"}
_KEY_SHAPE = re.compile(r"sk_(?:live|test)_[A-Za-z0-9_-]{43}")  # 32 bytes, urlsafe base64 without padding
_ACCOUNT_ID = re.compile(r"acct_[A-Za-z0-9]{1,64}")
_SK = "APIKEY"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _item_key(key_hash: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": f"APIKEY#{key_hash}"}, "SK": {"S": _SK}}


class DynamoApiKeys:
    """The API keys of every account, on the invoicing table (a low-level `boto3.client("dynamodb")`)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def account_for(self, presented_key: str | None) -> str | None:
        """The account the presented key belongs to, or None for anything that is not a live key."""
        if not presented_key or not _KEY_SHAPE.fullmatch(presented_key):
            return None  # wrong shape: no lookup (and no hashing of arbitrarily long input)
        key = _item_key(hash_api_key(presented_key))
        item = self._client.get_item(TableName=self._table_name, Key=key, ConsistentRead=True).get("Item")
        if item is None:
            return None
        # The lookup already matched the hash; compare again in constant time as a safeguard.
        if not hmac.compare_digest(item["PK"]["S"], key["PK"]["S"]):
            return None
        return str(item["account_id"]["S"])

    def create(self, account_id: str, *, mode: str = "live", now: datetime | None = None) -> str:
        """Store a new key for the account and return it: the only time the plain key exists.

        `mode` is "live" for a deployed stack and "test" for the local runtime: it is the key's prefix."""
        # Only key creation (onboarding, the CLI) needs the shared timestamp format.
        from invoicing.adapters.dynamodb.keys import timestamp

        if not _ACCOUNT_ID.fullmatch(account_id):
            raise ValueError(f"not an account id: {account_id!r}")
        if mode not in KEY_PREFIXES:
            raise ValueError(f"mode must be one of {', '.join(KEY_PREFIXES)}, not {mode!r}")
        key = KEY_PREFIXES[mode] + secrets.token_urlsafe(32)
        self._client.put_item(
            TableName=self._table_name,
            Item={
                **_item_key(hash_api_key(key)),
                "account_id": {"S": account_id},
                "key_id": {"S": new_id("key")},
                "last4": {"S": key[-4:]},
                "created": {"S": timestamp(now or datetime.now(UTC))},
            },
            ConditionExpression="attribute_not_exists(PK)",  # a 256-bit collision: never, but never overwrite
        )
        return key

    def revoke(self, presented_key: str) -> bool:
        """Delete the key; True if it existed. API Gateway may still accept it from its authorizer
        cache for up to `ReauthorizeEvery` seconds."""
        if not _KEY_SHAPE.fullmatch(presented_key):
            raise ValueError("not an API key (sk_live_... or sk_test_...)")  # the value itself is never echoed
        key = _item_key(hash_api_key(presented_key))
        deleted = self._client.delete_item(TableName=self._table_name, Key=key, ReturnValues="ALL_OLD")
        return "Attributes" in deleted


def create_api_key(
    client: Any, table_name: str, account_id: str, *, mode: str = "live", now: datetime | None = None
) -> str:
    """`DynamoApiKeys.create` for a client (onboarding and the CLI)."""
    from invoicing.adapters.dynamodb.common import low_level_client

    return DynamoApiKeys(low_level_client(client), table_name).create(account_id, mode=mode, now=now)


def revoke_api_key(client: Any, table_name: str, presented_key: str) -> bool:
    """`DynamoApiKeys.revoke` for a client (the CLI)."""
    from invoicing.adapters.dynamodb.common import low_level_client

    return DynamoApiKeys(low_level_client(client), table_name).revoke(presented_key)


def resolve_api_key(client: Any, table_name: str, presented_key: str | None) -> str | None:
    """`DynamoApiKeys.account_for` for a client."""
    return DynamoApiKeys(client, table_name).account_for(presented_key)


def main(argv: list[str] | None = None) -> int:
    import argparse  # the CLI's alone: the authorizer imports this module too

    parser = argparse.ArgumentParser(prog="python -m invoicing.adapters.api_keys", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create an API key for an account and print it once")
    create.add_argument("--account-id", required=True, help="acct_...")
    create.add_argument("--mode", choices=sorted(KEY_PREFIXES), default="live",
                        help="live (sk_live_, the default) for a deployed stack, test (sk_test_) for a local one")
    revoke = commands.add_parser("revoke", help="delete the API key read from standard input")
    for command in (create, revoke):
        command.add_argument("--table", required=True, help="the InvoicingTable's name")
        command.add_argument("--region", default=None)
        command.add_argument("--endpoint-url", default=None, help="e.g. the local emulator's URL")
    args = parser.parse_args(argv)

    import boto3  # only the CLI needs it here; Lambda code passes its client in

    client = boto3.client("dynamodb", region_name=args.region, endpoint_url=args.endpoint_url)
    try:
        if args.command == "revoke":
            found = revoke_api_key(client, args.table, sys.stdin.readline().strip())
            sys.stdout.write("revoked\n" if found else "no such key (nothing to revoke)\n")
            return 0 if found else 1
        key = create_api_key(client, args.table, args.account_id, mode=args.mode)
    except ValueError as error:
        parser.error(str(error))
    sys.stdout.write(key + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
