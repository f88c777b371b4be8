"""API keys: `sk_live_...` bearer tokens that say which account a request acts for.

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
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import re
import secrets
import sys
from datetime import UTC, datetime
from typing import Any

from invoicing.adapters.dynamodb.common import low_level_client
from invoicing.adapters.dynamodb.keys import api_key_key, s, timestamp
from invoicing.adapters.ids import new_id

KEY_PREFIX = "sk_live_"
_KEY_SHAPE = re.compile(r"sk_live_[A-Za-z0-9_-]{43}")  # 32 bytes, urlsafe base64 without padding
_ACCOUNT_ID = re.compile(r"acct_[A-Za-z0-9]{1,64}")


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(client: Any, table_name: str, account_id: str, *, now: datetime | None = None) -> str:
    """Store a new key for the account and return it: the only time the plain key exists."""
    if not _ACCOUNT_ID.fullmatch(account_id):
        raise ValueError(f"not an account id: {account_id!r}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    low_level_client(client).put_item(
        TableName=table_name,
        Item={
            **api_key_key(hash_api_key(key)),
            "account_id": s(account_id),
            "key_id": s(new_id("key")),
            "last4": s(key[-4:]),
            "created": s(timestamp(now or datetime.now(UTC))),
        },
        ConditionExpression="attribute_not_exists(PK)",  # a 256-bit collision: never, but never overwrite
    )
    return key


def resolve_api_key(client: Any, table_name: str, presented_key: str | None) -> str | None:
    """The account the presented key belongs to, or None for anything that is not a live key."""
    if not presented_key or not _KEY_SHAPE.fullmatch(presented_key):
        return None  # wrong shape: no lookup (and no hashing of arbitrarily long input)
    digest = hash_api_key(presented_key)
    item = low_level_client(client).get_item(
        TableName=table_name, Key=api_key_key(digest), ConsistentRead=True
    ).get("Item")
    if item is None:
        return None
    # The lookup already matched the hash; compare again in constant time as a safeguard.
    if not hmac.compare_digest(item["PK"]["S"], api_key_key(digest)["PK"]["S"]):
        return None
    return str(item["account_id"]["S"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m invoicing.adapters.api_keys", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create an API key for an account and print it once")
    create.add_argument("--table", required=True, help="the InvoicingTable's name")
    create.add_argument("--account-id", required=True, help="acct_...")
    create.add_argument("--region", default=None)
    create.add_argument("--endpoint-url", default=None, help="e.g. the local emulator's URL")
    args = parser.parse_args(argv)

    import boto3  # only the CLI needs it here; Lambda code passes its client in

    client = boto3.client("dynamodb", region_name=args.region, endpoint_url=args.endpoint_url)
    try:
        key = create_api_key(client, args.table, args.account_id)
    except ValueError as error:
        parser.error(str(error))
    sys.stdout.write(key + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
