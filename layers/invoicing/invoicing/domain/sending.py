"""Sending invoices and hearing back: deliveries (one per send, claimed before the mail goes and
recorded after), the hosted invoice page's link, customers' questions, failing email addresses and
the review list a person works through. Pure values; the rules that use them are on the aggregates
(`Invoice`, `Customer`) and in `services/sending.py`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from invoicing.domain.errors import Conflict
from invoicing.domain.events import DomainEvent, new_event

if TYPE_CHECKING:
    from invoicing.domain.invoice import Invoice

CLAIM_LEASE = timedelta(minutes=15)  # a claimed send that has not been recorded by then may be sent again
MAX_DELIVERIES = 50  # kept on the invoice (the newest); older ones stay in the audit trail
MAX_QUESTIONS = 20  # questions kept on an invoice: a page cannot grow the item without bound
QUESTION_MAX_CHARS = 2000
# The invoice to its customer; a customer's question to the seller; a dunning reminder, or a notice that
# the invoice's payment status changed, to its customer.
DeliveryKind = Literal["invoice", "question", "reminder", "payment_notice"]
EmailFailureKind = Literal["bounce", "complaint"]
ReviewReason = Literal["email_bounced", "email_complained", "invoice_question"]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Delivery(_Value):
    """One send of one email. `id` is the send's key (the id of the event that asked for it), so a
    redelivered event finds its delivery and never sends a second mail."""

    id: str
    kind: DeliveryKind = "invoice"
    status: Literal["sending", "sent"]
    to: str
    claimed_at: datetime
    sent_at: datetime | None = None
    message_id: str | None = None
    attachments: tuple[str, ...] = ()

    def claim_expired(self, now: datetime) -> bool:
        return self.status == "sending" and now >= self.claimed_at + CLAIM_LEASE


class Notice(_Value):
    """What a reminder or a payment-status notice tells the customer beyond the invoice itself: the
    dunning step's day (relative to the due date), or the change (its event type) and the amount it
    moved (applied, failed, given back), in minor units of the invoice's currency."""

    kind: Literal["reminder", "payment_notice"]
    day: int = 0
    change: str = ""
    amount: int | None = None
    language: str | None = None  # None: the customer's


class Question(_Value):
    """A question the customer asked on the hosted page ("your customers are your best error detectors")."""

    id: str
    text: str = Field(min_length=1, max_length=QUESTION_MAX_CHARS)
    email: str | None = Field(default=None, max_length=254)
    asked_at: datetime


class EmailFailure(_Value):
    """Why mail to a customer's address fails: SES reported a permanent bounce or a complaint."""

    kind: EmailFailureKind
    address: str
    at: datetime
    detail: str | None = Field(default=None, max_length=500)


class ReviewItem(_Value):
    """Something a person should look at: a failing address, a customer's question. Its id is derived
    from what caused it, so the same notification delivered again is the same item."""

    id: str
    object: Literal["review_item"] = "review_item"
    account_id: str
    reason: ReviewReason
    invoice_id: str | None = None
    customer_id: str | None = None
    detail: str | None = Field(default=None, max_length=2000)
    created: datetime


def review_id(created: datetime, cause: str) -> str:
    """`rev_` + the time (so ids sort newest first like every list's) + a digest of the cause."""
    digest = hashlib.sha256(cause.encode()).hexdigest()[:12]
    return f"rev_{created:%Y%m%d%H%M%S%f}{digest}"


# --- the hosted page's token ------------------------------------------------------------------------
# A token is `{locator}.{secret}`: the locator (account and invoice ids, base64url) says which invoice to
# read, the secret (>= 128 random bits, made by the service) is what makes the link unguessable; it is
# compared in constant time with the one the invoice holds. Rotating gives the invoice a new secret.

_SECRET = re.compile(r"^[A-Za-z0-9_-]{22,128}$")
_TOKEN_MAX = 400


def hosted_token(account_id: str, invoice_id: str, secret: str) -> str:
    locator = base64.urlsafe_b64encode(f"{account_id}/{invoice_id}".encode()).decode().rstrip("=")
    return f"{locator}.{secret}"


