"""Issue 12's parties, delivery and references in both syntaxes, validated by the official CEN rules:
contacts (BG-6, BG-9), identifiers with a scheme (BT-29, BT-46), trading names (BT-28, BT-45), the
buyer's registration id (BT-47), the seller's additional legal information (BT-33), payee (BG-10),
tax representative (BG-11), deliver-to (BG-13), references (BT-11 .. BT-19) and supporting documents
(BG-24)."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import date

import pytest
from lxml import etree
from pydantic import ValidationError

from invoicing.documents.einvoice.cii import invoice_to_cii
from invoicing.documents.einvoice.ubl import credit_note_to_ubl, invoice_to_ubl
from invoicing.documents.einvoice.validation import validate_cii, validate_ubl
from invoicing.domain.invoice import Invoice
from invoicing.domain.party import (
    Account,
    Address,
    Contact,
    Customer,
    Delivery,
    PartyIdentifier,
    Payee,
    TaxRepresentative,
)
from invoicing.domain.references import Attachment, DocumentReferences, SupportingDocument

from . import cases
from .cases import MARCH, swedish_customer, swedish_seller
from .test_cii import assert_valid as assert_valid_cii
from .test_ubl import assert_valid as assert_valid_ubl
from .test_ubl import peppol_findings

UBL = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
SELLER_GLN, BUYER_GLN, DOCK_GLN = "7300010000001", "4000001123452", "7359999000014"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def detailed_seller(**changes: object) -> Account:
    return swedish_seller(
        contact=Contact(name="Eva Ek", phone="+46 8 555 010 20", email="eva.ek@norrsken.example"),
        identifiers=[PartyIdentifier(value=SELLER_GLN, scheme="0088")],
        trading_name="Norrsken Data",
        additional_legal_info="Godkänd för F-skatt",
        **changes,
    )


def detailed_customer(**changes: object) -> Customer:
    return swedish_customer(
        contact=Contact(name="Maria Lindqvist", phone="+46 31 700 10 00"),
        identifier=PartyIdentifier(value=BUYER_GLN, scheme="0088"),
        trading_name="Lindqvist Bygg",
        legal_registration_id="5560360793",
        delivery=Delivery(name="Lindqvist lager", location_id=PartyIdentifier(value=DOCK_GLN, scheme="0088"),
                          address=Address(line1="Hamngatan 3", city="Göteborg", postal_code="411 06",
                                          country="SE")),
        **changes,
    )


def detailed_invoice(**changes: object) -> Invoice:
    given: dict[str, object] = dict(
        seller=detailed_seller(), customer=detailed_customer(),
        buyer_reference="Maria Lindqvist", purchase_order="PO-2026-118",
        references=DocumentReferences(
            project="PRJ-77", contract="AGR-2025-014", sales_order="SO-5512", receiving_advice="RA-901",
            despatch_advice="DA-330", tender_or_lot="LOT-2", invoiced_object="METER-88",
            invoiced_object_scheme="AAQ", buyer_accounting_reference="4010:KST-12"),
        supporting_documents=(
            SupportingDocument(id="TS-2026-03", description="Timesheet March",
                               attachment=Attachment(filename="timesheet.pdf", mime_code="application/pdf",
                                                     content_base64=base64.b64encode(PDF).decode())),
            SupportingDocument(id="DN-17", description="Delivery note", url="https://norrsken.example/dn/17"),
            SupportingDocument(id="ORDER-MAIL"),
        ),
        supply_date=date(2026, 3, 12),
    )
    return cases.finalized([cases.line("Analytics platform", "1", "98760", 1), cases.line("Cables", "10", "4500", 2)],
                           **{**given, **changes})  # type: ignore[arg-type]


def x(root: etree._Element, path: str, ns: dict[str, str]) -> list[str]:
    return [str(v) if isinstance(v, str) else (v.text or "") for v in root.xpath(path, namespaces=ns)]


def test_a_fully_detailed_invoice_is_valid_ubl_by_the_cen_rules_and_peppol() -> None:
    xml = invoice_to_ubl(detailed_invoice())

    assert_valid_ubl(validate_ubl(xml))
    assert peppol_findings(etree.fromstring(xml)) == []


def test_a_fully_detailed_invoice_is_valid_cii_by_the_cen_and_factur_x_rules() -> None:
    report = validate_cii(invoice_to_cii(detailed_invoice()))

    # CII-SR-475 (a warning) counts BT-123 over all supporting documents of the header, not per
    # document: two described documents always raise it (docs/einvoicing.md). Nothing else may.
    assert {w.rule for w in report.warnings} == {"CII-SR-475"}, str(report)
    assert_valid_cii(replace(report, warnings=[]))


def test_one_described_supporting_document_raises_no_cii_warning() -> None:
    one = (SupportingDocument(id="TS-1", description="Timesheet", url="https://norrsken.example/ts/1"),
           SupportingDocument(id="TS-2"))
    assert_valid_cii(validate_cii(invoice_to_cii(detailed_invoice(supporting_documents=one))))


def test_ubl_places_the_parties_details() -> None:
    root = etree.fromstring(invoice_to_ubl(detailed_invoice()))
    seller, buyer = "cac:AccountingSupplierParty/cac:Party/", "cac:AccountingCustomerParty/cac:Party/"

    assert x(root, seller + "cac:PartyIdentification/cbc:ID", UBL) == [SELLER_GLN]
    assert x(root, seller + "cac:PartyIdentification/cbc:ID/@schemeID", UBL) == ["0088"]
    assert x(root, seller + "cac:PartyName/cbc:Name", UBL) == ["Norrsken Data"]
    assert x(root, seller + "cac:PartyLegalEntity/cbc:CompanyLegalForm", UBL) == ["Godkänd för F-skatt"]
    assert x(root, seller + "cac:Contact/cbc:Name", UBL) == ["Eva Ek"]
    assert x(root, seller + "cac:Contact/cbc:Telephone", UBL) == ["+46 8 555 010 20"]
    assert x(root, seller + "cac:Contact/cbc:ElectronicMail", UBL) == ["eva.ek@norrsken.example"]
    assert x(root, buyer + "cac:PartyIdentification/cbc:ID", UBL) == [BUYER_GLN]
    assert x(root, buyer + "cac:PartyName/cbc:Name", UBL) == ["Lindqvist Bygg"]
    assert x(root, buyer + "cac:PartyLegalEntity/cbc:CompanyID", UBL) == ["5560360793"]
    assert x(root, buyer + "cac:Contact/cbc:Name", UBL) == ["Maria Lindqvist"]
    # The buyer's contact has no email of its own: the customer's billing email stays BT-58.
    assert x(root, buyer + "cac:Contact/cbc:ElectronicMail", UBL) == ["ekonomi@lindqvist.example"]


def test_ubl_places_delivery_and_references() -> None:
    root = etree.fromstring(invoice_to_ubl(detailed_invoice()))

    assert x(root, "cac:Delivery/cbc:ActualDeliveryDate", UBL) == ["2026-03-12"]
    assert x(root, "cac:Delivery/cac:DeliveryLocation/cbc:ID", UBL) == [DOCK_GLN]
    assert x(root, "cac:Delivery/cac:DeliveryLocation/cac:Address/cbc:StreetName", UBL) == ["Hamngatan 3"]
    assert x(root, "cac:Delivery/cac:DeliveryParty/cac:PartyName/cbc:Name", UBL) == ["Lindqvist lager"]
    assert x(root, "cbc:AccountingCost", UBL) == ["4010:KST-12"]
    assert x(root, "cac:OrderReference/cbc:ID", UBL) == ["PO-2026-118"]
    assert x(root, "cac:OrderReference/cbc:SalesOrderID", UBL) == ["SO-5512"]
    assert x(root, "cac:DespatchDocumentReference/cbc:ID", UBL) == ["DA-330"]
    assert x(root, "cac:ReceiptDocumentReference/cbc:ID", UBL) == ["RA-901"]
    assert x(root, "cac:OriginatorDocumentReference/cbc:ID", UBL) == ["LOT-2"]
    assert x(root, "cac:ContractDocumentReference/cbc:ID", UBL) == ["AGR-2025-014"]
    assert x(root, "cac:ProjectReference/cbc:ID", UBL) == ["PRJ-77"]
    assert x(root, "cac:AdditionalDocumentReference[cbc:DocumentTypeCode='130']/cbc:ID/@schemeID", UBL) == ["AAQ"]
    assert x(root, "cac:AdditionalDocumentReference/cbc:ID", UBL) == ["METER-88", "TS-2026-03", "DN-17",
                                                                     "ORDER-MAIL"]
    embedded = root.xpath("cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject",
                          namespaces=UBL)[0]
    assert base64.b64decode(embedded.text) == PDF
    assert (embedded.get("mimeCode"), embedded.get("filename")) == ("application/pdf", "timesheet.pdf")
    assert x(root, "cac:AdditionalDocumentReference/cac:Attachment/cac:ExternalReference/cbc:URI", UBL) == [
        "https://norrsken.example/dn/17"]


def test_cii_places_the_same_terms() -> None:
    root = etree.fromstring(invoice_to_cii(detailed_invoice()))
    agreement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
    seller, buyer = agreement + "ram:SellerTradeParty/", agreement + "ram:BuyerTradeParty/"
    delivery = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeDelivery/"

    assert x(root, seller + "ram:GlobalID", CII) == [SELLER_GLN]
    assert x(root, seller + "ram:Description", CII) == ["Godkänd för F-skatt"]
    assert x(root, seller + "ram:SpecifiedLegalOrganization/ram:TradingBusinessName", CII) == ["Norrsken Data"]
    assert x(root, seller + "ram:DefinedTradeContact/ram:PersonName", CII) == ["Eva Ek"]
    assert x(root, buyer + "ram:GlobalID/@schemeID", CII) == ["0088"]
    assert x(root, buyer + "ram:SpecifiedLegalOrganization/ram:ID", CII) == ["5560360793"]
    assert x(root, agreement + "ram:SellerOrderReferencedDocument/ram:IssuerAssignedID", CII) == ["SO-5512"]
    assert x(root, agreement + "ram:ContractReferencedDocument/ram:IssuerAssignedID", CII) == ["AGR-2025-014"]
    assert x(root, agreement + "ram:SpecifiedProcuringProject/ram:ID", CII) == ["PRJ-77"]
    assert x(root, agreement + "ram:AdditionalReferencedDocument[ram:TypeCode='50']/ram:IssuerAssignedID",
             CII) == ["LOT-2"]
    assert x(root, agreement + "ram:AdditionalReferencedDocument[ram:TypeCode='130']/ram:ReferenceTypeCode",
             CII) == ["AAQ"]
    assert x(root, agreement + "ram:AdditionalReferencedDocument[ram:TypeCode='916']/ram:IssuerAssignedID",
             CII) == ["TS-2026-03", "DN-17", "ORDER-MAIL"]
    assert x(root, agreement + "ram:AdditionalReferencedDocument/ram:AttachmentBinaryObject/@filename",
             CII) == ["timesheet.pdf"]
    assert x(root, delivery + "ram:ShipToTradeParty/ram:GlobalID", CII) == [DOCK_GLN]
    assert x(root, delivery + "ram:ShipToTradeParty/ram:Name", CII) == ["Lindqvist lager"]
    assert x(root, delivery + "ram:DespatchAdviceReferencedDocument/ram:IssuerAssignedID", CII) == ["DA-330"]
    assert x(root, delivery + "ram:ReceivingAdviceReferencedDocument/ram:IssuerAssignedID", CII) == ["RA-901"]
    settlement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
    assert x(root, settlement + "ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID", CII) == ["4010:KST-12"]


PAYEE = Payee(name="Nordic Factoring AB", identifier=PartyIdentifier(value="5567037485", scheme="0007"),
              legal_registration_id="5567037485")
REPRESENTATIVE = TaxRepresentative(name="Steuerberatung Hansen GmbH", vat_id="DE 136 695 976",
                                   address=Address(line1="Alsterufer 1", city="Hamburg", postal_code="20354",
                                                   country="DE"))


@pytest.mark.parametrize("where", ["account", "invoice"])
def test_a_payee_is_named_when_someone_else_is_paid(where: str) -> None:
    seller = swedish_seller(payee=PAYEE) if where == "account" else swedish_seller()
    invoice = cases.finalized([cases.line("Consulting", "2", "120000", 1)], seller=seller,
                              customer=swedish_customer(), **({"payee": PAYEE} if where == "invoice" else {}))
    ubl, cii = invoice_to_ubl(invoice), invoice_to_cii(invoice)

    assert_valid_ubl(validate_ubl(ubl))
    assert_valid_cii(validate_cii(cii))
    assert x(etree.fromstring(ubl), "cac:PayeeParty/cac:PartyName/cbc:Name", UBL) == ["Nordic Factoring AB"]
    assert x(etree.fromstring(ubl), "cac:PayeeParty/cac:PartyIdentification/cbc:ID/@schemeID", UBL) == ["0007"]
    settlement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
    assert x(etree.fromstring(cii), settlement + "ram:PayeeTradeParty/ram:Name", CII) == ["Nordic Factoring AB"]


def test_the_sellers_tax_representative_is_stated_with_its_vat_number() -> None:
    invoice = cases.finalized([cases.line("Workshop", "1", "500000", 1)],
                              seller=swedish_seller(tax_representative=REPRESENTATIVE),
                              customer=cases.german_customer())
    ubl, cii = invoice_to_ubl(invoice), invoice_to_cii(invoice)

    assert_valid_ubl(validate_ubl(ubl))
    assert_valid_cii(validate_cii(cii))
    root = etree.fromstring(ubl)
    assert x(root, "cac:TaxRepresentativeParty/cac:PartyTaxScheme/cbc:CompanyID", UBL) == ["DE136695976"]
    assert x(root, "cac:TaxRepresentativeParty/cac:PostalAddress/cac:Country/cbc:IdentificationCode", UBL) == ["DE"]
    agreement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
    assert x(etree.fromstring(cii), agreement + "ram:SellerTaxRepresentativeTradeParty/ram:SpecifiedTaxRegistration"
                                                "/ram:ID", CII) == ["DE136695976"]


def test_a_tax_representative_outside_the_eu_is_stated_with_its_prefixed_vat_number() -> None:
    # A Norwegian (or British, Swiss) VAT representative: the official example 2's is one.
    norwegian = TaxRepresentative(name="Tax handling company AS", vat_id="NO 987 654 325 MVA",
                                  address=Address(line1="Regent street", city="Newtown", country="NO"))
    assert norwegian.vat_id == "NO987654325MVA"
    assert TaxRepresentative(name="UK Ltd", vat_id="GB 980 7806 84", address=norwegian.address).vat_id \
        == "GB980780684"
    assert TaxRepresentative(name="CH AG", vat_id="CHE-116.281.710 MWST", address=norwegian.address).vat_id \
        == "CHE116281710MWST"
    with pytest.raises(ValidationError, match="not a valid VAT number"):
        TaxRepresentative(name="Tax handling company AS", vat_id="NO967611265MVA", address=norwegian.address)
    invoice = cases.finalized([cases.line("Workshop", "1", "500000", 1)],
                              seller=swedish_seller(tax_representative=norwegian), customer=cases.german_customer())
    ubl, cii = invoice_to_ubl(invoice), invoice_to_cii(invoice)

    assert_valid_ubl(validate_ubl(ubl))
    assert_valid_cii(validate_cii(cii))
    assert x(etree.fromstring(ubl), "cac:TaxRepresentativeParty/cac:PartyTaxScheme/cbc:CompanyID", UBL) \
        == ["NO987654325MVA"]
    agreement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
    assert x(etree.fromstring(cii), agreement + "ram:SellerTaxRepresentativeTradeParty/ram:SpecifiedTaxRegistration"
                                                "/ram:ID", CII) == ["NO987654325MVA"]


def test_a_sales_order_alone_gives_the_ubl_order_reference_na() -> None:
    invoice = cases.finalized([cases.line("Cables", "10", "4500", 1)],
                              references=DocumentReferences(sales_order="SO-1"))
    root = etree.fromstring(invoice_to_ubl(invoice))

    assert_valid_ubl(validate_ubl(invoice_to_ubl(invoice)))
    assert x(root, "cac:OrderReference/cbc:ID", UBL) == ["NA"]
    assert x(root, "cac:OrderReference/cbc:SalesOrderID", UBL) == ["SO-1"]


def test_the_invoices_own_delivery_and_contact_replace_the_customers() -> None:
    own = Delivery(name="Site office", address=Address(line1="Byggvägen 1", city="Borås", country="SE"))
    invoice = detailed_invoice(delivery=own, buyer_contact=Contact(name="Olle Site", email="olle@lindqvist.example"))
    root = etree.fromstring(invoice_to_ubl(invoice))

    assert x(root, "cac:Delivery/cac:DeliveryParty/cac:PartyName/cbc:Name", UBL) == ["Site office"]
    assert x(root, "cac:Delivery/cac:DeliveryLocation/cbc:ID", UBL) == []
    assert x(root, "cac:AccountingCustomerParty/cac:Party/cac:Contact/cbc:Name", UBL) == ["Olle Site"]
    assert x(root, "cac:AccountingCustomerParty/cac:Party/cac:Contact/cbc:ElectronicMail", UBL) == [
        "olle@lindqvist.example"]


def test_no_delivery_date_is_stated_unless_given_not_even_with_a_delivery_address() -> None:
    invoice = detailed_invoice(supply_date=None, **MARCH)
    ubl, cii = invoice_to_ubl(invoice), invoice_to_cii(invoice)

    assert x(etree.fromstring(ubl), "cac:Delivery/cbc:ActualDeliveryDate", UBL) == []
    assert b"ActualDeliverySupplyChainEvent" not in cii
    # The invoicing period is the one given (BG-14), not one derived from the lines.
    assert x(etree.fromstring(ubl), "cac:InvoicePeriod/cbc:EndDate", UBL) == ["2026-03-31"]
    assert_valid_ubl(validate_ubl(ubl))


def test_a_credit_note_carries_the_parties_details_and_stays_valid() -> None:
    invoice = detailed_invoice()
    note = cases.credit_note_for(invoice, (cases.invoice_line("il_2", quantity="2"),))
    xml = credit_note_to_ubl(note, invoice)

    assert_valid_ubl(validate_ubl(xml))
    root = etree.fromstring(xml)
    assert x(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyLegalForm", UBL) == [
        "Godkänd för F-skatt"]


def test_an_everyday_invoice_writes_none_of_it() -> None:
    xml = invoice_to_ubl(cases.case("domestic-se-25").invoice)

    for element in (b"PartyIdentification", b"PartyName>", b"CompanyLegalForm", b"PayeeParty", b"AccountingCost",
                    b"TaxRepresentativeParty", b"AdditionalDocumentReference", b"ProjectReference",
                    b"DeliveryParty"):
        assert element not in xml
