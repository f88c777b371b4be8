"""The Stripe webhook and the payment-events worker, the real handlers over moto: the secret from SSM
(Powertools Parameters), the event queued to SQS, the worker reconciling it. The same webhook three
times is one payment; a tampered or stale signature is a 400 and nothing is queued or stored."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3
import pytest

from tests.integration.conftest import HandlerStack
from tests.integration.lambdas import LambdaContext, api_event, load_function
from tests.integration.test_api import SELLER, swedish_customer
from tests.unit.adapters.stripe.replay import event
from tests.unit.adapters.stripe.test_stripe_events import sign

SECRET = "whsec_integration_9b7c4f0e2a"


@pytest.fixture
def webhook(stack: HandlerStack, monkeypatch: pytest.MonkeyPatch) -> Any:
    name = f"/invoicing/test/{uuid.uuid4().hex}/stripe-webhook-secret"  # Powertools caches by name
    boto3.client("ssm").put_parameter(Name=name, Value=SECRET, Type="SecureString")
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=f"payment-events-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET_PARAMETER", name)
    monkeypatch.setenv("PAYMENT_EVENTS_QUEUE_URL", url)
    return load_function("stripe_webhook"), load_function("payment_events"), url


def post(function: Any, body: bytes, signature: str | None) -> tuple[int, Any]:
    request = api_event("POST", "/webhooks/stripe", account_id="", raw_body=body.decode())
    request["requestContext"].pop("authorizer", None)
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    request["headers"], request["multiValueHeaders"] = headers, {k: [v] for k, v in headers.items()}
    response = function.lambda_handler(request, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def drain(worker: Any, url: str) -> list[dict[str, Any]]:
    """Deliver what the queue holds to the worker as Lambda would (one batch), and delete it."""
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:payment-events",
                "awsRegion": "eu-west-1"} for m in messages]
    if records:
        failures = worker.lambda_handler({"Records": records}, LambdaContext())["batchItemFailures"]
        assert failures == []
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return records


def test_the_same_webhook_three_times_pays_once_and_bad_signatures_store_nothing(
        stack: HandlerStack, webhook: Any) -> None:
    receiver, worker, url = webhook
    stack.ok("POST", "/account", SELLER)
    customer = swedish_customer(stack, currency="EUR")
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "currency": "EUR",
                                            "lines": [{"description": "Work", "quantity": 1, "unit_amount": 10_000}]})
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    values = {"account_id": stack.account_id, "invoice_id": invoice["id"], "invoice_number": invoice["number"]}
    body = json.dumps(event("payment_intent.succeeded", values)).encode()

    tampered = body.replace(b'"amount_received": 12500', b'"amount_received": 99')
    assert tampered != body
    for payload, header in ((tampered, sign(body, SECRET)), (body, sign(body, SECRET, at=int(time.time()) - 301)),
                            (body, sign(body, "whsec_someone_else")), (body, None)):
        status, error = post(receiver, payload, header)
        assert status == 400 and error["error"]["code"] == "signature_invalid"
    assert drain(worker, url) == []  # nothing queued

    for _ in range(3):
        status, answer = post(receiver, body, sign(body, SECRET))
        assert (status, answer) == (200, {"received": True})
    assert len(drain(worker, url)) == 3
    paid = stack.ok("GET", f"/invoices/{invoice['id']}")
    assert paid["status"] == "paid" and paid["amount_paid"] == 12_500
    payments = stack.ok("GET", "/payments")["data"]
    assert len(payments) == 1 and payments[0]["source"] == "stripe" and payments[0]["method"] == "card"

    refund = json.dumps(event("charge.refunded", values)).encode()
    for _ in range(2):
        assert post(receiver, refund, sign(refund, SECRET))[0] == 200
    drain(worker, url)
    reopened = stack.ok("GET", f"/invoices/{invoice['id']}")
    assert (reopened["status"], reopened["amount_remaining"]) == ("open", 2_500)


def test_the_webhook_function_loads_neither_pydantic_nor_the_domain_at_init() -> None:
    """It verifies and queues; the reconciliation (and its models) is the worker's cold start."""
    import os
    import subprocess
    import sys

    from tests.integration.lambdas import ROOT

    code = ("import sys; sys.path[:0] = sys.argv[1:]; import app; "
            "print(','.join(m for m in ('pydantic', 'invoicing.domain.errors', 'invoicing.services.payments') "
            "if m in sys.modules))")
    env = {**os.environ, "PAYMENT_EVENTS_QUEUE_URL": "q", "STRIPE_WEBHOOK_SECRET_PARAMETER": "/x",
           "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "POWERTOOLS_TRACE_DISABLED": "true"}
    loaded = subprocess.run([sys.executable, "-c", code, str(ROOT / "functions" / "stripe_webhook"),
                             str(ROOT / "layers" / "invoicing")], env=env, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""
