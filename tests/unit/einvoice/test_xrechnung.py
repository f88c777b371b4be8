"""XRechnung 3.0 (the German CIUS): the profile, the Leitweg-ID, and one test per BR-DE rule.

No registry package ships KoSIT's XRechnung schematron (docs/einvoicing.md, "XRechnung"), so:
- the rules an invoice here can break are finalize checks (`invoicing.domain.xrechnung`): for each
  rule id a test breaks it and finalizing is refused with that rule and field (409), and the writers
  refuse to write such a document;
- `br_de_findings` re-states KoSIT's asserts (XRechnung-UBL-validation.sch, and the CII ones) on the
  XML, so every XRechnung produced is checked by them, beside the CEN rules it must still pass, and
  the rules only the writers decide (BR-DE-21, BR-DE-23/24/25) are tested on the XML itself.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import date

import pytest
from lxml import etree
from stdnum import iban

from invoicing.documents.einvoice.cii import credit_note_to_cii, invoice_to_cii
from invoicing.documents.einvoice.semantic import EInvoiceUnsupported
from invoicing.documents.einvoice.ubl import credit_note_to_ubl, invoice_to_ubl
from invoicing.documents.einvoice.validation import validate_cii, validate_ubl
from invoicing.domain.corrective import PrecedingInvoice
from invoicing.domain.direct_debit import DirectDebitMandate
from invoicing.domain.errors import FinalizationBlocked
from invoicing.domain.invoice import Invoice
from invoicing.domain.party import Account, Address, Contact, Customer, Delivery
from invoicing.domain.references import Attachment, SupportingDocument
from invoicing.domain.xrechnung import (
    SKONTO_LINE,
    XRECHNUNG_SPECIFICATION_ID,
    compact_leitweg_id,
    leitweg_check_digits,
)

from . import cases

LEITWEG_ID = "991-33333TEST-33"  # KoSIT's test Leitweg-ID
UBL = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# KoSIT's XR-TELEPHONE-REGEX and XR-EMAIL-REGEX (common.sch).
_PHONE = re.compile(r".*([0-9].*){3,}.*")
_EMAIL = re.compile(r"^[a-zA-Z0-9!#$%&\"*+/=?^_`{|}~-]+(\.[a-zA-Z0-9!#$%&\"*+/=?^_`{|}~-]+)*@"
                    r"([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$")


def xr_seller(**changes: object) -> Account:
    contact = Contact(name="Eva Ek", phone="+46 8 555 010 20", email="eva.ek@norrsken.example")
    # (model_copy: the cases' seller fixes its IBAN, which some rules below change)
    return cases.swedish_seller(contact=contact).model_copy(update=changes)


def xr_customer(**changes: object) -> Customer:
    return cases.german_customer(**{"einvoice_profile": "xrechnung", "leitweg_id": LEITWEG_ID, **changes})


def xr_invoice(*, seller: Account | None = None, customer: Customer | None = None, **changes: object) -> Invoice:
    return cases.finalized([cases.line("Analytics platform – Business (March 2026)", "1", "249000", 1),
                            cases.line("Additional users", "12", "1500", 2)],
                           seller=seller or xr_seller(), customer=customer or xr_customer(),
                           **changes)  # type: ignore[arg-type]


def rule_code(rule: str) -> str:
    return "xrechnung_" + rule.lower().replace("-", "_")


# --- KoSIT's asserts, re-stated on the XML ------------------------------------------------------------


def _has(root: etree._Element, path: str, ns: dict[str, str]) -> bool:
    """An element at `path` with text (schematron's `[boolean(normalize-space(.))]`) or children."""
    return any(len(e) or (e.text or "").strip() for e in root.xpath(path, namespaces=ns))


def _skonto_ok(terms: str) -> bool:
    """BR-DE-18: each line starting with # is a Skonto / Verzug line, and a line break follows the last."""
    lines = [line for line in re.split(r"\r?\n", terms) if " ".join(line.split()).startswith("#")]
    if not lines:
        return True
    tail = re.split(r"#.+#", terms)[-1]
    return all(SKONTO_LINE.fullmatch(" ".join(line.split())) for line in lines) and bool(re.match(r"^\s*\n", tail))


def br_de_findings(xml: bytes) -> set[str]:
    """The XRechnung 3.0 rules the document breaks, UBL or CII (KoSIT's ids, warnings included)."""
    root = etree.fromstring(xml)
    if root.tag.endswith("CrossIndustryInvoice"):
        return _cii_findings(root)
    found: set[str] = set()
    ns = UBL
    if root.findtext(f"{{{ns['cbc']}}}CustomizationID") != XRECHNUNG_SPECIFICATION_ID:
        found.add("BR-DE-21")
    if not root.xpath("cac:PaymentMeans", namespaces=ns):
        found.add("BR-DE-1")
    if not _has(root, "cbc:BuyerReference", ns):
        found.add("BR-DE-15")
    type_code = (root.xpath("cbc:InvoiceTypeCode | cbc:CreditNoteTypeCode", namespaces=ns) or [None])[0]
    if type_code is None or type_code.text not in {"326", "380", "384", "389", "381", "875", "876", "877"}:
        found.add("BR-DE-17")
    if type_code is not None and type_code.text == "384" and not root.xpath(
            "cac:BillingReference/cac:InvoiceDocumentReference", namespaces=ns):
        found.add("BR-DE-26")
    terms = root.xpath("cac:PaymentTerms/cbc:Note[1]", namespaces=ns)
    if terms and not _skonto_ok(terms[0].text or ""):
        found.add("BR-DE-18")
    names = root.xpath("cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject/@filename",
                       namespaces=ns)
    if len(set(names)) != len(names):
        found.add("BR-DE-22")
    seller = root.xpath("cac:AccountingSupplierParty/cac:Party", namespaces=ns)[0]
    contact = seller.xpath("cac:Contact", namespaces=ns)
    if not contact:
        found.add("BR-DE-2")
    else:
        for rule, path in (("BR-DE-5", "cbc:Name"), ("BR-DE-6", "cbc:Telephone"), ("BR-DE-7", "cbc:ElectronicMail")):
            if not _has(contact[0], path, ns):
                found.add(rule)
        if not _PHONE.fullmatch(" ".join(contact[0].findtext(f"{{{ns['cbc']}}}Telephone", "").split())):
            found.add("BR-DE-27")
        if not _EMAIL.fullmatch(" ".join(contact[0].findtext(f"{{{ns['cbc']}}}ElectronicMail", "").split())):
            found.add("BR-DE-28")
    found |= _address_findings(root, "cac:{}/cac:Party/cac:PostalAddress", ("AccountingSupplierParty",
                               "AccountingCustomerParty"), ("cbc:CityName", "cbc:PostalZone"), ns)
    for address in root.xpath("cac:Delivery/cac:DeliveryLocation/cac:Address", namespaces=ns):
        if not _has(address, "cbc:CityName", ns):
            found.add("BR-DE-10")
        if not _has(address, "cbc:PostalZone", ns):
            found.add("BR-DE-11")
    for means in root.xpath("cac:PaymentMeans", namespaces=ns):
        code = means.findtext(f"{{{ns['cbc']}}}PaymentMeansCode", "").strip()
        transfer, card, mandate = (bool(means.xpath(p, namespaces=ns)) for p in
                                   ("cac:PayeeFinancialAccount", "cac:CardAccount", "cac:PaymentMandate"))
        if code in ("30", "58"):
            found |= {"BR-DE-23-a"} if not transfer else set()
            found |= {"BR-DE-23-b"} if card or mandate else set()
        if code in ("48", "54", "55"):
            found |= {"BR-DE-24-a"} if not card else set()
            found |= {"BR-DE-24-b"} if transfer or mandate else set()
        if code == "59":
            found |= {"BR-DE-25-a"} if not mandate else set()
            found |= {"BR-DE-25-b"} if transfer or card else set()
        if code == "59" and mandate:  # BG-19: R061 (BT-89, BR-DE-29 before 3.0), BR-DE-31 and BR-DE-20 (BT-91)
            found |= {"PEPPOL-EN16931-R061"} if not _has(means, "cac:PaymentMandate/cbc:ID", ns) else set()
            debited = means.findtext(f"{{{ns['cac']}}}PaymentMandate/{{{ns['cac']}}}PayerFinancialAccount/"
                                     f"{{{ns['cbc']}}}ID", "").strip()
            found |= {"BR-DE-31"} if not debited else set() if iban.is_valid(debited) else {"BR-DE-20"}
    # BR-DE-30: a direct debit states the creditor identifier (BT-90) on the seller or the payee.
    if root.xpath("cac:PaymentMeans/cac:PaymentMandate", namespaces=ns) and not root.xpath(
            "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID[@schemeID='SEPA'] | "
            "cac:PayeeParty/cac:PartyIdentification/cbc:ID[@schemeID='SEPA']", namespaces=ns):
        found.add("BR-DE-30")
    for subtotal in root.xpath("cac:TaxTotal/cac:TaxSubtotal", namespaces=ns):
        if not _has(subtotal, "cac:TaxCategory/cbc:Percent", ns):
            found.add("BR-DE-14")
    categories = set(root.xpath(
        "cac:AllowanceCharge/cac:TaxCategory/cbc:ID/text() | "
        "(cac:InvoiceLine | cac:CreditNoteLine)/cac:Item/cac:ClassifiedTaxCategory/cbc:ID/text()", namespaces=ns))
    if categories & {"S", "Z", "E", "AE", "K", "G", "L", "M"} and not root.xpath(
            "cac:TaxRepresentativeParty | cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID",
            namespaces=ns):
        found.add("BR-DE-16")
    for party, rule in (("AccountingCustomerParty", "PEPPOL-EN16931-R010"),
                        ("AccountingSupplierParty", "PEPPOL-EN16931-R020")):
        if not _has(root, f"cac:{party}/cac:Party/cbc:EndpointID", ns):
            found.add(rule)
    return found


def _address_findings(root: etree._Element, path: str, parties: tuple[str, str], city_and_code: tuple[str, str],
                      ns: dict[str, str]) -> set[str]:
    """BR-DE-3/4 (the seller's city and post code) and BR-DE-8/9 (the buyer's)."""
    found = set()
    for party, rules in zip(parties, (("BR-DE-3", "BR-DE-4"), ("BR-DE-8", "BR-DE-9")), strict=True):
        address = root.xpath(path.format(party), namespaces=ns)[0]
        found |= {rule for rule, element in zip(rules, city_and_code, strict=True) if not _has(address, element, ns)}
    return found


def _cii_findings(root: etree._Element) -> set[str]:
    """The same rules at their CII places (KoSIT's XRechnung-CII-validation.sch)."""
    ns, found = CII, set()
    header = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
    settlement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
    guideline = root.xpath("rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()",
                           namespaces=ns)
    if guideline != [XRECHNUNG_SPECIFICATION_ID]:
        found.add("BR-DE-21")
    if not _has(root, "rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID",
                ns):
        found.add("PEPPOL-EN16931-R001")
    if not root.xpath(f"{settlement}/ram:SpecifiedTradeSettlementPaymentMeans", namespaces=ns):
        found.add("BR-DE-1")
    if not _has(root, f"{header}/ram:BuyerReference", ns):
        found.add("BR-DE-15")
    seller = root.xpath(f"{header}/ram:SellerTradeParty", namespaces=ns)[0]
    contact = seller.xpath("ram:DefinedTradeContact", namespaces=ns)
    if not contact:
        found.add("BR-DE-2")
    else:
        for rule, path in (("BR-DE-5", "ram:PersonName"),
                           ("BR-DE-6", "ram:TelephoneUniversalCommunication/ram:CompleteNumber"),
                           ("BR-DE-7", "ram:EmailURIUniversalCommunication/ram:URIID")):
            if not _has(contact[0], path, ns):
                found.add(rule)
    found |= _address_findings(root, header + "/ram:{}/ram:PostalTradeAddress", ("SellerTradeParty",
                               "BuyerTradeParty"), ("ram:CityName", "ram:PostcodeCode"), ns)
    # BG-19 has no element of its own in CII: any of its three terms is one (KoSIT's BR-DE-23-b, 24-b).
    debit_terms = (f"/rsm:CrossIndustryInvoice/{settlement}/ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID"
                   f" | /rsm:CrossIndustryInvoice/{settlement}/ram:CreditorReferenceID"
                   " | ram:PayerPartyDebtorFinancialAccount/ram:IBANID")
    for means in root.xpath(f"{settlement}/ram:SpecifiedTradeSettlementPaymentMeans", namespaces=ns):
        code = means.findtext(f"{{{ns['ram']}}}TypeCode", "").strip()
        transfer, card, debit = (bool(means.xpath(p, namespaces=ns)) for p in (
            "ram:PayeePartyCreditorFinancialAccount", "ram:ApplicableTradeSettlementFinancialCard", debit_terms))
        if code in ("30", "58"):
            found |= {"BR-DE-23-a"} if not transfer else set()
            found |= {"BR-DE-23-b"} if card or debit else set()
        if code in ("48", "54", "55"):
            found |= {"BR-DE-24-a"} if not card else set()
            found |= {"BR-DE-24-b"} if transfer or debit else set()
        if code == "59":  # BG-19 at its CII places: BT-89 in the terms, BT-90 in the settlement, BT-91 here
            debited = means.findtext(f"{{{ns['ram']}}}PayerPartyDebtorFinancialAccount/{{{ns['ram']}}}IBANID", "")
            if not _has(root, f"{settlement}/ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID", ns):
                found.add("PEPPOL-EN16931-R061")
            if not _has(root, f"{settlement}/ram:CreditorReferenceID", ns):
                found.add("BR-DE-30")
            found |= {"BR-DE-31"} if not debited.strip() else set() if iban.is_valid(debited) else {"BR-DE-20"}
            if means.xpath("ram:PayeePartyCreditorFinancialAccount | ram:ApplicableTradeSettlementFinancialCard",
                           namespaces=ns):
                found.add("BR-DE-25-b")
    for tax in root.xpath(f"{settlement}/ram:ApplicableTradeTax", namespaces=ns):
        if not _has(tax, "ram:RateApplicablePercent", ns):
            found.add("BR-DE-14")
    terms = root.xpath(f"{settlement}/ram:SpecifiedTradePaymentTerms/ram:Description", namespaces=ns)
    if terms and not _skonto_ok(terms[0].text or ""):
        found.add("BR-DE-18")
    return found


def assert_valid_xrechnung(ubl: bytes, cii: bytes) -> None:
    """Both syntaxes: the CEN rules (XSD and schematron, 0 fatal) and the BR-DE rules (0 findings)."""
    ubl_report, cii_report = validate_ubl(ubl), validate_cii(cii)
    assert ubl_report.ok, str(ubl_report)
    assert cii_report.ok, str(cii_report)
    assert br_de_findings(ubl) == set()
    assert br_de_findings(cii) == set()


# --- the Leitweg-ID -----------------------------------------------------------------------------------


@pytest.mark.parametrize("given, canonical", [
    ("04011000-1234512345-06", "04011000-1234512345-06"),  # the format specification's example
    ("991-33333TEST-33", "991-33333TEST-33"),  # KoSIT's test id
    ("991-33333test-33", "991-33333TEST-33"),
    (" 04011000-1234512345-06 ", "04011000-1234512345-06"),
])
def test_a_leitweg_id_with_right_check_digits_is_kept_in_its_canonical_form(given: str, canonical: str) -> None:
    assert compact_leitweg_id(given) == canonical


@pytest.mark.parametrize("given, why", [
    ("04011000-1234512345-07", "check digits are 07"),
    ("991-33333TEST-34", "check digits are 34"),
    ("9-06", "not a Leitweg-ID"),  # the coarse address has 2 to 12 digits
    ("1234567890123-06", "not a Leitweg-ID"),
    ("04011000_12345-06", "not a Leitweg-ID"),
    ("04011000-" + "A" * 31 + "-06", "not a Leitweg-ID"),
    ("04011000-1234512345", "not a Leitweg-ID"),  # no check digits
])
def test_a_wrong_leitweg_id_is_refused_saying_why(given: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        compact_leitweg_id(given)


def test_the_check_digits_are_iso_7064_mod_97_10() -> None:
    """The whole id, letters as A=10 … Z=35, leaves 1 modulo 97 (as an IBAN does)."""
    for address in ("04011000" "1234512345", "991" "33333TEST", "05315"):
        digits = "".join(str(int(c, 36)) for c in address) + leitweg_check_digits(address)
        assert int(digits) % 97 == 1


# --- a valid XRechnung, in both syntaxes ---------------------------------------------------------------


def test_an_xrechnung_invoice_names_xrechnung_3_and_passes_the_cen_and_br_de_rules() -> None:
    invoice = xr_invoice(payment_terms="Zahlbar innerhalb 30 Tagen.\n#SKONTO#TAGE=14#PROZENT=2.00#")
    ubl, cii = invoice_to_ubl(invoice), invoice_to_cii(invoice)
    assert_valid_xrechnung(ubl, cii)
    ubl_root, cii_root = etree.fromstring(ubl), etree.fromstring(cii)
    assert ubl_root.findtext(f"{{{UBL['cbc']}}}CustomizationID") == XRECHNUNG_SPECIFICATION_ID
    assert ubl_root.findtext(f"{{{UBL['cbc']}}}BuyerReference") == LEITWEG_ID  # BT-10: the Leitweg-ID
    assert cii_root.xpath("//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()", namespaces=CII) == [
        XRECHNUNG_SPECIFICATION_ID]
    assert cii_root.xpath("//ram:ApplicableHeaderTradeAgreement/ram:BuyerReference/text()", namespaces=CII) == [
        LEITWEG_ID]
    # BR-DE-18: the Skonto line keeps the line break after it that XRechnung asks for.
    assert ubl_root.xpath("//cac:PaymentTerms/cbc:Note/text()", namespaces=UBL)[0].endswith("#PROZENT=2.00#\n")


def test_a_domestic_german_xrechnung_with_delivery_and_attachment_is_valid() -> None:
    """S 19 % from a German seller, a deliver-to address and an attached file, to a public buyer."""
    seller = Account(
        id="acct_elbe", name="Elbe Software GmbH", email="rechnung@elbe.example", phone="+49 40 123456",
        address=Address(line1="Am Sandtorkai 1", city="Hamburg", postal_code="20457", country="DE"),
        tax_ids=[cases.validated_tax_id("eu_vat", "DE136695976")], iban="DE89 3704 0044 0532 0130 00",
        bic="COBADEFFXXX", default_currency="EUR", contact=Contact(name="Jana Vogt"),
        created=cases.NOW)
    customer = xr_customer(name="Freie und Hansestadt Hamburg", tax_ids=[],
                           delivery=Delivery(address=Address(line1="Rathausmarkt 1", city="Hamburg",
                                                             postal_code="20095", country="DE")))
    invoice = xr_invoice(seller=seller, customer=customer, supporting_documents=(
        SupportingDocument(id="LN-1", description="Leistungsnachweis",
                           attachment=Attachment(filename="nachweis.pdf", mime_code="application/pdf",
                                                 content_base64=base64.b64encode(PDF).decode())),))
    assert {group.category for group in invoice.totals.tax_groups} == {"S"}  # type: ignore[union-attr]
    assert_valid_xrechnung(invoice_to_ubl(invoice), invoice_to_cii(invoice))


def test_an_xrechnung_credit_note_is_valid_and_states_payment_instructions() -> None:
    """BR-DE-1 holds for credit notes too: the means is 'instrument not defined' (code 1)."""
    invoice = xr_invoice()
    note = cases.credit_note_for(invoice, 10000)
    ubl, cii = credit_note_to_ubl(note, invoice), credit_note_to_cii(note, invoice)
    assert_valid_xrechnung(ubl, cii)
    assert etree.fromstring(ubl).xpath("cac:PaymentMeans/cbc:PaymentMeansCode/text()", namespaces=UBL) == ["1"]


def test_an_en16931_customer_still_gets_peppol_bis_and_factur_x() -> None:
    invoice = xr_invoice(customer=cases.german_customer(leitweg_id=LEITWEG_ID))
    ubl, cii = invoice_to_ubl(invoice), invoice_to_cii(invoice)
    assert br_de_findings(ubl) == {"BR-DE-21"} and br_de_findings(cii) == {"BR-DE-21", "PEPPOL-EN16931-R001"}
    assert etree.fromstring(ubl).findtext(f"{{{UBL['cbc']}}}BuyerReference") == LEITWEG_ID  # a default for BT-10


def test_the_invoices_own_buyer_reference_comes_before_the_leitweg_id() -> None:
    invoice = xr_invoice(buyer_reference="991-44444TEST-67")
    assert etree.fromstring(invoice_to_ubl(invoice)).findtext(f"{{{UBL['cbc']}}}BuyerReference") == "991-44444TEST-67"


# --- one test per BR-DE rule an invoice can break: finalizing refuses it, naming the rule and field -----


def _debited() -> dict[str, object]:
    return {"seller": xr_seller(sepa_creditor_id=cases.CREDITOR_ID)}


def _without_contact_phone_email() -> dict[str, object]:
    return {"seller": xr_seller(contact=None, phone=None, email=None)}


@pytest.mark.parametrize("rule, field, given", [
    ("BR-DE-1", "account.iban", lambda: {"seller": xr_seller(iban=None)}),
    ("BR-DE-2", "account.contact", _without_contact_phone_email),
    ("BR-DE-3", "account.address.city", lambda: {"seller": xr_seller(address=None)}),
    ("BR-DE-4", "account.address.postal_code", lambda: {"seller": xr_seller(address=Address(
        line1="Sveavägen 44", city="Stockholm", country="SE"))}),
    ("BR-DE-5", "account.contact.name", lambda: {"seller": xr_seller(contact=Contact(phone="+46 8 555 010 20"))}),
    ("BR-DE-6", "account.contact.phone", lambda: {"seller": xr_seller(contact=Contact(name="Eva Ek"), phone=None)}),
    ("BR-DE-7", "account.contact.email", lambda: {"seller": xr_seller(contact=Contact(name="Eva Ek"), email=None)}),
    ("BR-DE-8", "customer.address.city", lambda: {"customer": xr_customer(address=None)}),
    ("BR-DE-9", "customer.address.postal_code", lambda: {"customer": xr_customer(address=Address(
        line1="Speicherstraße 7", city="Hamburg", country="DE"))}),
    ("BR-DE-11", "customer.delivery.address.postal_code", lambda: {"customer": xr_customer(delivery=Delivery(
        address=Address(line1="Dock 4", city="Hamburg", country="DE")))}),
    ("BR-DE-14", "lines.tax_rate", lambda: {"customer": xr_customer(tax_exempt="none"), "lines_tax": "O"}),
    ("BR-DE-15", "customer.leitweg_id", lambda: {"customer": xr_customer(leitweg_id=None)}),
    ("BR-DE-16", "account.tax_ids", lambda: {"seller": xr_seller(tax_ids=[])}),
    ("BR-DE-17", "prepayment", lambda: {"prepayment": True}),
    ("BR-DE-18", "payment_terms", lambda: {"payment_terms": "#SKONTO#TAGE=14#PROZENT=2#"}),
    ("BR-DE-19", "account.iban", lambda: {"customer": xr_customer(), "seller": xr_seller(
        iban="DE00 3704 0044 0532 0130 00")}),
    ("BR-DE-22", "supporting_documents.attachment.filename", lambda: {"supporting_documents": tuple(
        SupportingDocument(id=f"LN-{n}", attachment=Attachment(filename="nachweis.pdf", mime_code="application/pdf",
                                                                content_base64=base64.b64encode(PDF).decode()))
        for n in (1, 2))}),
    ("BR-DE-26", "preceding_invoice", lambda: {"type_code": "384"}),
    ("BR-DE-27", "account.contact.phone", lambda: {"seller": xr_seller(contact=Contact(
        name="Eva Ek", phone="ext 12", email="eva.ek@norrsken.example"))}),
    ("BR-DE-28", "account.contact.email", lambda: {"seller": xr_seller(contact=Contact(
        name="Eva Ek", phone="+46 8 555 010 20", email="eva.@norrsken.example"))}),
    # SEPA direct debit (BG-19). The mandate's own fields are checked when it is given (a reference, a valid
    # IBAN); an older stored one that lacks them is refused at finalization all the same.
    ("BR-DE-30", "account.sepa_creditor_id", lambda: {"customer": xr_customer(direct_debit=cases.MANDATE)}),
    ("BR-DE-31", "customer.direct_debit.iban", lambda: {**_debited(), "customer": xr_customer(
        direct_debit=DirectDebitMandate.model_construct(mandate_reference="MNDT-1", iban=""))}),
    ("BR-DE-20", "customer.direct_debit.iban", lambda: {**_debited(), "customer": xr_customer(
        direct_debit=DirectDebitMandate.model_construct(mandate_reference="MNDT-1", iban="DE00370400440532013000"))}),
    ("PEPPOL-EN16931-R061", "customer.direct_debit.mandate_reference", lambda: {**_debited(), "customer": xr_customer(
        direct_debit=DirectDebitMandate.model_construct(mandate_reference=" ", iban="DE89370400440532013000"))}),
    ("PEPPOL-EN16931-R010", "customer.electronic_address", lambda: {"customer": xr_customer(
        email=None, electronic_address=None)}),
    ("PEPPOL-EN16931-R020", "account.electronic_address", lambda: {"seller": xr_seller(
        email=None, tax_ids=[], electronic_address=None)}),
])
def test_finalizing_refuses_an_xrechnung_that_breaks_the_rule(rule: str, field: str,
                                                              given: Callable[[], dict[str, object]]) -> None:
    changes = dict(given())
    tax = changes.pop("lines_tax", None)
    # A line not subject to VAT is a manual rate of category O (its seller names its registration id).
    lines = [cases.line("Seminar", "1", "100000", 1, tax_rate=cases.vat("0", tax))] if tax else [
        cases.line("Analytics platform – Business (March 2026)", "1", "249000", 1)]
    seller = changes.pop("seller", xr_seller(legal_registration_id="5566778899"))
    customer = changes.pop("customer", xr_customer())
    with pytest.raises(FinalizationBlocked) as refused:
        cases.finalized(lines, seller=seller, customer=customer, **changes)  # type: ignore[arg-type]
    issues = {i.code: i for i in refused.value.issues}
    assert rule_code(rule) in issues, sorted(issues)
    issue = issues[rule_code(rule)]
    assert issue.field == field and issue.blocking
    assert issue.message.startswith(f"XRechnung {rule}:")
    assert f"XRechnung {rule}:" in str(refused.value)  # the 409's message names the rule


def test_a_valid_xrechnung_has_no_br_de_issue() -> None:
    """The base of the rule tests finalizes: each refusal above is the rule's alone."""
    invoice = xr_invoice()
    assert invoice.status == "open"


def test_br_de_10_a_deliver_to_address_always_has_its_city() -> None:
    """BR-DE-10 cannot be broken: an address has a city (1 to 100 characters), and the XML states it."""
    with pytest.raises(ValueError, match="city"):
        Address(line1="Dock 4", city="", postal_code="20457", country="DE")
    invoice = xr_invoice(delivery=Delivery(address=Address(line1="Dock 4", city="Hamburg", postal_code="20457",
                                                          country="DE")))
    ubl = invoice_to_ubl(invoice)
    assert "BR-DE-10" not in br_de_findings(ubl)
    broken = ubl.replace(b"<cbc:CityName>Hamburg</cbc:CityName>\n        <cbc:PostalZone>20457</cbc:PostalZone>\n"
                         b"        <cac:Country>", b"<cbc:PostalZone>20457</cbc:PostalZone>\n        <cac:Country>")
    assert broken != ubl and "BR-DE-10" in br_de_findings(broken)


def test_br_de_21_the_specification_identifier_is_xrechnungs() -> None:
    ubl = invoice_to_ubl(xr_invoice())
    assert "BR-DE-21" not in br_de_findings(ubl)
    assert "BR-DE-21" in br_de_findings(ubl.replace(XRECHNUNG_SPECIFICATION_ID.encode(), b"urn:cen.eu:en16931:2017"))


@pytest.mark.parametrize("rule, code, drop_account, group", [
    ("BR-DE-23-a", "58", True, None),  # a credit transfer without its account (BG-17)
    ("BR-DE-23-b", "58", False, "<cac:CardAccount><cbc:PrimaryAccountNumberID>1234</cbc:PrimaryAccountNumberID>"
                                "<cbc:NetworkID>VISA</cbc:NetworkID></cac:CardAccount>"),
    ("BR-DE-24-a", "48", True, None),  # a card payment without its card (BG-18)
    ("BR-DE-24-b", "48", False, "<cac:CardAccount><cbc:PrimaryAccountNumberID>1234</cbc:PrimaryAccountNumberID>"
                                "<cbc:NetworkID>VISA</cbc:NetworkID></cac:CardAccount>"),
    ("BR-DE-25-a", "59", True, None),  # a direct debit without its mandate (BG-19)
    ("BR-DE-25-b", "59", False, "<cac:PaymentMandate><cbc:ID>M-1</cbc:ID></cac:PaymentMandate>"),
])
def test_br_de_23_24_25_each_payment_means_code_has_its_own_group(rule: str, code: str, drop_account: bool,
                                                                  group: str | None) -> None:
    """The writers give a credit transfer (30, 58) its account and no card or mandate beside it, so the
    document passes; the re-stated rule catches a document where the group does not fit the code."""
    ubl = invoice_to_ubl(xr_invoice())
    assert not {r for r in br_de_findings(ubl) if r.startswith(("BR-DE-23", "BR-DE-24", "BR-DE-25"))}
    root = etree.fromstring(ubl)
    means = root.xpath("cac:PaymentMeans", namespaces=UBL)[0]
    means.find(f"{{{UBL['cbc']}}}PaymentMeansCode").text = code
    if drop_account:
        means.remove(means.find(f"{{{UBL['cac']}}}PayeeFinancialAccount"))
    if group is not None:
        wrapped = f'<w xmlns:cac="{UBL["cac"]}" xmlns:cbc="{UBL["cbc"]}">{group}</w>'
        means.append(etree.fromstring(wrapped)[0])
    assert rule in br_de_findings(etree.tostring(root))


def test_an_xrechnung_collected_by_direct_debit_states_bg_19_and_passes_the_cen_and_br_de_rules() -> None:
    """Code 59 alone, with the mandate (BT-89), the account debited (BT-91) and the seller's creditor id
    (BT-90): BR-DE-1 and BR-DE-25 hold without any account of the seller's to transfer to."""
    invoice = xr_invoice(seller=xr_seller(iban=None, sepa_creditor_id=cases.CREDITOR_ID),
                         customer=xr_customer(direct_debit=cases.MANDATE))
    assert invoice.status == "open"
    ubl, cii = invoice_to_ubl(invoice), invoice_to_cii(invoice)
    assert_valid_xrechnung(ubl, cii)
    ubl_root, cii_root = etree.fromstring(ubl), etree.fromstring(cii)
    assert ubl_root.xpath("cac:PaymentMeans/cbc:PaymentMeansCode/text()", namespaces=UBL) == ["59"]
    assert ubl_root.xpath("cac:PaymentMeans/cac:PayeeFinancialAccount", namespaces=UBL) == []
    assert ubl_root.xpath("cac:PaymentMeans/cac:PaymentMandate/cbc:ID/text()", namespaces=UBL) == ["MNDT-2026-0042"]
    assert cii_root.xpath("//ram:CreditorReferenceID/text()", namespaces=CII) == [cases.CREDITOR_ID]
    # each of BR-DE-30, BR-DE-31, BR-DE-20 and R061 catches a document that drops or breaks its term
    for old, new, rule in (
            (f'<cbc:ID schemeID="SEPA">{cases.CREDITOR_ID}</cbc:ID>', '<cbc:ID>X</cbc:ID>', "BR-DE-30"),
            ("<cbc:ID>DE89370400440532013000</cbc:ID>", "<cbc:ID>DE00370400440532013000</cbc:ID>", "BR-DE-20"),
            ("<cbc:ID>DE89370400440532013000</cbc:ID>", "<cbc:ID> </cbc:ID>", "BR-DE-31"),
            ("<cbc:ID>MNDT-2026-0042</cbc:ID>", "<cbc:ID> </cbc:ID>", "PEPPOL-EN16931-R061")):
        assert rule in br_de_findings(ubl.replace(old.encode(), new.encode())), rule
    for old, new, rule in (
            (f"<ram:CreditorReferenceID>{cases.CREDITOR_ID}</ram:CreditorReferenceID>", "", "BR-DE-30"),
            ("<ram:IBANID>DE89370400440532013000</ram:IBANID>", "<ram:IBANID>DE00370400440532013000</ram:IBANID>",
             "BR-DE-20"),
            ("<ram:DirectDebitMandateID>MNDT-2026-0042</ram:DirectDebitMandateID>", "", "PEPPOL-EN16931-R061")):
        broken = cii.replace(old.encode(), new.encode())
        assert broken != cii and rule in br_de_findings(broken), rule


def test_an_xrechnung_charged_to_a_card_states_bg_18_alone_and_passes_the_cen_and_br_de_rules() -> None:
    """A card code (54) with BG-18 and neither BG-17 nor BG-19 (BR-DE-24), BR-DE-1 holding without any
    account of the seller's; each re-stated BR-DE-24 assert catches a document that breaks it."""
    customer = xr_customer(payment_card=cases.CARD, default_payment_method="pm_card_4242")
    invoice = xr_invoice(seller=xr_seller(iban=None), customer=customer, collection_method="charge_automatically")
    assert invoice.status == "open"
    ubl, cii = invoice_to_ubl(invoice), invoice_to_cii(invoice)
    assert_valid_xrechnung(ubl, cii)
    ubl_root, cii_root = etree.fromstring(ubl), etree.fromstring(cii)
    assert ubl_root.xpath("cac:PaymentMeans/cbc:PaymentMeansCode/text()", namespaces=UBL) == ["54"]
    assert ubl_root.xpath("cac:PaymentMeans/cac:CardAccount/cbc:PrimaryAccountNumberID/text()",
                          namespaces=UBL) == ["4242"]
    assert cii_root.xpath("//ram:ApplicableTradeSettlementFinancialCard/ram:ID/text()", namespaces=CII) == ["4242"]
    account_ubl = b"<cac:PayeeFinancialAccount><cbc:ID>DE89370400440532013000</cbc:ID></cac:PayeeFinancialAccount>"
    mandate_ubl = b"<cac:PaymentMandate><cbc:ID>M-1</cbc:ID></cac:PaymentMandate>"
    without_card = re.sub(rb"<cac:CardAccount>.*</cac:CardAccount>", b"", ubl, flags=re.DOTALL)
    assert "BR-DE-24-a" in br_de_findings(without_card)
    for extra in (account_ubl, mandate_ubl):
        assert "BR-DE-24-b" in br_de_findings(ubl.replace(b"</cac:PaymentMeans>", extra + b"</cac:PaymentMeans>"))
    card_cii = rb"<ram:ApplicableTradeSettlementFinancialCard>.*</ram:ApplicableTradeSettlementFinancialCard>"
    assert "BR-DE-24-a" in br_de_findings(re.sub(card_cii, b"", cii, flags=re.DOTALL))
    end = b"</ram:SpecifiedTradeSettlementPaymentMeans>"
    for extra in (b"<ram:PayeePartyCreditorFinancialAccount><ram:IBANID>DE89370400440532013000</ram:IBANID>"
                  b"</ram:PayeePartyCreditorFinancialAccount>",
                  b"<ram:PayerPartyDebtorFinancialAccount><ram:IBANID>DE89370400440532013000</ram:IBANID>"
                  b"</ram:PayerPartyDebtorFinancialAccount>"):
        assert "BR-DE-24-b" in br_de_findings(cii.replace(end, extra + end))
    # and a credit transfer beside a card breaks BR-DE-23-b in CII as in UBL
    transfer = xr_invoice()
    assert "BR-DE-23-b" in br_de_findings(invoice_to_cii(transfer).replace(
        end, b"<ram:ApplicableTradeSettlementFinancialCard><ram:ID>4242</ram:ID>"
             b"</ram:ApplicableTradeSettlementFinancialCard>" + end))


def test_the_writers_refuse_an_xrechnung_that_breaks_a_rule() -> None:
    """Never produced: an invoice whose snapshots break a BR-DE rule gets no XRechnung at all."""
    invoice = xr_invoice()
    broken = invoice.model_copy(update={"seller_snapshot": xr_seller(contact=Contact(phone="+46 8 555 010 20"))})
    for write in (invoice_to_ubl, invoice_to_cii):
        with pytest.raises(EInvoiceUnsupported) as refused:
            write(broken)
        assert refused.value.code == "xrechnung_br_de_5" and refused.value.param == "account.contact.name"


def test_an_en16931_customer_is_not_held_to_the_br_de_rules() -> None:
    invoice = xr_invoice(seller=xr_seller(contact=None), customer=cases.german_customer())
    assert invoice.status == "open"
    assert validate_ubl(invoice_to_ubl(invoice)).ok


def test_a_corrective_xrechnung_naming_its_invoice_is_valid() -> None:
    invoice = xr_invoice(type_code="384", preceding_invoice=PrecedingInvoice(number="INV-000007",
                                                                              issue_date=date(2026, 2, 1)))
    assert_valid_xrechnung(invoice_to_ubl(invoice), invoice_to_cii(invoice))


def test_a_factur_x_pdf_of_an_xrechnung_embeds_the_xrechnung_cii() -> None:
    """A customer with einvoice_format facturx and the xrechnung profile: the PDF carries the XRechnung
    CII (ZUGFeRD's XRECHNUNG level), valid by the CEN rules and the BR-DE rules."""
    from invoicing.documents.einvoice.validation import validate, xml_from_pdf
    from invoicing.documents.pdf import render_invoice_pdf

    invoice = xr_invoice()
    embedded = xml_from_pdf(render_invoice_pdf(invoice, facturx_xml=invoice_to_cii(invoice)))
    assert validate(embedded).ok and br_de_findings(embedded) == set()
    assert XRECHNUNG_SPECIFICATION_ID.encode() in embedded
