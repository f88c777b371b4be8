"""Branded PDFs of finalized invoices and credit notes: jinja2 HTML rendered by WeasyPrint.

Everything a document shows comes from the invoice itself: the seller and customer snapshots
taken at finalization, the priced lines and the totals. Nothing is fetched while rendering:
a URL fetcher accepts only `data:` URIs (the logo is inlined as one), fonts are the system's
(Inter, falling back to DejaVu Sans). Templates are compiled when this module is imported;
WeasyPrint, its font configuration and the parsed stylesheet are created on first use and kept
for the container's warm invocations. Importing this module does not import WeasyPrint.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

from babel import Locale
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from invoicing.documents.formatting import (
    exemption_note,
    format_date,
    format_money,
    format_percent,
    format_quantity,
    format_unit,
    format_unit_price,
    labels,
    resolve_locale,
)
from invoicing.domain.errors import Conflict
from invoicing.domain.money import allocate
from invoicing.domain.totals import Discount

if TYPE_CHECKING:
    from invoicing.domain.credit_note import CreditNote
    from invoicing.domain.invoice import Invoice, InvoiceLine
    from invoicing.domain.party import Account, Address, Customer, TaxId

logger = logging.getLogger(__name__)

DEFAULT_COLOR = "#1F3A5F"
FONTS = frozenset({"Inter", "DejaVu Sans", "DejaVu Serif"})
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_NOT_VAT_LABELS = {"au_abn": "ABN", "nz_gst": "GST", "in_gst": "GSTIN", "ca_bn": "BN", "us_ein": "EIN"}
_MINUS = "−"  # U+2212: a real minus sign, as wide as the digits


class ResourceRefused(ValueError):
    """A document tried to load something that is not inlined (http, https, file...)."""


class DocumentNotFinalized(Conflict):
    code = "invoice_not_finalized"


def _css_string(value: object) -> Markup:
    """A CSS string literal: quotes, backslashes, angle brackets and controls hex-escaped, so a
    value can never close the string or the <style> element it is written into."""
    out = []
    for ch in str(value):
        if ch in '"\\<>&' or ord(ch) < 0x20 or ord(ch) == 0x7F:
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
_STYLESHEET = resources.files("invoicing.documents").joinpath("templates/invoice.css").read_text(encoding="utf-8")


# --- rendering ------------------------------------------------------------------------------


def render_invoice_html(invoice: Invoice) -> str:
    """The finalized invoice as an HTML document (the PDF's source; also usable for previews)."""
    return _INVOICE_TEMPLATE.render(_invoice_context(invoice))


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The finalized invoice as an A4 PDF, in its customer's language, fetching nothing."""
    return html_to_pdf(render_invoice_html(invoice))


def render_credit_note_html(credit_note: CreditNote, invoice: Invoice) -> str:
    """A credit note as HTML, laid out like the invoice it corrects."""
    return _CREDIT_NOTE_TEMPLATE.render(_credit_note_context(credit_note, invoice))


def render_credit_note_pdf(credit_note: CreditNote, invoice: Invoice) -> bytes:
    """A credit note as an A4 PDF, in the customer's language, fetching nothing."""
    return html_to_pdf(render_credit_note_html(credit_note, invoice))


def html_to_pdf(html: str) -> bytes:
    """Lay out one of our documents with the cached engine; only `data:` URIs are ever loaded."""
    engine = _engine()
    document = engine.html_class(string=html, url_fetcher=engine.url_fetcher, base_url=None)
    pdf = document.write_pdf(stylesheets=[engine.stylesheet], font_config=engine.font_config)
    assert isinstance(pdf, bytes)
    return pdf


def warm_up() -> None:
    """Load WeasyPrint, the fonts and the stylesheet now rather than on the first invoice: a
    document function calls this at module scope, so the work lands in the Lambda init phase."""
    html_to_pdf(
        '<html><body><h1>Warm-up</h1><p class="num">1 234,50</p><p><b>Bold</b> <i>Italic</i> '
        '<span style="font-weight: 600">Semibold</span></p></body></html>'
    )


@dataclass(frozen=True)
class _Engine:
    html_class: Any
    stylesheet: Any
    font_config: Any
    url_fetcher: Any


@cache
def _engine() -> _Engine:
    # Imported here: only the document function pays for WeasyPrint (and Pango) at cold start.
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fetcher = data_only_url_fetcher()
    font_config = FontConfiguration()
    stylesheet = weasyprint.CSS(string=_STYLESHEET, font_config=font_config, url_fetcher=fetcher)
    return _Engine(weasyprint.HTML, stylesheet, font_config, fetcher)


@cache
def data_only_url_fetcher() -> Any:
    """A WeasyPrint URL fetcher that decodes `data:` URIs itself and refuses every other URL
    (http, https, ftp, file...) with `ResourceRefused`: a document cannot reach the network or
    the file system, whatever its SVG logo or text contains."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class DataOnlyURLFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False)

        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
            if url[:5].lower() != "data:":
                logger.warning("Refused to fetch %s: documents load only inlined data: URIs", url[:200])
                raise ResourceRefused(f"Refused to fetch {url[:200]}: only data: URIs are allowed")
            header, _, payload = url[5:].partition(",")
            media_type = header.removesuffix(";base64") or "text/plain;charset=US-ASCII"
            try:
                body = base64.b64decode(unquote_to_bytes(payload)) if header.endswith(";base64") \
                    else unquote_to_bytes(payload)
            except (binascii.Error, ValueError) as exc:
                raise ResourceRefused("Malformed data: URI") from exc
            return URLFetcherResponse(url, body, {"Content-Type": media_type})

    return DataOnlyURLFetcher()


# --- what the page shows --------------------------------------------------------------------


@dataclass(frozen=True)
class _Fmt:
    """Formatting bound to one document's locale and currency."""

    locale: Locale
    currency: str

    def money(self, amount: int) -> str:
        # Negative amounts always carry a real minus sign (babel gives a hyphen in some locales).
        if amount < 0:
            return self.minus(-amount)
        return format_money(amount, self.currency, self.locale)

    def minus(self, amount: int) -> str:
        return _MINUS + format_money(amount, self.currency, self.locale)

    def date(self, value: date) -> str:
        return format_date(value, self.locale)

    def percent(self, value: Decimal) -> str:
        return format_percent(value, self.locale)


def _require_finalized(invoice: Invoice) -> tuple[Account, Customer]:
    if invoice.status == "draft" or invoice.seller_snapshot is None or invoice.customer_snapshot is None \
            or invoice.totals is None or invoice.number is None or invoice.issue_date is None:
        raise DocumentNotFinalized(
            f"Invoice {invoice.id} is a draft: only finalized invoices have a document.", param="status"
        )
    return invoice.seller_snapshot, invoice.customer_snapshot


def _invoice_context(invoice: Invoice) -> dict[str, Any]:
    seller, customer = _require_finalized(invoice)
    assert invoice.totals is not None and invoice.issue_date is not None
    locale = resolve_locale(customer.locale)
    words = labels(locale)
    fmt = _Fmt(locale, invoice.currency)
    totals = invoice.totals
    due_date = invoice.due_date or invoice.issue_date

    facts = [(words["invoice_number"], invoice.number), (words["issue_date"], fmt.date(invoice.issue_date)),
             (words["due_date"], fmt.date(due_date))]
    if invoice.buyer_reference:
        facts.append((words["your_reference"], invoice.buyer_reference))
    if invoice.purchase_order:
        facts.append((words["purchase_order"], invoice.purchase_order))
    facts += [(f.name, f.value) for f in seller.branding.custom_fields]

    headline = None
    stamp = None
    if invoice.status == "paid":
        stamp = words["paid"]
        paid_at = invoice.status_transitions.paid_at
        headline = words["paid_on"].format(date=fmt.date(paid_at.date())) if paid_at else None
    elif invoice.status == "void":
        stamp = words["void"]
    else:
        headline = words["amount_due_by"].format(amount=fmt.money(invoice.amount_remaining), date=fmt.date(due_date))

    inclusive = invoice.tax_behavior == "inclusive"
    lines = [_line_view(line, fmt, words, inclusive) for line in invoice.lines]

    rows: list[dict[str, str]] = []

    def row(label: str, value: str, kind: str = "") -> None:
        rows.append({"label": label, "value": value, "kind": kind})

    row(words["subtotal_excl_tax"] if inclusive else words["subtotal"], fmt.money(totals.subtotal))
    for label, amount in _invoice_discounts(invoice, fmt, words):
        row(label, fmt.minus(amount))
    if totals.discount_amount:
        row(words["total_excl_tax"], fmt.money(totals.total_excluding_tax))
    groups = totals.tax_groups
    tax_label = words["vat"]
    if len(groups) == 1 and groups[0].category == "S":
        tax_label = f"{_tax_name(groups[0].name, words)} {fmt.percent(groups[0].percent)}"
    row(tax_label, fmt.money(totals.tax))
    row(words["total"], fmt.money(totals.total), "total")
    if invoice.applied_balance:
        row(words["credit_applied"], fmt.minus(invoice.applied_balance))
    if invoice.pre_payment_credit_notes_amount:
        row(words["credit_notes"], fmt.minus(invoice.pre_payment_credit_notes_amount))
    row(words["amount_due"], fmt.money(invoice.amount_due), "due")
    if invoice.amount_paid:
        row(words["amount_paid"], fmt.minus(invoice.amount_paid), "after-due")
        row(words["amount_remaining"], fmt.money(invoice.amount_remaining), "total")

    days = (due_date - invoice.issue_date).days
    terms = seller.payment_terms or (words["due_within"].format(days=days) if days > 0 else words["due_on_receipt"])
    payment_details = []
    if seller.iban:
        payment_details.append((words["iban"], _group_iban(seller.iban)))
    if seller.bic:
        payment_details.append((words["bic"], seller.bic))
    if invoice.payment_reference:
        payment_details.append((words["payment_reference"], invoice.payment_reference))

    return {
        **_common_context(seller, customer, locale, words, words["invoice"], invoice.number or ""),
        "facts": facts,
        "headline": headline,
        "stamp": stamp,
        "message": seller.branding.message,
        "memo": invoice.description,
        "amount_header": words["amount_incl_tax"] if inclusive else words["amount"],
        "lines": lines,
        "tax_groups": [_tax_group_view(g.category, g.percent, g.name, g.taxable_amount, g.tax_amount, fmt, words)
                       for g in groups],
        "exemption_notes": _exemption_notes([g.exemption_reason for g in groups], locale),
        "totals": rows,
        "payment_terms": terms,
        "payment_details": payment_details,
        "footer_notes": [invoice.footer] if invoice.footer else [],
    }


def _credit_note_context(credit_note: CreditNote, invoice: Invoice) -> dict[str, Any]:
    seller, customer = _require_finalized(invoice)
    assert invoice.issue_date is not None
    locale = resolve_locale(customer.locale)
    words = labels(locale)
    fmt = _Fmt(locale, credit_note.currency)
    facts = [(words["credit_note_number"], credit_note.number),
             (words["credit_note_date"], fmt.date(credit_note.issue_date.date())),
             (words["invoice_number"], credit_note.invoice_number)]
    if credit_note.reason:
        facts.append((words["reason"], words[f"reason_{credit_note.reason}"]))
    if invoice.buyer_reference:
        facts.append((words["your_reference"], invoice.buyer_reference))
    groups = credit_note.tax_groups
    tax_label = words["vat"]
    if len(groups) == 1 and groups[0].category == "S":
        tax_label = f"{_tax_name(groups[0].name, words)} {fmt.percent(groups[0].percent)}"
    rows = [
        {"label": words["total_excl_tax"], "value": fmt.minus(credit_note.subtotal), "kind": ""},
        {"label": tax_label, "value": fmt.minus(credit_note.tax), "kind": ""},
        {"label": words["total_credited"], "value": fmt.minus(credit_note.amount), "kind": "due"},
    ]
    explanation = words["credited_pre_payment"] if credit_note.type == "pre_payment" else words["credited_post_payment"]
    return {
        **_common_context(seller, customer, locale, words, words["credit_note"], credit_note.number),
        "facts": facts,
        "headline": None,
        "stamp": None,
        "reference": words["credits_invoice"].format(number=credit_note.invoice_number,
                                                 date=fmt.date(invoice.issue_date)),
        "explanation": explanation.format(number=credit_note.invoice_number),
        "memo": credit_note.memo,
        "tax_groups": [_tax_group_view(g.category, g.percent, g.name, -g.taxable_amount, -g.tax_amount, fmt, words)
                       for g in groups],
        "exemption_notes": _exemption_notes([g.exemption_reason for g in groups], locale),
        "totals": rows,
        "footer_notes": [],
    }


def _common_context(
    seller: Account, customer: Customer, locale: Locale, words: dict[str, str], heading: str, number: str
) -> dict[str, Any]:
    contact = [c for c in (seller.email, seller.phone) if c]
    before, _, rest = words["page"].partition("{page}")
    between, _, after = rest.partition("{pages}")
    seller_vat = _tax_ids(seller.tax_ids, words)
    if seller.branding.footer:
        page_footer = [seller.branding.footer]
    else:
        page_footer = [seller.name]
        if seller.address:
            page_footer.append(", ".join(_address_lines(seller.address, locale, with_country=False)))
        page_footer += [f"{label} {value}" for label, value in seller_vat[:1]]
        page_footer += [c for c in (seller.website,) if c]
    return {
        "lang": locale.language,
        "L": words,
        "title": f"{heading} {number} · {seller.name}",
        "heading": heading,
        "number": number,
        "running_title": f"{heading} {number} · {customer.name}",
        "brand": _brand(seller),
        "logo_uri": _logo_uri(seller),
        "seller": {
            "name": seller.name,
            "address": _address_lines(seller.address, locale),
            "tax_ids": seller_vat,
            "contact": [c for c in (seller.email, seller.phone, seller.website) if c],
        },
        "buyer": {
            "name": customer.name,
            "address": _address_lines(customer.address, locale),
            "tax_ids": _tax_ids(customer.tax_ids, words),
            "email": customer.email,
        },
        "contact": words["questions"].format(contact=" · ".join(contact)) if contact else None,
        "page_label": {"before": before, "between": between, "after": after},
        "page_footer": [item for item in page_footer if item],
    }


def _line_view(line: InvoiceLine, fmt: _Fmt, words: dict[str, str], inclusive: bool) -> dict[str, Any]:
    amount = line.amount or 0
    discount_amount = line.discount_amount or 0
    shown = amount - discount_amount if inclusive else (line.net_amount if line.net_amount is not None else 0)
    unit = format_unit(line.unit_code, fmt.locale)
    quantity = format_quantity(line.quantity, fmt.locale)
    period = None
    if line.period_start and line.period_end:
        period = f"{fmt.date(line.period_start)} – {fmt.date(line.period_end)}"
    elif line.period_start:
        period = fmt.date(line.period_start)
    discounts = []
    if line.discounts and discount_amount:
        parts = allocate(discount_amount, [d.amount_on(amount) for d in line.discounts])
        discounts = [f"{_discount_label(d, fmt, words['line_discount'])}: {fmt.minus(part)}"
                     for d, part in zip(line.discounts, parts, strict=True) if part]
    return {
        "description": line.description,
        "period": period,
        "quantity": f"{quantity}\u00a0{unit}" if unit else quantity,
        "unit_price": format_unit_price(line.unit_amount_decimal, fmt.currency, fmt.locale),
        "tax_rate": fmt.percent(line.tax.percent) if line.tax is not None else "",
        "amount": fmt.money(shown),
        "discounts": discounts,
    }


def _invoice_discounts(invoice: Invoice, fmt: _Fmt, words: dict[str, str]) -> list[tuple[str, int]]:
    """Each invoice-level discount with its share of the totals' discount (which is net of tax),
    so that the rows always add up to what the totals say."""
    assert invoice.totals is not None
    total = invoice.totals.discount_amount
    if not invoice.discounts or not total:
        return []
    base = sum((line.amount or 0) - (line.discount_amount or 0) for line in invoice.lines)
    parts = allocate(total, [d.amount_on(base) for d in invoice.discounts])
    return [(_discount_label(d, fmt, words["discount"]), part)
            for d, part in zip(invoice.discounts, parts, strict=True) if part]


def _discount_label(discount: Discount, fmt: _Fmt, word: str) -> str:
    details = [d for d in (discount.description,
                           fmt.percent(discount.percent_off) if discount.percent_off is not None else None) if d]
    return f"{word} ({', '.join(details)})" if details else word


def _tax_name(name: str, words: dict[str, str]) -> str:
    # The domain names tax "VAT" in English; a manual rate's own name ("GST") is printed as written.
    return words["vat"] if name == "VAT" else name


def _tax_group_view(category: str, percent: Decimal, name: str, taxable: int, tax: int, fmt: _Fmt,
                    words: dict[str, str]) -> dict[str, str]:
    label = _tax_name(name, words) if category == "S" else words.get(f"category_{category}", category)
    return {"label": f"{label} {fmt.percent(percent)}", "taxable": fmt.money(taxable), "tax": fmt.money(tax)}


def _exemption_notes(reasons: list[str | None], locale: Locale) -> list[str]:
    notes: list[str] = []
    for reason in reasons:
        note = exemption_note(reason, locale)
        if note and note not in notes:
            notes.append(note)
    return notes


def _tax_ids(tax_ids: list[TaxId], words: dict[str, str]) -> list[tuple[str, str]]:
    return [(_NOT_VAT_LABELS.get(t.type, words["vat_id"]), t.value) for t in tax_ids]


def _address_lines(address: Address | None, locale: Locale, *, with_country: bool = True) -> list[str]:
    if address is None:
        return []
    lines = [address.line1]
    if address.line2:
        lines.append(address.line2)
    if address.country in ("US", "CA", "AU"):
        region = " ".join(p for p in (address.state, address.postal_code) if p)
        lines.append(f"{address.city}, {region}" if region else address.city)
    elif address.country == "GB":
        lines += [p for p in (address.city, address.postal_code) if p]
    else:
        lines.append(" ".join(p for p in (address.postal_code, address.city) if p))
        if address.state:
            lines.append(address.state)
    if with_country:
        lines.append(locale.territories.get(address.country, address.country))
    return lines


def _group_iban(iban: str) -> str:
    compact = re.sub(r"\s+", "", iban).upper()
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def _brand(seller: Account) -> dict[str, Any]:
    branding = seller.branding
    color = branding.primary_color if _COLOR.match(branding.primary_color) else DEFAULT_COLOR
    # Headings take the brand colour only when it is dark enough to read on white (WCAG 4.5:1);
    # a light brand colour still draws the rules and borders.
    text_color = color if _contrast_with_white(color) >= 4.5 else "#1a1a1a"
    font = branding.font if branding.font in FONTS else "Inter"
    return {"color": Markup(color), "text_color": Markup(text_color), "font": font}  # noqa: S704 - validated


def _contrast_with_white(color: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i:i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


def _logo_uri(seller: Account) -> str | None:
    """The seller's logo as a data: URI (an SVG document is never pasted into our HTML)."""
    branding = seller.branding
    if branding.logo_svg:
        return "data:image/svg+xml;base64," + base64.b64encode(branding.logo_svg.encode("utf-8")).decode("ascii")
    if branding.logo_png_base64:
        compact = re.sub(r"\s+", "", branding.logo_png_base64)
        try:
            data = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            data = b""
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            logger.warning("The account's logo_png_base64 is not a base64-encoded PNG; the logo is left out")
            return None
        return "data:image/png;base64," + compact
    return None
