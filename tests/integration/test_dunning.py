"""Dunning through its functions on moto: the subscriber schedules a finalized invoice, the hourly run
catches up after downtime from its watermark, every message is delivered three times, each step is
done once and in order; payment stops it; the API shows the history and the overdue flag."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from invoicing.adapters.clock import install
from invoicing.adapters.dynamodb import DynamoUnitOfWork
from tests.integration.conftest import REGION, HandlerStack
from tests.integration.lambdas import LambdaContext, load_function, sample_event
from tests.integration.test_billing import At, records

START = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
SCHEDULED = {"source": "aws.events", "detail-type": "Scheduled Event"}


SENDER = "invoices@billing.example"


@pytest.fixture
def mail_dir(stack: HandlerStack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """moto's SES with the stack's sender identity and configuration set, as provisioning leaves them; every
    mail the dunning functions send is also kept as an `.eml` file here (the template's MailCopyDir)."""
    ses = boto3.client("ses", region_name=REGION)
    ses.verify_email_identity(EmailAddress=SENDER)
    ses.create_configuration_set(ConfigurationSet={"Name": "mail"})
    for name, value in {"SENDER_EMAIL": SENDER, "SES_CONFIGURATION_SET": "mail", "MAIL_COPY_DIR": str(tmp_path),
                        "PAYMENT_PROVIDER": "none", "STRIPE_API_KEY_PARAMETER": "/invoicing/stripe/api-key"}.items():
        monkeypatch.setenv(name, value)
    return tmp_path


@pytest.fixture
def dunning_queue(stack: HandlerStack, monkeypatch: pytest.MonkeyPatch, mail_dir: Path) -> str:
    url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="dunning")["QueueUrl"]
    monkeypatch.setenv("DUNNING_QUEUE_URL", url)
    monkeypatch.setenv("DUNNING_LOOKBACK_HOURS", "1")  # the watermark does the catching up
    return url


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> At:
    at = At(START)
    previous = install(at)
    request.addfinalizer(lambda: install(previous))
    return at


def bus_records(stack: HandlerStack, invoice_id: str, types: set[str]) -> list[dict[str, Any]]:
    """The invoice's committed events of `types`, as the dunning rule's queue hands them to the subscriber."""
    uow = DynamoUnitOfWork(stack.dynamodb, stack.tables["InvoicingTable"])
    with uow:
        events = [e for e in uow.invoices.events(stack.account_id, invoice_id) if e.type in types]
    template = sample_event("dunning_events/invoice_paid.json")["Records"][0]
    out = []
    for event in events:
        body = {"version": "0", "id": f"eb-{event.id}", "detail-type": event.type, "source": "invoicing",
                "account": "123456789012", "time": event.created.isoformat(), "region": REGION, "resources": [],
                "detail": event.model_dump(mode="json")}
        out.append(dict(template, messageId=f"m-{event.id}", body=json.dumps(body)))
    return out


def step_records(stack: HandlerStack, invoice_id: str) -> list[dict[str, Any]]:
    response = stack.dynamodb.query(
        TableName=stack.tables["InvoicingTable"], KeyConditionExpression="PK = :pk AND begins_with(SK, :step)",
        ExpressionAttributeValues={":pk": {"S": f"ACCOUNT#{stack.account_id}#INVOICE#{invoice_id}"},
                                   ":step": {"S": "DUNNING#STEP#"}})
    items: list[dict[str, Any]] = response["Items"]
    return items


