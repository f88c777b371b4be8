"""The place of supply through the API: each case's category, rate, VATEX code and legal note on the
invoice (lines and tax breakdown), the OSS setting with its validation, reduced rates by tax code, and the
note in each language in the UBL and CII documents, which must pass the CEN rules."""

from __future__ import annotations

import urllib.parse

import pytest
from lxml import etree

from invoicing.documents.einvoice.validation import validate_cii, validate_ubl
from invoicing.domain.tax import legal_note
from tests.integration.conftest import HandlerStack

SELLER = {
    "name": "Test Seller AB", "email": "billing@seller.example", "legal_registration_id": "5567037485",
    "address": {"line1": "Sveavägen 1", "city": "Stockholm", "postal_code": "111 57", "country": "SE"},
    "tax_ids": [{"type": "eu_vat", "value": "SE556703748501"}], "iban": "SE4550000000058398257466",
}
ADDRESSES = {
    "SE": {"line1": "Storgatan 1", "city": "Malmö", "postal_code": "211 34", "country": "SE"},
    "DE": {"line1": "Industriestraße 12", "city": "Köln", "postal_code": "50667", "country": "DE"},
    "US": {"line1": "500 Harbor Blvd", "city": "Long Beach", "state": "CA", "postal_code": "90802", "country": "US"},
}
DE_VAT = [{"type": "eu_vat", "value": "DE136695976"}]
US_EIN = [{"type": "us_ein", "value": "91-1144442"}]
NS = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
      "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
      "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"}

# (case, oss, country, customer fields, supply type) -> (category, percent, VATEX code, legal note)
CASES = [
    ("domestic goods", False, "SE", {}, "goods", ("S", "25", None, None)),
    ("domestic services", False, "SE", {}, "services", ("S", "25", None, None)),
    ("EU B2B goods", False, "DE", {"tax_ids": DE_VAT}, "goods", ("K", "0", "VATEX-EU-IC", "intra_community_goods")),
    ("EU B2B services", False, "DE", {"tax_ids": DE_VAT}, "services",
     ("AE", "0", "VATEX-EU-AE", "reverse_charge_services")),
    ("EU B2C e-services without OSS", False, "DE", {}, "electronic_services", ("S", "25", None, None)),
    ("EU B2C e-services with OSS", True, "DE", {}, "electronic_services",
     ("S", "19", None, "oss_electronic_services")),
    ("EU B2C goods with OSS", True, "DE", {}, "goods", ("S", "19", None, "oss_distance_sales_goods")),
    ("non-EU B2B goods", False, "US", {"tax_ids": US_EIN}, "goods", ("G", "0", "VATEX-EU-G", "export_goods")),
    ("non-EU B2B services", False, "US", {"tax_ids": US_EIN}, "services",
     ("O", "0", "VATEX-EU-O", "services_outside_eu_business")),
    ("non-EU B2C goods", False, "US", {"customer_type": "individual"}, "goods",
     ("G", "0", "VATEX-EU-G", "export_goods")),
    ("non-EU B2C e-services", False, "US", {"customer_type": "individual"}, "electronic_services",
     ("O", "0", "VATEX-EU-O", "services_outside_eu_consumer")),
    ("non-EU B2C general services", False, "US", {"customer_type": "individual"}, "services",
     ("S", "25", None, None)),
]


def einvoice(stack: HandlerStack, invoice_id: str, fmt: str) -> bytes:
    """The e-invoice as stored, asked for (and rendered through the queue) until it is ready."""
    status, link = stack.call("GET", f"/invoices/{invoice_id}/einvoice", query={"format": fmt})
    if status == 202:
        assert stack.deliver()["failed"] == 0
        status, link = stack.call("GET", f"/invoices/{invoice_id}/einvoice", query={"format": fmt})
    assert status == 200, link
    path = urllib.parse.unquote(urllib.parse.urlparse(link["url"]).path.lstrip("/"))
    body: bytes = stack.s3.get_object(Bucket=stack.bucket, Key=path.removeprefix(f"{stack.bucket}/"))["Body"].read()
    return body


def customer(stack: HandlerStack, country: str, locale: str = "en", **fields: object) -> dict:
    body = {"name": "Buyer", "email": "ap@buyer.example", "currency": "EUR", "locale": locale,
            "address": ADDRESSES[country], **fields}
    return stack.ok("POST", "/customers", body)


