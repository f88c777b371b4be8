"""The emulator serves one request at a time, so DynamoDB transactions stay serializable locally."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from local.emulator import SerializedApp
from local.stack import LocalRuntime

THREADS = 50
ATTEMPTS = 2
FILLER_ITEMS = 150


def test_serialized_app_never_runs_two_requests_at_once() -> None:
    running, peak, lock = 0, 0, threading.Lock()

    def slow_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01)
        with lock:
            running -= 1
        start_response("200 OK", [])
        return [b"ok"]

    app = SerializedApp(slow_app)
    with ThreadPoolExecutor(max_workers=8) as pool:
        bodies = list(pool.map(lambda _: app({}, lambda *args: None), range(16)))

    assert bodies == [[b"ok"]] * 16
    assert peak == 1


def test_concurrent_conditional_increments_never_lose_an_update(stack: LocalRuntime) -> None:
    dynamodb = stack.boto3_client("dynamodb", config=Config(max_pool_connections=THREADS))
    table = stack.resources.name("ItemsTable")
    key = {"PK": {"S": "COUNTER"}, "SK": {"S": str(uuid.uuid4())}}
    dynamodb.put_item(TableName=table, Item={**key, "value": {"N": "0"}})
    _fill(dynamodb, table, FILLER_ITEMS)
    start = threading.Barrier(THREADS)

    def increment_once(_: int) -> bool:
        start.wait()
        current = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]["value"]["N"]
        try:
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": table,
                            "Key": key,
                            "UpdateExpression": "SET #v = :next",
                            "ConditionExpression": "#v = :expected",
                            "ExpressionAttributeNames": {"#v": "value"},
                            "ExpressionAttributeValues": {
                                ":expected": {"N": current},
                                ":next": {"N": str(int(current) + 1)},
                            },
                        }
                    }
                ]
            )
        except ClientError as error:
            assert error.response["Error"]["Code"] == "TransactionCanceledException"
            return False
        return True

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = list(pool.map(lambda n: [increment_once(n) for _ in range(ATTEMPTS)], range(THREADS)))
    successes = sum(sum(attempts) for attempts in outcomes)

    final = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]["value"]["N"]
    assert successes >= 1
    assert int(final) == successes


def _fill(dynamodb: Any, table: str, count: int) -> None:
    """Items that make moto's per-transaction table snapshot slow, widening any race (none with the lock)."""
    for first in range(0, count, 25):
        requests = [
            {"PutRequest": {"Item": {"PK": {"S": "FILLER"}, "SK": {"S": f"{n:05}"}, "data": {"S": "x" * 200}}}}
            for n in range(first, min(first + 25, count))
        ]
        dynamodb.batch_write_item(RequestItems={table: requests})
