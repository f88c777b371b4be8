"""A small HTTP client for the local API (used by the demo and the end-to-end tests)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class ApiClient:
    def __init__(self, base_url: str, api_key: str | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key

    def request(self, method: str, path: str, body: Any = None, *, idempotency_key: str | None = None,
                raw_body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        data = raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base_url + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if self.api_key:
            request.add_header("Authorization", f"Bearer {self.api_key}")
        if method == "POST":
            request.add_header("Idempotency-Key", idempotency_key or str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (local URL)
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            payload = error.read()
            try:
                return error.code, json.loads(payload)
            except ValueError:
                return error.code, payload.decode(errors="replace")

    def _ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        status, payload = self.request(method, path, body, **kw)
        if status >= 300:
            raise ApiError(status, payload)
        return payload

    def get(self, path: str) -> Any:
        return self._ok("GET", path)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self._ok("POST", path, body if body is not None else {}, **kw)

    def delete(self, path: str) -> Any:
        return self._ok("DELETE", path)


def bootstrap_account(stack: Any, name: str) -> str:
    """Create a seller account and its first API key (a local one: `sk_test_`) in the stack's table;
    returns the key."""
    from invoicing.onboarding import create_account_with_key

    table = stack.resources.name("InvoicingTable")
    return create_account_with_key(stack.boto3_client("dynamodb"), table, name=name, mode="test")[1]
