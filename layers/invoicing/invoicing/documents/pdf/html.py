"""Our documents as HTML: the jinja2 templates, compiled once per container, over the view model."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from invoicing.documents.pdf.view import credit_note_view, invoice_view

if TYPE_CHECKING:
    from collections.abc import Mapping

    from invoicing.domain.credit_note import CreditNote
    from invoicing.domain.invoice import Invoice


def _css_string(value: object) -> Markup:
    """A CSS string literal: quotes, backslashes, angle brackets and controls hex-escaped, so a
    value can never close the string, nor the <style> element or quoted attribute it is written into."""
    out = []
    for ch in str(value):
        if ch in '"\'\\<>&' or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return Markup('"' + "".join(out) + '"')  # noqa: S704 - every unsafe character is escaped above


_ENV = Environment(
    loader=PackageLoader("invoicing.documents", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["css_string"] = _css_string
_INVOICE_TEMPLATE = _ENV.get_template("invoice.html.j2")
_CREDIT_NOTE_TEMPLATE = _ENV.get_template("credit_note.html.j2")

# Whitespace between two tags: it renders as nothing in our documents, but every run of it is a
# text node WeasyPrint would parse, style, box and lay out.
_BETWEEN_TAGS = re.compile(r">\s+<")


def _tight(html: str) -> str:
    return _BETWEEN_TAGS.sub("><", html)


def render_invoice_html(invoice: Invoice, *, hosted_url: str | None = None,
                        file_names: Mapping[str, str] | None = None) -> str:
    """The finalized invoice as an HTML document (the PDF's source; also usable for previews)."""
    return _tight(_INVOICE_TEMPLATE.render(invoice_view(invoice, hosted_url=hosted_url, file_names=file_names)))


def render_credit_note_html(credit_note: CreditNote, invoice: Invoice) -> str:
    """A credit note as HTML, laid out like the invoice it corrects."""
    return _tight(_CREDIT_NOTE_TEMPLATE.render(credit_note_view(credit_note, invoice)))
