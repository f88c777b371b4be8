"""Sending invoices by email, once per send; forwarding customers' questions to the seller; marking
addresses that bounce; the review list.

A send is keyed by the id of the event that asked for it (`invoice.rendered` for automatic sending of
`send_invoice` invoices, `invoice.send_requested` for `POST /invoices/{id}/send`, `invoice.question` for
a question sent on to the seller). It is claimed in the invoice's correspondence before the mail goes (a
commit that a concurrent worker loses on the correspondence's version) and recorded after
(`invoice.sent`): a redelivered event finds the send recorded, or claimed, and sends nothing. Only a
worker that dies between the provider accepting the mail and the record can cause a second mail, after
the claim's lease (`CLAIM_LEASE`): SES takes no idempotency key, so no design can close that window entirely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aws_lambda_powertools import Logger

from invoicing.domain.errors import Conflict, InvalidInput
from invoicing.domain.events import DomainEvent
from invoicing.domain.invoice import Invoice
from invoicing.domain.party import Account, Customer
from invoicing.domain.sending import (
    AlreadyInReview,
    DeliveryKind,
    EmailFailure,
    InvoiceCorrespondence,
    MailFeedback,
    Notice,
    Question,
    ReviewItem,
    hosted_token,
    review_id,
)
from invoicing.services.document_keys import invoice_key
from invoicing.services.ports import Clock, Documents, Mailer, OutgoingEmail, Page, UnitOfWork

logger = Logger(child=True)
SendOutcome = Literal["sent", "already_sent", "no_address", "ignored"]
RECORD_ATTEMPTS = 5  # recording a send retries on concurrent changes to the invoice (a payment, say)
SENDS_ON = ("invoice.rendered", "invoice.send_requested", "invoice.question")  # the send rule's events


def hosted_url(base_url: str, invoice: Invoice) -> str | None:
    """The invoice's hosted page, or None for an invoice finalized before it had one."""
    if invoice.hosted_secret is None:
        return None
    return f"{base_url.rstrip('/')}/i/{hosted_token(invoice.account_id, invoice.id, invoice.hosted_secret)}"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    body: bytes


def attachments_for(invoice: Invoice, customer: Customer, documents: Documents) -> list[Attachment]:
    """What the customer asked to receive (`einvoice_format`): the PDF (a Factur-X PDF/A-3 with its CII
    inside whenever EN 16931 allows, so `pdf` and `facturx` get the same file), and for `ubl` or `cii`
    the XML beside it. An e-invoice that could not be made (the rendering logged why) is left out."""
    number = invoice.number or invoice.id
    files = [Attachment(f"{number}.pdf", "application/pdf", documents.get(invoice_key(invoice, "pdf")))]
    fmt = customer.einvoice_format
    if fmt in ("ubl", "cii"):
        key = invoice_key(invoice, fmt)
        if documents.exists(key):
            files.append(Attachment(f"{number}-{fmt}.xml", "application/xml", documents.get(key)))
    return files


@dataclass(frozen=True)
class SendRequests:
    """The API's side of sending: it records the request; the send worker sends."""

    uow: UnitOfWork
    clock: Clock

    def request_send(self, account_id: str, invoice_id: str) -> Invoice:
        """`POST /invoices/{id}/send`: record `invoice.send_requested`; the send worker emails it once.
        409 for a draft or a void invoice, for one still being rendered, or a customer without email."""
        with self.uow:
            invoice = self.uow.invoices.get(account_id, invoice_id)
            customer = self.uow.customers.get(account_id, invoice.customer_id)
            if not customer.email:
                raise Conflict(f"Customer {customer.id} has no email address to send to.", param="customer.email",
                               code="customer_email_missing")
            correspondence = self.uow.correspondence.get(account_id, invoice_id)
            self.uow.correspondence.save(correspondence.request_send(invoice, self.clock.now()))
            self.uow.commit()
            return invoice


