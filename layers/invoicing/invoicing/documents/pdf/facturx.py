"""Factur-X / ZUGFeRD: a rendered document as a PDF/A-3b with its CII XML embedded.

WeasyPrint writes the PDF/A-3b itself (`pdf_variant="pdf/a-3b"`: sRGB output intent, embedded
fonts, XMP with pdfaid part 3 / B) and embeds the XML as an `Attachment` with its relationship
("Data"), and each supporting document's file as one more (`supporting_attachments`, "Supplement");
the documented `finisher` hook adds the Factur-X XMP properties to the packet WeasyPrint wrote,
through pydyf's `PDF` object (WeasyPrint's PDF writer, a documented library of its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from invoicing.documents.pdf.engine import PdfOptions
from invoicing.documents.pdf.fetcher import data_only_url_fetcher

if TYPE_CHECKING:
    from collections.abc import Sequence

    from invoicing.domain.references import EmbeddedFile


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
    # ZUGFeRD's XRECHNUNG profile: the CII of an XRechnung customer (domain/xrechnung.py).
    "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0": "XRECHNUNG",
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

    def pdf_options(self) -> PdfOptions:
        """What `write_pdf` needs for this Factur-X: the PDF/A-3b variant, the XML as an associated
        file, and the finisher that adds the Factur-X XMP properties."""
        from weasyprint import Attachment

        attachment = Attachment(
            string=self.xml, url_fetcher=data_only_url_fetcher(), name=FACTURX_FILENAME,
            description=f"Factur-X invoice ({self.level})",
            # Factur-X 1.0.07: "Data" is allowed for every profile and required for MINIMUM and BASIC WL.
            relationship="Data",
            created=self.made_at, modified=self.made_at,
        )
        return PdfOptions({"pdf_variant": "pdf/a-3b", "attachments": [attachment]}, self._add_xmp_properties)

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


def facturx_options(xml: bytes, made: datetime | date) -> PdfOptions:
    """The `write_pdf` options that make a document Factur-X with `xml`; `made` is when the XML
    was made final, the embedded file's date."""
    return FacturX.of(xml, made if isinstance(made, datetime) else datetime.combine(made, time(), UTC)).pdf_options()


def supporting_attachments(files: Sequence[EmbeddedFile], made: datetime | date) -> list[Any]:
    """Each supporting document's file (BG-24) as a `weasyprint.Attachment` of the PDF: named as
    the invoice names it, typed by its MIME code (a `data:` URI carries it, so the embedded file's
    /Subtype is that code, not a guess from the name), and, in a PDF/A-3, an associated file with
    the relationship "Supplement" (Factur-X 1.0.07: files that supplement the invoice)."""
    if not files:
        return []
    from weasyprint import Attachment

    when = made if isinstance(made, datetime) else datetime.combine(made, time(), UTC)
    return [Attachment(url=f"data:{f.mime_code};base64,{f.content_base64}", url_fetcher=data_only_url_fetcher(),
                       name=f.filename, description=f.description or f.document_id, relationship="Supplement",
                       created=when.astimezone(UTC), modified=when.astimezone(UTC))
            for f in files]
