"""Temporary changes to the process environment that can be undone, and each function's own environment.

The local runtime points boto3 at the emulator and gives handlers their function's variables through
`os.environ`, exactly as Lambda does; tests start and stop runtimes in one process, so every variable the
runtime sets must be put back as it was when the runtime stops.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

_UNSET = object()


class EnvironPatch:
    """Sets variables in `os.environ` and remembers their first previous value for `restore()`."""

    def __init__(self) -> None:
        self._saved: dict[str, object] = {}

    def set(self, variables: Mapping[str, str]) -> None:
        for key, value in variables.items():
            self._remember(key)
            os.environ[key] = value

    def unset(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._remember(key)
            os.environ.pop(key, None)

    def restore(self) -> None:
        for key, value in self._saved.items():
            if value is _UNSET:
                os.environ.pop(key, None)
            else:
                os.environ[key] = str(value)
        self._saved.clear()

    def _remember(self, key: str) -> None:
        if key not in self._saved:
            self._saved[key] = os.environ.get(key, _UNSET)


class FunctionEnvironments:
    """The process environment as each function's own, for as long as its code runs.

    Lambda gives every function an environment of its own; here all functions share one process and
    one `os.environ`. So the environment is held by one function's variables at a time: invocations
    (and imports) of functions with the same variables run together, one with other variables waits
    until they are done, and then the template's variables of every other function are taken away and
    its own put in place. Waiters are served in arrival order, so a steady stream of one function's
    requests cannot starve another's. What the runtime itself sets (the emulator's endpoint, fake
    credentials, the region) and the machine's own variables stay as they are.
    """

    def __init__(self, environments: Mapping[str, Mapping[str, str]], patch: EnvironPatch) -> None:
        self._environments = {name: dict(variables) for name, variables in environments.items()}
        self._managed = sorted({key for variables in self._environments.values() for key in variables})
        self._patch = patch
        self._changed = threading.Condition()
        self._holder: frozenset[tuple[str, str]] | None = None  # the variables now in os.environ
        self._inside = 0
        self._waiting: deque[tuple[object, frozenset[tuple[str, str]]]] = deque()

    @contextmanager
    def of(self, function: str) -> Iterator[None]:
        variables = self._environments[function]
        key = frozenset(variables.items())
        ticket = (object(), key)
        with self._changed:
            self._waiting.append(ticket)
            while not (self._waiting[0][1] == key and (self._inside == 0 or self._holder == key)):
                self._changed.wait()
            self._waiting.remove(ticket)
            if self._holder != key:
                self._patch.unset(name for name in self._managed if name not in variables)
                self._patch.set(variables)
                self._holder = key
            self._inside += 1
            self._changed.notify_all()
        try:
            yield
        finally:
            with self._changed:
                self._inside -= 1
                self._changed.notify_all()
