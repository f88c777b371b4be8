"""One local stack of the fixture template for the whole tests/local package.

Moto's state is global to a process, so the stack is shared by these tests (each uses its own keys,
queues or message bodies) and stopped before any other package may start its own.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalRuntime

FIXTURE_TEMPLATE = Path(__file__).parent / "fixtures" / "template.yaml"


@pytest.fixture(scope="package")
def stack() -> Iterator[LocalRuntime]:
    # The echo function keeps no state once per process, so its containers run side by side; the
    # router (a Powertools event handler) runs one invocation at a time, as the project's API functions do.
    with LocalRuntime(template=FIXTURE_TEMPLATE, stack_name="fixture-local", retry_delay=0.05,
                      one_at_a_time=("RouterFunction",)) as running:
        yield running


class Http:
    """Plain urllib calls to the API emulator, answering (status, headers, body bytes)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, bytes]:
        request = urllib.request.Request(self.base_url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def json(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        status, _, payload = self.request(method, path, **kwargs)
        return status, json.loads(payload) if payload else None


@pytest.fixture(scope="package")
def http(stack: LocalRuntime) -> Http:
    return Http(stack.api_url)


AUTH = {"Authorization": "Bearer allow-ada"}
