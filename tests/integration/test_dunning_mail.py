"""Dunning's mail through the functions on moto's SES: each reminder step (before, on and after the due
date) and each payment-status change is one mail, however often its message or event arrives, in the
customer's language, with the invoice's PDF (reminders) and the hosted page's link. The mails are read
back from the `.eml` copies the mailer keeps after SES accepted them, and counted at SES."""

from __future__ import annotations

import email
import json
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3

from tests.integration.conftest import REGION, HandlerStack
from tests.integration.lambdas import LambdaContext, load_function, sample_event
from tests.integration.test_billing import At
from tests.integration.test_dunning import START, bus_records, clock, dunning_queue, mail_dir  # noqa: F401 - fixtures


def invoice_message(stack: HandlerStack, invoice_id: str, n: int) -> dict[str, Any]:
    """The dunning queue's message for one due invoice (what a page of the next-step index queues)."""
    template = sample_event("dunning/messages.json")["Records"][1]
    return dict(template, messageId=f"due-{n}", body=json.dumps({"account_id": stack.account_id,
                                                                  "invoice_id": invoice_id}))


def mails(folder: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def subject_of(message: EmailMessage) -> str:
    return str(message["Subject"])


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return " ".join(str(part.get_content()).split())  # type: ignore[union-attr]


def sent_at_ses() -> int:
    """Mails SES accepted. Its quota counts recipients, and moto counts a raw message's recipient twice
    (the request's Destination and the message's To header): each of our mails has one."""
    recipients = int(boto3.client("ses", region_name=REGION).get_send_quota()["SentLast24Hours"])
    assert recipients % 2 == 0
    return recipients // 2


def test_each_reminder_step_and_each_payment_change_is_one_mail_in_the_customers_language(
        stack: HandlerStack, dunning_queue: str, clock: At, mail_dir: Path) -> None:  # noqa: F811
    stack.ok("POST", "/account", {
        "address": {"line1": "Sveavägen 1", "city": "Stockholm", "country": "SE"},
        "tax_ids": [{"type": "eu_vat", "value": "SE556703748501"}], "iban": "SE4550000000058398257466",
        "branding": {"primary_color": "#7A1F5C"}, "dunning_policies": [{"reminders": [-1, 0, 1]}]})
    customer = stack.ok("POST", "/customers", {
        "name": "Kunde GmbH", "currency": "EUR", "email": "buchhaltung@kunde.example", "locale": "de",
        "address": {"line1": "Hauptstraße 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}})
    line = {"description": "Beratung", "quantity": "1", "unit_amount": 50000}
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "days_until_due": 1, "lines": [line]})
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert stack.deliver()["delivered"] >= 1  # the document function renders its PDF
    subscriber, runs = load_function("dunning_events"), load_function("dunning")
    finalized = bus_records(stack, invoice["id"], {"invoice.finalized"})
    assert subscriber.lambda_handler({"Records": finalized}, LambdaContext()) == {"batchItemFailures": []}

    for n, day in enumerate((0, 1, 2)):  # the -1, 0 and +1 reminders, each at its morning
        clock.current = START + timedelta(days=day, hours=2)
        for _ in range(2):  # the invoice's message delivered twice
            assert runs.lambda_handler({"Records": [invoice_message(stack, invoice["id"], n)]}, LambdaContext()) == {
                "batchItemFailures": []}
    history = stack.ok("GET", f"/invoices/{invoice['id']}/dunning")
    assert [(s["id"], s["outcome"]) for s in history["steps_done"]] == [
        ("reminder-1", "sent"), ("reminder+0", "sent"), ("reminder+1", "sent")]

    reminders = mails(mail_dir)
    assert sent_at_ses() == 3 and len(reminders) == 3
    number = invoice["number"]
    assert [subject_of(m) for m in reminders] == [
        f"Erinnerung: Rechnung {number} von Test Seller AB ist am 03.11.2026 fällig",
        f"Rechnung {number} von Test Seller AB ist heute fällig",
        f"Überfällig: Rechnung {number} von Test Seller AB"]
    for message in reminders:
        assert message["To"].addresses[0].addr_spec == "buchhaltung@kunde.example"
        assert message["From"].addresses[0].addr_spec == "invoices@billing.example"
        assert message["Content-Language"] == "de"
        assert "Mit freundlichen Grüßen" in text_of(message)
        assert "https://billing.example/i/" in text_of(message)
        html = message.get_body(preferencelist=("html",))
        assert html is not None and "#7A1F5C" in str(html.get_content())  # type: ignore[union-attr]
        (pdf,) = [p for p in message.iter_attachments()]
        assert pdf.get_filename() == f"{number}.pdf" and pdf.get_payload(decode=True).startswith(b"%PDF")

    stack.ok("POST", "/payments", {"amount": 20000, "currency": "EUR", "invoice": invoice["id"]})
    stack.ok("POST", f"/invoices/{invoice['id']}/pay")
    changes = bus_records(stack, invoice["id"], {"invoice.partially_paid", "invoice.paid"})
    assert len(changes) == 2
    for _ in range(3):  # each event delivered three times
        assert subscriber.lambda_handler({"Records": changes}, LambdaContext()) == {"batchItemFailures": []}
    notices = mails(mail_dir)[3:]
    assert sent_at_ses() == 5 and len(notices) == 2
    assert [subject_of(m) for m in notices] == [
        f"Zahlung erhalten zu Rechnung {number} von Test Seller AB",
        f"Zahlung erhalten: Rechnung {number} von Test Seller AB ist bezahlt"]
    assert "wir haben 200,00 € zur Rechnung" in text_of(notices[0])
    assert not list(notices[1].iter_attachments())
