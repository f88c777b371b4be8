"""The customer's dunning reminders (before, on and after the due date) and payment-status notices
(paid, partly paid, a payment that failed, money given back), in the customer's language (English,
Swedish, German; anything else reads English) with the seller's branding, like the invoice email
(`documents/email.py`): one text and one HTML template (`email/notice.*.j2`) over the words below."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from invoicing.documents.email import DEFAULT_COLOR, _message, branded_body
from invoicing.documents.formatting import format_date, format_money, format_payment_reference
from invoicing.documents.web import ENV, words_for

if TYPE_CHECKING:
    from invoicing.domain.invoice import Invoice
    from invoicing.domain.party import Account, Customer
    from invoicing.domain.sending import Notice

_TEXT = ENV.get_template("email/notice.txt.j2")
_HTML = ENV.get_template("email/notice.html.j2")

NOTICE_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "before_subject": "Reminder: invoice {number} from {seller} is due on {due}",
        "due_subject": "Invoice {number} from {seller} is due today",
        "overdue_subject": "Overdue: invoice {number} from {seller}",
        "before": "A friendly reminder: invoice {number} of {amount} is due on {due}.",
        "due": "Invoice {number} of {amount} is due today.",
        "overdue": "Invoice {number} was due on {due}, and {amount} of it remains unpaid.",
        "already_paid": "If you have paid already, thank you, and please disregard this message.",
        "paid_subject": "Payment received: invoice {number} from {seller} is paid",
        "paid": "We received your payment of {amount}. Invoice {number} is paid in full: thank you.",
        "partial_subject": "Payment received for invoice {number} from {seller}",
        "partial": "We received {amount} for invoice {number}. {remaining} remains to pay, due on {due}.",
        "failed_subject": "Payment failed: invoice {number} from {seller}",
        "failed": "A payment of {amount} for invoice {number} did not go through. {remaining} remains to pay.",
        "reopened_subject": "Invoice {number} from {seller} is open again",
        "reopened": "{amount} of your payment for invoice {number} was refunded or returned. {remaining} remains "
                    "to pay.",
    },
    "sv": {
        "before_subject": "Påminnelse: faktura {number} från {seller} förfaller {due}",
        "due_subject": "Faktura {number} från {seller} förfaller i dag",
        "overdue_subject": "Förfallen: faktura {number} från {seller}",
        "before": "En vänlig påminnelse: faktura {number} på {amount} förfaller {due}.",
        "due": "Faktura {number} på {amount} förfaller i dag.",
        "overdue": "Faktura {number} förföll {due}, och {amount} av den är fortfarande obetalt.",
        "already_paid": "Om du redan har betalat: tack, och bortse från det här meddelandet.",
        "paid_subject": "Betalning mottagen: faktura {number} från {seller} är betald",
        "paid": "Vi har tagit emot din betalning på {amount}. Faktura {number} är helt betald: tack.",
        "partial_subject": "Betalning mottagen för faktura {number} från {seller}",
        "partial": "Vi har tagit emot {amount} för faktura {number}. {remaining} återstår att betala, förfallodag "
                   "{due}.",
        "failed_subject": "Betalningen misslyckades: faktura {number} från {seller}",
        "failed": "En betalning på {amount} för faktura {number} gick inte igenom. {remaining} återstår att betala.",
        "reopened_subject": "Faktura {number} från {seller} är obetald igen",
        "reopened": "{amount} av din betalning för faktura {number} har återbetalats eller returnerats. "
                    "{remaining} återstår att betala.",
    },
    "de": {
        "before_subject": "Erinnerung: Rechnung {number} von {seller} ist am {due} fällig",
        "due_subject": "Rechnung {number} von {seller} ist heute fällig",
        "overdue_subject": "Überfällig: Rechnung {number} von {seller}",
        "before": "eine freundliche Erinnerung: Die Rechnung {number} über {amount} ist am {due} fällig.",
        "due": "die Rechnung {number} über {amount} ist heute fällig.",
        "overdue": "die Rechnung {number} war am {due} fällig, und {amount} davon sind noch offen.",
        "already_paid": "Falls Sie bereits bezahlt haben, vielen Dank; betrachten Sie diese Nachricht dann als "
                        "gegenstandslos.",
        "paid_subject": "Zahlung erhalten: Rechnung {number} von {seller} ist bezahlt",
        "paid": "wir haben Ihre Zahlung über {amount} erhalten. Die Rechnung {number} ist vollständig bezahlt: "
                "vielen Dank.",
        "partial_subject": "Zahlung erhalten zu Rechnung {number} von {seller}",
        "partial": "wir haben {amount} zur Rechnung {number} erhalten. Offen sind noch {remaining}, fällig am {due}.",
        "failed_subject": "Zahlung fehlgeschlagen: Rechnung {number} von {seller}",
        "failed": "eine Zahlung über {amount} zur Rechnung {number} ist fehlgeschlagen. Offen sind noch {remaining}.",
        "reopened_subject": "Rechnung {number} von {seller} ist wieder offen",
        "reopened": "{amount} Ihrer Zahlung zur Rechnung {number} wurden erstattet oder zurückgebucht. Offen sind "
                    "noch {remaining}.",
    },
}
# A payment-status change (its event type) -> its words.
CHANGES = {"invoice.paid": "paid", "invoice.partially_paid": "partial", "invoice.payment_failed": "failed",
           "payment.failed": "failed", "invoice.reopened": "reopened"}


def _wording(notice: Notice) -> str:
    if notice.kind == "reminder":
        return "before" if notice.day < 0 else "due" if notice.day == 0 else "overdue"
    return CHANGES.get(notice.change, "partial")


def notice_email(invoice: Invoice, seller: Account, customer: Customer, notice: Notice, *, sender: str, to: str,
                 hosted_url: str | None, attachments: list[tuple[str, str, bytes]], message_key: str,
                 sent_at: datetime | None = None) -> bytes:
    """A reminder or a payment-status notice to the customer, in `notice.language` (else the customer's):
    text and HTML, the seller's colour and logo, the hosted page's link, `attachments` as (filename,
    content type, body)."""
    seller_snapshot = invoice.seller_snapshot or seller
    locale = notice.language or customer.locale
    language, words = words_for(locale)
    notices = NOTICE_WORDS[language]
    due = invoice.due_date or invoice.issue_date
    remaining = invoice.amount_remaining if invoice.status != "paid" else 0
    facts = {
        "number": invoice.number or invoice.id, "seller": seller_snapshot.name,
        "due": format_date(due, locale) if due else "",
        "amount": format_money(notice.amount if notice.amount is not None else remaining, invoice.currency, locale),
        "remaining": format_money(remaining, invoice.currency, locale),
    }
    wording = _wording(notice)
    paragraphs = [notices[wording].format(**facts)]
    if notice.kind == "reminder":
        paragraphs.append(notices["already_paid"])
    subject = notices[f"{wording}_subject"].format(**facts)
    context: dict[str, Any] = {
        "lang": language, "W": words, "subject": subject, "paragraphs": paragraphs,
        "seller": seller_snapshot.name, "customer": (invoice.customer_snapshot or customer).name,
        "hosted_url": hosted_url if remaining else None,
        "reference": (invoice.ocr_reference or (format_payment_reference(invoice.payment_reference)
                                                if invoice.payment_reference else None)) if remaining else None,
        "files": ", ".join(name for name, _, _ in attachments),
        "color": seller_snapshot.branding.primary_color or DEFAULT_COLOR, "logo": None,
    }
    msg = _message(subject, seller_snapshot.name, sender, context["customer"], to, seller_snapshot.email, message_key)
    if sent_at is not None:
        msg["Date"] = format_datetime(sent_at)
    return branded_body(msg, _TEXT, _HTML, context, seller_snapshot, attachments, language)