@pytest.mark.parametrize(("oss", "country", "fields", "supply", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_case_through_the_api(stack: HandlerStack, oss: bool, country: str, fields: dict, supply: str,
                                   expected: tuple[str, str, str | None, str | None]) -> None:
    stack.ok("POST", "/account", {**SELLER, "oss_registered": oss})
    category, percent, vatex, note = expected
    buyer = customer(stack, country, **fields)
    draft = stack.ok("POST", "/invoices", {"customer": buyer["id"], "supply_date": "2026-03-02", "lines": [
        {"description": "Item", "unit_amount": 10000, "supply_type": supply}]})
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    [group] = invoice["tax_breakdown"]
    assert (group["category"], group["percent"], group["exemption_reason_code"], group["legal_note"]) == (
        category, percent, vatex, note)
    line = invoice["lines"]["data"][0]
    assert line["supply_type"] == supply
    assert (line["tax"]["category"], line["tax"]["exemption_reason_code"], line["tax"]["legal_note"]) == (
        category, vatex, note)
    expected_tax = {"25": 2500, "19": 1900, "0": 0}[percent]
    assert (invoice["tax"], invoice["total"]) == (expected_tax, 10000 + expected_tax)
    assert group["exemption_reason"] == (legal_note(note).texts["en"] if note and category != "S" else None)
    if category in ("O", "K", "AE", "G"):
        assert line["tax"]["country"] is None
    else:
        assert line["tax"]["country"] == ("DE" if percent == "19" else "SE")


@pytest.mark.parametrize("locale", ["en", "sv", "de"])
@pytest.mark.parametrize(("country", "fields", "supply", "note_id"), [
    ("US", {"tax_ids": US_EIN}, "services", "services_outside_eu_business"),
    ("US", {"customer_type": "individual"}, "electronic_services", "services_outside_eu_consumer"),
    ("US", {}, "goods", "export_goods"),
    ("DE", {"tax_ids": DE_VAT}, "goods", "intra_community_goods"),
    ("DE", {"tax_ids": DE_VAT}, "services", "reverse_charge_services"),
    ("DE", {}, "electronic_services", "oss_electronic_services"),
])
def test_the_einvoices_carry_the_note_in_the_customers_language_and_pass_the_cen_rules(
    stack: HandlerStack, locale: str, country: str, fields: dict, supply: str, note_id: str,
) -> None:
    stack.ok("POST", "/account", {**SELLER, "oss_registered": True})
    buyer = customer(stack, country, locale, **fields)
    draft = stack.ok("POST", "/invoices", {"customer": buyer["id"], "supply_type": supply,
                                           "supply_date": "2026-03-02", "lines": [
                                               {"description": "Item", "unit_amount": 10000}]})
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert invoice["supply_type"] == supply
    assert stack.deliver()["failed"] == 0
    note = legal_note(note_id)
    documents = {fmt: einvoice(stack, invoice["id"], fmt) for fmt in ("ubl", "cii")}
    ubl, cii = (etree.fromstring(documents[f]) for f in ("ubl", "cii"))
    assert validate_ubl(documents["ubl"]).ok, validate_ubl(documents["ubl"])
    assert validate_cii(documents["cii"]).ok, validate_cii(documents["cii"])
    if note.category == "S":  # BR-S-10: the OSS note is the invoice note (BT-22), not a reason
        assert ubl.xpath("string(cbc:Note)", namespaces=NS) == note.text(locale)
        assert ubl.xpath("//cbc:TaxExemptionReason", namespaces=NS) == []
        return
    subtotal = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/"
    assert ubl.xpath(f"string({subtotal}cbc:ID)", namespaces=NS) == note.category
    assert ubl.xpath(f"string({subtotal}cbc:TaxExemptionReasonCode)", namespaces=NS) == note.vatex
    assert ubl.xpath(f"string({subtotal}cbc:TaxExemptionReason)", namespaces=NS) == note.text(locale)
    tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert cii.xpath(f"string({tax}ram:ExemptionReasonCode)", namespaces=NS) == note.vatex
    assert cii.xpath(f"string({tax}ram:ExemptionReason)", namespaces=NS) == note.text(locale)


def test_lines_name_a_tax_code_and_get_the_rate_of_the_country_whose_vat_applies(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", {**SELLER, "oss_registered": True})
    lines = [{"description": code, "unit_amount": 10000, "tax_code": code}
             for code in ("standard", "reduced", "second_reduced", "zero_rated", "exempt")]
    home = stack.ok("POST", "/invoices", {"customer": customer(stack, "SE")["id"], "lines": lines})
    assert [(g["category"], g["percent"], g["tax_amount"]) for g in home["tax_breakdown"]] == [
        ("S", "25", 2500), ("S", "12", 1200), ("S", "6", 600), ("Z", "0", 0), ("E", "0", 0)]
    # Goods to a German consumer under the OSS: Germany's rates; it has no second reduced rate.
    german = customer(stack, "DE")
    away = stack.ok("POST", "/invoices", {"customer": german["id"], "supply_type": "goods", "lines": lines[:2]})
    assert [(g["percent"], g["tax_amount"]) for g in away["tax_breakdown"]] == [("19", 1900), ("7", 700)]
    status, error = stack.call("POST", "/invoices", {"customer": german["id"], "supply_type": "goods",
                                                     "lines": lines[2:3]})
    assert status == 400 and error["error"]["code"] == "tax_code_unavailable"
    assert "DE has no second reduced VAT rate" in error["error"]["message"]
    status, error = stack.call("POST", "/invoices", {"customer": german["id"], "lines": [
        {"description": "x", "unit_amount": 1, "tax_code": "reduced_12"}]})
    assert status == 400 and error["error"]["param"] == "lines[0].tax_code"
    # A manual rate stays possible, whatever the tax code says.
    manual = stack.ok("POST", "/invoices", {"customer": german["id"], "lines": [
        {"description": "x", "unit_amount": 10000, "tax_rate": {"percent": "10", "name": "GST"}}]})
    assert manual["tax"] == 1000


def test_the_oss_setting_is_validated(stack: HandlerStack) -> None:
    status, error = stack.call("POST", "/account", {**SELLER, "tax_ids": [], "oss_registered": True})
    assert status == 400 and error["error"]["param"] == "oss_registered"
    assert "eu_vat tax ID of SE" in error["error"]["message"]
    us_address = {**ADDRESSES["US"]}
    status, error = stack.call("POST", "/account", {**SELLER, "address": us_address, "oss_registered": True})
    assert status == 400 and error["error"]["param"] == "oss_registered"
    account = stack.ok("POST", "/account", {**SELLER, "oss_registered": True, "default_supply_type": "goods"})
    assert (account["oss_registered"], account["default_supply_type"]) == (True, "goods")
    status, error = stack.call("POST", "/account", {"default_supply_type": "software"})
    assert status == 400 and error["error"]["param"] == "default_supply_type"


def test_the_account_default_supply_type_applies_when_lines_and_invoice_say_nothing(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", {**SELLER, "default_supply_type": "goods"})
    buyer = customer(stack, "US", tax_ids=US_EIN)
    draft = stack.ok("POST", "/invoices", {"customer": buyer["id"], "lines": [
        {"description": "Kit", "unit_amount": 10000},
        {"description": "Setup", "unit_amount": 5000, "supply_type": "services"}]})
    assert [line["tax"]["category"] for line in draft["lines"]["data"]] == ["G", "O"]
    assert draft["supply_type"] is None
    # G and O on one invoice: valid in law, but EN 16931 cannot say it (BR-O-11): a warning on the draft.
    assert "einvoice_outside_scope_mixed" in [i["code"] for i in draft["validation_issues"]]


def test_a_catalog_product_gives_its_prices_a_reduced_tax_code(stack: HandlerStack) -> None:
    product = stack.ok("POST", "/products", {"name": "E-book club", "tax_code": "second_reduced",
                                             "supply_type": "electronic_services"})
    price = stack.ok("POST", "/prices", {"product": product["id"], "currency": "EUR", "unit_amount": 990})
    assert (product["tax_code"], price["tax_code"]) == ("second_reduced", "second_reduced")
    assert (product["supply_type"], price["supply_type"]) == ("electronic_services", "electronic_services")
    status, error = stack.call("POST", "/products", {"name": "Bad", "tax_code": "six_percent"})
    assert status == 400 and error["error"]["param"] == "tax_code"
