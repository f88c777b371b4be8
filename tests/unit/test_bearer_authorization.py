"""The authorizer's use case: an Authorization header -> the account of its API key (RFC 7235 schemes)."""

from __future__ import annotations

import pytest

from invoicing.api.authorization import BearerAuthorizer, bearer_credentials

KEY = "sk_live_" + "k" * 43


class FakeApiKeys:
    def __init__(self, accounts: dict[str, str]) -> None:
        self.accounts = accounts
        self.looked_up: list[str | None] = []

    def account_for(self, presented_key: str | None) -> str | None:
        self.looked_up.append(presented_key)
        return self.accounts.get(presented_key or "")


@pytest.mark.parametrize("header", [f"Bearer {KEY}", f"bearer {KEY}", f"BEARER {KEY}", f"bEaReR {KEY}",
                                    f"Bearer   {KEY}", f"Bearer {KEY} "])
def test_the_bearer_scheme_is_case_insensitive(header: str) -> None:
    assert bearer_credentials(header) == KEY


@pytest.mark.parametrize("header", [None, "", KEY, f"Basic {KEY}", f"Bearerx {KEY}", f"Bear {KEY}", "Bearer",
                                    "Bearer ", "Bearer    ", f"\u0392earer {KEY}", f"Token {KEY}"])
def test_anything_else_has_no_bearer_credentials(header: str | None) -> None:
    assert bearer_credentials(header) is None


def test_the_authorizer_resolves_the_key_of_a_bearer_header() -> None:
    keys = FakeApiKeys({KEY: "acct_1"})
    authorizer = BearerAuthorizer(keys)
    assert authorizer.account_for(f"BEARER {KEY}") == "acct_1"
    assert authorizer.account_for(f"bearer sk_live_{'x' * 43}") is None
    assert keys.looked_up == [KEY, f"sk_live_{'x' * 43}"]


def test_no_lookup_without_bearer_credentials() -> None:
    keys = FakeApiKeys({KEY: "acct_1"})
    authorizer = BearerAuthorizer(keys)
    for header in (None, "", f"Basic {KEY}", KEY, "Bearer "):
        assert authorizer.account_for(header) is None
    assert keys.looked_up == []
