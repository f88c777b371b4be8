"""Issue 12 through the API over moto: the seller's and buyer's details, delivery, references and
supporting documents go in as JSON and come out in the PDF and both e-invoices, which the official
CEN rules accept; bad identifiers and files are refused with a 400 naming the field."""

from __future__ import annotations

import base64
import io
import urllib.parse

from lxml import etree
from pypdf import PdfReader

from invoicing.documents.einvoice.validation import validate_cii, validate_ubl
from tests.integration.conftest import HandlerStack
from tests.integration.test_api import SELLER, swedish_customer

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"


def stored(stack: HandlerStack, link: dict) -> bytes:
    path = urllib.parse.unquote(urllib.parse.urlparse(link["url"]).path.lstrip("/"))
    return stack.s3.get_object(Bucket=stack.bucket, Key=path.removeprefix(f"{stack.bucket}/"))["Body"].read()


def test_details_reach_the_pdf_and_both_einvoices(stack: HandlerStack) -> None:
    account = stack.ok("POST", "/account", {
        **SELLER, "legal_registration_id": "5567037485",
        "contact": {"name": "Eva Ek", "phone": "+46 8 555 010 20"},
        "identifiers": [{"value": "7300010000001", "scheme": "0088"}],
        "trading_name": "Seller Data", "additional_legal_info": "Godkänd för F-skatt"})
    assert account["contact"] == {"name": "Eva Ek", "phone": "+46 8 555 010 20", "email": None}
    assert account["additional_legal_info"] == "Godkänd för F-skatt"
    customer = swedish_customer(
        stack, identifier={"value": "400000 1123452", "scheme": "0088"}, legal_registration_id="5560360793",
        contact={"name": "Maria Lindqvist"},
        delivery={"name": "Lager 3", "address": {"line1": "Hamngatan 3", "city": "Göteborg", "country": "SE"}})
    assert customer["identifier"] == {"value": "4000001123452", "scheme": "0088"}  # compact, check digit OK
    draft = stack.ok("POST", "/invoices", {
        "customer": customer["id"], "lines": [{"description": "Konsulttimmar", "quantity": "2", "unit_amount": 100000}],
        "references": {"contract": "AGR-14", "project": "PRJ-7", "buyer_accounting_reference": "4010"},
        "supporting_documents": [
            {"id": "TS-03", "description": "Tidrapport", "attachment": {
                "filename": "tidrapport.pdf", "mime_code": "application/pdf",
                "content_base64": base64.b64encode(PDF).decode()}}]})
    assert draft["references"]["contract"] == "AGR-14" and draft["references"]["sales_order"] is None
    assert draft["supporting_documents"][0]["attachment"]["filename"] == "tidrapport.pdf"
    assert draft["delivery"] is None  # the customer's applies: the invoice names none of its own
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert stack.deliver()["failed"] == 0

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(stored(
        stack, stack.ok("GET", f"/invoices/{invoice['id']}/pdf")))).pages)
    for printed in ("Godkänd för F-skatt", "AGR-14", "PRJ-7", "Lager 3", "Hamngatan 3", "Att. Maria Lindqvist",
                    "GLN: 4000001123452", "TS-03"):
        assert printed in text, printed
    ubl = stored(stack, stack.ok("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "ubl"}))
    cii = stored(stack, stack.ok("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "cii"}))
    assert validate_ubl(ubl).ok and validate_ubl(ubl).warnings == []
    assert validate_cii(cii).ok
    root = etree.fromstring(ubl)
    assert root.findtext(f"{{{CAC}}}ContractDocumentReference/{{{CBC}}}ID") == "AGR-14"
    assert root.findtext(f"{{{CAC}}}Delivery/{{{CAC}}}DeliveryParty/{{{CAC}}}PartyName/{{{CBC}}}Name") == "Lager 3"


def test_bad_identifiers_and_files_are_refused_naming_the_field(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    status, payload = stack.call("POST", "/customers", {"name": "X", "identifier": {"value": "7300010000002",
                                                                                   "scheme": "0088"}})
    assert status == 400 and payload["error"]["param"].startswith("identifier")
    assert "GLN" in payload["error"]["message"]
    customer = swedish_customer(stack)
    for attachment, said in (
            ({"filename": "a.exe", "mime_code": "application/x-msdownload", "content_base64": "TVqQAAMA"},
             "mime_code"),
            ({"filename": "a.pdf", "mime_code": "application/pdf",
              "content_base64": base64.b64encode(b"\x89PNG\r\n\x1a\nrest").decode()}, "not a application/pdf"),
            ({"filename": "a.pdf", "mime_code": "application/pdf",
              "content_base64": base64.b64encode(b"%PDF-" + b"0" * 48_100).decode()}, "at most 48000"),
            ({"filename": "Factur-X.xml", "mime_code": "text/csv",
              "content_base64": base64.b64encode(b"a;b\n").decode()}, "factur-x.xml is the name")):
        status, payload = stack.call("POST", "/invoices", {
            "customer": customer["id"], "lines": [{"description": "Work", "unit_amount": 100}],
            "supporting_documents": [{"id": "D1", "attachment": attachment}]})
        assert status == 400, payload
        assert payload["error"]["param"].startswith("supporting_documents"), payload
        assert said in payload["error"]["message"] or said in payload["error"]["param"], payload
    same = {"filename": "tidrapport.pdf", "mime_code": "application/pdf",
            "content_base64": base64.b64encode(PDF).decode()}
    status, payload = stack.call("POST", "/invoices", {
        "customer": customer["id"], "lines": [{"description": "Work", "unit_amount": 100}],
        "supporting_documents": [{"id": "D1", "attachment": same}, {"id": "D2", "attachment": same}]})
    assert status == 400 and "a name of its own" in payload["error"]["message"], payload
    assert len(stack.ok("GET", "/invoices")["data"]) == 0  # nothing written
