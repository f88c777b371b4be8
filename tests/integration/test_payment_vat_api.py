"""The payment and VAT details through the API: a Bankgiro account (validated), the invoice's own
terms, remittance information, tax point and national-currency rate, and a domestic reverse charge,
answered on the invoice and written into e-invoices that pass the CEN rules."""

from __future__ import annotations

from lxml import etree

from invoicing.documents.einvoice.validation import validate_cii, validate_ubl
from tests.integration.conftest import HandlerStack
from tests.integration.test_tax_api import NS, SELLER, customer, einvoice


def rendered(stack: HandlerStack, invoice_id: str) -> tuple[etree._Element, etree._Element]:
    """The invoice's UBL and CII, once the document worker wrote them, each valid by the CEN rules."""
    assert stack.deliver()["failed"] == 0
    ubl_xml, cii_xml = (einvoice(stack, invoice_id, fmt) for fmt in ("ubl", "cii"))
    assert validate_ubl(ubl_xml).ok, validate_ubl(ubl_xml)
    assert validate_cii(cii_xml).ok, validate_cii(cii_xml)
    return etree.fromstring(ubl_xml), etree.fromstring(cii_xml)


def test_a_bankgiro_account_and_the_invoices_payment_and_vat_details_through_the_api(stack: HandlerStack) -> None:
    status, refused = stack.call("POST", "/account", {**SELLER, "bankgiro": "5402-9682"})
    assert status == 400 and refused["error"]["param"] == "bankgiro", refused
    account = stack.ok("POST", "/account", {**SELLER, "iban": None, "bankgiro": "5402-9681"})
    assert (account["bankgiro"], account["iban"], account["remittance_reference"]) == ("54029681", None, "rf")
    buyer = customer(stack, "SE", tax_ids=[{"type": "eu_vat", "value": "SE556036079301"}])
    draft = stack.ok("POST", "/invoices", {
        "customer": buyer["id"], "payment_terms": "30 dagar netto", "remittance_information": "Projekt 4711",
        "tax_point_date": "2026-03-01", "tax_currency_rate": {"rate": "11.4523", "source": "ECB reference rate"},
        "lines": [{"description": "Konsulttimmar", "unit_amount": 100000}]})
    assert all(i["code"] != "tax_currency_rate_missing" for i in draft["validation_issues"])
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert (invoice["currency"], invoice["tax"], invoice["tax_in_tax_currency"]) == ("EUR", 25000, 286308)
    assert invoice["tax_currency_rate"] == {"currency": "SEK", "rate": "11.4523", "source": "ECB reference rate",
                                            "rate_date": None}
    assert (invoice["payment_terms"], invoice["remittance_information"], invoice["tax_point_date"]) == (
        "30 dagar netto", "Projekt 4711", "2026-03-01")
    ubl, _ = rendered(stack, invoice["id"])
    assert ubl.xpath("string(cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID)", namespaces=NS) == "54029681"
    assert ubl.xpath("string(cac:PaymentMeans/cbc:PaymentID)", namespaces=NS) == "Projekt 4711"
    assert ubl.xpath("string(cbc:TaxCurrencyCode)", namespaces=NS) == "SEK"


def test_a_customer_marked_reverse_charge_in_the_sellers_country_gets_ae_not_25_percent(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    buyer = customer(stack, "SE", currency="SEK", tax_exempt="reverse",
                     tax_ids=[{"type": "eu_vat", "value": "SE556036079301"}])
    draft = stack.ok("POST", "/invoices", {"customer": buyer["id"], "lines": [
        {"description": "Takomläggning", "unit_amount": 100000}]})
    [group] = draft["tax_breakdown"]
    assert (group["category"], group["legal_note"], draft["tax"]) == ("AE", "domestic_reverse_charge", 0)


def test_a_final_invoice_deducts_a_paid_prepayment_invoice_once(stack: HandlerStack) -> None:
    """BT-113 through the API: the prepayment invoice (386) is paid, the final invoice deducts it (the
    amount due is the total less it, BG-3 names it), and the same prepayment cannot be deducted twice."""
    stack.ok("POST", "/account", SELLER)
    buyer = customer(stack, "SE")
    advance = stack.ok("POST", "/invoices", {"customer": buyer["id"], "prepayment": True,
                                             "lines": [{"description": "Förskott, kök", "unit_amount": 400000}]})
    advance = stack.ok("POST", f"/invoices/{advance['id']}/finalize")
    works = {"customer": buyer["id"], "lines": [{"description": "Köksrenovering", "unit_amount": 1000000}]}
    status, refused = stack.call("POST", "/invoices", {**works, "prepayments": [{"invoice": advance["id"]}]})
    assert (status, refused["error"]["code"], refused["error"]["param"]) == (400, "prepayment_not_paid",
                                                                            "prepayments[0]")
    stack.ok("POST", f"/invoices/{advance['id']}/pay")  # 4 000 + 25 % = 5 000 paid
    draft = stack.ok("POST", "/invoices", {**works, "prepayments": [{"invoice": advance["id"]}]})
    assert (draft["total"], draft["prepaid_amount"], draft["amount_due"]) == (1250000, 500000, 750000)
    assert draft["prepayments"] == [{"invoice": advance["id"], "number": advance["number"],
                                     "issue_date": advance["issue_date"], "amount": 500000}]
    second = stack.ok("POST", "/invoices", {**works, "prepayments": [{"invoice": advance["id"], "amount": 100}]})
    final = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert (final["status"], final["amount_due"]) == ("open", 750000)
    assert stack.ok("GET", f"/invoices/{advance['id']}")["prepayment_deducted"] == 500000
    # Deducted once: the second draft, made while it was still free, is refused at finalization.
    status, refused = stack.call("POST", f"/invoices/{second['id']}/finalize")
    assert (status, refused["error"]["code"]) == (409, "prepayment_exceeded")
    status, refused = stack.call("POST", "/invoices", {**works, "prepayments": [{"invoice": advance["id"]}]})
    assert (status, refused["error"]["code"]) == (400, "prepayment_exceeded")
    ubl, cii = rendered(stack, final["id"])
    assert ubl.xpath("string(cac:LegalMonetaryTotal/cbc:PrepaidAmount)", namespaces=NS) == "5000.00"
    assert ubl.xpath("string(cac:LegalMonetaryTotal/cbc:PayableAmount)", namespaces=NS) == "7500.00"
    assert ubl.xpath("string(cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID)", namespaces=NS) == \
        advance["number"]
    assert cii.xpath("string(//ram:TotalPrepaidAmount)", namespaces=NS) == "5000.00"
