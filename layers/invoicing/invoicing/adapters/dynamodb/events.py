"""How an aggregate's domain events live in its item: in `doc`'s envelope beside the document
(oldest first; codec.py), with `outbox_count`, how many of the last ones the write that produced
this image added. The relay publishes exactly those (invoicing.adapters.outbox).
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
