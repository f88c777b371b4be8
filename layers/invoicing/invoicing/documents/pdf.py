"""Branded PDFs of finalized invoices and credit notes: jinja2 HTML rendered by WeasyPrint.

Everything a document shows comes from the invoice itself: the seller and customer snapshots
taken at finalization, the priced lines and the totals. Nothing is fetched while rendering:
a URL fetcher accepts only `data:` URIs (the logo is inlined as one), fonts are the system's
(Inter, falling back to DejaVu Sans). Templates are compiled when this module is imported;
WeasyPrint, its font configuration and the parsed stylesheets are created on first use and kept
for the container's warm invocations. Importing this module does not import WeasyPrint.

A EUR invoice carries an EPC069-12 payment QR code (segno, drawn as inline SVG) with the amount
left to pay and the RF creditor reference. Given the CII XML, a document is written as a
Factur-X / ZUGFeRD PDF/A-3b by WeasyPrint itself (see `FacturX`).

Speed (bench/pdf_render.py, bench/README.md): the templates are XHTML, read by the C XML parser
rather than WeasyPrint's pure-Python HTML5 parser; whitespace between tags is dropped before
WeasyPrint sees it; a small user-agent stylesheet replaces WeasyPrint's full HTML5 one; pydyf
deflates the PDF's streams at zlib's default level 6 instead of 9. Tests check that each shortcut
draws the same pixels as plain WeasyPrint.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import ssl
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote_to_bytes
from xml.etree import ElementTree

from babel import Locale
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from invoicing.documents.formatting import (
    exemption_note,
    format_date,
    format_money,
    format_payment_reference,
    format_percent,
    format_quantity,
    format_unit,
    format_unit_price,
    labels,
    resolve_locale,
)
from invoicing.domain.errors import Conflict
from invoicing.domain.money import allocate, to_major
from invoicing.domain.totals import Charge, Discount

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
_STYLESHEET = resources.files("invoicing.documents").joinpath("templates/invoice.css").read_text(encoding="utf-8")
_USER_AGENT_STYLESHEET = resources.files("invoicing.documents").joinpath("templates/user-agent.css") \
    .read_text(encoding="utf-8")


# --- rendering ------------------------------------------------------------------------------


def render_invoice_html(invoice: Invoice) -> str:
    """The finalized invoice as an HTML document (the PDF's source; also usable for previews)."""
    return _tight(_INVOICE_TEMPLATE.render(_invoice_context(invoice)))


def render_invoice_pdf(invoice: Invoice, *, facturx_xml: bytes | None = None) -> bytes:
    """The finalized invoice as an A4 PDF, in its customer's language, fetching nothing.

    With `facturx_xml` (the invoice as CII XML) the PDF is a Factur-X / ZUGFeRD e-invoice:
    PDF/A-3b with the XML embedded as `factur-x.xml` and declared in the XMP metadata."""
    return html_to_pdf(render_invoice_html(invoice), facturx=_facturx(facturx_xml, _finalized_at(invoice)))


def render_credit_note_html(credit_note: CreditNote, invoice: Invoice) -> str:
    """A credit note as HTML, laid out like the invoice it corrects."""
    return _tight(_CREDIT_NOTE_TEMPLATE.render(_credit_note_context(credit_note, invoice)))


def render_credit_note_pdf(credit_note: CreditNote, invoice: Invoice, *, facturx_xml: bytes | None = None) -> bytes:
    """A credit note as an A4 PDF, in the customer's language, fetching nothing; with
    `facturx_xml` (the credit note as CII XML) a Factur-X PDF/A-3b, like `render_invoice_pdf`."""
    html = render_credit_note_html(credit_note, invoice)
    return html_to_pdf(html, facturx=_facturx(facturx_xml, credit_note.issue_date))


def html_to_pdf(html: str, *, facturx: FacturX | None = None) -> bytes:
    """Lay out one of our documents with the cached engine; only `data:` URIs are ever loaded."""
    engine = _engine()
    document = _parse(html, engine)
    options: dict[str, Any] = {}
    if facturx is not None:
        options = facturx.write_pdf_options(engine.url_fetcher)
    pdf = document.write_pdf(stylesheets=[engine.stylesheet], font_config=engine.font_config, **options)
    assert isinstance(pdf, bytes)
    return pdf


# Whitespace between two tags: it renders as nothing in our documents, but every run of it is a
# text node WeasyPrint would carry through styling, box building and layout.
_BETWEEN_TAGS = re.compile(r">\s+<")


def _tight(html: str) -> str:
    return _BETWEEN_TAGS.sub("><", html)


def _parse(html: str, engine: _Engine) -> Any:
    """Our templates are well-formed XHTML, so the C XML parser reads them, ~50 times faster than
    WeasyPrint's HTML5 parser (pure Python) and into the same tree (explicit <tbody>, no implied
    elements). Text the XML parser refuses (a control character in a customer's name) takes the
    HTML5 parser, which accepts anything."""
    try:
        # Safe: every value in the document is escaped by the template and the only DOCTYPE is ours
        # (no entity declarations), so there is nothing for an entity expansion to expand.
        root = ElementTree.fromstring(html)  # noqa: S314
    except ElementTree.ParseError:
        return engine.html_class(string=html, url_fetcher=engine.url_fetcher, base_url=None)
    return engine.parsed_html_class(root, engine.url_fetcher)


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
    parsed_html_class: Any
    stylesheet: Any
    font_config: Any
    url_fetcher: Any


@cache
def _engine() -> _Engine:
    # Imported here: only the document function pays for WeasyPrint (and Pango) at cold start.
    import segno.helpers  # noqa: F401 - the payment QR codes; a layer without it fails here, at cold start
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    from invoicing.documents import shared_lines, shared_styles

    _deflate_at_level_6()
    shared_styles.install()
    shared_lines.install()
    fetcher = data_only_url_fetcher()
    font_config = FontConfiguration()
    stylesheet = weasyprint.CSS(string=_STYLESHEET, font_config=font_config, url_fetcher=fetcher)
    html_class, parsed_html_class = _html_classes(user_agent_stylesheet())
    return _Engine(html_class, parsed_html_class, stylesheet, font_config, fetcher)


# zlib's default level: on a 1-page invoice's streams (page content and three ~33 kB font
# subsets) level 9 takes ~10 ms and level 6 ~4 ms, for 0.2 % more bytes (bench/README.md).
_DEFLATE_LEVEL = 6


class _Deflate:
    """pydyf's `zlib`, with every compressor at `_DEFLATE_LEVEL` rather than the level 9 pydyf
    0.13 asks for on each stream; everything else is zlib itself."""

    @staticmethod
    def compressobj(level: int = _DEFLATE_LEVEL, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(_DEFLATE_LEVEL, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)


def _deflate_at_level_6() -> None:
    """Have pydyf (WeasyPrint's PDF writer) deflate streams at zlib's default level. Same PDF
    objects, same Flate filter, same pixels; only the compressed bytes differ. Left alone if
    pydyf no longer reads a module-level `zlib` (a test notices)."""
    import pydyf

    if getattr(pydyf, "zlib", None) is zlib:
        pydyf.zlib = _Deflate()


@cache
def user_agent_stylesheet() -> Any:
    """Our documents' user-agent stylesheet (templates/user-agent.css), parsed once."""
    import weasyprint
    from weasyprint.html import UA_COUNTER_STYLE

    return weasyprint.CSS(string=_USER_AGENT_STYLESHEET, counter_style=UA_COUNTER_STYLE,
                          url_fetcher=data_only_url_fetcher())


def _html_classes(user_agent: Any) -> tuple[Any, Any]:
    import cssselect2
    import weasyprint

    class DocumentHTML(weasyprint.HTML):
        """WeasyPrint's HTML with our small user-agent stylesheet instead of the full HTML5 one,
        and computed styles reused from earlier documents (shared_styles.py)."""

        shares_styles = True

        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [user_agent]

    class ParsedHTML(DocumentHTML):
        """The same over an already parsed tree: what HTML.__init__ sets after parsing (WeasyPrint
        70; a test renders our documents both ways and compares the pixels)."""

        def __init__(self, root: ElementTree.Element, url_fetcher: Any) -> None:
            self.base_url = None
            self.url_fetcher = url_fetcher
            self.media_type = "print"
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
            self.etree_element = self.wrapper_element.etree_element

    return DocumentHTML, ParsedHTML


@cache
def data_only_url_fetcher() -> Any:
    """A WeasyPrint URL fetcher that decodes `data:` URIs itself and refuses every other URL
    (http, https, ftp, file...) with `ResourceRefused`: a document cannot reach the network or
    the file system, whatever its SVG logo or text contains."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class DataOnlyURLFetcher(URLFetcher):
        def __init__(self) -> None:
            # The TLS context is never used (nothing but data: URIs is fetched): a bare one spares
            # loading the system's CA certificates, ~45 ms of a cold start.
            super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False,
                             ssl_context=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))

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


# --- Factur-X / ZUGFeRD --------------------------------------------------------------------


class InvalidFacturX(ValueError):
    """The XML given for a Factur-X PDF is not a CII invoice of a Factur-X profile."""


FACTURX_FILENAME = "factur-x.xml"
_FACTURX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
_CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_RAM_NS = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
# BT-24 (the specification identifier in the XML) -> the profile's name in the XMP (Factur-X 1.0.07, 7.2.2).
FACTURX_PROFILES = {
    "urn:factur-x.eu:1p0:minimum": "MINIMUM",
    "urn:factur-x.eu:1p0:basicwl": "BASIC WL",
    "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic": "BASIC",
    "urn:cen.eu:en16931:2017": "EN 16931",
    "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended": "EXTENDED",
}
# The XMP properties Factur-X requires, and their PDF/A extension schema (PDF/A accepts only
# properties whose schema is described in the file itself), worded as the factur-x library writes it.
_FACTURX_XMP = """<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
<fx:DocumentType>INVOICE</fx:DocumentType>
<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>
<fx:Version>1.0</fx:Version>
<fx:ConformanceLevel>{level}</fx:ConformanceLevel>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
 xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>fx</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq>
{properties}
</rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
</rdf:RDF>"""
_FACTURX_PROPERTY = """<rdf:li rdf:parseType="Resource"><pdfaProperty:name>{name}</pdfaProperty:name>\
<pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>\
<pdfaProperty:description>{description}</pdfaProperty:description></rdf:li>"""
_FACTURX_PROPERTIES = "\n".join(_FACTURX_PROPERTY.format(name=name, description=description) for name, description in (
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
))


@dataclass(frozen=True)
class FacturX:
    """What turns a rendered document into a Factur-X e-invoice: the CII XML and its profile."""

    xml: bytes
    level: str  # the profile as the XMP names it: "EN 16931", "BASIC"...
    made_at: datetime  # when the XML was made (the document's finalization), for the embedded file

    @classmethod
    def of(cls, xml: bytes, made_at: datetime) -> FacturX:
        """Read the profile from the XML's specification identifier (BT-24). The XML is our own
        (the e-invoice generator's); it is checked to be CII, not validated here."""
        if b"<!DOCTYPE" in xml:  # (the keyword is case-sensitive; in text it would be escaped)
            raise InvalidFacturX("A Factur-X XML must not declare a DOCTYPE")
        try:
            root = ElementTree.fromstring(xml)  # noqa: S314 - our own XML, refused above if it has a DOCTYPE
        except ElementTree.ParseError as exc:
            raise InvalidFacturX(f"The Factur-X XML is not well-formed: {exc}") from exc
        if root.tag != f"{{{_CII_NS}}}CrossIndustryInvoice":
            raise InvalidFacturX(f"A Factur-X XML is a CII CrossIndustryInvoice, not {root.tag}")
        guideline = root.findtext(
            f"{{{_CII_NS}}}ExchangedDocumentContext/{{{_RAM_NS}}}GuidelineSpecifiedDocumentContextParameter"
            f"/{{{_RAM_NS}}}ID", default="").strip()
        if guideline not in FACTURX_PROFILES:
            raise InvalidFacturX(f"Not a Factur-X profile: specification identifier '{guideline}'")
        return cls(xml=xml, level=FACTURX_PROFILES[guideline], made_at=made_at.astimezone(UTC))

    def write_pdf_options(self, url_fetcher: Any) -> dict[str, Any]:
        """WeasyPrint writes the PDF/A-3b itself (sRGB output intent, embedded fonts, XMP with
        pdfaid part 3 / B, the file's /AF entry); the finisher adds the Factur-X XMP properties."""
        from weasyprint import Attachment

        attachment = Attachment(
            string=self.xml, url_fetcher=url_fetcher, name=FACTURX_FILENAME,
            description=f"Factur-X invoice ({self.level})",
            # Factur-X 1.0.07: "Data" is allowed for every profile and required for MINIMUM and BASIC WL.
            relationship="Data",
            created=self.made_at, modified=self.made_at,
        )
        return {"pdf_variant": "pdf/a-3b", "attachments": [attachment], "finisher": self._add_xmp_properties}

    def _add_xmp_properties(self, document: Any, pdf: Any) -> None:
        # The XMP packet WeasyPrint wrote for PDF/A, with the Factur-X properties and their schema
        # merged into its one rdf:RDF (a second rdf:RDF in the packet would be ignored by readers).
        # pdfaid part and conformance become elements, the form every PDF/A and Factur-X reader knows.
        stream = pdf.objects[int(pdf.catalog["Metadata"].split()[0])]
        packet = b"".join(stream.stream)
        start, end = packet.index(b"<rdf:RDF"), packet.rindex(b"</rdf:RDF>") + len(b"</rdf:RDF>")
        rdf = ElementTree.fromstring(packet[start:end])  # noqa: S314 - the packet WeasyPrint just wrote
        for description in rdf:
            for name in ("part", "conformance"):
                value = description.attrib.pop(f"{{{_PDFAID_NS}}}{name}", None)
                if value is not None:
                    ElementTree.SubElement(description, f"{{{_PDFAID_NS}}}{name}").text = value
        extension = _FACTURX_XMP.format(level=self.level, properties=_FACTURX_PROPERTIES)
        rdf.extend(ElementTree.fromstring(extension))  # noqa: S314 - our constant
        stream.stream = [packet[:start], ElementTree.tostring(rdf, encoding="utf-8", xml_declaration=False),
                         packet[end:]]
        # WeasyPrint 70 lists an attachment in the catalog's /AF twice (once from the EmbeddedFiles
        # name tree, once as a file specification): each associated file once is enough.
        if "AF" not in pdf.catalog:
            raise RuntimeError("WeasyPrint did not embed factur-x.xml as an associated file")
        associated = pdf.catalog["AF"]
        associated[:] = list(dict.fromkeys(associated))


_PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"
for _prefix, _uri in (("fx", _FACTURX_NS), ("pdfaid", _PDFAID_NS),
                      ("pdfaExtension", "http://www.aiim.org/pdfa/ns/extension/"),
                      ("pdfaSchema", "http://www.aiim.org/pdfa/ns/schema#"),
                      ("pdfaProperty", "http://www.aiim.org/pdfa/ns/property#"),
                      ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#")):
    ElementTree.register_namespace(_prefix, _uri)


def _facturx(xml: bytes | None, made: datetime | date) -> FacturX | None:
    if xml is None:
        return None
    return FacturX.of(xml, made if isinstance(made, datetime) else datetime.combine(made, time(), UTC))


def _finalized_at(invoice: Invoice) -> datetime | date:
    """When the invoice (and so its XML) was made final: the embedded file's date."""
    if invoice.status_transitions.finalized_at is not None:
        return invoice.status_transitions.finalized_at
    _require_finalized(invoice)
    assert invoice.issue_date is not None
    return invoice.issue_date


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
    for label, amount in _invoice_charges(invoice, fmt, words):
        row(label, fmt.money(amount))
    if totals.discount_amount or totals.charge_amount:
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
    if invoice.payment_reference:
        # First and largest: the one thing a payer must copy exactly for the payment to find this invoice.
        payment_details.append({"label": words["payment_reference"], "kind": "reference",
                                "value": format_payment_reference(invoice.payment_reference)})
    if seller.iban:
        payment_details.append({"label": words["iban"], "kind": "", "value": _group_iban(seller.iban)})
    if seller.bic:
        payment_details.append({"label": words["bic"], "kind": "", "value": seller.bic})

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
        "payment_qr": _payment_qr_uri(invoice, seller),
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
    charge_amount = line.charge_amount or 0
    # Tax-inclusive lines show their gross after discounts and charges; the net is derived per group.
    shown = amount - discount_amount + charge_amount if inclusive \
        else (line.net_amount if line.net_amount is not None else 0)
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
    # Charges print beside the discounts, each as the domain computed it (on the line's amount).
    charges = [f"{_charge_label(c, fmt, words['line_charge'])}: +{fmt.money(c.amount_on(amount))}"
               for c in line.charges if c.amount_on(amount)]
    return {
        "description": line.description,
        "period": period,
        "quantity": f"{quantity}\u00a0{unit}" if unit else quantity,
        "unit_price": format_unit_price(line.unit_amount_decimal, fmt.currency, fmt.locale),
        "tax_rate": fmt.percent(line.tax.percent) if line.tax is not None else "",
        "amount": fmt.money(shown),
        "discounts": discounts,
        "charges": charges,
    }


def _lines_base(invoice: Invoice) -> int:
    # What invoice-level discounts and charges are computed on: every line after its own
    # discounts and charges (as compute_totals does).
    return sum((line.amount or 0) - (line.discount_amount or 0) + (line.charge_amount or 0)
               for line in invoice.lines)


_Adjustment = TypeVar("_Adjustment", Discount, Charge)


def _invoice_discounts(invoice: Invoice, fmt: _Fmt, words: dict[str, str]) -> list[tuple[str, int]]:
    """Each invoice-level discount with its share of the totals' discount (which is net of tax),
    so that the rows always add up to what the totals say."""
    assert invoice.totals is not None
    return _shares(invoice, invoice.discounts, invoice.totals.discount_amount,
                   lambda d: _discount_label(d, fmt, words["discount"]))


def _invoice_charges(invoice: Invoice, fmt: _Fmt, words: dict[str, str]) -> list[tuple[str, int]]:
    """Each invoice-level charge (freight, handling) with its share of the totals' charge amount
    (net of tax), so that the rows add up to BT-108 whatever the rounding."""
    assert invoice.totals is not None
    return _shares(invoice, invoice.charges, invoice.totals.charge_amount,
                   lambda c: _charge_label(c, fmt, words["charge"]))


def _shares(invoice: Invoice, adjustments: Sequence[_Adjustment], total: int,
            label: Callable[[_Adjustment], str]) -> list[tuple[str, int]]:
    """`total` allocated over the invoice-level discounts or charges in proportion to what each
    computes on the lines, as labelled rows (a zero share is left out)."""
    if not adjustments or not total:
        return []
    base = _lines_base(invoice)
    parts = allocate(total, [a.amount_on(base) for a in adjustments])
    return [(label(a), part) for a, part in zip(adjustments, parts, strict=True) if part]


def _discount_label(discount: Discount, fmt: _Fmt, word: str) -> str:
    details = [d for d in (discount.description,
                           fmt.percent(discount.percent_off) if discount.percent_off is not None else None) if d]
    return f"{word} ({', '.join(details)})" if details else word


def _charge_label(charge: Charge, fmt: _Fmt, word: str) -> str:
    """`Freight`, `Freight (5 %)`, or the generic word when the charge has no description."""
    percent = fmt.percent(charge.percent) if charge.percent is not None else None
    name = charge.description or word
    return f"{name} ({percent})" if percent else name


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


# EPC069-12: a SEPA credit transfer of 0.01 to 999 999 999.99 euros.
_EPC_MAX_AMOUNT = Decimal("999999999.99")


def _payment_qr_uri(invoice: Invoice, seller: Account) -> str | None:
    """An EPC069-12 ("GiroCode") payment QR code as an SVG data: URI, for what is left to pay on a
    EUR invoice to the seller's IBAN; None when a SEPA credit transfer cannot pay it (another
    currency, no IBAN, nothing or too much to pay, void)."""
    if invoice.currency != "EUR" or not seller.iban or invoice.status == "void":
        return None
    amount = to_major(invoice.amount_remaining, invoice.currency)
    if not Decimal("0.01") <= amount <= _EPC_MAX_AMOUNT:
        return None
    return _epc_qr_svg_uri(
        seller.name.strip()[:70],
        re.sub(r"\s+", "", seller.iban).upper(),
        amount,
        (seller.bic or "").strip().upper(),
        re.sub(r"\s+", "", invoice.payment_reference or "").upper(),
        invoice.number or "",
    )


@lru_cache(maxsize=256)
def _epc_qr_svg_uri(name: str, iban: str, amount: Decimal, bic: str, reference: str, number: str) -> str:
    # segno is imported here, like WeasyPrint: only the document function pays for it.
    from segno.helpers import make_epc_qr
    from stdnum import iso11649

    # A valid RF creditor reference goes in the structured field, which a bank passes on as
    # such; anything else can only travel as unstructured remittance text.
    if iso11649.is_valid(reference):
        remittance = {"reference": reference}
    else:
        remittance = {"text": reference or number}
    # UTF-8 (character set 1): every EPC-compliant banking app reads it, and names keep their letters.
    qr = make_epc_qr(name=name, iban=iban, amount=amount, bic=bic or None, encoding="utf-8", **remittance)
    return str(qr.svg_data_uri(scale=1, border=4, omitsize=True, dark="#000", nl=False))


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
