"""Through the API function over moto: a mixed-rate invoice (25 %, 12 %, 6 %) with a return line, a
rebate at 12 % and freight at 25 % only, an item with its ids; its UBL and CII validated by the
official CEN rules, its PDF read back; a corrective invoice; and the 400s of the new fields."""

from __future__ import annotations

import io
import urllib.parse

from lxml import etree
from pypdf import PdfReader

from invoicing.documents.einvoice.validation import validate
from tests.integration.conftest import HandlerStack

SELLER = {
    "name": "Test Seller AB", "email": "billing@seller.example",
    "address": {"line1": "Sveavägen 1", "city": "Stockholm", "postal_code": "111 57", "country": "SE"},
    "tax_ids": [{"type": "eu_vat", "value": "SE556703748501"}], "iban": "SE4550000000058398257466",
}
CUSTOMER = {"name": "Kund AB", "email": "ekonomi@kund.example", "currency": "SEK", "locale": "sv",
            "address": {"line1": "Storgatan 1", "city": "Malmö", "postal_code": "211 34", "country": "SE"},
            "electronic_address": {"scheme": "0007", "value": "5560360793"}}
CHAIR = {"description": "Kontorsstol", "quantity": "4", "unit_amount": 249000,
         "item": {"seller_item_id": "CH-200-BLK", "standard_id": {"value": "4006381333931"},
                  "classifications": [{"code": "94013000", "list_id": "HS"}], "origin_country": "SE",
                  "attributes": [{"name": "Färg", "value": "Svart"}]},
         "note": "Leverans till receptionen", "order_line_reference": "7", "accounting_reference": "6540",
         "object_id": {"value": "SN-2026-00017", "scheme": "AAG"}}
LINES = [
    {"description": "Workshop", "unit_amount": 1500000},  # 25 %, decided
    {"description": "Konferenslunch", "quantity": "14", "unit_amount": 14550, "tax_rate": {"percent": "12"}},
    {"description": "Handbok", "quantity": "14", "unit_amount": 29990, "tax_rate": {"percent": "6"}},
    {"description": "Handbok, retur", "quantity": "-3", "unit_amount": 29990, "tax_rate": {"percent": "6"}},
]


def _document(stack: HandlerStack, path: str, **query: str) -> bytes:
    link = stack.ok("GET", path, query=query or None)
    key = urllib.parse.unquote(urllib.parse.urlparse(link["url"]).path.lstrip("/")).removeprefix(f"{stack.bucket}/")
    return stack.s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read()


