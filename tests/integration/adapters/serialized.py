"""Serve in-process moto one request at a time.

Moto does not make concurrent requests atomic (two TransactWriteItems with the same condition can
both succeed), while DynamoDB's transactions are serializable. Tests that call moto from several
threads therefore hold one lock from botocore's `before-call` to its `after-call` (or
`after-call-error`), like the lock around moto's WSGI app in the local runtime. Application code
never does this: real DynamoDB needs no help.
"""

from __future__ import annotations

import threading
from typing import Any

_HELD = "_moto_serialized"


def serialize_calls(client: Any, lock: threading.Lock | None = None) -> threading.Lock:
    lock = lock or threading.Lock()

    def acquire(context: dict[str, Any], **_: Any) -> None:
        lock.acquire()
        context[_HELD] = True

    def release(context: dict[str, Any], **_: Any) -> None:
        if context.pop(_HELD, False):
            lock.release()

    client.meta.events.register("before-call", acquire)
    client.meta.events.register("after-call", release)
    client.meta.events.register("after-call-error", release)
    return lock
