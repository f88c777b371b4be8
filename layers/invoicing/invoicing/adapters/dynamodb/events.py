"""How an aggregate's domain events live in its item: in `doc`'s envelope beside the document
(oldest first; codec.py), with `outbox_count`, how many of the last ones the write that produced
this image added. The relay publishes exactly those: `outbox_events(new_image)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from invoicing.adapters.dynamodb.codec import packed, unpacked
from invoicing.adapters.dynamodb.keys import Item, n
from invoicing.domain.events import DomainEvent


def with_events(model: BaseModel, history: Sequence[dict[str, Any]], new: Sequence[DomainEvent]) -> Item:
    """`doc` (the document, its history and the new events) and `outbox_count` for an item being written."""
    events = [*history, *(e.model_dump(mode="json") for e in new)]
    return {"doc": packed(model, events), "outbox_count": n(len(new))}


def event_history(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = unpacked(item)["events"]
    return history


def decode_events(item: Mapping[str, Any]) -> list[DomainEvent]:
    return [DomainEvent.model_validate(value) for value in event_history(item)]


def outbox_events(new_image: Mapping[str, Any]) -> list[DomainEvent]:
    """The events a stream record's new image carries for publishing (none for other items).

    Takes the image in the low-level typed form (`{"N": "1"}`) or as Powertools' stream data class
    deserializes it (plain values)."""
    count = new_image.get("outbox_count")
    count = int(count["N"]) if isinstance(count, Mapping) else int(count or 0)
    if count <= 0 or "doc" not in new_image:
        return []
    return [DomainEvent.model_validate(value) for value in event_history(new_image)[-count:]]