def test_a_return_line_and_rate_specific_adjustments_through_the_api(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    customer = stack.ok("POST", "/customers", {**CUSTOMER, "einvoice_format": "ubl"})
    draft = stack.ok("POST", "/invoices", {
        "customer": customer["id"], "lines": [*LINES, CHAIR], "supply_date": "2026-03-12",
        "discounts": [{"description": "Rabatt på lunch", "percent_off": "5", "reason_code": "100",
                       "tax_rate": {"percent": "12"}}],
        "charges": [{"description": "Frakt", "amount": 44950, "reason_code": "FC", "tax_rate": {"percent": "25"}}]})
    # 25 %: 1 500 000 + 4 x 249 000 + freight 44 950 = 2 540 950 -> 635 237.5 -> 635 238;
    # 12 %: 203 700 - 5 % (10 185) = 193 515 -> 23 221.8 -> 23 222; 6 %: 419 860 - 89 970 = 329 890 -> 19 793.
    assert [(t["percent"], t["taxable_amount"], t["tax_amount"]) for t in draft["tax_breakdown"]] == [
        ("25", 2540950, 635238), ("12", 193515, 23222), ("6", 329890, 19793)]
    assert (draft["total_discount_amount"], draft["total_charge_amount"], draft["tax"]) == (10185, 44950, 678253)
    returned, chair = draft["lines"]["data"][3], draft["lines"]["data"][4]
    assert (returned["quantity"], returned["net_amount"]) == ("-3", -89970)
    assert chair["item"]["standard_id"] == {"value": "4006381333931", "scheme": "0160"}
    assert (chair["note"], chair["order_line_reference"], chair["object_id"]) == (
        "Leverans till receptionen", "7", {"value": "SN-2026-00017", "scheme": "AAG"})
    assert draft["charges"][0]["reason_code"] == "FC" and draft["charges"][0]["tax_rate"]["percent"] == "25"
    assert draft["type_code"] == "380" and draft["preceding_invoice"] is None

    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert stack.deliver()["failed"] == 0
    for fmt in ("ubl", "cii"):
        report = validate(_document(stack, f"/invoices/{invoice['id']}/einvoice", format=fmt))
        assert report.xsd_errors == [] and report.fatal == [], str(report)
    pdf = _document(stack, f"/invoices/{invoice['id']}/pdf")
    text = " ".join(" ".join(page.extract_text().replace("\u00a0", " ").split())
                    for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Handbok, retur −3" in text and "−899,70" in text
    assert "Art.nr CH-200-BLK · GTIN 4006381333931" in text and "Ursprungsland: Sverige" in text
    assert "Färg: Svart" in text and "Orderrad 7 · Objekt SN-2026-00017 · Ert konto 6540" in text
    assert "Frakt · Moms 25 %" in text


def test_line_identifiers_as_the_issuer_numbers_its_lines(stack: HandlerStack) -> None:
    """BT-126: a line's identifier as given (else its position), in UBL, CII, the PDF, and a credit
    note's reference to the line; each names one line of the invoice."""
    stack.ok("POST", "/account", SELLER)
    customer = stack.ok("POST", "/customers", CUSTOMER)
    lines = [{"description": "Montage", "unit_amount": 100000, "line_identifier": "10"},
             {"description": "Material", "unit_amount": 50000, "line_identifier": "A-20"},
             {"description": "Resa", "unit_amount": 20000}]
    status, refused = stack.call("POST", "/invoices", {"customer": customer["id"], "lines": [lines[0], lines[0]]})
    assert (status, refused["error"]["code"], refused["error"]["param"]) == (400, "line_identifier_duplicate", "lines")
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": lines})
    assert [line["line_identifier"] for line in draft["lines"]["data"]] == ["10", "A-20", None]
    status, refused = stack.call("POST", f"/invoices/{draft['id']}/lines",
                                 {"lines": [{"description": "Extra", "unit_amount": 100, "line_identifier": "A-20"}]})
    assert (status, refused["error"]["code"]) == (400, "line_identifier_duplicate")
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert stack.deliver()["failed"] == 0
    ubl = _document(stack, f"/invoices/{invoice['id']}/einvoice", format="ubl")
    cii = _document(stack, f"/invoices/{invoice['id']}/einvoice", format="cii")
    for document in (ubl, cii):
        report = validate(document)
        assert report.xsd_errors == [] and report.fatal == [], str(report)
    ns = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
          "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
          "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    assert etree.fromstring(ubl).xpath("cac:InvoiceLine/cbc:ID/text()", namespaces=ns) == ["10", "A-20", "3"]
    assert etree.fromstring(cii).xpath("//ram:AssociatedDocumentLineDocument/ram:LineID/text()",
                                       namespaces=ns) == ["10", "A-20", "3"]
    pdf = _document(stack, f"/invoices/{invoice['id']}/pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Rad 10" in text and "Rad A-20" in text
    material = invoice["lines"]["data"][1]["id"]
    note = stack.ok("POST", "/credit_notes", {"invoice": invoice["id"], "lines": [
        {"type": "invoice_line_item", "invoice_line_item": material, "quantity": "1"}]})
    assert stack.deliver()["failed"] == 0
    credit = _document(stack, f"/credit_notes/{note['id']}/einvoice", format="ubl")
    assert etree.fromstring(credit).xpath("string(cac:CreditNoteLine/cbc:Note)", namespaces=ns).startswith(
        "Credits line A-20 (")


def test_a_corrective_invoice_comes_to_less_than_zero(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    customer = stack.ok("POST", "/customers", CUSTOMER)
    body = {"customer": customer["id"], "lines": [{"description": "Prisjustering", "quantity": "-2",
                                                   "unit_amount": 50000}]}
    status, refused = stack.call("POST", "/invoices", body)
    assert (status, refused["error"]["code"]) == (400, "negative_total")
    status, refused = stack.call("POST", "/invoices", {**body, "type_code": "384"})
    assert status == 400 and "preceding_invoice" in refused["error"]["message"]
    draft = stack.ok("POST", "/invoices", {**body, "type_code": "384",
                                           "preceding_invoice": {"number": "INV-000042", "issue_date": "2026-03-01"}})
    assert draft["total"] == -125000 and draft["preceding_invoice"] == {"number": "INV-000042",
                                                                       "issue_date": "2026-03-01"}
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    # What it owes the customer is their credit now: settled (paid), not a receivable left open.
    assert (invoice["status"], invoice["amount_due"], invoice["balance_credit"], invoice["amount_remaining"]) == (
        "paid", -125000, 125000, 0)
    assert stack.ok("GET", f"/customers/{customer['id']}")["credit_balance"] == 125000
    assert stack.deliver()["failed"] == 0
    report = validate(_document(stack, f"/invoices/{invoice['id']}/einvoice", format="ubl"))
    assert report.fatal == [], str(report)
    pdf = _document(stack, f"/invoices/{invoice['id']}/pdf")
    text = " ".join(page.extract_text().replace("\u00a0", " ") for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Korrigeringsfaktura" in text and "Korrigerar faktura" in text and "INV-000042" in text
    assert "Tillgodo på ert kundsaldo 1 250,00" in text
    # The customer's next invoice uses the credit.
    following = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "Konsulttimme", "unit_amount": 200000}]})
    following = stack.ok("POST", f"/invoices/{following['id']}/finalize")
    assert (following["applied_balance"], following["amount_due"]) == (125000, 250000 - 125000)
    assert stack.ok("GET", f"/customers/{customer['id']}")["credit_balance"] == 0


def test_codes_and_ids_outside_their_lists_are_refused(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    customer = stack.ok("POST", "/customers", CUSTOMER)
    line = {"description": "Stol", "unit_amount": 1000}
    for body, param in (
        ({"discounts": [{"amount_off": 100, "reason_code": "FC"}]}, "discounts[0].reason_code"),
        ({"charges": [{"description": "Frakt", "amount": 100, "reason_code": "95"}]}, "charges[0].reason_code"),
        ({"lines": [{**line, "item": {"standard_id": {"value": "4006381333932"}}}]}, "lines[0].item"),
        ({"lines": [{**line, "item": {"classifications": [{"code": "1", "list_id": "XX"}]}}]},
         "lines[0].item.classifications[0]"),
        ({"lines": [{**line, "quantity": "0"}]}, "lines[0]"),
    ):
        status, payload = stack.call("POST", "/invoices", {"customer": customer["id"], "lines": [line], **body})
        assert status == 400, payload
        assert payload["error"]["param"].startswith(param), payload
