"""`make demo`, getting paid: customers on a test clock pay by card (signed Stripe webhooks), by bank
transfer (a camt.053 file uploaded as a user would: a presigned URL, then S3 -> SQS -> the statements
function), partly, too much, or late; an entry nobody can match waits for review; and dunning runs
across 60 days of the clock's time, each reminder once. Prints what happened, after checking it.

Called once from local/demo.py, inside its running stack, after the one-off invoices.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.progress import Progress
from rich.table import Table

from local.camt import Entry, camt053
from local.client import ApiClient
from local.stack import LocalRuntime

WEBHOOK_SECRET_PARAMETER = "/invoicing/stripe/webhook-secret"  # noqa: S105 - the template's parameter's name
WEBHOOK_SECRET = "whsec_local_demo_payments"  # noqa: S105 - the local stack's signing secret, put into moto's SSM
STRIPE_API_VERSION = "2026-10-28.endive"
REMINDERS = [-3, 0, 7, 14, 30]  # days from the due date
DAYS_UNTIL_DUE = 14
DAYS = 60
ADDRESS = {"line1": "Storgatan 1", "city": "Uppsala", "postal_code": "753 20", "country": "SE"}


@dataclass
class Payer:
    name: str
    how: str  # what the customer does, for the summary
    pays: str  # "card", "rf", "ocr", "none"
    share: tuple[int, int] = (1, 1)  # of the amount due: 1/2 a partial payment
    extra: int = 0  # minor units more than due: an overpayment
    on_day: int = 0  # the clock's day the money arrives
    expect_status: str = "paid"
    expect_reminders: list[str] = field(default_factory=list)
    customer: dict[str, Any] = field(default_factory=dict)
    invoice: dict[str, Any] = field(default_factory=dict)


def _payers() -> list[Payer]:
    # The first reminder (-3) falls due on day 11 of the clock, the last (+30) on day 44.
    return [
        Payer("Fjällgården Hotell AB", "card, at once (webhook)", "card"),
        Payer("Skärgårdsbolaget AB", "card, at once (webhook)", "card"),
        Payer("Kustbanken Fastigheter AB", "bank transfer, RF reference", "rf"),
        Payer("Ekhagen Bygg AB", "bank transfer, OCR number", "ocr"),
        Payer("Lindqvist & Berg HB", "bank transfer, half of it (OCR)", "ocr", share=(1, 2),
              expect_status="open", expect_reminders=["reminder-3", "reminder+0", "reminder+7", "reminder+14",
                                                      "reminder+30"]),
        Payer("Norrsken Media AB", "bank transfer, 500 kr too much (RF)", "rf", extra=50_000),
        Payer("Sena Betalare AB", "bank transfer on day 20, after 2 reminders", "ocr", on_day=20,
              expect_reminders=["reminder-3", "reminder+0"]),
        Payer("Tystnad Konsult AB", "does not pay", "none", expect_status="open",
              expect_reminders=["reminder-3", "reminder+0", "reminder+7", "reminder+14", "reminder+30"]),
    ]


def run_payments(stack: LocalRuntime, api: ApiClient, progress: Progress) -> None:
    """The payments part of the demo, on the running stack's API (`api` holds the seller's key)."""
    task = progress.add_task("Getting paid: a test clock and its customers", total=8)
    account = api.post("/account", {"dunning_policies": [{"reminders": REMINDERS}]})
    start = stack.clock.now().replace(microsecond=0)
    clock = api.post("/test_clocks", {"frozen_time": start.isoformat(), "name": "Getting paid"})
    payers = _payers()
    for n, payer in enumerate(payers):
        payer.customer = api.post("/customers", {
            "name": payer.name, "email": f"ekonomi@kund{n + 1}.example", "currency": "SEK", "locale": "sv",
            "address": ADDRESS, "test_clock": clock["id"]})
        draft = api.post("/invoices", {"customer": payer.customer["id"], "days_until_due": DAYS_UNTIL_DUE, "lines": [
            {"description": "Konsulttimmar", "quantity": str(4 + n), "unit_amount": 95_000}]})
        payer.invoice = api.post(f"/invoices/{draft['id']}/finalize")
    progress.advance(task)
    progress.update(task, description="Rendering, mailing and scheduling dunning for the new invoices")
    stack.drain(timeout=120)
    progress.advance(task)

    progress.update(task, description="Card payments: signed Stripe webhooks")
    stack.boto3_client("ssm").put_parameter(Name=WEBHOOK_SECRET_PARAMETER, Value=WEBHOOK_SECRET,
                                            Type="SecureString", Overwrite=True)
    for payer in (p for p in payers if p.pays == "card"):
        _card_payment(stack, account["id"], payer)
    stack.drain(timeout=60)
    progress.advance(task)

    progress.update(task, description="Bank transfers: a camt.053 uploaded through a presigned URL")
    now = [p for p in payers if p.pays in ("rf", "ocr") and p.on_day == 0]
    unknown = Entry("DEMO-UNKNOWN-1", "1234.00", currency="SEK", text="Betalning enligt avtal", payer="Okänd Betalare")
    first = _upload(stack, api, [_transfer(p, f"DEMO-{i}") for i, p in enumerate(now)] + [unknown], "STMT-DEMO-1",
                    start)
    progress.advance(task)

    progress.update(task, description=f"Advancing the test clock: dunning over {DAYS} days")
    advance = f"/test_clocks/{clock['id']}/advance"
    late = [p for p in payers if p.on_day]
    api.post(advance, {"frozen_time": (start + timedelta(days=late[0].on_day)).isoformat()})
    stack.drain(timeout=60)
    progress.advance(task)
    progress.update(task, description="A late payer's transfer, on the clock's day 20")
    second = _upload(stack, api, [_transfer(p, f"DEMO-LATE-{i}") for i, p in enumerate(late)], "STMT-DEMO-2",
                     start + timedelta(days=late[0].on_day))
    progress.advance(task)
    progress.update(task, description=f"Advancing the test clock to day {DAYS}")
    api.post(advance, {"frozen_time": (start + timedelta(days=DAYS)).isoformat()})
    stack.drain(timeout=60)
    progress.advance(task)

    summary = _summary(api, payers, [first, second])
    progress.advance(task)
    progress.console.print(summary)


def _card_payment(stack: LocalRuntime, account_id: str, payer: Payer) -> None:
    """Stripe's `payment_intent.succeeded` for the invoice, signed as Stripe signs (HMAC-SHA256 of
    `{t}.{body}` with the endpoint's secret), checked with the stripe library's own verification first."""
    import stripe

    invoice = payer.invoice
    created = int(time.time())
    intent = {"id": f"pi_demo_{invoice['id']}", "object": "payment_intent", "amount": invoice["amount_due"],
              "amount_received": invoice["amount_due"], "currency": invoice["currency"].lower(),
              "status": "succeeded", "capture_method": "automatic_async", "created": created,
              "description": f"Invoice {invoice['number']}", "customer": f"cus_demo_{payer.customer['id']}",
              "latest_charge": f"ch_demo_{invoice['id']}", "payment_method": "pm_card_visa",
              "payment_method_types": ["card"], "livemode": False, "last_payment_error": None,
              "metadata": {"account_id": account_id, "invoice_id": invoice["id"], "invoice_number": invoice["number"]}}
    body = json.dumps({"id": f"evt_demo_{invoice['id']}", "object": "event", "api_version": STRIPE_API_VERSION,
                       "created": created, "data": {"object": intent}, "livemode": False, "pending_webhooks": 1,
                       "request": {"id": None, "idempotency_key": None},
                       "type": "payment_intent.succeeded"}).encode()
    signature = hmac.new(WEBHOOK_SECRET.encode(), f"{created}.".encode() + body, hashlib.sha256).hexdigest()
    header = f"t={created},v1={signature}"
    stripe.WebhookSignature.verify_header(body, header, WEBHOOK_SECRET, tolerance=300)
    status, answer = ApiClient(stack.api_url, None).request("POST", "/webhooks/stripe", raw_body=body,
                                                            headers={"Stripe-Signature": header})
    if status != 200:
        raise RuntimeError(f"the Stripe webhook was refused: {status} {answer}")


def _transfer(payer: Payer, bank_reference: str) -> Entry:
    invoice = payer.invoice
    due = invoice["amount_due"] * payer.share[0] // payer.share[1] + payer.extra
    reference = invoice["ocr_reference"] if payer.pays == "ocr" else invoice["payment_reference"]
    if not reference:
        raise RuntimeError(f"invoice {invoice['number']} has no {payer.pays} reference to pay with")
    return Entry(bank_reference, f"{due // 100}.{due % 100:02d}", currency="SEK", structured_reference=reference,
                 payer=payer.name)


def _upload(stack: LocalRuntime, api: ApiClient, entries: list[Entry], statement_id: str,
            booked: datetime) -> dict[str, Any]:
    """The statement file PUT to its presigned upload URL, as a user's browser or script would; then
    waits for the statements function (S3 notification -> SQS) to reconcile it."""
    body = camt053(*entries, statement_id=statement_id, currency="SEK", booked=booked.astimezone(UTC).date())
    created = api.post("/bank_statements", {"filename": f"{statement_id}.xml"})
    request = urllib.request.Request(created["upload"]["url"], data=body, method="PUT",  # noqa: S310 (local)
                                     headers={"Content-Type": "application/xml"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the local emulator)
        response.read()
    deadline = time.monotonic() + 60
    while True:
        stack.drain(timeout=30)
        statement: dict[str, Any] = api.get(f"/bank_statements/{created['id']}")
        if statement["status"] not in ("awaiting_upload", "processing") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if statement["status"] != "reconciled":
        raise RuntimeError(f"statement {statement_id} was not reconciled: {statement}")
    return statement


def _summary(api: ApiClient, payers: list[Payer], statements: list[dict[str, Any]]) -> Table:
    """The table of what happened, each line checked against what the demo set out to do."""
    from invoicing.documents.formatting import format_money

    def money(amount: int) -> str:
        return format_money(amount, "SEK", "sv").replace("\u00a0", " ")

    table = Table(title=f"Getting paid (a test clock, {DAYS} days)", show_lines=False)
    for column in ("Customer", "Invoice", "Pays", "Status", "Paid", "Remaining", "Credit", "Reminders sent"):
        table.add_column(column, overflow="fold")
    sent_total = 0
    for payer in payers:
        invoice = api.get(f"/invoices/{payer.invoice['id']}")
        customer = api.get(f"/customers/{payer.customer['id']}")
        dunning = api.get(f"/invoices/{payer.invoice['id']}/dunning")
        sent = [s["id"] for s in dunning.get("steps_done", []) if s["outcome"] == "sent"]
        sent_total += len(sent)
        expected_paid = 0 if payer.pays == "none" else invoice["amount_due"] * payer.share[0] // payer.share[1]
        _check(invoice["status"] == payer.expect_status,
               f"{payer.name}: {invoice['status']}, not {payer.expect_status}")
        _check(invoice["amount_paid"] == expected_paid, f"{payer.name}: paid {invoice['amount_paid']}")
        _check(customer["credit_balance"] == payer.extra, f"{payer.name}: credit {customer['credit_balance']}")
        _check(sent == payer.expect_reminders, f"{payer.name}: reminders {sent}, not {payer.expect_reminders}")
        table.add_row(payer.name, invoice["number"], payer.how, invoice["status"], money(invoice["amount_paid"]),
                      money(invoice["amount_remaining"]), money(customer["credit_balance"]) if payer.extra else "",
                      ", ".join(d.removeprefix("reminder") for d in sent) or "none")
    payments = api.get("/payments?limit=100")["data"]
    automatic = [p for p in payments if p["status"] == "applied" and p["rule"] != "manual"]
    review = api.get("/payments?status=unmatched")["data"]
    paying = [p for p in payers if p.pays != "none"]
    _check(len(automatic) == len(paying), f"{len(automatic)} payments matched automatically, not {len(paying)}")
    _check([p["payer_name"] for p in review] == ["Okänd Betalare"], f"waiting for review: {review}")
    _check(sum(s["counts"]["applied"] for s in statements) == len([p for p in paying if p.pays != "card"]),
           f"statements applied {[s['counts'] for s in statements]}")
    _check(sent_total == sum(len(p.expect_reminders) for p in payers), f"{sent_total} reminders sent")
    by_source = {source: len([p for p in automatic if p["source"] == source])
                 for source in ("stripe", "bank_statement")}
    table.caption = (f"Matched automatically: {len(automatic)} payments ({by_source['stripe']} card by webhook, "
                     f"{by_source['bank_statement']} from the bank statements by RF or OCR reference).  Waiting for "
                     f"review: {len(review)} (GET /payments?status=unmatched: {review[0]['payer_name']}, "
                     f"{money(review[0]['amount'])}).  Reminders sent: {sent_total}, each once, as the clock "
                     "reached its day; the mails are in out/mail/.")
    return table


def _check(holds: bool, what: str) -> None:
    if not holds:
        raise RuntimeError(f"the payments demo did not go as it says: {what}")
