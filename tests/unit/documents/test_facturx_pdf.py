"""Factur-X / ZUGFeRD: the PDF is PDF/A-3b with the CII XML embedded and declared in the XMP.

There is no veraPDF here (a Java validator, not in our package registries), so these tests check
the structure a PDF/A-3 and Factur-X validator checks: identification, output intent, embedded
fonts, the associated file and its relationship, and the XMP extension schema.
"""

import base64
import io
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import facturx  # the reference library reads our PDFs back (requirements-dev.txt)
import pytest
from pypdf import PdfReader

from invoicing.documents.pdf import InvalidFacturX, render_credit_note_pdf, render_invoice_pdf
from invoicing.domain.invoice import Invoice
from invoicing.domain.references import Attachment, SupportingDocument

from . import samples

CII = Path(__file__).parents[1] / "einvoice" / "samples" / "cii-en16931-valid.xml"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDFAID = "http://www.aiim.org/pdfa/ns/id/"
FX = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"


@pytest.fixture(scope="module")
def xml() -> bytes:
    return CII.read_bytes()


@pytest.fixture(scope="module")
def pdf(xml) -> bytes:
    return render_invoice_pdf(samples.swedish_invoice(), facturx_xml=xml)


def xmp_packet(reader: PdfReader) -> str:
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")


def xmp_properties(packet: str) -> dict[str, str]:
    """Every simple property of the XMP, whether written as an element or as an attribute."""
    rdf = ElementTree.fromstring(packet[packet.index("<rdf:RDF"):packet.rindex("</rdf:RDF>") + 10])
    found: dict[str, str] = {}
    for description in rdf.iter(f"{{{RDF}}}Description"):
        found.update({k: v for k, v in description.attrib.items() if not k.startswith(f"{{{RDF}}}")})
        found.update({child.tag: (child.text or "").strip() for child in description if len(child) == 0})
    return found


def test_the_xml_is_embedded_as_factur_x_xml_and_reads_back_identical(pdf, xml):
    filename, embedded = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    assert embedded == xml


def test_the_embedded_file_is_an_associated_file_with_relationship_data(pdf, xml):
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == "factur-x.xml"
    filespec = names[1].get_object()
    assert filespec["/AFRelationship"] == "/Data"
    assert filespec["/F"] == filespec["/UF"] == "factur-x.xml"
    assert [ref.get_object() for ref in root["/AF"]] == [filespec]  # listed once in the catalog's /AF
    stream = filespec["/EF"]["/F"].get_object()
    assert stream["/Subtype"] == "/text/xml"
    assert stream["/Params"]["/ModDate"] == "D:20260315093000Z"  # the invoice's finalization
    assert stream["/Params"]["/Size"] == len(xml)


def test_the_xmp_identifies_pdf_a_3b_and_carries_the_factur_x_extension_schema(pdf):
    packet = xmp_packet(PdfReader(io.BytesIO(pdf)))
    for expected in ["pdfaid:part>3<", "pdfaid:conformance>B<", "fx:ConformanceLevel>EN 16931<",
                     "fx:DocumentType>INVOICE<", "fx:DocumentFileName>factur-x.xml<", "fx:Version>1.0<",
                     f"<pdfaSchema:namespaceURI>{FX}</pdfaSchema:namespaceURI>", "<pdfaSchema:prefix>fx<"]:
        assert expected in packet, expected
    properties = xmp_properties(packet)
    assert properties[f"{{{PDFAID}}}part"] == "3"
    assert properties[f"{{{PDFAID}}}conformance"] == "B"
    assert properties[f"{{{FX}}}ConformanceLevel"] == "EN 16931"
    assert packet.count("<rdf:RDF") == 1  # one RDF: readers ignore a second one
    for name in ["DocumentFileName", "DocumentType", "Version", "ConformanceLevel"]:
        assert f"<pdfaProperty:name>{name}</pdfaProperty:name>" in packet  # each fx property is described


