"""Sending and the hosted invoice page, end to end on the local stack: finalize → rendered → emailed
(an .eml with the PDF and the page's link) → the page in a real browser (Chromium driven by Playwright,
at desktop and phone width) → a question → the seller's email and the review list; a bounce from SES
(through SNS and the feedback queue) marks the customer's address.

Screenshots are saved under out/screenshots/ for a person to look at."""

from __future__ import annotations

import email
import json
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from invoicing.documents.formatting import format_money
from local.client import ApiClient
from local.stack import LocalRuntime

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "out" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
EUR_SELLER = {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX",
              "branding": {"primary_color": "#0B5563"}}
BUYER = {"name": "Brandt Logistik GmbH", "email": "rechnung@brandt.example", "currency": "EUR", "locale": "en",
         "address": {"line1": "Speicherstraße 7", "city": "Hamburg", "postal_code": "20457", "country": "DE"}}


def mails(mail_dir: Path, invoice: dict[str, Any], kind: str, *, at_least: int = 1,
          timeout: float = 120) -> list[EmailMessage]:
    """The invoice's mails of `kind`, once `at_least` of them are there (the stack's queues are shared by the
    package's tests, so this waits for these mails rather than for every queue to be empty)."""
    deadline = time.monotonic() + timeout
    while len(list(mail_dir.glob(f"{invoice['number']}-{kind}-{invoice['id']}-*.eml"))) < at_least \
            and time.monotonic() < deadline:
        time.sleep(0.25)
    found = []
    for path in sorted(mail_dir.glob(f"{invoice['number']}-{kind}-{invoice['id']}-*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def issued_invoice(api: ApiClient, stack: LocalRuntime, **customer: Any) -> dict[str, Any]:
    api.post("/account", EUR_SELLER)
    buyer = api.post("/customers", {**BUYER, **customer})
    invoice = api.post("/invoices", {"customer": buyer["id"], "lines": [
        {"description": "Route planning workshop", "quantity": "2", "unit_amount": 45000},
        {"description": "Fleet telemetry, March", "quantity": "1", "unit_amount": 12500}]})
    return api.post(f"/invoices/{invoice['id']}/finalize")


def wait_for_trail(api: ApiClient, invoice: dict[str, Any], last: str, timeout: float = 120) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        trail = [e["type"] for e in api.get(f"/invoices/{invoice['id']}/events")["data"]]
        if last in trail or time.monotonic() > deadline:
            return trail
        time.sleep(0.25)


def hosted_link(message: EmailMessage) -> str:
    match = re.search(r"(http://127\.0\.0\.1:\d+/i/[A-Za-z0-9_.-]+)", text_of(message))
    assert match, text_of(message)
    return match.group(1)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert CHROMIUM.exists(), "Debian's chromium package is needed (make setup installs it)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_a_finalized_invoice_is_emailed_once_with_its_pdf_and_page_link(api: ApiClient, stack: LocalRuntime,
                                                                        mail_dir: Path) -> None:
    invoice = issued_invoice(api, stack)
    [message] = mails(mail_dir, invoice, "invoice")
    assert message["To"] == f"{BUYER['name']} <{BUYER['email']}>"
    assert message["Subject"] == f"Invoice {invoice['number']} from Nordlys Studio AB"
    assert message["Reply-To"] == "billing@nordlys.example"
    [pdf] = [p for p in message.iter_attachments() if p.get_filename() == f"{invoice['number']}.pdf"]
    assert pdf.get_content().startswith(b"%PDF")
    assert message.get_body(preferencelist=("html",)) is not None
    trail = wait_for_trail(api, invoice, "invoice.sent")
    assert trail == ["invoice.created", "invoice.finalized", "invoice.rendered", "invoice.sent"]
    # The same SES message reached moto's SES (the mail copy is a second mailer, not a replacement).
    ses = stack.boto3_client("ses")
    assert ses.get_send_quota()["SentLast24Hours"] >= 1

    # Sending again on request sends one more mail, once.
    assert api.request("POST", f"/invoices/{invoice['id']}/send")[0] == 202
    assert len(mails(mail_dir, invoice, "invoice", at_least=2)) == 2
    time.sleep(1)
    assert len(mails(mail_dir, invoice, "invoice", timeout=0)) == 2


def test_an_unknown_or_rotated_token_is_a_plain_404(api: ApiClient, stack: LocalRuntime, mail_dir: Path) -> None:
    invoice = issued_invoice(api, stack)
    link = hosted_link(mails(mail_dir, invoice, "invoice")[0])
    assert _get(link)[0] == 200
    for bad in (link[:-2] + "xx", link.rsplit("/", 1)[0] + "/nothing", link + "x/pdf"):
        status, _, body = _get(bad)
        assert status == 404 and "Not found" in body and "error" not in body.lower()
    rotated = api.post(f"/invoices/{invoice['id']}/hosted_link/rotate")
    assert _get(link)[0] == 404
    assert _get(rotated["url"])[0] == 200


def _get(url: str) -> tuple[int, Any, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_the_hosted_page_in_chromium_at_desktop_and_phone_width(api: ApiClient, stack: LocalRuntime, mail_dir: Path,
                                                               browser: Any, tmp_path: Path) -> None:
    invoice = issued_invoice(api, stack)
    link = hosted_link(mails(mail_dir, invoice, "invoice")[0])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    api_origin = stack.api_url

    for width, name in ((1280, "desktop"), (390, "phone")):
        context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request, seen=requested: seen.append(request.url))
        problems: list[str] = []
        page.on("console", lambda msg, seen=problems: seen.append(msg.text) if msg.type in ("error", "warning")
                else None)
        response = page.goto(link)
        assert response.status == 200
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp.replace("default-src 'none'", "")
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.title() == f"Invoice {invoice['number']} from Nordlys Studio AB"
        body = page.inner_text("body")
        amount = format_money(invoice["amount_due"], "EUR", "en")
        for expected in (invoice["number"], amount, "Route planning workshop", "RF", "DE89 3704 0044 0532 0130 00",
                         "A question about this invoice?"):
            assert expected in body, expected
        assert page.locator("img[alt^='Scan with your banking app']").count() == 1  # the EPC QR code (EUR)
        # The stylesheet applied under the CSP (its hash is allowed), and nothing came from anywhere else.
        assert page.eval_on_selector(".card", "e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"
        assert all(url.startswith((api_origin, "data:")) for url in requested), requested
        assert not [p for p in problems if "Content Security Policy" in p], problems
        # Readable at this width: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # Every form control has its label.
        for control in ("question", "email"):
            assert page.locator(f"label[for='{control}']").count() == 1
        page.screenshot(path=str(SCREENSHOTS / f"hosted-page-{name}-{width}.png"), full_page=True)

        if name == "desktop":
            with page.expect_download() as download_info:
                page.get_by_role("link", name="Download the PDF").click()
            download = download_info.value
            assert download.suggested_filename == f"{invoice['number']}.pdf"
            saved = tmp_path / "invoice.pdf"
            download.save_as(saved)
            text = subprocess.run(["pdftotext", "-layout", str(saved), "-"], capture_output=True, text=True,
                                  check=True).stdout
            assert invoice["number"] in text and "View and pay online" in text
            assert re.sub(r"\s+", "", link) in re.sub(r"\s+", "", text)  # the page's link, printed

            page.get_by_label("Your question").fill("Line 2: we cancelled telemetry in February?")
            page.get_by_label("Your email address (optional, for the answer)").fill("ap@brandt.example")
            page.get_by_role("button", name="Send question").click()
            page.wait_for_load_state()
            assert "your question has been sent to Nordlys Studio AB" in page.inner_text("body")
            page.screenshot(path=str(SCREENSHOTS / f"hosted-page-{name}-{width}-asked.png"), full_page=True)
        context.close()

    [forwarded] = mails(mail_dir, invoice, "question")
    review = api.get("/review")["data"]
    assert [(r["reason"], r["invoice"], r["detail"]) for r in review] == [
        ("invoice_question", invoice["id"], "Line 2: we cancelled telemetry in February?")]
    assert forwarded["To"].addresses[0].addr_spec == "billing@nordlys.example"
    assert forwarded["Reply-To"] == "ap@brandt.example"
    assert "cancelled telemetry" in text_of(forwarded)
    trail = wait_for_trail(api, invoice, "invoice.question_forwarded")
    assert trail[-2:] == ["invoice.question", "invoice.question_forwarded"]


def test_a_question_without_the_pages_form_token_is_refused(api: ApiClient, stack: LocalRuntime,
                                                            mail_dir: Path) -> None:
    invoice = issued_invoice(api, stack)
    link = hosted_link(mails(mail_dir, invoice, "invoice")[0])
    request = urllib.request.Request(link, data=b"question=forged&form_token=1.abc", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        urllib.request.urlopen(request, timeout=30)
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 400
    assert api.get("/review")["data"] == []


def test_a_bounce_from_ses_marks_the_customers_address_and_lists_it_for_review(api: ApiClient, stack: LocalRuntime,
                                                                              mail_dir: Path) -> None:
    invoice = issued_invoice(api, stack)
    mails(mail_dir, invoice, "invoice")
    wait_for_trail(api, invoice, "invoice.sent")
    sent = next(e for e in api.get(f"/invoices/{invoice['id']}/events")["data"] if e["type"] == "invoice.sent")
    # What SES publishes to the configuration set's topic for a permanent bounce (event publishing format:
    # docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html). moto's SES sends no
    # such notification for a real message (its simulator's are canned), so the test publishes it.
    notification = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "feedbackId": "0100-bounce-1",
                   "timestamp": "2026-03-15T10:00:00.000Z",
                   "bouncedRecipients": [{"emailAddress": BUYER["email"], "action": "failed", "status": "5.1.1",
                                          "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]},
        "mail": {"messageId": sent["data"]["object"]["delivery"]["message_id"], "timestamp": "2026-03-15T09:59:00Z",
                 "source": "invoices@example.com", "destination": [BUYER["email"]],
                 "tags": {"account_id": [api.get("/account")["id"]], "customer_id": [invoice["customer"]],
                          "invoice_id": [invoice["id"]], "kind": ["invoice"]}},
    }
    topic = stack.resources.arn("MailFeedbackTopic")
    sns = stack.boto3_client("sns")
    for _ in range(3):  # SNS delivers at least once: the same notification three times
        sns.publish(TopicArn=topic, Message=json.dumps(notification))
    deadline = time.monotonic() + 120
    while api.get(f"/customers/{invoice['customer']}").get("email_failure") is None and time.monotonic() < deadline:
        time.sleep(0.25)
    # The other two deliveries handled too: the feedback queue is empty (nothing waiting, nothing in flight).
    sqs, queue = stack.boto3_client("sqs"), stack.resources.url("FeedbackQueue")
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    while time.monotonic() < deadline and any(
            int(v) for v in sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"].values()):
        time.sleep(0.25)
    customer = api.get(f"/customers/{invoice['customer']}")
    assert customer["email_failure"]["kind"] == "bounce"
    assert customer["email_failure"]["address"] == BUYER["email"]
    review = api.get("/review")["data"]
    assert [(r["reason"], r["customer"]) for r in review] == [("email_bounced", invoice["customer"])]
