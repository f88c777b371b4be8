"""The emails: an invoice to its customer (text and HTML, the documents attached, the hosted page's
link), and a customer's question to the seller. MIME built with the standard library's `email`
package; the result is the RFC 5322 message SES sends as it is (`send_email` with raw content)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any

from invoicing.documents.formatting import format_date, format_money, format_payment_reference
from invoicing.documents.web import ENV, words_for
from invoicing.domain.direct_debit import debited_under
from invoicing.domain.payment_card import charged_to

if TYPE_CHECKING:
    from jinja2 import Template

    from invoicing.domain.invoice import Invoice
    from invoicing.domain.party import Account, Customer
    from invoicing.domain.sending import Question

# How a message is written out: the default policy, folding headers only past RFC 5322's hard limit
# of 998 characters (its 78 is a SHOULD). Folded at 78, the standard library's folder can leave a
# fold's space inside an encoded word (`2026\n =?utf-8?q?_?==?utf-8?q?f=C3=A4llig?=`) or fold right
# after "Subject:", and the unfolded subject then reads with a doubled or a leading space. Bodies are
# unaffected: their transfer encodings (76-character base64 lines) were made when the content was set.
WIRE_POLICY = policy.default.clone(max_line_length=998)
_INVOICE_TEXT = ENV.get_template("email/invoice.txt.j2")
_INVOICE_HTML = ENV.get_template("email/invoice.html.j2")
_QUESTION_TEXT = ENV.get_template("email/question.txt.j2")
_QUESTION_HTML = ENV.get_template("email/question.html.j2")
DEFAULT_COLOR = "#1F3A5F"


def _address(name: str, email: str) -> Address:
    local, _, domain = email.rpartition("@")
    return Address(display_name=name.replace("\r", " ").replace("\n", " ")[:200], username=local, domain=domain)


def _message(subject: str, sender_name: str, sender: str, to_name: str, to: str, reply_to: str | None,
             message_key: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject.replace("\r", " ").replace("\n", " ")
    msg["From"] = _address(sender_name, sender)
    msg["To"] = _address(to_name, to)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Message-ID"] = make_msgid(idstring=message_key.replace("_", "-")[:60], domain=sender.rpartition("@")[2])
    return msg


def _logo(seller: Account) -> bytes | None:
    """A PNG logo, shown inline (cid:). SVG logos are left out: most mail clients do not show them."""
    if not seller.branding.logo_png_base64:
        return None
    try:
        return base64.b64decode(seller.branding.logo_png_base64, validate=True)
    except (binascii.Error, ValueError):
        return None


def _debit_line(invoice: Invoice, customer: Customer, words: dict[str, str]) -> str | None:
    """An invoice collected by SEPA direct debit (domain/direct_debit.py): what will be debited, from
    which account (its last four characters) and under which mandate, instead of a transfer reference."""
    mandate = debited_under(invoice, customer)
    due = invoice.due_date or invoice.issue_date
    if mandate is None or invoice.status == "paid" or due is None:
        return None
    return words["direct_debit_line"].format(
        amount=format_money(invoice.amount_remaining, invoice.currency, customer.locale), account=mandate.masked_iban,
        mandate=mandate.mandate_reference, due=format_date(due, customer.locale))


def _card_line(invoice: Invoice, customer: Customer, words: dict[str, str]) -> str | None:
    """An invoice charged to the customer's card (domain/payment_card.py): what will be charged to the
    card ending in which digits, instead of a transfer reference."""
    card = charged_to(invoice, customer)
    if card is None or invoice.status == "paid":
        return None
    return words["card_line"].format(
        amount=format_money(invoice.amount_remaining, invoice.currency, customer.locale), digits=card.last_digits)


def invoice_email(invoice: Invoice, seller: Account, customer: Customer, *, sender: str, to: str,
                  hosted_url: str | None, attachments: list[tuple[str, str, bytes]], message_key: str,
                  sent_at: datetime | None = None) -> bytes:
    """The invoice email in the customer's language: text and HTML, the seller's colour and logo,
    `attachments` as (filename, content type, body)."""
    seller_snapshot = invoice.seller_snapshot or seller
    language, words = words_for(customer.locale)
    due = invoice.due_date or invoice.issue_date
    context: dict[str, Any] = {
        "lang": language,
        "W": words,
        "seller": seller_snapshot.name,
        "customer": (invoice.customer_snapshot or customer).name,
        "number": invoice.number or invoice.id,
        "amount": format_money(invoice.amount_remaining if invoice.status != "paid" else invoice.amount_due,
                               invoice.currency, customer.locale),
        "due": format_date(due, customer.locale) if due else "",
        "paid": invoice.status == "paid",
        "hosted_url": hosted_url,
        "reference": invoice.ocr_reference or (
            format_payment_reference(invoice.payment_reference) if invoice.payment_reference else None),
        "debit": (_debit_line(invoice, invoice.customer_snapshot or customer, words)
                  or _card_line(invoice, invoice.customer_snapshot or customer, words)),
        "message": seller_snapshot.text("message", customer.locale),
        "files": ", ".join(name for name, _, _ in attachments),
        "color": seller_snapshot.branding.primary_color or DEFAULT_COLOR,
        "logo": None,
    }
    msg = _message(words["invoice_subject"].format(number=context["number"], seller=context["seller"]),
                   seller_snapshot.name, sender, context["customer"], to, seller_snapshot.email, message_key)
    if sent_at is not None:
        msg["Date"] = format_datetime(sent_at)
    return branded_body(msg, _INVOICE_TEXT, _INVOICE_HTML, context, seller_snapshot, attachments)


def branded_body(msg: EmailMessage, text: Template, html: Template, context: dict[str, Any], seller: Account,
                 attachments: list[tuple[str, str, bytes]], language: str | None = None) -> bytes:
    """The message with its text and HTML parts (the seller's PNG logo inline as `cid:logo`) and
    `attachments` as (filename, content type, body), as bytes; `language` as its Content-Language."""
    msg.set_content(text.render(context))
    logo = _logo(seller)
    if logo is not None:
        context["logo"] = "cid:logo"
    msg.add_alternative(html.render(context), subtype="html")
    html_part = msg.get_body(preferencelist=("html",))
    if logo is not None and isinstance(html_part, MIMEPart):
        html_part.add_related(logo, maintype="image", subtype="png", cid="<logo>", filename="logo.png")
    for filename, content_type, body in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(body, maintype=maintype, subtype=subtype, filename=filename)
    if language:
        msg["Content-Language"] = language  # set last: setting the content replaces Content-* headers
    return msg.as_bytes(policy=WIRE_POLICY)


def question_email(invoice: Invoice, seller: Account, customer: Customer, question: Question, *, sender: str,
                   to: str, hosted_url: str | None, message_key: str, sent_at: datetime | None = None) -> bytes:
    """A customer's question, to the seller, in the seller's own language; Reply-To the customer when
    they gave an address."""
    language, words = words_for(seller.default_locale)
    context: dict[str, Any] = {
        "lang": language, "W": words, "seller": seller.name, "customer": customer.name,
        "number": invoice.number or invoice.id, "question": question.text, "email": question.email,
        "hosted_url": hosted_url, "color": seller.branding.primary_color or DEFAULT_COLOR,
    }
    msg = _message(words["question_subject"].format(number=context["number"], customer=customer.name),
                   seller.name, sender, seller.name, to, question.email, message_key)
    if sent_at is not None:
        msg["Date"] = format_datetime(sent_at)
    msg.set_content(_QUESTION_TEXT.render(context))
    msg.add_alternative(_QUESTION_HTML.render(context), subtype="html")
    return msg.as_bytes(policy=WIRE_POLICY)
