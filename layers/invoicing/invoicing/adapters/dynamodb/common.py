"""What the DynamoDB repositories share: the client, bounded paged queries, sharded lists,
transaction outcomes, and the backoff of optimistic retries."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from invoicing.adapters.dynamodb.keys import Item
from invoicing.domain.errors import InvalidInput
from invoicing.services.ports import Page

T = TypeVar("T")

MAX_PAGE_SIZE = 100
FILTERED_READ_SIZE = 100  # items read per request when a filter may drop some of them


def low_level_client(client: Any) -> Any:
    """The repositories speak the low-level client's typed form (`{"S": ...}`, `{"N": ...}`).

    A boto3 resource is refused: its `meta.client` converts values itself, so typed values would
    be converted twice."""
    if hasattr(client, "Table") and hasattr(getattr(client, "meta", None), "client"):
        raise TypeError("pass boto3.client('dynamodb'), not boto3.resource('dynamodb')")
    return client


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}.", param="limit")


def query_page(
    client: Any, request: dict[str, Any], *, limit: int, decode: Callable[[Item], T], filtered: bool = False
) -> Page[T]:
    """One page of `limit` results from a Query, reading on until `limit + 1` items are seen (so
    `has_more` is exact) or the key range ends. A filter drops items after DynamoDB's `Limit`
    counts them, so filtered queries read larger slices and may take several requests."""
    check_limit(limit)
    request = dict(request)
    found: list[Item] = []
    while True:
        wanted = limit + 1 - len(found)
        request["Limit"] = max(wanted, FILTERED_READ_SIZE) if filtered else wanted
        response = client.query(**request)
        found.extend(response.get("Items", []))
        last_key = response.get("LastEvaluatedKey")
        if len(found) > limit or not last_key:
            break
        request["ExclusiveStartKey"] = last_key
    return Page[T](data=[decode(item) for item in found[:limit]], has_more=len(found) > limit)


def sharded_page(
    client: Any, requests: list[dict[str, Any]], *, sort_key: str, limit: int, after: str | None,
    fetch: Callable[[list[Item]], list[T]],
) -> Page[T]:
    """One page of a list whose index partition is spread over shards: read the first `limit + 1`
    keys of every shard (descending, below the cursor's sort key `after`), merge them by sort key,
    and fetch the documents of the first `limit`. Each shard's slice is that shard's top, so the
    merge is exactly the top of the whole list."""
    check_limit(limit)
    keys: list[Item] = []
    for request in requests:
        request = dict(request, ScanIndexForward=False, Limit=limit + 2)
        if after is not None:
            request["ExpressionAttributeValues"] = {**request["ExpressionAttributeValues"], ":after": {"S": after}}
        response = client.query(**request)
        keys.extend(item for item in response.get("Items", []) if item[sort_key]["S"] != after)
    keys.sort(key=lambda item: item[sort_key]["S"], reverse=True)
    return Page[T](data=fetch(keys[:limit]), has_more=len(keys) > limit)


def batch_get(client: Any, table: str, keys: list[Item], *, projection: str | None = None) -> list[Item]:
    """The items of `keys`, in the order of `keys` (missing ones left out), 100 keys a request."""
    found: dict[tuple[str, str], Item] = {}
    for start in range(0, len(keys), 100):
        pending: dict[str, Any] = {table: {"Keys": [{"PK": k["PK"], "SK": k["SK"]} for k in keys[start:start + 100]],
                                           "ConsistentRead": True}}
        if projection:
            pending[table]["ProjectionExpression"] = projection
        while pending:
            response = client.batch_get_item(RequestItems=pending)
            for item in response.get("Responses", {}).get(table, []):
                found[(item["PK"]["S"], item["SK"]["S"])] = item
            pending = response.get("UnprocessedKeys") or {}
    return [found[key] for key in ((k["PK"]["S"], k["SK"]["S"]) for k in keys) if key in found]


def index_page(client: Any, table: str, index: str, pk: str, *, until: str, limit: int,
               cursor: dict[str, Any] | None) -> tuple[list[str], dict[str, Any] | None]:
    """One page of an index partition's sort keys up to `until` (the hourly indexes of what falls due:
    renewals, dunning steps), with the cursor of the next page."""
    request: dict[str, Any] = {
        "TableName": table, "IndexName": index, "Limit": limit,
        "KeyConditionExpression": f"{index}PK = :pk AND {index}SK <= :until",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":until": {"S": until}},
    }
    if cursor:
        request["ExclusiveStartKey"] = cursor
    response = client.query(**request)
    return [str(item[f"{index}SK"]["S"]) for item in response.get("Items", [])], response.get("LastEvaluatedKey")


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def cancellation_codes(error: ClientError) -> list[str]:
    """Per item of a cancelled TransactWriteItems: `None`, `ConditionalCheckFailed`, `TransactionConflict`..."""
    reasons = error.response.get("CancellationReasons") or []
    return [str(reason.get("Code") or "None") for reason in reasons]


class Backoff:
    """The `Retry` port: jittered exponential backoff for optimistic retries: full jitter, starting at `base`
    seconds, each ceiling capped at `cap`, for at most `attempts` tries or `budget` seconds."""

    def __init__(
        self,
        *,
        base: float = 0.005,
        cap: float = 0.2,
        attempts: int = 60,
        budget: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base, self.cap, self.max_attempts, self.budget = base, cap, attempts, budget
        self._sleep, self._monotonic = sleep, monotonic

    def attempts(self) -> Any:
        """Yields the attempt number (0, 1, ...), sleeping between attempts; stops when spent."""
        deadline = self._monotonic() + self.budget
        for attempt in range(self.max_attempts):
            if attempt:
                ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
                delay = random.uniform(0, ceiling)
                if self._monotonic() + delay > deadline:
                    return
                self._sleep(delay)
            yield attempt
