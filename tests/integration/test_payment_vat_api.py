"""The payment and VAT details through the API: a Bankgiro account (validated), the invoice's own
terms, remittance information, tax point and national-currency rate, and a domestic reverse charge,
answered on the invoice and written into e-invoices that pass the CEN rules."""

from __future__ import annotations

from lxml import etree

from invoicing.documents.einvoice.validation import validate_cii, validate_ubl
from tests.integration.conftest import HandlerStack
from tests.integration.test_tax_api import NS, SELLER, customer, einvoice


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
    assert stack.deliver()["failed"] == 0
    ubl_xml, cii_xml = (einvoice(stack, invoice["id"], fmt) for fmt in ("ubl", "cii"))
    assert validate_ubl(ubl_xml).ok, validate_ubl(ubl_xml)
    assert validate_cii(cii_xml).ok, validate_cii(cii_xml)
    ubl = etree.fromstring(ubl_xml)
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
