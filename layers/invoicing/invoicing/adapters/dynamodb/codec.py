"""How documents and their events are stored in an item: one binary attribute, `doc`, holding
`{"doc": <the document's JSON>, "events": [<its events' JSON>, ...]}` compressed with zlib.

An invoice's JSON with its snapshots is ~3.5 KB and its events ~1 KB; compressed together (the
events repeat the invoice's ids and figures) they are ~1.4 KB. It is written at least twice (draft,
finalized), a transactional write costs twice, and DynamoDB charges a write unit per KB, so this is
most of an invoice's storage cost (bench/cost.py)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from invoicing.adapters.outbox import envelope

M = TypeVar("M", bound=BaseModel)
LEVEL = 6


def packed(model: BaseModel, events: Sequence[dict[str, Any]] = ()) -> dict[str, bytes]:
    envelope = {"doc": model.model_dump(mode="json"), "events": list(events)}
    return {"B": zlib.compress(json.dumps(envelope, separators=(",", ":")).encode(), LEVEL)}


def unpacked(item: Mapping[str, Any]) -> dict[str, Any]:
    """The envelope of an item's `doc` (its forms: invoicing.adapters.outbox.envelope)."""
    return envelope(item["doc"])


def load(item: Mapping[str, Any], model: type[M]) -> M:
    return model.model_validate(unpacked(item)["doc"])
