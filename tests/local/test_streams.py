"""The outbox path: a table's stream, a relay function, the bus, a rule, a queue and its consumer.

Stream records are shared by every test of the package (one stream, read by two mappings), so each test
writes its own keys and looks only at those.
"""

from __future__ import annotations

import importlib
import json
import uuid
from types import ModuleType
from typing import Any

from local.stack import LocalRuntime


def _shared() -> ModuleType:
    """The fixture layer, where the fixture functions note what they received (on sys.path while running)."""
    return importlib.import_module("fixture_shared")


def _write(stack: LocalRuntime, *items: dict[str, str]) -> None:
    """One transaction, so that its records reach the stream (and the relay) as one batch."""
    table = stack.resources.name("OutboxTable")
    puts = [{"PK": "OUTBOX", **item} for item in items]
    stack.boto3_client("dynamodb").transact_write_items(
        TransactItems=[{"Put": {"TableName": table, "Item": {k: {"S": v} for k, v in put.items()}}} for put in puts]
    )


def _event(kind: str = "item.shipped", **extra: str) -> dict[str, str]:
    return {"SK": f"EVENT#{uuid.uuid4()}", "type": kind, **extra}


def _deliveries(stack: LocalRuntime, key: str) -> dict[str, Any] | None:
    return stack.boto3_client("dynamodb").get_item(
        TableName=stack.resources.name("ItemsTable"), Key={"PK": {"S": "DELIVERED"}, "SK": {"S": key}}
    ).get("Item")


def _relayed_batches(*keys: str) -> list[list[str]]:
    """The batches the relay received, as their sort keys, keeping only `keys`."""
    batches = [[record["dynamodb"]["NewImage"]["SK"]["S"] for record in batch] for batch in _shared().relayed]
    return [kept for batch in batches if (kept := [key for key in batch if key in keys])]


def _on_failure_records(stack: LocalRuntime, queue: str) -> list[dict[str, Any]]:
    received = stack.boto3_client("sqs").receive_message(QueueUrl=stack.resources.url(queue), MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in received.get("Messages", [])]


def test_an_outbox_record_reaches_the_target_queues_consumer_exactly_once(stack: LocalRuntime) -> None:
    event = _event()
    _write(stack, event)

    assert stack.drain(timeout=20)

    delivered = _deliveries(stack, event["SK"])
    assert delivered is not None and delivered["deliveries"] == {"N": "1"}
    envelope = json.loads(delivered["envelope"]["S"])
    assert envelope["source"] == "fixture.outbox"
    assert envelope["detail-type"] == "item.shipped"
    assert envelope["detail"]["key"] == event["SK"]
    assert _relayed_batches(event["SK"]) == [[event["SK"]]]
    (record,) = [r for batch in _shared().relayed for r in batch if r["dynamodb"]["Keys"]["SK"]["S"] == event["SK"]]
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["awsRegion"] == "eu-west-1"
    assert record["eventSourceARN"] == stack.resources["OutboxTable"].get_att("StreamArn")
    assert record["dynamodb"]["StreamViewType"] == "NEW_IMAGE"
    assert record["dynamodb"]["NewImage"]["type"] == {"S": "item.shipped"}
    assert record["dynamodb"]["Keys"] == {"PK": {"S": "OUTBOX"}, "SK": {"S": event["SK"]}}
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    assert record["dynamodb"]["SequenceNumber"].isdigit() and record["dynamodb"]["SizeBytes"] > 0


def test_records_the_filter_does_not_match_are_skipped(stack: LocalRuntime) -> None:
    state = {"SK": f"STATE#{uuid.uuid4()}", "type": "item.shipped"}
    event, unrouted = _event(), _event("item.ignored")
    _write(stack, state, event, unrouted)
    assert stack.drain(timeout=20)
    _write(stack, {**event, "type": "item.returned"})  # a MODIFY: the filter wants INSERTs only

    assert stack.drain(timeout=20)

    assert _relayed_batches(state["SK"], event["SK"], unrouted["SK"]) == [[event["SK"], unrouted["SK"]]]
    assert _deliveries(stack, event["SK"])["deliveries"] == {"N": "1"}  # type: ignore[index]
    assert _deliveries(stack, unrouted["SK"]) is None  # relayed, but no rule matches its detail-type