def test_info_dictionary_and_xmp_agree(pdf):
    # PDF/A: each document information entry must equal its XMP counterpart.
    reader = PdfReader(io.BytesIO(pdf))
    info = reader.trailer["/Info"]
    properties = xmp_properties(xmp_packet(reader))
    assert properties["{http://ns.adobe.com/pdf/1.3/}Producer"] == info["/Producer"]
    assert properties["{http://ns.adobe.com/xap/1.0/}CreatorTool"] == info["/Creator"]
    packet = xmp_packet(reader)
    assert f">{info['/Title']}</rdf:li>" in packet and f"<rdf:li>{info['/Author']}</rdf:li>" in packet
    assert "/CreationDate" not in info and "/ModDate" not in info and "/Keywords" not in info


def test_pdf_a_has_an_srgb_output_intent_and_embeds_every_font(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.pdf_header == "%PDF-1.7"
    assert reader.trailer.get("/ID")
    (intent,) = reader.trailer["/Root"]["/OutputIntents"]
    assert intent["/S"] == "/GTS_PDFA1"
    assert "sRGB" in intent["/OutputConditionIdentifier"]
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3 and profile.get_data()[36:40] == b"acsp"  # an RGB ICC profile
    fonts = 0
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert {"/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]
            fonts += 1
    assert fonts >= 2


def test_the_document_still_reads_as_the_invoice(pdf):
    assert shutil.which("pdftotext"), "needs pdftotext: install poppler-utils (make setup)"
    content = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "INV-000001" in content and "Att betala" in content


def test_without_xml_the_pdf_is_plain(xml):
    reader = PdfReader(io.BytesIO(render_invoice_pdf(samples.swedish_invoice())))
    root = reader.trailer["/Root"]
    assert "/AF" not in root and "/Names" not in root and "/Metadata" not in root


def test_a_credit_note_as_factur_x(xml):
    invoice = samples.swedish_invoice()
    pdf = render_credit_note_pdf(samples.credit_note_for(invoice, 30000), invoice, facturx_xml=xml)
    assert facturx.get_xml_from_pdf(pdf, check_xsd=False) == ("factur-x.xml", xml)
    assert "fx:ConformanceLevel>EN 16931<" in xmp_packet(PdfReader(io.BytesIO(pdf)))
    assert "CN-000001" in " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_profile_comes_from_the_xml(xml):
    basic = xml.replace(b"<ram:ID>urn:cen.eu:en16931:2017</ram:ID>",
                        b"<ram:ID>urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic</ram:ID>")
    assert basic != xml
    pdf = render_invoice_pdf(samples.swedish_invoice(), facturx_xml=basic)
    assert "fx:ConformanceLevel>BASIC<" in xmp_packet(PdfReader(io.BytesIO(pdf)))


@pytest.mark.parametrize("bad", [
    b"not xml",
    b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
])
def test_anything_but_a_factur_x_cii_invoice_is_refused(bad, xml):
    with pytest.raises(InvalidFacturX):
        render_invoice_pdf(samples.swedish_invoice(), facturx_xml=bad)
    unknown = xml.replace(b"urn:cen.eu:en16931:2017<", b"urn:example:profile<")
    with pytest.raises(InvalidFacturX, match="urn:example:profile"):
        render_invoice_pdf(samples.swedish_invoice(), facturx_xml=unknown)


def test_names_with_markup_keep_the_xmp_well_formed(xml):
    customer = samples.german_customer(name='Evil "</rdf:RDF><x> & Söhne AB')
    seller = samples.swedish_seller(name="Norrsken <Analytics> & Co")
    invoice = samples.finalized([samples.line("Platform", "1", "100000")], seller=seller, customer=customer)
    pdf = render_invoice_pdf(invoice, facturx_xml=xml)
    reader = PdfReader(io.BytesIO(pdf))
    properties = xmp_properties(xmp_packet(reader))  # parses
    assert properties[f"{{{FX}}}ConformanceLevel"] == "EN 16931"
    assert reader.trailer["/Info"]["/Author"] == "Norrsken <Analytics> & Co"
    assert "&lt;Analytics&gt; &amp; Co" in xmp_packet(reader)


# A small but real PDF and a CSV: the supporting documents' files (BG-24) the invoice carries inline.
TIMESHEET = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
             b"trailer<</Root 1 0 R>>\n%%EOF\n")
HOURS = b"date;hours\n2026-03-02;7.5\n2026-03-03;8\n"


def with_supporting_files() -> Invoice:
    return samples.swedish_invoice(supporting_documents=(
        SupportingDocument(id="TS-2026-03", description="Tidrapport mars", attachment=Attachment(
            filename="tidrapport.pdf", mime_code="application/pdf",
            content_base64=base64.b64encode(TIMESHEET).decode())),
        SupportingDocument(id="DN-17", url="https://norrsken.example/dn/17"),
        SupportingDocument(id="HRS-03", attachment=Attachment(
            filename="timmar", mime_code="text/csv", content_base64=base64.b64encode(HOURS).decode())),
    ))


def embedded(pdf: bytes) -> dict[str, tuple[object, object]]:
    """Each embedded file by name: its file specification and its stream."""
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    return {str(names[i]): (names[i + 1].get_object(), names[i + 1].get_object()["/EF"]["/F"].get_object())
            for i in range(0, len(names), 2)}


def test_each_supporting_file_is_an_associated_file_with_relationship_supplement(xml):
    pdf = render_invoice_pdf(with_supporting_files(), facturx_xml=xml)
    files = embedded(pdf)

    assert list(files) == ["factur-x.xml", "tidrapport.pdf", "timmar"]  # the URL-only document has no file
    (xml_spec, _), (sheet_spec, sheet), (hours_spec, hours) = files.values()
    assert xml_spec["/AFRelationship"] == "/Data"
    assert sheet_spec["/AFRelationship"] == hours_spec["/AFRelationship"] == "/Supplement"
    assert sheet.get_data() == TIMESHEET and hours.get_data() == HOURS  # byte for byte
    assert sheet["/Subtype"] == "/application/pdf"
    assert hours["/Subtype"] == "/text/csv"  # from the MIME code, not guessed from the name
    assert sheet_spec["/Desc"] == "Tidrapport mars" and hours_spec["/Desc"] == "HRS-03"
    assert sheet["/Params"]["/ModDate"] == "D:20260315093000Z" and sheet["/Params"]["/Size"] == len(TIMESHEET)
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert [ref.idnum for ref in root["/AF"]] == [names[i].idnum for i in (1, 3, 5)]  # each once, in order
    # Still a Factur-X: the reference library finds the XML among the files; the PDF/A-3 identification holds.
    assert facturx.get_xml_from_pdf(pdf, check_xsd=True) == ("factur-x.xml", xml)
    properties = xmp_properties(xmp_packet(PdfReader(io.BytesIO(pdf))))
    assert properties[f"{{{PDFAID}}}part"] == "3" and properties[f"{{{FX}}}ConformanceLevel"] == "EN 16931"


def test_a_plain_pdf_embeds_the_supporting_files_too():
    files = embedded(render_invoice_pdf(with_supporting_files()))

    assert list(files) == ["tidrapport.pdf", "timmar"]
    assert files["tidrapport.pdf"][1].get_data() == TIMESHEET


def test_the_embedded_files_are_listed_by_name_in_lexical_order(xml):
    # A PDF name tree's keys are sorted (ISO 32000, 7.9.6): a file named before factur-x.xml comes first.
    invoice = samples.swedish_invoice(supporting_documents=(
        SupportingDocument(id="Z", attachment=Attachment(filename="zz.csv", mime_code="text/csv",
                                                         content_base64=base64.b64encode(HOURS).decode())),
        SupportingDocument(id="A", attachment=Attachment(filename="avtal.pdf", mime_code="application/pdf",
                                                         content_base64=base64.b64encode(TIMESHEET).decode())),
    ))
    pdf = render_invoice_pdf(invoice, facturx_xml=xml)
    assert list(embedded(pdf)) == ["avtal.pdf", "factur-x.xml", "zz.csv"]
    assert facturx.get_xml_from_pdf(pdf, check_xsd=False) == ("factur-x.xml", xml)
