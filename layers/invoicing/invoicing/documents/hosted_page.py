"""The hosted invoice page as HTML, with the Content-Security-Policy that goes with it.

The page is built from the same view as the PDF (`pdf/view.py`: lines, totals, payment details and
the EPC QR code), in the customer's language. It loads nothing: no script, no font, no stylesheet
from anywhere; its one `<style>` is allowed by its hash, images only as `data:` (the logo, the QR code).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from markupsafe import Markup

from invoicing.documents.formatting import format_date, format_money
from invoicing.documents.pdf.view import invoice_view
from invoicing.documents.web import ENV, words_for
from invoicing.domain.sending import QUESTION_MAX_CHARS

if TYPE_CHECKING:
    from invoicing.domain.invoice import Invoice

_PAGE = ENV.get_template("hosted/page.html.j2")
_CSS = ENV.get_template("hosted/page.css.j2")
_NOT_FOUND = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Not found</title></head>
<body><h1>Not found</h1><p>There is no page at this address.</p></body></html>
"""
NOT_FOUND_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


@dataclass(frozen=True)
class RenderedPage:
    html: str
    csp: str


def content_security_policy(css: str) -> str:
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'")


def not_found_page() -> RenderedPage:
    return RenderedPage(_NOT_FOUND, NOT_FOUND_CSP)


def render_hosted_page(invoice: Invoice, *, token: str, today: date, pdf_ready: bool, can_pay_online: bool,
                       form_token: str, asked: bool = False, error: str | None = None, question_text: str = "",
                       question_email: str = "") -> RenderedPage:
    """The page of a finalized invoice, `today` deciding whether it is overdue."""
    view = invoice_view(invoice)
    customer = invoice.customer_snapshot
    assert customer is not None
    language, words = words_for(customer.locale)
    due = invoice.due_date or invoice.issue_date
    if invoice.status == "paid":
        status_class, status_text = "paid", words["status_paid"]
    elif invoice.status == "void":
        status_class, status_text = "void", words["status_void"]
    elif due is not None and due < today:
        status_class, status_text = "overdue", words["status_overdue"].format(due=format_date(due, customer.locale))
    else:
        status_class = "open"
        status_text = words["status_open"].format(due=format_date(due, customer.locale)) if due else ""
    remaining = invoice.amount_remaining if invoice.status in ("open", "uncollectible") else 0
    brand = view["brand"]
    css = _CSS.render(brand_text=brand["text_color"], brand_rule=brand["color"])
    html = _PAGE.render(
        **{**view, "lang": language}, W=words, css=Markup(css),  # noqa: S704 - our own stylesheet, colours validated
        token=token, amount=format_money(remaining, invoice.currency, customer.locale),
        status_class=status_class, status_text=status_text, pdf_ready=pdf_ready, can_pay_online=can_pay_online,
        payable=remaining > 0, form_token=form_token, asked=asked, error=error, question_text=question_text,
        question_email=question_email, question_max=QUESTION_MAX_CHARS,
    )
    return RenderedPage(html, content_security_policy(css))
