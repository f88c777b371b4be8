"""Stacked taxes through the API function over moto: a Quebec invoice with GST and QST on each line,
its totals per tax, its PDF read back, its credit note per tax, and no e-invoice with the reason."""

from __future__ import annotations

import io
import urllib.parse

from pypdf import PdfReader

from tests.integration.conftest import HandlerStack

MONTREAL = {"line1": "1000 Rue Sherbrooke O", "city": "Montréal", "state": "QC", "postal_code": "H3A 3G4",
            "country": "CA"}
GST = {"percent": "5", "name": "GST", "tax_type": "gst", "jurisdiction": "CA"}
QST = {"percent": "9.975", "name": "QST", "tax_type": "qst", "jurisdiction": "CA-QC"}


def quebec_draft(stack: HandlerStack, **extra: object) -> dict:
    stack.ok("POST", "/account", {"name": "Érable Logiciels Inc.", "email": "billing@erable.example",
                                  "address": MONTREAL, "legal_registration_id": "1171234567",
                                  "iban": "SE4550000000058398257466"})
    customer = stack.ok("POST", "/customers", {"name": "Tremblay Construction Inc.", "email": "ap@tremblay.example",
                                               "currency": "CAD", "locale": "en", "address": MONTREAL})
    lines = [{"description": description, "unit_amount": amount, "tax_rates": [GST, QST]}
             for description, amount in (("Platform", 30000), ("Consulting", 14000), ("Report", 1010))]
    return stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": lines, **extra})


def test_a_quebec_invoice_through_the_api(stack: HandlerStack) -> None:
    draft = quebec_draft(stack)
    # 450.10: GST 22.505 -> 22.51; QST 44.897475 -> 44.90; 517.51 (one 14.975 % rate would give 67.40).
    assert [(t["name"], t["tax_type"], t["jurisdiction"], t["percent"], t["taxable_amount"], t["tax_amount"])
            for t in draft["tax_breakdown"]] == [("GST", "gst", "CA", "5", 45010, 2251),
                                                 ("QST", "qst", "CA-QC", "9.975", 45010, 4490)]
    assert (draft["subtotal"], draft["tax"], draft["total"]) == (45010, 6741, 51751)
    line = draft["lines"]["data"][2]
    assert [(t["name"], t["percent"], t["inclusive"]) for t in line["tax_rates"]] == [("GST", "5", False),
                                                                                    ("QST", "9.975", False)]
    assert line["tax"]["name"] == "GST"
    warnings = {i["code"]: i for i in draft["validation_issues"]}
    assert warnings["einvoice_non_vat_tax"]["blocking"] is False

    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert invoice["amount_due"] == 51751
    status, pending = stack.call("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "ubl"})
    assert status == 202 and pending["ready"] is False
    assert stack.deliver()["failed"] == 0
    status, payload = stack.call("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "ubl"})
    assert (status, payload["error"]["code"], payload["error"]["param"]) == (409, "einvoice_non_vat_tax",
                                                                            "lines.tax_rates")
    assert "GST is a gst tax, not VAT" in payload["error"]["message"]

    # The PDF (plain, no Factur-X) prints each tax in the summary and the totals.
    link = stack.ok("GET", f"/invoices/{invoice['id']}/pdf")
    key = urllib.parse.unquote(urllib.parse.urlparse(link["url"]).path.lstrip("/")).removeprefix(f"{stack.bucket}/")
    pdf = stack.s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read()
    text = " ".join(" ".join(page.extract_text().replace("\u00a0", " ").split())
                    for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "GST 5% CA$450.10 CA$22.51 QST 9.975% CA$450.10 CA$44.90" in text
    assert "GST 5% CA$22.51 QST 9.975% CA$44.90 Total CA$517.51" in text

    # Crediting the 10.10 line reverses each of its taxes: GST 0.51, QST 1.01.
    report = line["id"]
    note = stack.ok("POST", "/credit_notes", {"invoice": invoice["id"], "lines": [
        {"type": "invoice_line_item", "invoice_line_item": report}]})
    assert [(g["name"], g["tax_type"], g["taxable_amount"], g["tax_amount"]) for g in note["tax_groups"]] == [
        ("GST", "gst", 1010, 51), ("QST", "qst", 1010, 101)]
    assert (note["subtotal"], note["tax"], note["amount"]) == (1010, 152, 1162)
    assert [t["name"] for t in note["lines"]["data"][0]["tax_rates"]] == ["GST", "QST"]
    status, payload = stack.call("POST", "/credit_notes", {"invoice": invoice["id"], "amount": 100})
    assert (status, payload["error"]["code"]) == (400, "amount_requires_lines")
    rest = stack.ok("POST", "/credit_notes", {"invoice": invoice["id"]})  # everything else
    assert note["amount"] + rest["amount"] == 51751
    assert stack.ok("GET", f"/invoices/{invoice['id']}")["status"] == "paid"


def test_stacked_taxes_are_refused_where_they_cannot_apply(stack: HandlerStack) -> None:
    draft = quebec_draft(stack)
    both = {"description": "x", "unit_amount": 100, "tax_rate": GST, "tax_rates": [GST, QST]}
    status, payload = stack.call("POST", f"/invoices/{draft['id']}/lines", {"lines": [both]})
    assert (status, payload["error"]["param"]) == (400, "lines[0]")
    twice = {"description": "x", "unit_amount": 100, "tax_rates": [GST, {**GST, "name": "Federal GST"}]}
    status, payload = stack.call("POST", f"/invoices/{draft['id']}/lines", {"lines": [twice]})
    assert (status, payload["error"]["code"]) == (400, "tax_rate_duplicate")
    inclusive = {"customer": draft["customer"], "tax_behavior": "inclusive",
                 "lines": [{"description": "x", "unit_amount": 100, "tax_rates": [GST, QST]}]}
    status, payload = stack.call("POST", "/invoices", inclusive)
    assert (status, payload["error"]["code"], payload["error"]["param"]) == (400, "stacked_taxes_inclusive",
                                                                            "lines[0].tax_rates")
    status, payload = stack.call("POST", f"/invoices/{draft['id']}/lines", {"lines": [
        {"description": "x", "unit_amount": 100, "tax_rates": [{**GST, "tax_type": "income_tax"}]}]})
    assert (status, payload["error"]["param"]) == (400, "lines[0].tax_rates[0].tax_type")
    # Nothing of it was kept.
    assert len(stack.ok("GET", f"/invoices/{draft['id']}")["lines"]["data"]) == 3
    assert len(stack.ok("GET", "/invoices")["data"]) == 1
