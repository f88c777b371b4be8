"""A billing run through its functions on moto: the schedule, the pages of the renewal index, the
workers; every message delivered three times, and a second run started over the first."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest

from invoicing.adapters.clock import install
from invoicing.adapters.dynamodb import DynamoUnitOfWork
from invoicing.domain.catalog import Price, Recurring
from invoicing.domain.subscription import Subscription, SubscriptionItem
from tests.integration.conftest import REGION, HandlerStack
from tests.integration.lambdas import LambdaContext, load_function

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class At:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def records(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Everything waiting on a queue, as SQS records (taken off the queue: a test redelivers them itself)."""
    found: dict[str, dict[str, Any]] = {}
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600).get("Messages", [])
        if not messages:
            break
        for m in messages:
            found[m["MessageId"]] = {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                                     "body": m["Body"], "attributes": {}, "messageAttributes": {},
                                     "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs",
                                     "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:q", "awsRegion": REGION}
    for m in found.values():
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["receiptHandle"])
    return list(found.values())


@pytest.fixture
def queues(stack: HandlerStack, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    sqs = boto3.client("sqs", region_name=REGION)
    urls = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("billing-runs", "billing")}
    monkeypatch.setenv("BILLING_RUN_QUEUE_URL", urls["billing-runs"])
    monkeypatch.setenv("BILLING_QUEUE_URL", urls["billing"])
    monkeypatch.setenv("BILLING_LOOKBACK_HOURS", "1")
    return urls


def subscribe(stack: HandlerStack, customer_id: str, n: int) -> Subscription:
    seats = Price(id="price_seats", account_id=stack.account_id, product_id="prod_1", currency="SEK",
                  type="recurring", recurring=Recurring(interval="month"), unit_amount_decimal=Decimal(9900),
                  nickname="Seats", created=START)
    sub = Subscription(id=f"sub_{n:04d}", account_id=stack.account_id, customer_id=customer_id, currency="SEK",
                       items=(SubscriptionItem(id=f"si_{n}", price=seats, quantity=n % 3 + 1),), days_until_due=30,
                       billing_cycle_anchor=START + timedelta(minutes=n), created=START).record_created(START)
    uow = DynamoUnitOfWork(stack.dynamodb, stack.tables["InvoicingTable"])
    with uow:
        uow.subscriptions.add(sub)
        uow.commit()
    return sub


def test_a_run_bills_every_due_subscription_once_however_often_its_messages_arrive(
        stack: HandlerStack, queues: dict[str, str], request: pytest.FixtureRequest) -> None:
    clock = At(START + timedelta(hours=1))
    previous = install(clock)
    request.addfinalizer(lambda: install(previous))
    stack.ok("POST", "/account", {"address": {"line1": "Sveavägen 1", "city": "Stockholm", "country": "SE"},
                                  "tax_ids": [{"type": "eu_vat", "value": "SE556703748501"}],
                                  "iban": "SE4550000000058398257466"})
    customer = stack.ok("POST", "/customers", {"name": "Kund AB", "currency": "SEK", "email": "ap@kund.example",
                                               "address": {"line1": "Storgatan 1", "city": "Malmö", "country": "SE"}})
    subs = [subscribe(stack, customer["id"], n) for n in range(25)]
    runs, worker = load_function("billing_runs"), load_function("billing")
    sqs = boto3.client("sqs", region_name=REGION)

    for _ in range(2):  # two runs started over each other
        assert runs.lambda_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())
    pages = records(sqs, queues["billing-runs"])
    for _ in range(3):  # every page delivered three times
        assert runs.lambda_handler({"Records": pages}, LambdaContext()) == {"batchItemFailures": []}
    work = records(sqs, queues["billing"])
    assert len(work) == 2 * 3 * 25  # each boundary queued six times
    for start in range(0, len(work), 10):
        result = worker.lambda_handler({"Records": work[start:start + 10]}, LambdaContext())
        assert result == {"batchItemFailures": []}

    invoices = stack.ok("GET", "/invoices", query={"limit": "100"})["data"]
    assert len(invoices) == 25
    assert sorted(i["metadata"]["subscription"] for i in invoices) == sorted(s.id for s in subs)
    numbers = sorted(i["number"] for i in invoices)
    assert numbers == [f"INV-{n:06d}" for n in range(1, 26)]  # finalized in batches, gapless
    assert {i["status"] for i in invoices} == {"open"}
    three = next(i for i in invoices if i["metadata"]["subscription"] == "sub_0002")
    assert three["lines"]["data"][0]["quantity"] == "3" and three["total"] == 3 * 9900 * 125 // 100


def test_the_worker_reports_bad_messages_alone(stack: HandlerStack, queues: dict[str, str]) -> None:
    customer = stack.ok("POST", "/customers", {"name": "Kund AB", "currency": "SEK"})
    sub = subscribe(stack, customer["id"], 1)
    worker = load_function("billing")
    early = {"account_id": stack.account_id, "subscription_id": sub.id, "boundary": 3}  # not due: no failure
    record = {"messageId": "ok", "receiptHandle": "r", "body": json.dumps(early), "attributes": {},
              "messageAttributes": {}, "md5OfBody": "x", "eventSource": "aws:sqs", "eventSourceARN": "arn:q",
              "awsRegion": REGION}
    missing = dict(record, messageId="missing", body=json.dumps({**early, "subscription_id": "sub_missing"}))
    result = worker.lambda_handler({"Records": [record, missing, dict(record, messageId="bad", body="{")]},
                                   LambdaContext())
    assert {f["itemIdentifier"] for f in result["batchItemFailures"]} == {"missing", "bad"}
