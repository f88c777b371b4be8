"""Messages that reach functions from queues: an EventBridge event whose detail is a domain event, and
the SES bounce and complaint notifications SNS delivers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from invoicing.domain.events import DomainEvent
from invoicing.domain.sending import MailFeedback


class BusMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    source: str
    detail_type: str = Field(alias="detail-type")
    detail: DomainEvent


def bus_event(body: str) -> DomainEvent:
    """The domain event in an SQS message from an EventBridge rule (the event is its `detail`)."""
    return BusMessage.model_validate_json(body).detail


class _Recipient(BaseModel):
    model_config = ConfigDict(extra="ignore")

    emailAddress: str
    diagnosticCode: str | None = None


class _Bounce(BaseModel):
    model_config = ConfigDict(extra="ignore")

    bounceType: str
    bouncedRecipients: list[_Recipient]
    timestamp: datetime
    feedbackId: str


class _Complaint(BaseModel):
    model_config = ConfigDict(extra="ignore")

    complainedRecipients: list[_Recipient]
    timestamp: datetime
    feedbackId: str
    complaintFeedbackType: str | None = None


class _Mail(BaseModel):
    model_config = ConfigDict(extra="ignore")

    messageId: str
    tags: dict[str, list[str]] = Field(default_factory=dict)


class SesNotification(BaseModel):
    """An SES notification as SNS carries it: identity notifications say `notificationType`, event
    publishing through a configuration set says `eventType` (and carries the message's tags)."""

    model_config = ConfigDict(extra="ignore")

    notificationType: str | None = None
    eventType: str | None = None
    mail: _Mail
    bounce: _Bounce | None = None
    complaint: _Complaint | None = None


class SnsEnvelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    Type: str
    Message: str


def mail_feedback(body: str) -> MailFeedback | None:
    """The bounce or complaint in an SQS message from the SNS topic SES publishes to (None for the
    other notifications: deliveries, sends, SNS's subscription confirmation)."""
    envelope = SnsEnvelope.model_validate_json(body)
    if envelope.Type != "Notification":
        return None
    note = SesNotification.model_validate_json(envelope.Message)
    kind = note.eventType or note.notificationType

    def tag(name: str) -> str | None:
        values = note.mail.tags.get(name) or []
        return values[0] if values else None

    common = {"account_id": tag("account_id"), "customer_id": tag("customer_id"), "invoice_id": tag("invoice_id")}
    if kind == "Bounce" and note.bounce is not None:
        bounce = note.bounce
        detail = "; ".join(r.diagnosticCode for r in bounce.bouncedRecipients if r.diagnosticCode) or None
        return MailFeedback(kind="bounce", permanent=bounce.bounceType == "Permanent", feedback_id=bounce.feedbackId,
                            addresses=tuple(r.emailAddress for r in bounce.bouncedRecipients), at=bounce.timestamp,
                            detail=(detail or f"{bounce.bounceType} bounce")[:500], **common)
    if kind == "Complaint" and note.complaint is not None:
        complaint = note.complaint
        return MailFeedback(kind="complaint", permanent=True, feedback_id=complaint.feedbackId,
                            addresses=tuple(r.emailAddress for r in complaint.complainedRecipients),
                            at=complaint.timestamp,
                            detail=f"complaint: {complaint.complaintFeedbackType or 'unspecified'}",
                            **common)
    return None
