"""Uploaded supporting documents (BG-24) through the API over moto: a file is declared, PUT to its
presigned URL (moto answers the HTTP PUT in-process), checked, named by an invoice, and embedded in
the UBL and the CII (base64, valid by the official CEN rules) and in the Factur-X PDF. A file that is
not what it was declared to be is rejected, and an invoice naming it is not finalized (409), with
nothing of the finalization written."""

from __future__ import annotations

import base64
import io
import urllib.parse

import requests
from lxml import etree
from pypdf import PdfReader

from invoicing.documents.einvoice.validation import validate_cii, validate_ubl
from invoicing.domain.references import MAX_ATTACHMENT_BYTES
from tests.integration.conftest import HandlerStack
from tests.integration.test_api import SELLER, swedish_customer
from tests.integration.test_en16931_details_api import stored

# A timesheet larger than an inline attachment may be: only an upload can carry it.
TIMESHEET = b"%PDF-1.4\n1 0 obj<<>>endobj\n" + b"%" + b"t" * (3 * MAX_ATTACHMENT_BYTES) + b"\ntrailer<<>>\n%%EOF\n"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"


def declare(stack: HandlerStack, filename: str, mime_code: str, size: int) -> dict:
    status, file = stack.call("POST", "/files", {"filename": filename, "mime_code": mime_code, "size": size,
                                                 "purpose": "supporting_document"})
    assert status == 201, file
    return file


def upload(file: dict, content: bytes, content_type: str | None = None) -> None:
    answer = requests.put(file["upload_url"], data=content,
                          headers={"Content-Type": content_type or file["mime_code"]}, timeout=10)
    assert answer.status_code == 200, answer.text


def draft_naming(stack: HandlerStack, customer: dict, file_id: str) -> dict:
    return stack.ok("POST", "/invoices", {
        "customer": customer["id"], "lines": [{"description": "Konsulttimmar", "quantity": "2", "unit_amount": 100000}],
        "supporting_documents": [{"id": "DN-1", "url": "https://kund.example/dn/1"},
                                 {"id": "TS-03", "description": "Tidrapport mars", "file": file_id}]})


