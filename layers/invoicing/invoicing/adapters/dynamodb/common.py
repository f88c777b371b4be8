"""What the DynamoDB repositories share: the client, bounded paged queries, transaction outcomes."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from invoicing.adapters.dynamodb.keys import Item
from invoicing.domain.errors import Conflict, InvalidInput
from invoicing.services.ports import Page

T = TypeVar("T")

MAX_PAGE_SIZE = 100
FILTERED_READ_SIZE = 100  # items read per request when a filter may drop some of them


class NumberingContention(Conflict):
    """A series stayed contended for the whole retry budget: the request may simply be retried."""

    code = "lock_timeout"


class DuplicateNumber(RuntimeError):
    """A number claim already existed although the series counter said the number was free.

    Either two series format the same numbers (e.g. the credit note prefix equals the invoice
    prefix) or the counter was changed by hand. Never skipped silently: a person must look.
    """


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


def query_all(client: Any, request: dict[str, Any]) -> list[Item]:
    """Every item of a key range that is bounded by the business (an invoice's events)."""
    request = dict(request)
    items: list[Item] = []
    while True:
        response = client.query(**request)
        items.extend(response.get("Items", []))
        last_key = response.get("LastEvaluatedKey")
        if not last_key:
            return items
        request["ExclusiveStartKey"] = last_key


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def cancellation_codes(error: ClientError) -> list[str]:
    """Per item of a cancelled TransactWriteItems: `None`, `ConditionalCheckFailed`, `TransactionConflict`..."""
    reasons = error.response.get("CancellationReasons") or []
    return [str(reason.get("Code") or "None") for reason in reasons]


def is_cancelled_transaction(error: ClientError) -> bool:
    return error_code(error) == "TransactionCanceledException"


class Backoff:
    """Jittered exponential backoff for optimistic retries: full jitter, starting at `base`
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
        self.base, self.cap, self.attempts, self.budget = base, cap, attempts, budget
        self._sleep, self._monotonic = sleep, monotonic

    def tries(self) -> Any:
        """Yields the attempt number (0, 1, ...), sleeping between attempts; stops when spent."""
        deadline = self._monotonic() + self.budget
        for attempt in range(self.attempts):
            if attempt:
                ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
                delay = random.uniform(0, ceiling)
                if self._monotonic() + delay > deadline:
                    return
                self._sleep(delay)
            yield attempt