def test_a_partial_batch_failure_retries_from_the_failed_record_only(stack: LocalRuntime) -> None:
    first, flaky, last = _event(), _event(fail="once"), _event("item.returned")
    _write(stack, first, flaky, last)

    assert stack.drain(timeout=20)

    keys = (first["SK"], flaky["SK"], last["SK"])
    assert _relayed_batches(*keys) == [list(keys), [flaky["SK"], last["SK"]]]
    assert all(_deliveries(stack, key)["deliveries"] == {"N": "1"} for key in keys)  # type: ignore[index]


def test_a_function_error_bisects_the_batch_until_the_bad_record_is_alone(stack: LocalRuntime) -> None:
    before, bad, after = _event(), _event(fail="raise"), _event()
    _write(stack, before, bad, after)

    assert stack.drain(timeout=30)

    assert _relayed_batches(before["SK"], bad["SK"], after["SK"]) == [
        [before["SK"], bad["SK"], after["SK"]],
        [before["SK"], bad["SK"]],  # halves of the failed batch
        [before["SK"]],
        [bad["SK"], after["SK"]],
        [bad["SK"]],
        [bad["SK"]],
        [bad["SK"]],
        [bad["SK"]],  # the first try and MaximumRetryAttempts (3) retries, then it is given up
        [after["SK"]],
    ]
    assert _deliveries(stack, before["SK"])["deliveries"] == {"N": "1"}  # type: ignore[index]
    assert _deliveries(stack, after["SK"])["deliveries"] == {"N": "1"}  # type: ignore[index]
    (record,) = [r for r in _on_failure_records(stack, "RelayDLQ") if r["responseContext"].get("functionError")]
    assert record["DDBStreamBatchInfo"]["batchSize"] == 1
    assert record["requestContext"]["approximateInvokeCount"] == 4


def test_a_function_that_always_fails_ends_in_its_on_failure_destination(stack: LocalRuntime) -> None:
    doomed = {"SK": f"DOOMED#{uuid.uuid4()}", "type": "item.shipped"}
    runs_before = len(_shared().doomed_batches)
    _write(stack, doomed)

    assert stack.drain(timeout=20)

    assert _shared().doomed_batches[runs_before:] == [1, 1, 1]  # the first try and 2 retries
    (record,) = _on_failure_records(stack, "DoomedDLQ")
    info = record["DDBStreamBatchInfo"]
    assert record["version"] == "1.0"
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"] == stack.resources.arn("DoomedFunction")
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert info["streamArn"] == stack.resources["OutboxTable"].get_att("StreamArn")
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["shardId"].startswith("shardId-")
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    assert "Records" not in record and "payload" not in record  # Lambda describes the batch, it does not send it
    assert _relayed_batches(doomed["SK"]) == []  # the relay's own filter wants EVENT# items


def test_a_reported_failure_that_never_succeeds_ends_in_the_relays_destination(stack: LocalRuntime) -> None:
    stuck = _event(fail="always")
    _write(stack, stuck)

    assert stack.drain(timeout=20)

    assert _relayed_batches(stuck["SK"]) == [[stuck["SK"]]] * 4  # the first try and 3 retries
    records = [r for r in _on_failure_records(stack, "RelayDLQ") if "functionError" not in r["responseContext"]]
    assert [r["requestContext"]["approximateInvokeCount"] for r in records] == [4]
    assert _deliveries(stack, stuck["SK"]) is None


def test_records_written_after_a_failed_transaction_still_reach_the_relay(stack: LocalRuntime) -> None:
    """Moto rolls a failed transaction back by restoring the table from a copy, stream included: the
    cursor must go on reading the restored stream, not the one its old iterator pointed at."""
    before, after = _event(), _event()
    _write(stack, before)
    assert stack.drain(timeout=20)
    table = stack.resources.name("OutboxTable")
    refused = {"Put": {"TableName": table, "Item": {"PK": {"S": "OUTBOX"}, "SK": {"S": before["SK"]}},
                       "ConditionExpression": "attribute_not_exists(PK)"}}
    try:
        stack.boto3_client("dynamodb").transact_write_items(TransactItems=[refused])
    except stack.boto3_client("dynamodb").exceptions.TransactionCanceledException:
        pass
    else:
        raise AssertionError("the transaction should have been cancelled")

    _write(stack, after)
    assert stack.drain(timeout=20)

    assert _relayed_batches(after["SK"]) == [[after["SK"]]]
    delivered = _deliveries(stack, after["SK"])
    assert delivered is not None and delivered["deliveries"] == {"N": "1"}
