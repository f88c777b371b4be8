"""Payments on the local stack, over HTTP: a statement file PUT to its presigned URL (moto's S3 sends
the object-created notification to the statements queue, the pump runs the statements function), the
Stripe webhook through the API emulator without an API key (its secret in moto's SSM), and README's
"Getting paid" block run as written."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from local.camt import Entry, camt053
from local.client import ApiClient, bootstrap_account
from local.stack import LocalRuntime
from tests.unit.adapters.stripe.replay import event

README = Path(__file__).resolve().parents[2] / "README.md"
SECRET_PARAMETER = "/invoicing/stripe/webhook-secret"  # the template's default
SECRET = "whsec_local_e2e_5c1f"


def eur_invoice(api: ApiClient, amount: int = 10_000) -> dict[str, Any]:
    customer = api.post("/customers", {"name": "Kund AB", "email": "ekonomi@kund.example", "currency": "EUR",
                                       "address": {"line1": "Storgatan 1", "city": "Malmö", "postal_code": "211 34",
                                                   "country": "SE"}})
    draft = api.post("/invoices", {"customer": customer["id"], "currency": "EUR",
                                   "lines": [{"description": "Work", "quantity": 1, "unit_amount": amount}]})
    return dict(api.post(f"/invoices/{draft['id']}/finalize"))


def put(url: str, body: bytes) -> int:
    # A content type of its own: urllib's default (a form) would be read as form fields by the emulator.
    request = urllib.request.Request(url, data=body, method="PUT",
                                     headers={"Content-Type": "application/xml"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def settled(stack: LocalRuntime, api: ApiClient, path: str, done: Any) -> Any:
    deadline = time.monotonic() + 30
    while True:
        stack.drain()
        answer = api.get(path)
        if done(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def test_a_statement_uploaded_three_times_pays_each_invoice_once(stack: LocalRuntime, api: ApiClient) -> None:
    invoice = eur_invoice(api)  # 125.00 EUR
    body = camt053(Entry("E2E-1", "100.00", structured_reference=invoice["payment_reference"]))
    uploads = []
    for _ in range(3):
        created = api.post("/bank_statements", {"filename": "statement.xml"})
        assert put(created["upload"]["url"], body) == 200
        uploads.append(created["id"])
    done = [settled(stack, api, f"/bank_statements/{u}", lambda s: s["status"] == "reconciled") for u in uploads]
    # The three files are processed in whatever order their S3 notifications arrive: whichever goes
    # first applies the entry, the other two find it recorded.
    assert sorted((d["counts"]["applied"], d["counts"]["duplicates"]) for d in done) == [(0, 1), (0, 1), (1, 0)]
    after = api.get(f"/invoices/{invoice['id']}")
    assert (after["status"], after["amount_paid"], after["amount_remaining"]) == ("open", 10_000, 2_500)


def test_a_file_that_is_not_a_statement_is_kept_rejected(stack: LocalRuntime, api: ApiClient) -> None:
    created = api.post("/bank_statements", {})
    put(created["upload"]["url"], b"<html>not a statement</html>")
    shown = settled(stack, api, f"/bank_statements/{created['id']}", lambda s: s["status"] != "awaiting_upload")
    assert shown["status"] == "rejected" and shown["error"]["code"] == "statement_rejected"


def sign(payload: bytes, at: int | None = None) -> str:
    timestamp = int(time.time()) if at is None else at
    return f"t={timestamp},v1=" + hmac.new(SECRET.encode(), f"{timestamp}.".encode() + payload,
                                           hashlib.sha256).hexdigest()


def test_the_stripe_webhook_answers_without_a_key_and_applies_a_payment_once(
        stack: LocalRuntime, api: ApiClient) -> None:
    stack.boto3_client("ssm").put_parameter(Name=SECRET_PARAMETER, Value=SECRET, Type="SecureString", Overwrite=True)
    invoice = eur_invoice(api)
    account = api.get("/account")["id"]
    body = json.dumps(event("payment_intent.succeeded", {"account_id": account, "invoice_id": invoice["id"],
                                                         "invoice_number": invoice["number"]})).encode()
    anonymous = ApiClient(stack.api_url, None)
    stale = anonymous.request("POST", "/webhooks/stripe", raw_body=body,
                              headers={"Stripe-Signature": sign(body, int(time.time()) - 301)})
    tampered = anonymous.request("POST", "/webhooks/stripe", raw_body=body.replace(b"12500", b"12400"),
                                 headers={"Stripe-Signature": sign(body)})
    assert stale[0] == tampered[0] == 400
    for _ in range(3):
        assert anonymous.request("POST", "/webhooks/stripe", raw_body=body,
                                 headers={"Stripe-Signature": sign(body)}) == (200, {"received": True})
    paid = settled(stack, api, f"/invoices/{invoice['id']}", lambda i: i["status"] == "paid")
    assert paid["amount_paid"] == 12_500
    assert [p["source"] for p in api.get("/payments")["data"]] == ["stripe"]


def test_the_readme_getting_paid_block_works_as_written(stack: LocalRuntime) -> None:
    text = README.read_text()
    walkthrough = re.search(r"```sh\n(make dev .*?)```", text, re.S)
    paying = re.search(r"### Getting paid: a bank statement.*?```sh\n(.*?)```", text, re.S)
    assert walkthrough and paying, "README's walkthrough or its Getting paid block is missing"
    key = bootstrap_account(stack, "README reader")
    host = stack.api_url.removeprefix("http://")
    # The walkthrough without `make dev` and without its clock advance: 30 more days of hourly billing runs on
    # the package's shared stack would slow the tests after this one (test_readme_walkthrough.py runs it all).
    first = "\n".join(line for line in walkthrough.group(1).splitlines()
                      if not line.startswith("make dev") and "_local/clock/advance" not in line)
    # (`echo`: an answer without a line break of its own must not run into the next.)
    script = (first + "\necho\n" + paying.group(1)).replace("export KEY=sk_test_...", f"export KEY={key}")
    script = script.replace("localhost:3000", host)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=180,
                          cwd=README.parent)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    statement, status, queue = json.loads(lines[-3]), lines[-2], json.loads(lines[-1])
    assert statement["status"] == "reconciled", statement
    assert (statement["counts"]["applied"], statement["counts"]["unmatched"]) == (1, 1)
    assert status == "paid"
    assert [p["amount"] for p in queue["data"]] == [50_000]
