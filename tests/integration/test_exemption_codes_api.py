"""A manual VAT rate's exemption reason code (BT-121, the CEF VATEX list) through the API function over
moto: given on an exempt line, it is the invoice's and its credit note's breakdown code in UBL and
CII, both valid by the official CEN rules, and the API answers it; a code outside the list, or one
that does not fit the rate's category, is a 400 naming the field and nothing is written."""

from __future__ import annotations

import pytest
from lxml import etree

from invoicing.documents.einvoice.validation import validate
from tests.integration.conftest import HandlerStack
from tests.integration.test_lines_and_adjustments_api import CUSTOMER, SELLER, _document

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
MEDICAL = {"description": "Läkarbesök", "unit_amount": 95000,
           "tax_rate": {"percent": "0", "category": "E", "name": "Momsfri", "exemption_reason_code": "VATEX-EU-132-1C",
                        "exemption_reason": "Undantag enligt artikel 132.1 c i direktiv 2006/112/EG (sjukvård)"}}
CONSULTING = {"description": "Rådgivning", "unit_amount": 100000}  # 25 %, decided


def _breakdown_codes(ubl: bytes, cii: bytes) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """Each VAT breakdown's category and BT-121, as UBL and CII state them."""
    ns = {"cbc": CBC, "cac": CAC, "ram": RAM}
    ubl_root, cii_root = etree.fromstring(ubl), etree.fromstring(cii)
    return ({s.findtext("cac:TaxCategory/cbc:ID", namespaces=ns):
             s.findtext("cac:TaxCategory/cbc:TaxExemptionReasonCode", namespaces=ns)
             for s in ubl_root.findall("cac:TaxTotal/cac:TaxSubtotal", ns)},
            {t.findtext("ram:CategoryCode", namespaces=ns): t.findtext("ram:ExemptionReasonCode", namespaces=ns)
             for t in cii_root.findall(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", ns)})


def test_an_exempt_lines_vatex_code_reaches_the_invoice_and_its_credit_note(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    customer = stack.ok("POST", "/customers", CUSTOMER)
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": [CONSULTING, MEDICAL]})
    assert draft["lines"]["data"][1]["tax"]["exemption_reason_code"] == "VATEX-EU-132-1C"
    assert "exemption_code" not in draft["lines"]["data"][1]["tax"]  # the answer names it once
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert {g["category"]: g["exemption_reason_code"] for g in invoice["tax_breakdown"]} == {
        "S": None, "E": "VATEX-EU-132-1C"}
    note = stack.ok("POST", "/credit_notes", {"invoice": invoice["id"], "lines": [
        {"type": "invoice_line_item", "invoice_line_item": invoice["lines"]["data"][1]["id"]}]})
    assert [(g["category"], g["exemption_reason_code"]) for g in note["tax_groups"]
            if g["taxable_amount"]] == [("E", "VATEX-EU-132-1C")]
    assert stack.deliver()["failed"] == 0
    for path in (f"/invoices/{invoice['id']}", f"/credit_notes/{note['id']}"):
        ubl, cii = (_document(stack, f"{path}/einvoice", format=syntax) for syntax in ("ubl", "cii"))
        for xml in (ubl, cii):
            report = validate(xml)
            assert report.ok, str(report)
        ubl_codes, cii_codes = _breakdown_codes(ubl, cii)
        assert ubl_codes["E"] == cii_codes["E"] == "VATEX-EU-132-1C"
        assert ubl_codes.get("S") is None and cii_codes.get("S") is None  # BR-S-10


@pytest.mark.parametrize(("rate", "says"), [
    ({"percent": "0", "category": "E", "exemption_reason_code": "VATEX-EU-999"}, "VATEX"),
    ({"percent": "0", "category": "E", "exemption_reason_code": "vatex-eu-132"}, "VATEX"),
    ({"percent": "0", "category": "E", "exemption_reason_code": "VATEX-EU-AE"}, "category AE"),
    ({"percent": "0", "category": "AE", "exemption_reason_code": "VATEX-EU-132"}, "category E"),
    ({"percent": "25", "exemption_reason_code": "VATEX-EU-132"}, "BR-S-10"),
    ({"percent": "0", "category": "Z", "exemption_reason_code": "VATEX-EU-132"}, "BR-Z-10"),
    ({"percent": "0", "category": "E", "tax_type": "sales_tax", "exemption_reason_code": "VATEX-EU-132"}, "vat"),
])
def test_a_code_outside_the_list_or_its_category_is_refused(stack: HandlerStack, rate: dict, says: str) -> None:
    stack.ok("POST", "/account", SELLER)
    customer = stack.ok("POST", "/customers", CUSTOMER)
    status, payload = stack.call("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "Tjänst", "unit_amount": 1000, "tax_rate": rate}]})
    assert status == 400, payload
    assert payload["error"]["param"].startswith("lines[0].tax_rate"), payload
    assert says in payload["error"]["message"], payload
    assert stack.ok("GET", "/invoices", query={"customer": customer["id"]})["data"] == []


def test_lines_of_one_breakdown_state_one_code(stack: HandlerStack) -> None:
    """Two exempt lines at 0 % are one VAT breakdown: a second code is refused, a line without one
    takes the breakdown's."""
    stack.ok("POST", "/account", SELLER)
    customer = stack.ok("POST", "/customers", CUSTOMER)
    teaching = {**MEDICAL, "description": "Kurs",
                "tax_rate": {**MEDICAL["tax_rate"], "exemption_reason_code": "VATEX-EU-132-1I"}}
    status, payload = stack.call("POST", "/invoices", {"customer": customer["id"], "lines": [MEDICAL, teaching]})
    assert status == 400 and payload["error"]["code"] == "exemption_code_conflict", payload
    assert payload["error"]["param"] == "lines[1].tax_rate.exemption_reason_code"
    assert stack.ok("GET", "/invoices", query={"customer": customer["id"]})["data"] == []
    uncoded = {**MEDICAL, "tax_rate": {k: v for k, v in MEDICAL["tax_rate"].items() if k != "exemption_reason_code"}}
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": [uncoded, MEDICAL]})
    assert [g["exemption_reason_code"] for g in draft["tax_breakdown"]] == ["VATEX-EU-132-1C"]
    status, payload = stack.call("POST", f"/invoices/{draft['id']}/lines", {"lines": [teaching]})
    assert status == 400 and payload["error"]["code"] == "exemption_code_conflict", payload
    assert len(stack.ok("GET", f"/invoices/{draft['id']}")["lines"]["data"]) == 2
