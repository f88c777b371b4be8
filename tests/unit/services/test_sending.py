"""Sending, the hosted page and mail feedback over in-memory fakes: each send once however often its
event arrives, tokens that are unguessable and rotatable, questions and bounces in the review list."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest

from invoicing.domain.errors import Conflict, InvalidInput, NotFound
from invoicing.domain.events import DomainEvent
from invoicing.domain.sending import MailFeedback, form_token, parse_hosted_token
from invoicing.services.commands import Changes
from invoicing.services.document_keys import invoice_key
from invoicing.services.hosted import HostedPageService
from invoicing.services.payments import PaymentService
from invoicing.services.sending import FeedbackService, ReviewService, SendingService, SendRequests
from tests.unit.services.conftest import Services
from tests.unit.services.fakes import FakeCheckout, FakeDocuments, FakeIds, FakeMailer, FakeRetry
from tests.unit.services.test_services import draft

BASE = "https://billing.example"


class Sending:
    def __init__(self, s: Services) -> None:
        self.s = s
        self.documents = FakeDocuments()
        self.mailer = FakeMailer()
        self.checkout = FakeCheckout()
        self.sending = SendingService(s.uow, s.clock, self.documents, self.mailer, base_url=BASE,
                                      sender="invoices@billing.example")
        self.requests = SendRequests(s.uow, s.clock)
        self.pages = HostedPageService(s.uow, s.clock, FakeIds(), self.documents, self.checkout, BASE,
                                       online_payments=True)
        self.feedback = FeedbackService(s.uow)
        self.review = ReviewService(s.uow)

    def issued(self, **fields: Any) -> str:
        """A finalized invoice whose PDF (and UBL) are in the bucket, as the document function leaves it."""
        invoice_id = draft(self.s, 12_500, **fields)
        invoice = self.s.invoices.finalize(self.s.seller.id, invoice_id).invoice
        self.documents.put_once(invoice_key(invoice, "pdf"), b"%PDF-1.7 invoice", "application/pdf")
        self.documents.put_once(invoice_key(invoice, "ubl"), b"<Invoice/>", "application/xml")
        with self.s.uow:
            current = self.s.uow.correspondence.get(self.s.seller.id, invoice_id)
            self.s.uow.correspondence.save(current.record_rendered(invoice, self.s.clock.now()))
            self.s.uow.commit()
        return invoice_id

    def correspondence(self, invoice_id: str) -> Any:
        with self.s.uow:
            return self.s.uow.correspondence.get(self.s.seller.id, invoice_id)

    def last_event(self, type_: str, invoice_id: str) -> DomainEvent:
        """From the invoice's audit trail (what the outbox published), on the fakes and on DynamoDB alike."""
        return [e for e in self.s.invoices.events(self.s.seller.id, invoice_id) if e.type == type_][-1]

    def token(self, invoice_id: str) -> str:
        return self.pages.rotate(self.s.seller.id, invoice_id)


@pytest.fixture
def t(services: Services) -> Sending:
    return Sending(services)


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_a_rendered_send_invoice_invoice_is_emailed_once_however_often_the_event_arrives(t: Sending) -> None:
    invoice_id = t.issued()
    rendered = t.last_event("invoice.rendered", invoice_id)
    assert t.sending.on_event(rendered) == "sent"
    assert t.sending.on_event(rendered) == "already_sent"
    assert t.sending.on_event(rendered) == "already_sent"
    assert len(t.mailer.sent) == 1
    mail = t.mailer.sent[0]
    assert mail.to == t.s.buyer.email
    assert mail.tags == {"account_id": t.s.seller.id, "customer_id": t.s.buyer.id, "invoice_id": invoice_id,
                         "kind": "invoice"}
    message = parsed(mail.raw)
    files = {part.get_filename(): part.get_payload(decode=True) for part in message.walk() if part.get_filename()}
    assert files == {f"{t.s.invoices.get(t.s.seller.id, invoice_id).invoice.number}.pdf": b"%PDF-1.7 invoice"}
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
    invoice = t.s.invoices.get(t.s.seller.id, invoice_id).invoice
    assert f"{BASE}/i/" in text and invoice.hosted_secret in text
    sent = t.last_event("invoice.sent", invoice_id)
    assert sent.data["object"]["delivery"]["id"] == rendered.id
    assert t.s.buyer.email not in str(sent.data)  # no address in the event
    assert [d.status for d in t.correspondence(invoice_id).deliveries] == ["sent"]
    assert invoice.version == 1  # sending never touched the invoice itself (finalized: version 1)


