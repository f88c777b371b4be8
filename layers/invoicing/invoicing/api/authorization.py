"""`Authorization: Bearer <api key>` -> the account the request acts for (the API's authorizer).

The scheme is matched case-insensitively, as RFC 7235 (section 2.1) says of every auth-scheme:
`Bearer`, `bearer` and `BEARER` are one scheme. The presented key is never logged or kept.
Standard library only: the authorizer's cold start imports this and its key store, nothing else.
"""

from __future__ import annotations

from typing import Protocol

SCHEME = "bearer"


class ApiKeys(Protocol):
    def account_for(self, presented_key: str | None) -> str | None: ...


def bearer_credentials(authorization: str | None) -> str | None:
    """The credentials of a Bearer authorization (`<scheme> <credentials>`), or None for another
    scheme, no scheme or no credentials."""
    scheme, _, credentials = (authorization or "").partition(" ")
    if not (scheme.isascii() and scheme.lower() == SCHEME):
        return None
    return credentials.strip() or None


class BearerAuthorizer:
    """Resolves an Authorization header to the account of its live API key."""

    def __init__(self, api_keys: ApiKeys) -> None:
        self._api_keys = api_keys

    def account_for(self, authorization: str | None) -> str | None:
        key = bearer_credentials(authorization)
        return self._api_keys.account_for(key) if key else None