def test_an_uploaded_file_is_checked_then_embedded_in_the_ubl_the_cii_and_the_pdf(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    customer = swedish_customer(stack)
    file = declare(stack, "tidrapport-mars.pdf", "application/pdf", len(TIMESHEET))
    assert file["id"].startswith("file_") and file["object"] == "file"
    assert (file["status"], file["size"], file["rejection"]) == ("pending", len(TIMESHEET), None)
    # The URL is SigV4, 15 minutes, signed for the declared type and length: S3 refuses any other PUT.
    url = urllib.parse.urlparse(file["upload_url"])
    query = urllib.parse.parse_qs(url.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Expires"] == ["900"]
    assert query["X-Amz-SignedHeaders"] == ["content-length;content-type;host"]
    assert url.path.endswith(f"/files/{stack.account_id}/{file['id']}")  # each account's files: a prefix of its own

    draft = draft_naming(stack, customer, file["id"])
    assert draft["supporting_documents"][1] == {"id": "TS-03", "description": "Tidrapport mars", "url": None,
                                                "attachment": None, "file": file["id"]}
    status, refused = stack.call("POST", f"/invoices/{draft['id']}/finalize")  # not uploaded yet
    assert status == 409, refused
    assert refused["error"]["code"] == "file_not_ready"
    assert refused["error"]["param"] == "supporting_documents[1].file"
    assert "has not arrived" in refused["error"]["message"]
    assert stack.ok("GET", f"/files/{file['id']}")["status"] == "pending"

    upload(file, TIMESHEET)
    assert stack.ok("GET", f"/files/{file['id']}")["status"] == "ready"
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert invoice["status"] == "open"
    assert stack.deliver()["failed"] == 0

    ubl = stored(stack, stack.ok("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "ubl"}))
    report = validate_ubl(ubl)
    assert report.ok and report.warnings == [], str(report)
    (embedded,) = etree.fromstring(ubl).iter(f"{{{CBC}}}EmbeddedDocumentBinaryObject")
    assert base64.b64decode(embedded.text) == TIMESHEET
    assert (embedded.get("mimeCode"), embedded.get("filename")) == ("application/pdf", "tidrapport-mars.pdf")

    cii = stored(stack, stack.ok("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "cii"}))
    assert validate_cii(cii).ok, str(validate_cii(cii))
    (attached,) = etree.fromstring(cii).iter(f"{{{RAM}}}AttachmentBinaryObject")
    assert base64.b64decode(attached.text) == TIMESHEET

    pdf = stored(stack, stack.ok("GET", f"/invoices/{invoice['id']}/pdf"))
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    files = {str(names[i]): names[i + 1].get_object() for i in range(0, len(names), 2)}
    assert list(files) == ["factur-x.xml", "tidrapport-mars.pdf"]
    spec = files["tidrapport-mars.pdf"]
    assert spec["/AFRelationship"] == "/Supplement" and spec["/Desc"] == "Tidrapport mars"
    assert spec["/EF"]["/F"].get_object().get_data() == TIMESHEET
    assert files["factur-x.xml"]["/EF"]["/F"].get_object().get_data() == cii  # the CII inside carries it too
    printed = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "TS-03 – Tidrapport mars – tidrapport-mars.pdf" in printed  # the page names the file


def test_a_file_that_is_not_what_was_declared_is_rejected_and_no_invoice_naming_it_is_finalized(
        stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    customer = swedish_customer(stack)
    png = declare(stack, "scan.png", "image/png", len(TIMESHEET))
    upload(png, TIMESHEET)  # a PDF, declared a PNG
    rejected = stack.ok("GET", f"/files/{png['id']}")
    assert rejected["status"] == "rejected"
    assert rejected["rejection"] == {"code": "content_mismatch",
                                     "message": "The upload is refused: the content is not a image/png file."}
    short = declare(stack, "kort.csv", "text/csv", 100)
    upload(short, b"date;hours\n")
    assert stack.ok("GET", f"/files/{short['id']}")["rejection"]["code"] == "size_mismatch"

    draft = draft_naming(stack, customer, png["id"])
    status, refused = stack.call("POST", f"/invoices/{draft['id']}/finalize")
    assert status == 409 and refused["error"]["code"] == "file_not_ready", refused
    assert refused["error"]["param"] == "supporting_documents[1].file"
    assert "rejected: The upload is refused: the content is not a image/png file." in refused["error"]["message"]
    # Nothing of the finalization was written: still a draft, no number taken, no event to render.
    after = stack.ok("GET", f"/invoices/{draft['id']}")
    assert (after["status"], after["number"]) == ("draft", None)
    assert stack.deliver()["delivered"] == 0
    plain = stack.ok("POST", "/invoices", {"customer": customer["id"],
                                           "lines": [{"description": "Work", "unit_amount": 100}]})
    assert stack.ok("POST", f"/invoices/{plain['id']}/finalize")["number"].endswith("000001")  # no gap


def test_bad_declarations_and_references_are_refused_naming_the_field(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    customer = swedish_customer(stack)
    for body, param in (
            ({"filename": "a.exe", "mime_code": "application/x-msdownload", "size": 10}, "mime_code"),
            ({"filename": "a.pdf", "mime_code": "application/pdf", "size": 0}, "size"),
            ({"filename": "a.pdf", "mime_code": "application/pdf", "size": 10 * 1024 * 1024 + 1}, "size"),
            ({"filename": "../a.pdf", "mime_code": "application/pdf", "size": 10}, "filename"),
            ({"filename": "a.pdf", "mime_code": "application/pdf", "size": 10, "purpose": "avatar"}, "purpose")):
        status, payload = stack.call("POST", "/files", body)
        assert status == 400 and payload["error"]["param"] == param, (body, payload)
    file = declare(stack, "a.pdf", "application/pdf", 10)
    for document, said in (
            ({"id": "D1", "file": file["id"], "url": "https://kund.example/d1"}, "not url and file"),
            ({"id": "D1", "file": "file_nope"}, "file"),
            ):
        status, payload = stack.call("POST", "/invoices", {
            "customer": customer["id"], "lines": [{"description": "Work", "unit_amount": 100}],
            "supporting_documents": [document]})
        assert status == 400, payload
        assert payload["error"]["param"].startswith("supporting_documents"), payload
        assert said in payload["error"]["message"] or said in payload["error"]["param"], payload
    assert len(stack.ok("GET", "/invoices")["data"]) == 0
    assert stack.call("GET", "/files/file_01jd4v6q3z0m6v2k3w5n8p9r7t")[0] == 404