@dataclass(frozen=True)
class SendingService:
    uow: UnitOfWork
    clock: Clock
    documents: Documents
    mailer: Mailer
    base_url: str  # where the hosted pages are: the API's public URL
    sender: str  # the verified address every mail is sent from (the seller's own address is its Reply-To)

    def on_event(self, event: DomainEvent) -> SendOutcome:
        obj = event.data.get("object") or {}
        if event.type == "invoice.rendered":
            if obj.get("collection_method") != "send_invoice":
                return "ignored"  # charged automatically: the customer gets a receipt, not a bill
            return self.deliver(event.account_id, event.aggregate_id, event.id, "invoice")
        if event.type == "invoice.send_requested":
            return self.deliver(event.account_id, event.aggregate_id, event.id, "invoice")
        if event.type == "invoice.question":
            return self.deliver(event.account_id, event.aggregate_id, event.id, "question",
                                question_id=str((obj.get("question") or {}).get("id", "")))
        return "ignored"

    def deliver(self, account_id: str, invoice_id: str, send_id: str, kind: DeliveryKind, *,
                question_id: str = "", notice: Notice | None = None) -> SendOutcome:
        """Send one email for `send_id`, at most once (see the module's docstring). A `reminder` or a
        `payment_notice` says what `notice` holds."""
        now = self.clock.now()
        with self.uow:
            invoice = self.uow.invoices.get(account_id, invoice_id)
            correspondence = self.uow.correspondence.get(account_id, invoice_id)
            done = correspondence.delivery(send_id)
            if done is not None and done.status == "sent":
                return "already_sent"
            if kind != "question" and invoice.status == "void":
                return "ignored"  # voided before its mail went: nothing to ask the customer for
            seller = self.uow.accounts.get(account_id)
            customer = self.uow.customers.get(account_id, invoice.customer_id)
            to = seller.email if kind == "question" else customer.email
            if not to:
                logger.warning("no address to send to", extra={"invoice_id": invoice_id, "send_id": send_id,
                                                                "kind": kind})
                return "no_address"
            self.uow.correspondence.save(correspondence.claim_delivery(send_id, kind, to, now))
            self.uow.commit()
        email, attached = self._compose(invoice, correspondence, seller, customer, kind, to, send_id, question_id,
                                        notice)
        message_id = self.mailer.send(email)
        self._record(account_id, invoice_id, send_id, message_id, attached)
        return "sent"

    def _compose(self, invoice: Invoice, correspondence: InvoiceCorrespondence, seller: Account, customer: Customer,
                 kind: DeliveryKind, to: str, send_id: str, question_id: str,
                 notice: Notice | None = None) -> tuple[OutgoingEmail, tuple[str, ...]]:
        from invoicing.documents.email import invoice_email, question_email

        url = hosted_url(self.base_url, invoice)
        tags = {"account_id": invoice.account_id, "customer_id": customer.id, "invoice_id": invoice.id,
                "kind": kind}
        if kind == "invoice":
            files = attachments_for(invoice, customer, self.documents)
            raw = invoice_email(invoice, seller, customer, sender=self.sender, to=to, hosted_url=url,
                                attachments=[(f.filename, f.content_type, f.body) for f in files],
                                message_key=send_id, sent_at=self.clock.now())
            names = tuple(f.filename for f in files)
        elif kind in ("reminder", "payment_notice"):
            from invoicing.documents.notices import notice_email

            if notice is None:
                raise InvalidInput(f"A {kind} needs what it tells the customer.", param="notice")
            # A reminder carries the invoice again (the PDF, when rendered); a payment notice only the link.
            pdf = invoice_key(invoice, "pdf")
            files = [Attachment(f"{invoice.number or invoice.id}.pdf", "application/pdf", self.documents.get(pdf))] \
                if kind == "reminder" and self.documents.exists(pdf) else []
            raw = notice_email(invoice, seller, customer, notice, sender=self.sender, to=to, hosted_url=url,
                               attachments=[(f.filename, f.content_type, f.body) for f in files],
                               message_key=send_id, sent_at=self.clock.now())
            names = tuple(f.filename for f in files)
        else:
            question = next((q for q in correspondence.questions if q.id == question_id), None)
            if question is None:
                raise InvalidInput(f"Invoice {invoice.id} has no question {question_id}.", param="question")
            raw = question_email(invoice, seller, customer, question, sender=self.sender, to=to, hosted_url=url,
                                 message_key=send_id, sent_at=self.clock.now())
            names = ()
        return OutgoingEmail(sender=self.sender, to=to, raw=raw, tags=tags,
                             name=f"{invoice.number or invoice.id}-{kind}-{invoice.id}-{send_id}"), names

    def _record(self, account_id: str, invoice_id: str, send_id: str, message_id: str,
                attached: tuple[str, ...]) -> None:
        for attempt in range(RECORD_ATTEMPTS):
            try:
                with self.uow:
                    invoice = self.uow.invoices.get(account_id, invoice_id)
                    correspondence = self.uow.correspondence.get(account_id, invoice_id)
                    sent = correspondence.record_sent(invoice, send_id, message_id, attached, self.clock.now())
                    if sent is correspondence:
                        return
                    self.uow.correspondence.save(sent)
                    self.uow.commit()
                    return
            except Conflict:
                if attempt == RECORD_ATTEMPTS - 1:
                    raise


@dataclass(frozen=True)
class FeedbackService:
    """SES bounce and complaint notifications: the customer's address is marked failing (its view
    shows `email_failure`) and the case goes to the review list, once per notification."""

    uow: UnitOfWork

    def on_feedback(self, feedback: MailFeedback) -> Literal["marked", "duplicate", "ignored"]:
        if feedback.kind == "bounce" and not feedback.permanent:
            return "ignored"  # SES retries transient bounces itself
        if not feedback.account_id or not feedback.customer_id:
            logger.warning("feedback for a message without our tags", extra={"feedback_id": feedback.feedback_id})
            return "ignored"
        reason: Literal["email_bounced", "email_complained"] = (
            "email_bounced" if feedback.kind == "bounce" else "email_complained")
        with self.uow:
            customer = self.uow.customers.get(feedback.account_id, feedback.customer_id)
            address = customer.email or ""
            if not any(a.strip().lower() == address.strip().lower() for a in feedback.addresses):
                return "ignored"  # the customer's address has changed since that mail
            marked = customer.email_failed(EmailFailure(kind=feedback.kind, address=address, at=feedback.at,
                                                        detail=feedback.detail))
            if marked is not customer:
                self.uow.customers.save(marked)
            self.uow.review_items.add(ReviewItem(
                id=review_id(feedback.at, f"{feedback.kind}:{feedback.feedback_id}:{customer.id}"),
                account_id=feedback.account_id, reason=reason, invoice_id=feedback.invoice_id,
                customer_id=customer.id, detail=feedback.detail, created=feedback.at))
            try:
                self.uow.commit()
            except AlreadyInReview:
                return "duplicate"
        return "marked"


@dataclass(frozen=True)
class ReviewService:
    uow: UnitOfWork

    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[ReviewItem]:
        with self.uow:
            return self.uow.review_items.list(account_id, limit=limit, starting_after=starting_after)


def question_review(invoice: Invoice, question: Question) -> ReviewItem:
    """The review item a customer's question makes (written in the question's own commit)."""
    return ReviewItem(id=review_id(question.asked_at, f"question:{invoice.id}:{question.id}"),
                      account_id=invoice.account_id, reason="invoice_question", invoice_id=invoice.id,
                      customer_id=invoice.customer_id, detail=question.text, created=question.asked_at)
