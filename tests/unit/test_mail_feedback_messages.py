"""The feedback queue's messages parsed at the edge (api/messages.py): SES's bounce and complaint
notifications as SNS delivers them to SQS (the sample in events/feedback/ is the handler's event)."""

from __future__ import annotations

import json
from pathlib import Path

from invoicing.api.messages import bus_event, mail_feedback

EVENTS = Path(__file__).resolve().parents[2] / "events"


def sample(path: str) -> str:
    return str(json.loads((EVENTS / path).read_text())["Records"][0]["body"])


def test_a_permanent_bounce_names_the_address_and_the_messages_tags() -> None:
    feedback = mail_feedback(sample("feedback/ses_bounce.json"))
    assert feedback is not None
    assert (feedback.kind, feedback.permanent, feedback.addresses) == ("bounce", True, ("ap@customer.example",))
    assert (feedback.account_id, feedback.customer_id, feedback.invoice_id) == ("acct_example", "cus_example",
                                                                                 "in_example")
    assert feedback.feedback_id == "0100018c-bounce-example-000000"
    assert feedback.detail == "smtp; 550 5.1.1 user unknown"


def test_a_complaint_in_the_identity_notification_format() -> None:
    envelope = json.loads(sample("feedback/ses_bounce.json"))
    note = json.loads(envelope["Message"])
    del note["eventType"], note["bounce"]
    note["notificationType"] = "Complaint"
    note["complaint"] = {"complainedRecipients": [{"emailAddress": "ap@customer.example"}],
                         "timestamp": "2026-11-30T10:00:00Z", "feedbackId": "c-1", "complaintFeedbackType": "abuse"}
    feedback = mail_feedback(json.dumps({**envelope, "Message": json.dumps(note)}))
    assert feedback is not None and feedback.kind == "complaint" and feedback.detail == "complaint: abuse"


def test_deliveries_and_subscription_confirmations_are_not_feedback() -> None:
    envelope = json.loads(sample("feedback/ses_bounce.json"))
    note = json.loads(envelope["Message"])
    assert mail_feedback(json.dumps({**envelope, "Message": json.dumps({**note, "eventType": "Delivery"})})) is None
    assert mail_feedback(json.dumps({**envelope, "Type": "SubscriptionConfirmation"})) is None


def test_the_send_queue_sample_is_a_rendered_invoice() -> None:
    event = bus_event(sample("sending/rendered_invoice.json"))
    assert event.type == "invoice.rendered" and event.data["object"]["collection_method"] == "send_invoice"
