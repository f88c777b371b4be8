"""Reading the outbox from a stream record, with the standard library only (the relay function's
cold start loads no pydantic and no domain): an aggregate's item carries, in its compressed `doc`
envelope (adapters/dynamodb/codec.py), its events as JSON, and `outbox_count` says how many of the
last ones the write that produced this image added. The events were validated when they were
written; the relay forwards them as they are."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from typing import Any


def envelope(doc: Any) -> dict[str, Any]:
    """The `{"doc", "events"}` envelope of a `doc` attribute as the low-level client gives it
    (`{"B": bytes}`), as a stream record's JSON carries it (base64 text), or deserialized (bytes, or
    boto3's Binary)."""
    raw: Any = doc["B"] if isinstance(doc, Mapping) else doc
    if isinstance(raw, str):
        raw = base64.b64decode(raw)
    raw = getattr(raw, "value", raw)
    loaded: dict[str, Any] = json.loads(zlib.decompress(bytes(raw)))
    return loaded


def outbox_documents(new_image: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The events (as JSON documents) a stream record's new image carries for publishing; none for
    other items. Takes the image typed (`{"N": "1"}`) or as Powertools' data class deserializes it."""
    count = new_image.get("outbox_count")
    count = int(count["N"]) if isinstance(count, Mapping) else int(count or 0)
    if count <= 0 or "doc" not in new_image:
        return []
    events: list[dict[str, Any]] = envelope(new_image["doc"])["events"]
    return events[-count:]
