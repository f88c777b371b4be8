"""E-invoices made by the running system, checked by rules nobody here wrote: every document the
API produces (UBL 2.1 / Peppol BIS 3.0, CII inside a Factur-X PDF) passes the XSDs and the
official CEN EN 16931 schematron with no fatal finding."""

from __future__ import annotations

import urllib.request
from typing import Any

import facturx
import pytest

from invoicing.documents.einvoice.validation import validate
from local.client import ApiClient
from local.stack import LocalRuntime

pytestmark = pytest.mark.e2e

GERMAN_BUSINESS = {
    "name": "Rheinwerk Maschinenbau GmbH", "email": "rechnungen@rheinwerk.example", "currency": "EUR",
    "locale": "de", "tax_ids": [{"type": "eu_vat", "value": "DE136695976"}],
    "address": {"line1": "Industriestraße 12", "city": "Köln", "postal_code": "50667", "country": "DE"},
}
SWEDISH_SHOP = {
    "name": "Fjällbacka Bageri AB", "email": "ekonomi@bageri.example", "currency": "SEK", "locale": "sv",
    "address": {"line1": "Hamngatan 3", "city": "Fjällbacka", "postal_code": "457 40", "country": "SE"},
}

# Invoices a user could send, none of them one of the generator's own unit-test cases.
INVOICES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("reverse-charge-with-charges", GERMAN_BUSINESS, {
        "purchase_order": "PO-77", "buyer_reference": "Abt. 4711",
        "lines": [{"description": "Workshop", "quantity": "1.5", "unit_amount": 120000, "unit_code": "DAY",
                   "discounts": [{"percent_off": "5"}]},
                  {"description": "Licence", "unit_amount_decimal": "9999.5"}],
        "charges": [{"description": "Travel", "amount": 24000}],
        "discounts": [{"description": "Framework agreement", "amount_off": 5000}],
    }),
    ("swedish-three-rates-inclusive", SWEDISH_SHOP, {
        "tax_behavior": "inclusive",
        "lines": [{"description": "Kaffe", "quantity": 3, "unit_amount": 4500,
                   "tax_rate": {"percent": "12", "name": "Moms"}},
                  {"description": "Tidning", "quantity": 1, "unit_amount": 6900,
                   "tax_rate": {"percent": "6", "name": "Moms"}},
                  {"description": "Mugg", "quantity": 2, "unit_amount": 12900},
                  {"description": "Presentkort", "quantity": 1, "unit_amount": 50000, "tax_code": "zero_rated"}],
        "discounts": [{"percent_off": "7.5"}],
    }),
]


def fetch(api: ApiClient, stack: LocalRuntime, path: str) -> bytes:
    assert stack.drain(timeout=120)
    status, link = api.request("GET", path)
    assert status == 200 and link["ready"], (status, link)
    with urllib.request.urlopen(link["url"], timeout=30) as response:
        return response.read()


@pytest.mark.parametrize(("name", "buyer", "invoice"), INVOICES, ids=[case[0] for case in INVOICES])
def test_api_invoices_are_valid_en16931(stack: LocalRuntime, api: ApiClient, name: str, buyer: dict[str, Any],
                                        invoice: dict[str, Any]) -> None:
    customer = api.post("/customers", buyer)
    draft = api.post("/invoices", {"customer": customer["id"], **invoice})
    final = api.post(f"/invoices/{draft['id']}/finalize")

    ubl = fetch(api, stack, f"/invoices/{final['id']}/einvoice?format=ubl")
    report = validate(ubl)
    assert report.ok, str(report)
    assert final["number"].encode() in ubl and final["payment_reference"].encode() in ubl

    cii = fetch(api, stack, f"/invoices/{final['id']}/einvoice?format=cii")
    assert validate(cii).ok, str(validate(cii))

    pdf = fetch(api, stack, f"/invoices/{final['id']}/pdf")
    filename, embedded = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert filename == "factur-x.xml" and embedded == cii

    # A credit note by line: one of the first line, all of the second.
    first, second = (line["id"] for line in final["lines"]["data"][:2])
    body = {"invoice": final["id"], "reason": "order_change", "lines": [
        {"type": "invoice_line_item", "invoice_line_item": first, "quantity": "1"},
        {"type": "invoice_line_item", "invoice_line_item": second}]}
    preview = api.post("/credit_notes/preview", body)
    note = api.post("/credit_notes", body)
    assert (note["amount"], note["tax_groups"]) == (preview["amount"], preview["tax_groups"])
    rates = {line["tax"]["percent"] for line in final["lines"]["data"][:2]}
    assert {g["percent"] for g in note["tax_groups"]} == rates  # only the rates of the lines credited
    credit_ubl = fetch(api, stack, f"/credit_notes/{note['id']}/einvoice?format=ubl")
    credit_report = validate(credit_ubl)
    assert credit_report.ok, str(credit_report)
    assert final["number"].encode() in credit_ubl  # refers to its invoice (BG-3)
    assert f"Credits line 2 ({second}) of invoice {final['number']}".encode() in credit_ubl
    assert validate(fetch(api, stack, f"/credit_notes/{note['id']}/einvoice?format=cii")).ok
    if len(final["tax_breakdown"]) > 1:  # an amount alone cannot say which rate it corrects
        status, error = api.request("POST", "/credit_notes", {"invoice": final["id"], "amount": 100})
        assert status == 400 and error["error"]["code"] == "amount_requires_lines"


def test_bad_einvoice_format_is_a_400(api: ApiClient) -> None:
    customer = api.post("/customers", SWEDISH_SHOP)
    draft = api.post("/invoices", {"customer": customer["id"], "lines": [{"description": "x", "unit_amount": 100}]})
    status, body = api.request("GET", f"/invoices/{draft['id']}/einvoice?format=pdf2")
    assert status == 400 and body["error"]["param"] == "format"
    status, body = api.request("GET", f"/invoices/{draft['id']}/einvoice?format=ubl")
    assert status == 409 and body["error"]["code"] == "invoice_not_finalized"