def test_a_run_after_downtime_performs_each_due_step_once_in_order_and_payment_stops_it(
        stack: HandlerStack, dunning_queue: str, clock: At) -> None:
    stack.ok("POST", "/account", {
        "address": {"line1": "Sveavägen 1", "city": "Stockholm", "country": "SE"},
        "tax_ids": [{"type": "eu_vat", "value": "SE556703748501"}], "iban": "SE4550000000058398257466",
        "dunning_policies": [{"reminders": [-1, 0, 7]},
                             {"segment": "enterprise", "reminders": [14], "final_action": "leave_open"}]})
    customer = stack.ok("POST", "/customers", {"name": "Kund AB", "currency": "SEK", "email": "ap@kund.example",
                                               "segments": ["smb"],
                                               "address": {"line1": "Storgatan 1", "city": "Malmö", "country": "SE"}})
    assert customer["segments"] == ["smb"]
    line = {"description": "Konsult", "quantity": "1", "unit_amount": 50000}
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "days_until_due": 1, "lines": [line]})
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    subscriber, runs = load_function("dunning_events"), load_function("dunning")
    sqs = boto3.client("sqs", region_name=REGION)

    finalized = bus_records(stack, invoice["id"], {"invoice.finalized"})
    for _ in range(3):  # the event delivered three times
        assert subscriber.lambda_handler({"Records": finalized}, LambdaContext()) == {"batchItemFailures": []}
    planned = stack.ok("GET", f"/invoices/{invoice['id']}/dunning")
    assert [s["id"] for s in planned["planned"]] == ["reminder-1", "reminder+0", "reminder+7"]
    assert planned["status"] == "active" and planned["next_step"]["due_at"] == "2026-11-02T08:00:00Z"

    assert runs.lambda_handler(SCHEDULED, LambdaContext())["pages"] == 2 * 16  # the first run: an hour back
    records(sqs, dunning_queue)  # nothing is due yet; its pages find nothing
    clock.current = START + timedelta(days=1, hours=2)  # down for a day: -1 and 0 passed meanwhile
    assert runs.lambda_handler(SCHEDULED, LambdaContext())["pages"] == 26 * 16  # on from the watermark
    assert runs.lambda_handler(SCHEDULED, LambdaContext())["pages"] == 2 * 16  # a second run over it
    pages = records(sqs, dunning_queue)
    for start in range(0, len(pages), 10):
        for _ in range(2):  # each page delivered twice
            assert runs.lambda_handler({"Records": pages[start:start + 10]}, LambdaContext()) == {
                "batchItemFailures": []}
    due = records(sqs, dunning_queue)
    assert len(due) == 2  # the invoice (its next step's hour, read by the first run), its page delivered twice
    for _ in range(3):
        assert runs.lambda_handler({"Records": due}, LambdaContext()) == {"batchItemFailures": []}

    history = stack.ok("GET", f"/invoices/{invoice['id']}/dunning")
    assert [(s["id"], s["outcome"]) for s in history["steps_done"]] == [("reminder-1", "sent"), ("reminder+0", "sent")]
    assert history["steps_done"][0]["due_at"] == "2026-11-02T08:00:00Z"
    assert history["steps_done"][1]["performed_at"] == "2026-11-03T09:00:00Z"
    assert history["next_step"]["id"] == "reminder+7" and history["in_progress"] is None
    steps = step_records(stack, invoice["id"])
    assert sorted((i["SK"]["S"], i["outcome"]["S"]) for i in steps) == [
        ("DUNNING#STEP#reminder+0", "sent"), ("DUNNING#STEP#reminder-1", "sent")]

    assert stack.ok("GET", f"/invoices/{invoice['id']}")["overdue"] is False  # due today: not late yet
    assert stack.ok("GET", "/invoices", query={"overdue": "true"})["data"] == []
    clock.current = START + timedelta(days=2)
    assert stack.ok("GET", f"/invoices/{invoice['id']}")["overdue"] is True
    overdue = stack.ok("GET", "/invoices", query={"overdue": "true"})["data"]
    assert [i["id"] for i in overdue] == [invoice["id"]] and overdue[0]["overdue"] is True
    # Only open invoices are overdue: with another status the answer is the empty list, not an error.
    assert stack.ok("GET", "/invoices", query={"overdue": "true", "status": "paid"})["data"] == []
    status, error = stack.call("GET", "/invoices", query={"overdue": "false"})
    assert status == 400 and error["error"]["param"] == "overdue"

    stack.ok("POST", f"/invoices/{invoice['id']}/pay")
    paid = bus_records(stack, invoice["id"], {"invoice.paid"})
    for _ in range(3):
        assert subscriber.lambda_handler({"Records": paid}, LambdaContext()) == {"batchItemFailures": []}
    stopped = stack.ok("GET", f"/invoices/{invoice['id']}/dunning")
    assert (stopped["status"], stopped["stopped_reason"], stopped["next_step"]) == ("stopped", "paid", None)
    assert stack.ok("GET", f"/invoices/{invoice['id']}")["overdue"] is False
    assert stack.ok("GET", "/invoices", query={"overdue": "true"})["data"] == []
    notices = stack.dynamodb.query(
        TableName=stack.tables["InvoicingTable"], KeyConditionExpression="PK = :pk AND begins_with(SK, :n)",
        ExpressionAttributeValues={":pk": {"S": f"ACCOUNT#{stack.account_id}#INVOICE#{invoice['id']}"},
                                   ":n": {"S": "NOTICE#"}})["Items"]
    assert len(notices) == 1  # the customer told once of the payment, though the event came three times


def test_policies_are_validated_on_the_account_and_an_invoice_without_dunning_says_so(stack: HandlerStack) -> None:
    status, error = stack.call("POST", "/account", {"dunning_policies": [{"reminders": [7, 7]}]})
    assert status == 400 and error["error"]["param"].startswith("dunning_policies")
    status, error = stack.call("POST", "/account", {"dunning_policies": [{"segment": "a"}, {"segment": "a"}]})
    assert status == 400
    status, error = stack.call("POST", "/customers", {"name": "X", "segments": ["Not A Segment"]})
    assert status == 400 and error["error"]["param"].startswith("segments")
    account = stack.ok("POST", "/account", {"dunning_policies": [{"reminders": [-3, 0], "late_fees": {
        "after_days": 30, "annual_rate_percent": "10.15"}, "final_action": "mark_uncollectible",
        "final_after_days": 45}]})
    assert account["dunning_policies"][0]["late_fees"]["annual_rate_percent"] == "10.15"
    customer = stack.ok("POST", "/customers", {"name": "Kund AB", "currency": "SEK"})
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "Konsult", "quantity": "1", "unit_amount": 50000}]})
    assert stack.ok("GET", f"/invoices/{draft['id']}/dunning")["status"] == "none"
    status, error = stack.call("GET", "/invoices/in_missing/dunning")
    assert status == 404


def test_the_sample_events_run_and_a_bad_message_fails_alone(stack: HandlerStack, dunning_queue: str) -> None:
    runs, subscriber = load_function("dunning"), load_function("dunning_events")
    assert runs.lambda_handler(sample_event("dunning/messages.json"), LambdaContext()) == {"batchItemFailures": []}
    messages = sample_event("dunning/messages.json")["Records"]
    bad = dict(messages[1], messageId="bad", body="{")
    result = runs.lambda_handler({"Records": [messages[1], bad]}, LambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    paid = sample_event("dunning_events/invoice_paid.json")  # of an invoice that is not in the table
    with pytest.raises(BatchProcessingError):  # Powertools raises when every record failed: all retried
        subscriber.lambda_handler(paid, LambdaContext())
