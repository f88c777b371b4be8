"""The SQS pump (batches, partial failures, redrive, FIFO groups), schedules, the clock and drain."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from local.stack import LocalRuntime
from tests.local.conftest import Http


def _send(stack: LocalRuntime, queue: str, *bodies: str, **extra: Any) -> None:
    sqs = stack.boto3_client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=stack.resources.url(queue), MessageBody=body, **extra)


def _item(stack: LocalRuntime, pk: str, sk: str) -> dict[str, Any] | None:
    table = stack.boto3_client("dynamodb")
    return table.get_item(TableName=stack.resources.name("ItemsTable"), Key={"PK": {"S": pk}, "SK": {"S": sk}}).get(
        "Item"
    )


def _dead_letters(stack: LocalRuntime) -> list[str]:
    sqs = stack.boto3_client("sqs")
    messages = sqs.receive_message(QueueUrl=stack.resources.url("WorkDLQ"), MaxNumberOfMessages=10)
    return [message["Body"] for message in messages.get("Messages", [])]


def _queue_depth(stack: LocalRuntime, queue: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = stack.boto3_client("sqs").get_queue_attributes(
        QueueUrl=stack.resources.url(queue), AttributeNames=names
    )["Attributes"]
    return sum(int(attributes[name]) for name in names)


def test_messages_are_delivered_as_lambda_sqs_events_and_deleted(stack: LocalRuntime) -> None:
    bodies = [f"good-{uuid.uuid4()}" for _ in range(7)]
    _send(stack, "WorkQueue", *bodies, MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}})

    assert stack.drain(timeout=10)

    assert _queue_depth(stack, "WorkQueue") == 0
    items = [_item(stack, "MESSAGE", body) for body in bodies]
    assert all(items)
    record = json.loads(items[0]["record"]["S"])  # type: ignore[index]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == stack.resources.arn("WorkQueue")
    assert record["awsRegion"] == "eu-west-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert "SentTimestamp" in record["attributes"]
    assert record["messageAttributes"] == {
        "kind": {"stringValue": "test", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    }
    assert record["md5OfBody"]


def test_a_failed_message_is_retried_soon(stack: LocalRuntime) -> None:
    body = f"flaky-{uuid.uuid4()}"
    _send(stack, "WorkQueue", body)

    assert stack.drain(timeout=10)

    assert _item(stack, "MESSAGE", body)["attempts"] == {"N": "2"}  # type: ignore[index]


def test_poison_message_lands_in_the_dlq_after_max_receive_count(stack: LocalRuntime) -> None:
    poison, good = f"poison-{uuid.uuid4()}", f"good-{uuid.uuid4()}"
    _send(stack, "WorkQueue", poison, good)

    assert stack.drain(timeout=10)

    assert _item(stack, "MESSAGE", good) is not None  # its batch partner was not held back
    assert _item(stack, "MESSAGE", poison) is None
    assert poison in _dead_letters(stack)
    assert _queue_depth(stack, "WorkQueue") == 0


def test_a_raising_handler_fails_the_whole_batch(stack: LocalRuntime) -> None:
    crash = f"crash-{uuid.uuid4()}"
    _send(stack, "WorkQueue", crash)

    assert stack.drain(timeout=10)

    assert crash in _dead_letters(stack)


def test_drain_times_out_while_work_remains(stack: LocalRuntime) -> None:
    _send(stack, "WorkQueue", f"poison-{uuid.uuid4()}")

    assert stack.drain(timeout=0) is False
    assert stack.drain(timeout=10) is True
    _dead_letters(stack)


def test_fifo_groups_are_processed_in_order_one_batch_at_a_time(stack: LocalRuntime) -> None:
    import fixture_shared  # the fixture layer, on sys.path while the stack runs

    groups = [f"g{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
    for n in range(5):
        for group in groups:
            _send(stack, "OrderedQueue", f"{group}:{n}", MessageGroupId=group)

    assert stack.drain(timeout=15)

    for group in groups:
        assert fixture_shared.bodies[group] == [f"{group}:{n}" for n in range(5)]
        assert fixture_shared.max_in_flight[group] == 1


def test_rate_schedule_fires_when_the_clock_passes_it_and_missed_runs_collapse(stack: LocalRuntime) -> None:
    start = stack.clock.now()

    stack.clock.advance(timedelta(days=1, seconds=1))
    assert stack.drain(timeout=10)
    stack.clock.advance(timedelta(days=3))
    assert stack.drain(timeout=10)

    table = stack.boto3_client("dynamodb")
    items = table.query(
        TableName=stack.resources.name("ItemsTable"),
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "SCHEDULE"}},
    )["Items"]
    events = [json.loads(item["event"]["S"]) for item in items if "time" in json.loads(item["event"]["S"])]
    times = sorted(datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%S%z") for event in events)
    assert len(times) == 2  # one firing per day passed, the three missed ones collapsed into one
    assert start < times[0] <= start + timedelta(days=1, seconds=1)
    assert times[1] - times[0] == timedelta(days=3)  # fired at the latest missed time
    assert events[0]["detail-type"] == "Scheduled Event"
    assert events[0]["source"] == "aws.events"


def test_any_schedule_can_be_fired_by_hand(stack: LocalRuntime) -> None:
    assert "WorkerFunction.Monthly" in stack.schedules

    assert stack.fire_schedule("Monthly") == {"scheduled": "monthly"}  # the target's fixed Input
    assert _item(stack, "SCHEDULE", "monthly") is not None


def test_dev_routes_move_the_clock_and_drain(stack: LocalRuntime, http: Http) -> None:
    _, before = http.json("GET", "/_local/clock")
    status, after = http.json("POST", "/_local/clock/advance", body=json.dumps({"seconds": 3600}).encode())

    assert status == 200
    assert after["now"] > before["now"]
    assert stack.clock.now().isoformat() >= after["now"]
    assert http.json("POST", "/_local/clock/advance", body=b'{"seconds": -5}')[0] == 400
    assert http.json("POST", "/_local/drain", body=b'{"timeout": 10}') == (200, {"idle": True})


def test_a_scheduled_rule_targeting_a_function_is_a_schedule_too(stack: LocalRuntime) -> None:
    assert "WeeklyRule.Worker" in stack.schedules

    assert stack.fire_schedule("WeeklyRule.Worker") == {"scheduled": "weekly"}


def test_pattern_rules_on_the_template_bus_deliver_to_their_queue(stack: LocalRuntime) -> None:
    detail = {"id": str(uuid.uuid4())}
    stack.boto3_client("events").put_events(
        Entries=[
            {
                "EventBusName": stack.resources.name("Bus"),
                "Source": "fixture.items",
                "DetailType": "item.created",
                "Detail": json.dumps(detail),
            }
        ]
    )

    sqs = stack.boto3_client("sqs")
    received = sqs.receive_message(QueueUrl=stack.resources.url("AuditQueue"))["Messages"]
    summary = sqs.receive_message(QueueUrl=stack.resources.url("AuditSummaryQueue"))["Messages"]

    assert json.loads(received[0]["Body"])["detail"] == detail
    assert json.loads(summary[0]["Body"]) == {"audited": detail["id"], "kind": "item.created"}  # moto transforms
