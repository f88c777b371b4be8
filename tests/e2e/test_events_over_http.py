"""The outbox end to end: every change made through the API reaches the bus exactly once, as its
JSON Schema in docs/events/ says, and replaying the table's stream changes nothing downstream."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from local.client import ApiClient
from local.stack import LocalRuntime
from tests.integration.lambdas import passes_outbox_filter, stream_record

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "events"
ADDRESS = {"line1": "Storgatan 1", "city": "Malmö", "country": "SE"}
SENDING = {"invoice.rendered", "invoice.sent"}


@pytest.fixture
def tap(stack: LocalRuntime) -> Any:
    """A queue subscribed to everything on the bus, as any consumer would subscribe."""
    sqs, events = stack.boto3_client("sqs"), stack.boto3_client("events")
    url = sqs.create_queue(QueueName="bus-tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = stack.resources.name("EventBus")
    events.put_rule(Name="bus-tap", EventBusName=bus, EventPattern=json.dumps({"source": ["invoicing"]}))
    events.put_targets(Rule="bus-tap", EventBusName=bus, Targets=[{"Id": "tap", "Arn": arn}])
    yield lambda: _drain_queue(sqs, url)
    events.remove_targets(Rule="bus-tap", EventBusName=bus, Ids=["tap"])
    events.delete_rule(Name="bus-tap", EventBusName=bus)
    sqs.delete_queue(QueueUrl=url)


def _drain_queue(sqs: Any, url: str) -> list[dict[str, Any]]:
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _stream_records(stack: LocalRuntime) -> list[dict[str, Any]]:
    """Every outbox record still in the table's stream, as Lambda would deliver them again."""
    dynamodb, streams = stack.boto3_client("dynamodb"), stack.boto3_client("dynamodbstreams")
    arn = dynamodb.describe_table(TableName=stack.resources.name("InvoicingTable"))["Table"]["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            response = streams.get_records(ShardIterator=iterator)
            records += [stream_record(r, arn, stack.region) for r in response["Records"] if passes_outbox_filter(r)]
            iterator = response.get("NextShardIterator") if response["Records"] else None
    return records


def test_every_change_is_one_event_on_the_bus_and_a_replay_changes_nothing(
    stack: LocalRuntime, api: ApiClient, tap: Any
) -> None:
    account = api.get("/account")["id"]
    buyer = api.post("/customers", {"name": "Kund AB", "email": "k@kund.example", "currency": "SEK",
                                    "address": ADDRESS})
    api.post(f"/customers/{buyer['id']}", {"name": "Kund & Co AB"})
    line = {"description": "Konsult", "unit_amount": 100000}
    paid, voided, lost, credited = (api.post("/invoices", {"customer": buyer["id"], "lines": [line]})["id"]
                                    for _ in range(4))
    api.post(f"/invoices/{paid}/lines", {"lines": [line]})
    for invoice_id in (paid, voided, lost, credited):
        api.post(f"/invoices/{invoice_id}/finalize")
    api.post(f"/invoices/{paid}/pay")
    api.post(f"/invoices/{voided}/void")
    api.post(f"/invoices/{lost}/mark_uncollectible")
    api.post("/credit_notes", {"invoice": credited, "amount": 25000})
    assert stack.drain(timeout=60)

    published = [m["detail"] for m in tap() if m["detail"]["account_id"] == account]
    for event in published:  # each as its schema says, and on the bus under its own type
        jsonschema.validate(event, json.loads((SCHEMAS / f"{event['type']}.json").read_text()))
    assert len({e["id"] for e in published}) == len(published), "an event reached the bus twice"

    trails = {i: api.get(f"/invoices/{i}/events")["data"] for i in (paid, voided, lost, credited)}
    expected = {e["id"] for trail in trails.values() for e in trail}
    assert {e["id"] for e in published if e["aggregate"] == "invoice"} == expected
    # Sending's events (docs/sending.md) come from the invoice's correspondence, whenever rendering is done.
    assert [e["type"] for e in trails[paid] if e["type"] not in SENDING] == [
        "invoice.created", "invoice.updated", "invoice.finalized", "invoice.paid"]
    assert [e["type"] for e in trails[voided]].count("invoice.rendered") == 1
    assert [e["type"] for e in trails[credited] if e["type"] not in SENDING][-1] == "credit_note.created"
    assert sorted(e["type"] for e in published if e["aggregate"] == "customer") == ["customer.created",
                                                                                    "customer.updated"]
    s3, bucket = stack.boto3_client("s3"), stack.resources.name("DocumentsBucket")
    prefix = f"{account}/"
    before = {v["Key"]: v["VersionId"] for v in s3.list_object_versions(Bucket=bucket, Prefix=prefix)["Versions"]}
    assert len([k for k in before if k.endswith(".pdf")]) == 5  # four invoices and the credit note

    # Replay the whole stream: the same events again (same ids), and no document written twice.
    stack.invoke("RelayFunction", {"Records": _stream_records(stack)})
    assert stack.drain(timeout=60)
    replayed = [m["detail"] for m in tap() if m["detail"]["account_id"] == account]
    assert {e["id"] for e in replayed} == {e["id"] for e in published}
    after = {v["Key"]: v["VersionId"] for v in s3.list_object_versions(Bucket=bucket, Prefix=prefix)["Versions"]}
    assert after == before