def test_charge_automatically_invoices_are_not_emailed_on_rendering(t: Sending) -> None:
    t.s.customers.update(t.s.seller.id, t.s.buyer.id, Changes({"default_payment_method": "pm_card"}))
    invoice_id = t.issued(collection_method="charge_automatically")
    assert t.sending.on_event(t.last_event("invoice.rendered", invoice_id)) == "ignored"
    assert t.mailer.sent == []


def test_send_on_request_is_a_new_send_each_time_but_each_request_sends_once(t: Sending) -> None:
    invoice_id = t.issued()
    t.requests.request_send(t.s.seller.id, invoice_id)
    first = t.last_event("invoice.send_requested", invoice_id)
    t.requests.request_send(t.s.seller.id, invoice_id)
    second = t.last_event("invoice.send_requested", invoice_id)
    assert first.id != second.id
    for event in (first, first, second, second):
        t.sending.on_event(event)
    assert len(t.mailer.sent) == 2


def test_a_customer_on_ubl_gets_the_pdf_and_the_ubl_xml(t: Sending) -> None:
    t.s.customers.update(t.s.seller.id, t.s.buyer.id, Changes({"einvoice_format": "ubl"}))
    invoice_id = t.issued()
    t.sending.on_event(t.last_event("invoice.rendered", invoice_id))
    number = t.s.invoices.get(t.s.seller.id, invoice_id).invoice.number
    names = sorted(p.get_filename() for p in parsed(t.mailer.sent[0].raw).walk() if p.get_filename())
    assert names == [f"{number}-ubl.xml", f"{number}.pdf"]


def test_a_claimed_send_is_not_sent_again_until_its_lease_expires(t: Sending) -> None:
    invoice_id = t.issued()
    rendered = t.last_event("invoice.rendered", invoice_id)
    t.mailer.fail = RuntimeError("SES is down")
    with pytest.raises(RuntimeError):
        t.sending.on_event(rendered)  # claimed, not sent: the message goes back to the queue
    with pytest.raises(Conflict) as claimed:
        t.sending.on_event(rendered)
    assert claimed.value.code == "send_in_progress"
    assert t.mailer.sent == []
    t.s.clock.advance(minutes=16)
    assert t.sending.on_event(rendered) == "sent"
    assert len(t.mailer.sent) == 1


def test_a_draft_or_an_unrendered_invoice_cannot_be_sent(t: Sending) -> None:
    invoice_id = draft(t.s, 1000)
    with pytest.raises(Conflict) as not_sendable:
        t.requests.request_send(t.s.seller.id, invoice_id)
    assert not_sendable.value.code == "invoice_not_sendable"
    t.s.invoices.finalize(t.s.seller.id, invoice_id)
    with pytest.raises(Conflict) as rendering:
        t.requests.request_send(t.s.seller.id, invoice_id)
    assert rendering.value.code == "invoice_not_rendered"


def test_the_hosted_page_opens_with_its_token_and_nothing_else_does(t: Sending) -> None:
    invoice_id = t.issued()
    invoice = t.s.invoices.get(t.s.seller.id, invoice_id).invoice
    assert invoice.hosted_secret is not None and len(invoice.hosted_secret) >= 43  # 256 bits, base64url
    token = t.token(invoice_id)
    page = t.pages.page(token)
    assert page.invoice.id == invoice_id and page.pdf_ready and page.can_pay_online
    account_id, found_id, _ = parse_hosted_token(token) or ("", "", "")
    assert (account_id, found_id) == (t.s.seller.id, invoice_id)
    wrong = [token[:-1] + ("A" if token[-1] != "A" else "B"), token.split(".")[0] + ".x", "nonsense", "",
             token + "/../x", "a" * 500]
    for bad in wrong:
        with pytest.raises(NotFound):
            t.pages.page(bad)


