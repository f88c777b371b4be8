"""Counting what DynamoDB would charge, request by request, through a botocore hook.

Every write request the application makes is decoded: the items it writes (and, read through a
second, unhooked client, the items it replaces) give the write units of the base table and of each
global secondary index, per partition key value, by DynamoDB's published rules:
- an item's size is its attribute names plus values (UTF-8 strings, numbers about one byte per two
  digits, lists and maps three bytes plus their elements); a write costs one unit per KB, a
  transactional write two;
- an index entry holds the index keys, the table keys and the projected attributes; writing an
  item writes an index when an index key or a projected attribute changes: one put (a new entry),
  a delete and a put (its keys change), or a delete (it leaves the index), one unit per KB each.
Reads are counted too (4 KB a unit; eventually consistent half), and every AWS call by operation.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

KB = 1024


def attribute_size(value: Mapping[str, Any]) -> int:
    (kind, raw), = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        digits = len(str(Decimal(raw)).lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in raw)
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_size(v) + 1 for k, v in raw.items())
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in raw)
    raise ValueError(kind)


def item_size(item: Mapping[str, Any] | None) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in (item or {}).items())


def units(size: int, unit: int = KB) -> int:
    return max(1, math.ceil(size / unit))


@dataclass(frozen=True)
class Index:
    name: str
    pk: str
    sk: str
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    attributes: tuple[str, ...] = ()

    def entry(self, item: Mapping[str, Any] | None, table_keys: tuple[str, str]) -> dict[str, Any] | None:
        if not item or self.pk not in item:
            return None
        if self.projection == "ALL":
            return dict(item)
        names = {self.pk, self.sk, *table_keys, *self.attributes}
        return {k: v for k, v in item.items() if k in names}


@dataclass
class Meter:
    """Write and read units per table / index and per partition key value, and calls per operation."""

    table: str
    indexes: list[Index]
    keys: tuple[str, str] = ("PK", "SK")
    calls: Counter[str] = field(default_factory=Counter)
    write_units: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))  # where -> pk -> WCU
    read_units: Counter[str] = field(default_factory=Counter)
    # (request, where) -> WCU; a request is its kind and what it writes: "Put INVOICE", "Update (transaction) SERIES"
    by_operation: Counter[tuple[str, str]] = field(default_factory=Counter)
    s3_bytes_put: int = 0
    active: bool = True  # several meters may watch one client, one phase each
    peek: Any = None  # reads what a write replaces; its own calls are not counted
    # Functions run in several threads on the local runtime: what a call is doing is per thread, and
    # the counting is one thread at a time.
    _thread: threading.local = field(default_factory=threading.local)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def _peeking(self) -> bool:
        return getattr(self._thread, "peeking", False)

    @property
    def _operation(self) -> str:
        return getattr(self._thread, "operation", "")

    @classmethod
    def for_table(cls, client: Any, table: str) -> Meter:
        described = client.describe_table(TableName=table)["Table"]
        indexes = [Index(i["IndexName"], i["KeySchema"][0]["AttributeName"], i["KeySchema"][1]["AttributeName"],
                         i["Projection"]["ProjectionType"], tuple(i["Projection"].get("NonKeyAttributes", ())))
                   for i in described.get("GlobalSecondaryIndexes", [])]
        return cls(table, indexes)

    def attach_session(self, events: Any) -> None:
        """Count the calls of every client created from now on by the session whose event system
        `events` is (boto3.DEFAULT_SESSION.events): the functions' own clients, made at import.
        Set `peek` before the first write."""
        events.register("provide-client-params", self._before)
        events.register("after-call", self._after)

    def attach(self, session_clients: list[Any], peek: Any) -> None:
        """Count the calls of these clients; `peek` (another client of the same table) reads what a
        write replaces without being counted."""
        self.peek = peek
        for client in session_clients:
            service = client.meta.service_model.service_name
            client.meta.events.register(f"provide-client-params.{service}.*", self._before)
            client.meta.events.register(f"after-call.{service}.*", self._after)

    # --- hooks -----------------------------------------------------------------------------------

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if not self.active or self._peeking:
            return
        with self._lock:
            self._count_request(params, model, context)

    def _count_request(self, params: dict[str, Any], model: Any, context: dict[str, Any]) -> None:
        context["meter_params"] = params
        service = model.service_model.service_name
        self.calls[f"{service}:{model.name}"] += 1
        if service == "events" and model.name == "PutEvents":
            self.calls["events:entries"] += len(params.get("Entries", []))
        if service == "s3" and model.name == "PutObject":
            body = params.get("Body", b"")
            self.s3_bytes_put += len(body) if isinstance(body, (bytes, bytearray)) else 0
        if service != "dynamodb":
            return
        name = model.name
        if name in ("PutItem", "UpdateItem", "DeleteItem"):
            self._request(name.removesuffix("Item"), params, 1)
        elif name == "TransactWriteItems":
            for entry in params["TransactItems"]:
                (kind, body), = entry.items()
                self._request(kind, body, 2)

    def _request(self, kind: str, body: Mapping[str, Any], factor: int) -> None:
        self._thread.operation = f"{kind}{' (transaction)' if factor == 2 else ''} {_entity(body)}"
        if body["TableName"] != self.table:
            self._other_table(kind, body, factor)
        elif kind == "Put":
            self._write(body["Item"], self._old(body["Item"]), factor)
        elif kind == "Update":
            self._write(self._updated(body["Key"]), self._old(body["Key"]), factor, update=body)

    def _other_table(self, kind: str, body: Mapping[str, Any], factor: int) -> None:
        """Another table (the idempotency records), which has no indexes: the larger of the item
        before and after the write, the one before read through `peek`."""
        key = body.get("Key") or {k: body["Item"][k] for k in ("id",) if k in body["Item"]}
        old = self._old(key, table=body["TableName"]) if self.peek is not None and key else None
        if kind == "Put":
            new = dict(body["Item"])
        else:  # UpdateItem "SET #a = :a, ...": the old item with those attributes replaced
            names = body.get("ExpressionAttributeNames", {})
            values = body.get("ExpressionAttributeValues", {})
            new = {**(old or key)}
            for assignment in body.get("UpdateExpression", "").removeprefix("SET").split(","):
                name, _, value = (part.strip() for part in assignment.partition("="))
                if value in values:
                    new[names.get(name, name)] = values[value]
        where = f"table {body['TableName'].rsplit('-', 1)[-1]}"
        self._count(where, "*", factor * units(max(item_size(new), item_size(old))))

    def _count(self, where: str, pk: str, wcu: int) -> None:
        self.write_units[where][pk] += wcu
        self.by_operation[(self._operation, where)] += wcu

    def _after(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if not self.active or self._peeking or model.service_model.service_name != "dynamodb":
            return
        with self._lock:
            self._count_reads(parsed, model, context)

    def _count_reads(self, parsed: dict[str, Any], model: Any, context: dict[str, Any]) -> None:
        params = context.get("meter_params", {})
        consistent = params.get("ConsistentRead", False)
        divide = 1 if consistent else 2
        if model.name == "GetItem" and "Item" in parsed:
            self.read_units[model.name] += units(item_size(parsed["Item"]), 4 * KB) / divide
        elif model.name == "Query":
            total = sum(item_size(i) for i in parsed.get("Items", []))
            self.read_units[model.name] += units(total, 4 * KB) / divide
        elif model.name == "BatchGetItem":
            for items in parsed.get("Responses", {}).values():
                for item in items:
                    self.read_units[model.name] += units(item_size(item), 4 * KB) / divide

    # --- accounting --------------------------------------------------------------------------------

    def _old(self, item_or_key: Mapping[str, Any], table: str | None = None) -> dict[str, Any] | None:
        key = dict(item_or_key) if table else {k: item_or_key[k] for k in self.keys}
        self._thread.peeking = True
        try:
            found: dict[str, Any] | None = self.peek.get_item(TableName=table or self.table, Key=key,
                                                              ConsistentRead=True).get("Item")
        finally:
            self._thread.peeking = False
        return found

    def _updated(self, key: Mapping[str, Any]) -> dict[str, Any] | None:
        """The item an update leaves is only known after it: counted from the old one (the updates
        here change small numeric attributes, never an index key)."""
        return self._old(key) or dict(key)

    def _write(self, new: Mapping[str, Any] | None, old: Mapping[str, Any] | None, factor: int,
               update: Mapping[str, Any] | None = None) -> None:
        assert new is not None
        pk = new[self.keys[0]]["S"]
        self._count("table", pk, factor * units(max(item_size(new), item_size(old))))
        for index in self.indexes:
            after = index.entry(new, self.keys)
            before = index.entry(old, self.keys)
            if update is not None:
                # An UpdateItem changes only what its expression names: an index entry changes when a
                # projected attribute or index key is among them.
                named = set(update.get("ExpressionAttributeNames", {}).values()) | set(
                    w.strip().split(" ")[0] for w in update["UpdateExpression"].replace("SET", "").split(","))
                projected = {index.pk, index.sk, *index.attributes} if index.projection != "ALL" else {"*"}
                if before is None or ("*" not in projected and not (named & projected)):
                    continue
                self._count(index.name, before[index.pk]["S"], units(item_size(before)))
                continue
            if after == before:
                continue
            moved = after is None or (before or {}).get(index.pk) != after[index.pk] \
                or (before or {}).get(index.sk) != after[index.sk]
            if before is not None and moved:
                self._count(index.name, before[index.pk]["S"], units(item_size(before)))  # delete
            if after is not None:
                self._count(index.name, after[index.pk]["S"], units(item_size(after)))

    # --- figures ----------------------------------------------------------------------------------

    def totals(self) -> dict[str, int]:
        return {where: sum(per_key.values()) for where, per_key in self.write_units.items()}

    def busiest(self, where: str, *, excluding: tuple[str, ...] = ()) -> tuple[str, int, float]:
        """(key, its write units, its share of `where`'s write units)."""
        per_key = {k: v for k, v in self.write_units[where].items() if not any(x in k for x in excluding)}
        if not per_key:
            return "", 0, 0.0
        key, value = max(per_key.items(), key=lambda kv: kv[1])
        return key, value, value / sum(self.write_units[where].values())

    def reset(self) -> None:
        self.calls.clear()
        self.write_units.clear()
        self.by_operation.clear()
        self.read_units.clear()
        self.s3_bytes_put = 0


def _entity(body: Mapping[str, Any]) -> str:
    """What a write is about, from its sort key's first word (`INVOICE`, `SERIES`, `CUSTOMER`...);
    `record` for a table keyed by `id` alone (the idempotency records)."""
    key = body.get("Key") or body.get("Item") or {}
    sk = key.get("SK", {}).get("S")
    return sk.split("#")[0] if sk else "record"
