from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pytest

from invoicing.adapters.api_keys import create_api_key, main, resolve_api_key, revoke_api_key


def stored_items(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    return dynamodb.scan(TableName=table)["Items"]  # a test may look at everything; application code never scans


def test_a_created_key_resolves_to_its_account(dynamodb: Any, table: str) -> None:
    key = create_api_key(dynamodb, table, "acct_123")
    assert key.startswith("sk_live_") and len(key) == len("sk_live_") + 43
    assert resolve_api_key(dynamodb, table, key) == "acct_123"


def test_only_the_hash_of_the_key_is_stored(dynamodb: Any, table: str) -> None:
    key = create_api_key(dynamodb, table, "acct_123")
    [item] = stored_items(dynamodb, table)

    assert item["PK"]["S"] == "APIKEY#" + hashlib.sha256(key.encode()).hexdigest()
    assert item["SK"]["S"] == "APIKEY"
    assert item["account_id"]["S"] == "acct_123"
    assert item["last4"]["S"] == key[-4:]
    assert item["key_id"]["S"].startswith("key_")
    assert key not in json.dumps(item)
    assert key.removeprefix("sk_live_") not in json.dumps(item)


def test_keys_are_unique(dynamodb: Any, table: str) -> None:
    keys = {create_api_key(dynamodb, table, "acct_123") for _ in range(5)}
    assert len(keys) == 5


@pytest.mark.parametrize(
    "presented",
    [None, "", "sk_live_", "sk_test_" + "a" * 43, "sk_live_" + "a" * 43, "sk_live_" + "a" * 10_000, "Bearer x"],
)
def test_anything_else_resolves_to_nobody(dynamodb: Any, table: str, presented: str | None) -> None:
    create_api_key(dynamodb, table, "acct_123")
    assert resolve_api_key(dynamodb, table, presented) is None


def test_a_key_of_one_account_is_not_another_accounts(dynamodb: Any, table: str) -> None:
    first, second = create_api_key(dynamodb, table, "acct_1"), create_api_key(dynamodb, table, "acct_2")
    assert (resolve_api_key(dynamodb, table, first), resolve_api_key(dynamodb, table, second)) == ("acct_1", "acct_2")


def test_account_ids_are_checked(dynamodb: Any, table: str) -> None:
    with pytest.raises(ValueError):
        create_api_key(dynamodb, table, "cus_123")


def test_the_cli_prints_a_working_key_once(dynamodb: Any, table: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["create", "--table", table, "--account-id", "acct_cli", "--region", "eu-west-1"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("sk_live_")
    assert resolve_api_key(dynamodb, table, printed) == "acct_cli"


def test_test_keys_are_sk_test_and_resolve_like_live_ones(dynamodb: Any, table: str) -> None:
    live, test = create_api_key(dynamodb, table, "acct_1"), create_api_key(dynamodb, table, "acct_2", mode="test")
    assert live.startswith("sk_live_") and test.startswith("sk_test_") and len(test) == len("sk_test_") + 43
    assert (resolve_api_key(dynamodb, table, live), resolve_api_key(dynamodb, table, test)) == ("acct_1", "acct_2")
    # The prefix is part of the key: the same secret under the other prefix is another (unknown) key.
    assert resolve_api_key(dynamodb, table, "sk_live_" + test.removeprefix("sk_test_")) is None
    with pytest.raises(ValueError, match="mode"):
        create_api_key(dynamodb, table, "acct_1", mode="prod")


def test_a_revoked_key_resolves_to_nobody(dynamodb: Any, table: str) -> None:
    key, other = create_api_key(dynamodb, table, "acct_1"), create_api_key(dynamodb, table, "acct_1")
    assert revoke_api_key(dynamodb, table, key) is True
    assert resolve_api_key(dynamodb, table, key) is None
    assert resolve_api_key(dynamodb, table, other) == "acct_1"  # the account's other keys keep working
    assert revoke_api_key(dynamodb, table, key) is False
    with pytest.raises(ValueError, match="not an API key"):
        revoke_api_key(dynamodb, table, "Bearer " + other)


def test_the_cli_makes_test_keys_and_revokes_a_key_read_from_stdin(
    dynamodb: Any, table: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    region = ["--region", "eu-west-1"]
    assert main(["create", "--table", table, "--account-id", "acct_cli", "--mode", "test", *region]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("sk_test_") and resolve_api_key(dynamodb, table, key) == "acct_cli"

    monkeypatch.setattr("sys.stdin", io.StringIO(key + "\n"))
    assert main(["revoke", "--table", table, *region]) == 0
    assert capsys.readouterr().out == "revoked\n"
    assert resolve_api_key(dynamodb, table, key) is None
    monkeypatch.setattr("sys.stdin", io.StringIO(key + "\n"))
    assert main(["revoke", "--table", table, *region]) == 1
    assert key not in capsys.readouterr().out
