"""Statement uploads, the real handlers over moto: POST /bank_statements, the file put under its key,
the bucket's object-created notification on the queue (moto's own S3 -> SQS delivery), the statements
worker reconciling it. The same file three times pays each invoice once; a hostile file is rejected."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.camt import Entry, camt053
from tests.integration.conftest import HandlerStack
from tests.integration.lambdas import LambdaContext, load_function, sample_event
from tests.integration.test_api import SELLER

HOSTILE = Path(__file__).resolve().parents[1] / "unit" / "adapters" / "bank_statements" / "statements"


@pytest.fixture
def worker(stack: HandlerStack) -> tuple[Any, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=f"statements-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("s3").put_bucket_notification_configuration(Bucket="statements", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "statements/"}]}}}]})
    return load_function("statements"), url


def upload(stack: HandlerStack, body: bytes) -> str:
    created = stack.ok("POST", "/bank_statements", {"filename": "statement.xml"})
    boto3.client("s3").put_object(Bucket="statements", Key=f"statements/{stack.account_id}/{created['id']}", Body=body)
    return str(created["id"])


def deliver(worker: tuple[Any, str]) -> int:
    function, url = worker
    sqs = boto3.client("sqs")
    delivered = 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in messages:
            record = {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                      "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                      "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs",
                      "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:statements", "awsRegion": "eu-west-1"}
            assert function.lambda_handler({"Records": [record]}, LambdaContext())["batchItemFailures"] == []
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            delivered += 1
    return delivered


def test_the_same_statement_three_times_pays_each_invoice_once(stack: HandlerStack, worker: tuple[Any, str]) -> None:
    stack.ok("POST", "/account", SELLER)
    customer = stack.ok("POST", "/customers", {"name": "Kund AB", "email": "ekonomi@kund.example", "currency": "EUR",
                                               "address": {"line1": "Storgatan 1", "city": "Malmö",
                                                           "postal_code": "211 34", "country": "SE"}})
    invoices = []
    for _ in range(2):
        line = {"description": "Work", "quantity": 1, "unit_amount": 10_000}
        draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "currency": "EUR", "lines": [line]})
        invoices.append(stack.ok("POST", f"/invoices/{draft['id']}/finalize"))
    body = camt053(Entry("BANK-1", "125.00", structured_reference=invoices[0]["payment_reference"]),
                   Entry("BANK-2", "100.00", structured_reference=invoices[1]["payment_reference"]),
                   Entry("BANK-3", "42.00", text="who knows", payer="Stranger"))
    uploads = [upload(stack, body) for _ in range(3)]
    assert deliver(worker) >= 3
    done = [stack.ok("GET", f"/bank_statements/{u}") for u in uploads]
    assert [d["status"] for d in done] == ["reconciled"] * 3
    assert done[0]["counts"] == {"entries": 3, "applied": 2, "unmatched": 1, "reversed": 0, "duplicates": 0,
                                 "ignored": 0}
    assert done[2]["counts"]["duplicates"] == 3 and done[0]["format"] == "camt.053"
    first, second = (stack.ok("GET", f"/invoices/{i['id']}") for i in invoices)
    assert first["status"] == "paid" and first["amount_paid"] == 12_500
    assert (second["status"], second["amount_remaining"]) == ("open", 2_500)
    assert len(stack.ok("GET", "/payments", query={"status": "unmatched"})["data"]) == 1
    assert deliver(worker) == 0


def test_a_hostile_file_is_kept_rejected_with_its_reason(stack: HandlerStack, worker: tuple[Any, str]) -> None:
    stack.ok("POST", "/account", SELLER)
    statement = upload(stack, (HOSTILE / "hostile-billion-laughs.xml").read_bytes())
    deliver(worker)
    shown = stack.ok("GET", f"/bank_statements/{statement}")
    assert shown["status"] == "rejected" and shown["error"]["code"] == "statement_rejected"
    assert "DOCTYPE" in shown["error"]["message"]
    assert stack.ok("GET", "/payments")["data"] == []


def test_the_sample_notification_of_an_upload_never_handed_out_is_skipped(worker: tuple[Any, str]) -> None:
    function, _ = worker
    event = sample_event("statements/s3_object_created.json")
    assert function.lambda_handler(event, LambdaContext())["batchItemFailures"] == []
