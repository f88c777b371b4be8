"""How documents and their events are stored in an item: JSON, compressed (zlib) into binary
attributes. An invoice's JSON with its snapshots is ~5 KB and compresses ~4x: it is written at
least twice (draft, finalized), transactional writes cost twice, and DynamoDB charges a write unit
per KB, so compression is most of an invoice's storage cost saved (bench/cost.py)."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
LEVEL = 6


def packed(data: bytes) -> dict[str, bytes]:
    return {"B": zlib.compress(data, LEVEL)}


def unpacked(value: Any) -> bytes:
    """A binary attribute as the low-level client gives it (`{"B": bytes}`), as a stream record's
    JSON carries it (base64 text), or already deserialized (bytes, or boto3's Binary)."""
    raw: Any = value["B"] if isinstance(value, Mapping) else value
    if isinstance(raw, str):
        raw = base64.b64decode(raw)
    raw = getattr(raw, "value", raw)  # boto3.dynamodb.types.Binary
    return zlib.decompress(bytes(raw))


def doc(model: BaseModel) -> dict[str, bytes]:
    return packed(model.model_dump_json().encode())


def load(item: Mapping[str, Any], model: type[M]) -> M:
    return model.model_validate_json(unpacked(item["doc"]))


def pack_json(values: list[Any]) -> dict[str, bytes]:
    return packed(json.dumps(values, separators=(",", ":")).encode())


def unpack_json(value: Any) -> list[Any]:
    loaded: list[Any] = json.loads(unpacked(value))
    return loaded
