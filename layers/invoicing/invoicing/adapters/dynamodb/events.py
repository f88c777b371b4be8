"""How an aggregate's domain events live in its item: `events`, a list of event JSON documents
(oldest first), and `outbox_count`, how many of the last ones the write that produced this image
added. The relay publishes exactly those: `outbox_events(new_image)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from invoicing.adapters.dynamodb.keys import Item, n
from invoicing.domain.events import DomainEvent


def events_attributes(history: Sequence[dict[str, Any]], new: Sequence[DomainEvent]) -> Item:
    """`events` (the history plus the new events) and `outbox_count` for an item being written."""
    return {"events": {"L": [*history, *({"S": e.model_dump_json()} for e in new)]}, "outbox_count": n(len(new))}


def decode_events(item: Mapping[str, Any]) -> list[DomainEvent]:
    return [DomainEvent.model_validate_json(value["S"]) for value in item.get("events", {}).get("L", [])]


def outbox_events(new_image: Mapping[str, Any]) -> list[DomainEvent]:
    """The events a stream record's new image carries for publishing (none for other items).

    Takes the image in the low-level typed form (`{"S": ...}`) or as Powertools' stream data class
    deserializes it (plain values)."""
    count = new_image.get("outbox_count")
    count = int(count["N"]) if isinstance(count, Mapping) else int(count or 0)
    if count <= 0:
        return []
    raw = new_image.get("events")
    values = raw["L"] if isinstance(raw, Mapping) else list(raw or [])
    texts = [v["S"] if isinstance(v, Mapping) else v for v in values]
    return [DomainEvent.model_validate_json(text) for text in texts[-count:]]
