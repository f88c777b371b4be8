"""Temporary changes to the process environment that can be undone.

The local runtime points boto3 at the emulator and gives handlers their function's variables through
`os.environ`, exactly as Lambda does; tests start and stop stacks in one process, so every variable the
runtime sets must be put back as it was when the stack stops.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

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
