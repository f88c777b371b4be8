"""How an aggregate's domain events live in its item: `events`, the event JSON documents (oldest
first, compressed into one binary attribute), and `outbox_count`, how many of the last ones the
write that produced this image added. The relay publishes exactly those: `outbox_events(new_image)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from invoicing.adapters.dynamodb.codec import pack_json, unpack_json
from invoicing.adapters.dynamodb.keys import Item, n
from invoicing.domain.events import DomainEvent


def events_attributes(history: Sequence[dict[str, Any]], new: Sequence[DomainEvent]) -> Item:
    """`events` (the history plus the new events) and `outbox_count` for an item being written."""
    values = [*history, *(e.model_dump(mode="json") for e in new)]
    return {"events": pack_json(values), "outbox_count": n(len(new))}


def event_history(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    return unpack_json(item["events"]) if "events" in item else []


def decode_events(item: Mapping[str, Any]) -> list[DomainEvent]:
    return [DomainEvent.model_validate(value) for value in event_history(item)]


def outbox_events(new_image: Mapping[str, Any]) -> list[DomainEvent]:
    """The events a stream record's new image carries for publishing (none for other items).

    Takes the image in the low-level typed form (`{"N": "1"}`) or as Powertools' stream data class
    deserializes it (plain values)."""
    count = new_image.get("outbox_count")
    count = int(count["N"]) if isinstance(count, Mapping) else int(count or 0)
    if count <= 0 or "events" not in new_image:
        return []
    return [DomainEvent.model_validate(value) for value in unpack_json(new_image["events"])[-count:]]