def parse_hosted_token(token: str) -> tuple[str, str, str] | None:
    """(account id, invoice id, secret), or None for anything that is not a token of ours."""
    if len(token) > _TOKEN_MAX or token.count(".") != 1:
        return None
    locator, secret = token.split(".")
    if not _SECRET.fullmatch(secret):
        return None
    try:
        decoded = base64.urlsafe_b64decode(locator + "=" * (-len(locator) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    account_id, _, invoice_id = decoded.partition("/")
    if not re.fullmatch(r"[A-Za-z0-9_]{1,64}", account_id) or not re.fullmatch(r"[A-Za-z0-9_]{1,64}", invoice_id):
        return None
    return account_id, invoice_id, secret


def secrets_match(given: str, held: str | None) -> bool:
    return held is not None and hmac.compare_digest(given.encode(), held.encode())


def form_token(secret: str, issued: int) -> str:
    """The question form's CSRF token: the time it was issued and an HMAC of it under the page's secret,
    so only a page served for this link makes a form the link accepts (and only for a day)."""
    mac = hmac.new(secret.encode(), f"question:{issued}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{issued}.{mac}"


def form_token_valid(secret: str, token: str, now: int, *, max_age: int = 86_400) -> bool:
    issued_text, _, _ = token.partition(".")
    if not issued_text.isdigit():
        return False
    issued = int(issued_text)
    if not now - max_age <= issued <= now + 60:
        return False
    return hmac.compare_digest(form_token(secret, issued).encode(), token.encode())


class MailFeedback(_Value):
    """What the mail provider reported about a message we sent: a bounce or a complaint, for which
    addresses, and the tags the message carried (which account, customer and invoice it was)."""

    kind: EmailFailureKind
    permanent: bool  # a transient bounce (mailbox full) is retried by the provider and marks nothing
    feedback_id: str
    addresses: tuple[str, ...]
    account_id: str | None
    customer_id: str | None
    invoice_id: str | None
    at: datetime
    detail: str | None = None


class AlreadyInReview(Conflict):
    """The review item exists: the same cause (a notification delivered again) is one item."""

    code = "already_in_review"


class InvoiceCorrespondence(_Value):
    """What was sent about one invoice and what its customer asked: its own aggregate (its own item,
    beside the invoice's), so that mail bookkeeping never races the invoice's own changes (a payment,
    a credit note, a void) on the invoice's version, and a finalized invoice stays as it was issued.
    Its events are in the invoice's audit trail (`aggregate: invoice`)."""

    account_id: str
    invoice_id: str
    version: int = 0  # 0: nothing recorded yet (not stored)
    rendered_at: datetime | None = None
    deliveries: tuple[Delivery, ...] = ()
    questions: tuple[Question, ...] = ()
    events: tuple[DomainEvent, ...] = Field(default=(), exclude=True)

    def _next(self, **changes: object) -> InvoiceCorrespondence:
        return self.model_copy(update={"version": self.version + 1, **changes})

    def _recorded(self, type_: str, at: datetime, obj: dict[str, Any]) -> InvoiceCorrespondence:
        event = new_event(type_, account_id=self.account_id, aggregate="invoice", aggregate_id=self.invoice_id,
                          version=self.version, at=at, obj=obj)
        return self.model_copy(update={"events": (*self.events, event)})

    def record_rendered(self, invoice: Invoice, at: datetime) -> InvoiceCorrespondence:
        """Its PDF and e-invoices are in the bucket: `invoice.rendered` (what automatic sending waits for).
        Once: a second call changes nothing."""
        if self.rendered_at is not None:
            return self
        return self._next(rendered_at=at)._recorded("invoice.rendered", at, invoice.summary())

    def request_send(self, invoice: Invoice, at: datetime) -> InvoiceCorrespondence:
        """`invoice.send_requested`: the send worker emails it (once for this request)."""
        _require_issued(invoice)
        if self.rendered_at is None:
            raise Conflict(f"Invoice {invoice.number} is being rendered; send it again in a few seconds.",
                           param="invoice", code="invoice_not_rendered")
        return self._next()._recorded("invoice.send_requested", at, invoice.summary())

    def delivery(self, send_id: str) -> Delivery | None:
        return next((d for d in self.deliveries if d.id == send_id), None)

    def _with_delivery(self, delivery: Delivery) -> tuple[Delivery, ...]:
        kept = tuple(d for d in self.deliveries if d.id != delivery.id)
        return (*kept, delivery)[-MAX_DELIVERIES:]

    def claim_delivery(self, send_id: str, kind: DeliveryKind, to: str, at: datetime) -> InvoiceCorrespondence:
        """Claim a send before the mail goes: a concurrent worker then loses on the version, and a
        redelivery finds it claimed (or sent). A claim left by a worker that died expires (CLAIM_LEASE)."""
        current = self.delivery(send_id)
        if current is not None and not current.claim_expired(at):
            raise Conflict(f"Send {send_id} is {current.status}.", param="send", code="send_in_progress")
        claim = Delivery(id=send_id, kind=kind, status="sending", to=to, claimed_at=at)
        return self._next(deliveries=self._with_delivery(claim))

    def record_sent(self, invoice: Invoice, send_id: str, message_id: str, attachments: tuple[str, ...],
                    at: datetime) -> InvoiceCorrespondence:
        """The mail of a claimed send was accepted: `invoice.sent` (`invoice.question_forwarded` for a
        question sent on to the seller; a reminder or payment notice is an `invoice.sent` whose
        `delivery.kind` says so). No address in the event: it names the send, not the person."""
        claim = self.delivery(send_id)
        if claim is None:
            raise Conflict(f"Send {send_id} was never claimed.", param="send", code="send_not_claimed")
        if claim.status == "sent":
            return self
        sent = claim.model_copy(update={"status": "sent", "sent_at": at, "message_id": message_id,
                                        "attachments": attachments})
        changed = self._next(deliveries=self._with_delivery(sent))
        event = "invoice.question_forwarded" if claim.kind == "question" else "invoice.sent"
        return changed._recorded(event, at, {**invoice.summary(), "delivery": {
            "id": send_id, "kind": claim.kind, "message_id": message_id, "attachments": list(attachments),
            "sent_at": at.isoformat()}})

    def ask(self, invoice: Invoice, question: Question) -> InvoiceCorrespondence:
        """A customer's question from the hosted page: kept here, `invoice.question`."""
        _require_issued(invoice)
        if len(self.questions) >= MAX_QUESTIONS:
            raise Conflict("This invoice has as many questions as it can hold; contact the seller directly.",
                           param="question", code="too_many_questions")
        changed = self._next(questions=(*self.questions, question))
        return changed._recorded("invoice.question", question.asked_at, {
            **invoice.summary(), "question": {"id": question.id, "asked_at": question.asked_at.isoformat()}})


def _require_issued(invoice: Invoice) -> None:
    if invoice.status in ("draft", "void"):
        raise Conflict(f"Invoice {invoice.number or invoice.id} is {invoice.status}: only an issued invoice is sent.",
                       param="status", code="invoice_not_sendable")
