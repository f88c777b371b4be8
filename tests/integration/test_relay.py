"""The relay function: the table's stream records -> the events they carry, on the bus, once each."""

from __future__ import annotations

import base64
import json
import zlib

from tests.integration.conftest import HandlerStack
from tests.integration.lambdas import LambdaContext, sample_event


def test_the_sample_record_publishes_only_the_event_its_write_added(stack: HandlerStack) -> None:
    result = stack.relay.lambda_handler(sample_event("relay/outbox_record.json"), LambdaContext())
    assert result == {"batchItemFailures": []}
    received = stack.sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10)["Messages"]
    details = [json.loads(m["Body"])["detail"] for m in received]
    # The item carries its whole trail; only the last `outbox_count` events are new.
    assert [(d["type"], d["id"]) for d in details] == [("invoice.finalized", "evt_5d1c0c6a2f3e4b5a6978a1b2c3")]


def test_a_record_whose_events_cannot_be_published_is_reported_by_its_sequence_number(stack: HandlerStack) -> None:
    event = sample_event("relay/outbox_record.json")
    good = event["Records"][0]
    broken = json.loads(json.dumps(good))
    broken["dynamodb"]["SequenceNumber"] = "111100000000000000000002"
    envelope = b'{"doc": {}, "events": [{"not": "an event"}]}'
    broken["dynamodb"]["NewImage"]["doc"]["B"] = base64.b64encode(zlib.compress(envelope)).decode()
    event["Records"].append(broken)
    result = stack.relay.lambda_handler(event, LambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "111100000000000000000002"}]}