def test_rotating_the_link_retires_the_old_token(t: Sending) -> None:
    invoice_id = t.issued()
    old = t.token(invoice_id)
    new = t.token(invoice_id)
    assert new != old
    assert t.pages.page(new).invoice.id == invoice_id
    with pytest.raises(NotFound):
        t.pages.page(old)
    assert t.last_event("invoice.hosted_link_rotated", invoice_id).aggregate_id == invoice_id


def test_the_pdf_link_downloads_under_the_invoice_number(t: Sending) -> None:
    invoice_id = t.issued()
    number = t.s.invoices.get(t.s.seller.id, invoice_id).invoice.number
    assert t.pages.pdf_url(t.token(invoice_id)).endswith(f"download={number}.pdf")


def test_the_pay_button_asks_the_provider_for_a_checkout_only_when_followed(t: Sending) -> None:
    invoice_id = t.issued()
    token = t.token(invoice_id)
    t.pages.page(token)
    assert t.checkout.asked == []
    assert t.pages.checkout(token) == f"https://pay.example/checkout/{invoice_id}"
    PaymentService(t.s.uow, t.s.clock, FakeIds(), FakeRetry()).pay_invoice(t.s.seller.id, invoice_id)
    with pytest.raises(InvalidInput):
        t.pages.checkout(token)


def test_a_question_is_kept_on_the_invoice_listed_for_review_and_emailed_to_the_seller(t: Sending) -> None:
    with t.s.uow:
        t.s.uow.accounts.save(t.s.seller.model_copy(update={"email": "billing@nordic.example"}))
        t.s.uow.commit()
    invoice_id = t.issued()
    token = t.token(invoice_id)
    page = t.pages.page(token)
    asked = t.pages.ask(token, page.form_token, "  Why is line 1 twice?  ", "ap@acme.example")
    assert [q.text for q in asked.questions] == ["Why is line 1 twice?"]
    event = t.last_event("invoice.question", invoice_id)
    assert "twice" not in str(event.data)  # the customer's words stay on the invoice
    [item] = t.review.list(t.s.seller.id, limit=10, starting_after=None).data
    assert (item.reason, item.invoice_id, item.detail) == ("invoice_question", invoice_id, "Why is line 1 twice?")
    assert t.sending.on_event(event) == "sent"
    assert t.sending.on_event(event) == "already_sent"
    [mail] = [m for m in t.mailer.sent if m.tags["kind"] == "question"]
    message = parsed(mail.raw)
    assert mail.to == "billing@nordic.example" and message["Reply-To"] == "ap@acme.example"
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
    assert "Why is line 1 twice?" in text
    assert t.last_event("invoice.question_forwarded", invoice_id).data["object"]["delivery"]["kind"] == "question"


@pytest.mark.parametrize("form", ["", "123.abc", "forged"])
def test_a_question_needs_the_pages_own_form_token(t: Sending, form: str) -> None:
    invoice_id = t.issued()
    with pytest.raises(InvalidInput) as refused:
        t.pages.ask(t.token(invoice_id), form, "Hello?", None)
    assert refused.value.code == "form_expired"
    assert t.correspondence(invoice_id).questions == ()


def test_a_form_token_expires_after_a_day(t: Sending) -> None:
    invoice_id = t.issued()
    token = t.token(invoice_id)
    form = t.pages.page(token).form_token
    t.s.clock.advance(days=1, minutes=1)
    with pytest.raises(InvalidInput):
        t.pages.ask(token, form, "Hello?", None)
    secret = t.s.invoices.get(t.s.seller.id, invoice_id).invoice.hosted_secret or ""
    assert t.pages.ask(token, form_token(secret, int(t.s.clock.now().timestamp())), "Hello?", None).questions


