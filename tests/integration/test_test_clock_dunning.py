"""Dunning on a test clock's time, through the functions on moto: a clock customer's invoices are
dunned as the clock advances (never by the real-time run), each reminder once, in the order the
schedule gives them, at the clock's moments; the subscriber's redelivered events change nothing."""

from __future__ import annotations

import email
import functools
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import boto3
import pytest

from invoicing.adapters.clock import install
from tests.integration.conftest import REGION, HandlerStack
from tests.integration.lambdas import LambdaContext, load_function
from tests.integration.test_billing import At
from tests.integration.test_billing_runs import customer, monthly_price, subscribe
from tests.integration.test_dunning import SCHEDULED, SENDER, bus_records, dunning_queue, mail_dir  # noqa: F401 - fixtures
from tests.integration.test_dunning_mail import sent_at_ses

SELLER = {"address": {"line1": "Sveavägen 1", "city": "Stockholm", "country": "SE"},
          "tax_ids": [{"type": "eu_vat", "value": "SE556703748501"}], "iban": "SE4550000000058398257466",
          "dunning_policies": [{"reminders": [-3, 0, 7, 14]}]}
START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def test_an_advance_over_60_days_sends_each_reminder_of_the_schedule_once_in_order(
        stack: HandlerStack, mail_dir: Path, dunning_queue: str,  # noqa: F811 - the fixtures
        request: pytest.FixtureRequest) -> None:
    now = At(datetime(2026, 12, 28, 12, tzinfo=UTC))  # real time (the process clock)
    request.addfinalizer(functools.partial(install, install(now)))
    stack.api = load_function("api")  # with the mail settings the fixture set
    stack.ok("POST", "/account", SELLER)
    test_clock = stack.ok("POST", "/test_clocks", {"frozen_time": START.isoformat()})
    buyer = customer(stack, "Klockan AB", test_clock=test_clock["id"])
    subscribe(stack, buyer["id"], monthly_price(stack))  # its first invoice finalized at once, on the clock's time
    subscriber, runs = load_function("dunning_events"), load_function("dunning")
    [opening] = stack.ok("GET", "/invoices", query={"customer": buyer["id"]})["data"]
    scheduled = bus_records(stack, opening["id"], {"invoice.finalized"})  # the bus brings it to the subscriber
    assert subscriber.lambda_handler({"Records": scheduled}, LambdaContext()) == {"batchItemFailures": []}
    advance = f"/test_clocks/{test_clock['id']}/advance"

    stack.ok("POST", advance, {"frozen_time": (START + timedelta(days=20)).isoformat()})
    assert list(mail_dir.glob("*.eml")) == []  # the first reminder falls due on day 27
    ses = boto3.client("ses", region_name=REGION)
    ses.delete_identity(Identity=SENDER)  # SES refuses the mail: the advance stops at the reminder's moment
    status, _ = stack.call("POST", advance, {"frozen_time": (START + timedelta(days=60)).isoformat()})
    assert status == 500 and list(mail_dir.glob("*.eml")) == []
    assert stack.ok("GET", f"/test_clocks/{test_clock['id']}")["frozen_time"] == "2027-01-31T08:00:00Z"
    ses.verify_email_identity(EmailAddress=SENDER)
    status, error = stack.call("POST", advance, {"frozen_time": (START + timedelta(days=60)).isoformat()})
    assert (status, error["error"]["code"]) == (409, "send_in_progress")  # SES may yet have taken it: wait
    now.current += timedelta(minutes=16)  # the send's claim lease, in real time, has passed
    stack.ok("POST", advance, {"frozen_time": (START + timedelta(days=60)).isoformat()})  # run again: goes on

    invoices = sorted(stack.ok("GET", "/invoices", query={"customer": buyer["id"]})["data"],
                      key=lambda i: int(i["metadata"]["subscription_boundary"]))
    # Billed and finalized at the clock's moments (2027-01-04, 02-04, 03-04), due 30 days on.
    assert [(i["status_transitions"]["finalized_at"], i["due_date"]) for i in invoices] == [
        ("2027-01-04T09:00:00Z", "2027-02-03"), ("2027-02-04T09:00:00Z", "2027-03-06"),
        ("2027-03-04T09:00:00Z", "2027-04-03")]
    done = [(i["number"], s["id"], s["due_at"], s["performed_at"], s["outcome"]) for i in invoices
            for s in stack.ok("GET", f"/invoices/{i['id']}/dunning")["steps_done"]]
    first, second, _ = (i["number"] for i in invoices)
    assert sorted(done, key=lambda d: d[3]) == [  # each at the clock's moment it fell due
        (first, "reminder-3", "2027-01-31T08:00:00Z", "2027-01-31T08:00:00Z", "sent"),
        (first, "reminder+0", "2027-02-03T08:00:00Z", "2027-02-03T08:00:00Z", "sent"),
        (first, "reminder+7", "2027-02-10T08:00:00Z", "2027-02-10T08:00:00Z", "sent"),
        (first, "reminder+14", "2027-02-17T08:00:00Z", "2027-02-17T08:00:00Z", "sent"),
        (second, "reminder-3", "2027-03-03T08:00:00Z", "2027-03-03T08:00:00Z", "sent")]
    assert stack.ok("GET", f"/test_clocks/{test_clock['id']}")["frozen_time"] == "2027-03-05T09:00:00Z"

    # The subscriber's invoice.finalized (three times) finds each record scheduled; the real-time run,
    # at the clock's time, finds none of the clock's records in its index.
    finalized = [r for i in invoices for r in bus_records(stack, i["id"], {"invoice.finalized"})]
    for _ in range(3):
        assert subscriber.lambda_handler({"Records": finalized}, LambdaContext()) == {"batchItemFailures": []}
    assert runs.lambda_handler(SCHEDULED, LambdaContext())["pages"] > 0
    sqs = boto3.client("sqs", region_name=REGION)
    pages = sqs.receive_message(QueueUrl=dunning_queue, MaxNumberOfMessages=10)["Messages"]
    assert runs.lambda_handler({"Records": [dict(m, body=m["Body"], messageId=m["MessageId"],
                                                 eventSource="aws:sqs") for m in pages]},
                               LambdaContext()) == {"batchItemFailures": []}
    stack.ok("POST", advance, {"frozen_time": (START + timedelta(days=60, hours=12)).isoformat()})

    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in sorted(mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)]
    assert [m["Subject"] for m in mails] == [  # sent now, in real time (their Date)
        f"Reminder: invoice {first} from Test Seller AB is due on Feb 3, 2027",
        f"Invoice {first} from Test Seller AB is due today",
        f"Overdue: invoice {first} from Test Seller AB",
        f"Overdue: invoice {first} from Test Seller AB",
        f"Reminder: invoice {second} from Test Seller AB is due on Mar 6, 2027"]
    assert {m["Date"] for m in mails} == {"Mon, 28 Dec 2026 12:16:00 +0000"}
    assert sent_at_ses() == 5