def _bounce(t: Sending, feedback_id: str = "fb-1", address: str | None = None, permanent: bool = True,
            kind: str = "bounce") -> MailFeedback:
    return MailFeedback(kind=kind, permanent=permanent, feedback_id=feedback_id,  # type: ignore[arg-type]
                        addresses=(address or t.s.buyer.email or "",), account_id=t.s.seller.id,
                        customer_id=t.s.buyer.id, invoice_id="in_1", at=t.s.clock.now() + timedelta(minutes=1),
                        detail="smtp; 550 user unknown")


def test_a_permanent_bounce_marks_the_customers_address_and_lists_it_once(t: Sending) -> None:
    assert t.feedback.on_feedback(_bounce(t)) == "marked"
    assert t.feedback.on_feedback(_bounce(t)) == "duplicate"
    customer = t.s.customers.get(t.s.seller.id, t.s.buyer.id)
    assert customer.email_failure is not None and customer.email_failure.kind == "bounce"
    [item] = t.review.list(t.s.seller.id, limit=10, starting_after=None).data
    assert (item.reason, item.customer_id) == ("email_bounced", t.s.buyer.id)
    assert customer.version == t.s.buyer.version + 1  # customer.updated, with the failure
    # A new address clears the mark.
    updated = t.s.customers.update(t.s.seller.id, t.s.buyer.id, Changes({"email": "new@acme.example"}))
    assert updated.email_failure is None


def test_a_complaint_is_listed_too(t: Sending) -> None:
    assert t.feedback.on_feedback(_bounce(t, kind="complaint")) == "marked"
    [item] = t.review.list(t.s.seller.id, limit=10, starting_after=None).data
    assert item.reason == "email_complained"


def test_transient_bounces_and_old_addresses_change_nothing(t: Sending) -> None:
    assert t.feedback.on_feedback(_bounce(t, permanent=False)) == "ignored"
    assert t.feedback.on_feedback(_bounce(t, "fb-2", address="someone-else@acme.example")) == "ignored"
    assert t.s.customers.get(t.s.seller.id, t.s.buyer.id).email_failure is None
    assert t.review.list(t.s.seller.id, limit=10, starting_after=None).data == []


def test_the_sending_events_are_what_their_schemas_say(t: Sending) -> None:
    import json
    from pathlib import Path

    import jsonschema

    schemas = Path(__file__).resolve().parents[3] / "docs" / "events"
    with t.s.uow:
        t.s.uow.accounts.save(t.s.seller.model_copy(update={"email": "billing@nordic.example"}))
        t.s.uow.commit()
    invoice_id = t.issued()
    t.sending.on_event(t.last_event("invoice.rendered", invoice_id))
    t.requests.request_send(t.s.seller.id, invoice_id)
    token = t.token(invoice_id)
    t.pages.ask(token, t.pages.page(token).form_token, "Why?", None)
    t.sending.on_event(t.last_event("invoice.question", invoice_id))
    wanted = {"invoice.rendered", "invoice.sent", "invoice.send_requested", "invoice.hosted_link_rotated",
              "invoice.question", "invoice.question_forwarded"}
    seen = [e for e in t.s.invoices.events(t.s.seller.id, invoice_id) if e.type in wanted]
    assert {e.type for e in seen} == wanted
    for event in seen:
        jsonschema.validate(event.model_dump(mode="json"), json.loads((schemas / f"{event.type}.json").read_text()))


def test_an_invoice_voided_before_its_mail_went_is_not_mailed(t: Sending) -> None:
    invoice_id = t.issued()
    t.s.invoices.void(t.s.seller.id, invoice_id)
    assert t.sending.on_event(t.last_event("invoice.rendered", invoice_id)) == "ignored"
    assert t.mailer.sent == []
