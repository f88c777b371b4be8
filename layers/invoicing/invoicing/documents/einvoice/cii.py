"""UN/CEFACT Cross Industry Invoice (CII D16B) documents at the Factur-X / ZUGFeRD EN 16931 profile.

The content comes from `semantic` (the EN 16931 view of the invoice), exactly as for UBL; this
module only places each business term where the EN 16931 CII syntax binding puts it, in the
element order of the Factur-X EN 16931 schema. The same XML is what a Factur-X PDF embeds as
factur-x.xml. Built with lxml, never from string templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from lxml import etree

from invoicing.documents.einvoice.semantic import (
    AllowanceCharge,
    Delivery,
    Document,
    Line,
    Party,
    PartyId,
    PostalAddress,
    VatCategory,
    credit_note_document,
    decimal_text,
    invoice_document,
    quantity_text,
)
from invoicing.domain.credit_note import CreditNote
from invoicing.domain.invoice import Invoice
from invoicing.domain.references import UploadedContent

GUIDELINE_ID = "urn:cen.eu:en16931:2017"  # BT-24: EN 16931 itself, Factur-X's EN 16931 profile
# BT-23 of an XRechnung (XRechnung 3.0 adopts PEPPOL-EN16931-R001: the business process is given).
BUSINESS_PROCESS_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
_NSMAP = {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}
# BT-8 in CII is a UNCL 2475 code (EN 16931's CII binding): the UNCL 2005 code UBL writes -> its twin.
_TAX_POINT_CODES = {"3": "5", "35": "29", "432": "72"}


def invoice_to_cii(invoice: Invoice, uploaded: Mapping[str, UploadedContent] | None = None) -> bytes:
    """A finalized invoice as a CII CrossIndustryInvoice, Factur-X EN 16931 profile (UTF-8, with XML
    declaration). Raises `EInvoiceUnsupported` (an `InvalidInput`) naming the field when EN 16931
    cannot express the invoice."""
    return to_cii(invoice_document(invoice, uploaded))


def credit_note_to_cii(note: CreditNote, invoice: Invoice) -> bytes:
    """A credit note as a CII document of type 381 referring to the invoice it corrects (BG-3)."""
    return to_cii(credit_note_document(note, invoice))


def to_cii(doc: Document) -> bytes:
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=_NSMAP)
    context = _sub(root, "ExchangedDocumentContext", RSM)
    if doc.specification_id is not None:
        _text(_sub(context, "BusinessProcessSpecifiedDocumentContextParameter"), "ID", BUSINESS_PROCESS_ID)
    _text(_sub(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", doc.specification_id or GUIDELINE_ID)

    header = _sub(root, "ExchangedDocument", RSM)
    _text(header, "ID", doc.number)
    _text(header, "TypeCode", doc.type_code)
    _date(header, "IssueDateTime", doc.issue_date)
    if doc.note:
        _text(_sub(header, "IncludedNote"), "Content", doc.note)

    transaction = _sub(root, "SupplyChainTradeTransaction", RSM)
    for line in doc.lines:
        _line(transaction, line)

    agreement = _sub(transaction, "ApplicableHeaderTradeAgreement")
    _text(agreement, "BuyerReference", doc.buyer_reference)
    _party(_sub(agreement, "SellerTradeParty"), doc.seller)
    _party(_sub(agreement, "BuyerTradeParty"), doc.buyer)
    _tax_representative(agreement, doc)
    if doc.references.sales_order:
        _text(_sub(agreement, "SellerOrderReferencedDocument"), "IssuerAssignedID", doc.references.sales_order)
    if doc.purchase_order:
        _text(_sub(agreement, "BuyerOrderReferencedDocument"), "IssuerAssignedID", doc.purchase_order)
    _agreement_references(agreement, doc)

    delivery = _sub(transaction, "ApplicableHeaderTradeDelivery")
    if doc.delivery:
        _ship_to(delivery, doc.delivery)
        if doc.delivery.date:
            _date(_sub(delivery, "ActualDeliverySupplyChainEvent"), "OccurrenceDateTime", doc.delivery.date)
    _delivery_references(delivery, doc)

    settlement = _sub(transaction, "ApplicableHeaderTradeSettlement")
    _text(settlement, "CreditorReferenceID", doc.creditor_id)  # BT-90
    if doc.payments:  # BT-83: one for the document in CII (every payment means quotes the same)
        _text(settlement, "PaymentReference", doc.payments[0].remittance_information)
    _text(settlement, "TaxCurrencyCode", doc.tax_currency)  # BT-6
    _text(settlement, "InvoiceCurrencyCode", doc.currency)
    _payee(settlement, doc)
    for i, payment in enumerate(doc.payments):
        means = _sub(settlement, "SpecifiedTradeSettlementPaymentMeans")
        _text(means, "TypeCode", payment.means_code)
        if i == 0:  # BT-82 is the document's one text, as in UBL (CII-SR-468, UBL-SR-46)
            _text(means, "Information", payment.means_text)
        if payment.card_number:  # BG-18: BT-87 and BT-88
            card = _sub(means, "ApplicableTradeSettlementFinancialCard")
            _text(card, "ID", payment.card_number)
            _text(card, "CardholderName", payment.card_holder)
        if payment.debited_account:  # BT-91 (its mandate, BT-89, is in the payment terms)
            _text(_sub(means, "PayerPartyDebtorFinancialAccount"), "IBANID", payment.debited_account)
        if payment.iban or payment.proprietary_id:
            account = _sub(means, "PayeePartyCreditorFinancialAccount")
            _text(account, "IBANID", payment.iban)
            _text(account, "AccountName", payment.account_name)
            _text(account, "ProprietaryID", payment.proprietary_id)
            if payment.bic:
                _text(_sub(means, "PayeeSpecifiedCreditorFinancialInstitution"), "BICID", payment.bic)
    for group in doc.vat_breakdown:
        tax = _sub(settlement, "ApplicableTradeTax")
        _amount(tax, "CalculatedAmount", group.tax_amount)
        _text(tax, "TypeCode", "VAT")
        _text(tax, "ExemptionReason", group.category.exemption_reason)
        _amount(tax, "BasisAmount", group.taxable_amount)
        _text(tax, "CategoryCode", group.category.code)
        _text(tax, "ExemptionReasonCode", group.category.exemption_code)
        if doc.tax_point_date:  # BT-7
            _text(_sub(tax, "TaxPointDate"), "DateString", doc.tax_point_date.strftime("%Y%m%d"), UDT, format="102")
        _text(tax, "DueDateTypeCode", _TAX_POINT_CODES.get(doc.tax_point_date_code or ""))  # BT-8
        _percent(tax, group.category)
    _period(settlement, doc.period_start, doc.period_end)
    for adjustment in doc.allowances_charges:
        _allowance_charge(settlement, adjustment)
    mandates = [p.mandate_reference for p in doc.payments if p.mandate_reference]
    if doc.payment_terms or doc.due_date or mandates:
        terms = _sub(settlement, "SpecifiedTradePaymentTerms")
        _text(terms, "Description", doc.payment_terms)
        if doc.due_date:
            _date(terms, "DueDateDateTime", doc.due_date)
        _text(terms, "DirectDebitMandateID", mandates[0] if mandates else None)  # BT-89
    totals = doc.totals
    summation = _sub(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _amount(summation, "LineTotalAmount", totals.line_net_total)
    _amount(summation, "ChargeTotalAmount", totals.charge_total)
    _amount(summation, "AllowanceTotalAmount", totals.allowance_total)
    _amount(summation, "TaxBasisTotalAmount", totals.tax_exclusive)
    _text(summation, "TaxTotalAmount", decimal_text(totals.tax_total), currencyID=doc.currency)
    if doc.tax_currency and doc.tax_total_in_tax_currency is not None:  # the second BT-111
        _text(summation, "TaxTotalAmount", decimal_text(doc.tax_total_in_tax_currency), currencyID=doc.tax_currency)
    _amount(summation, "GrandTotalAmount", totals.tax_inclusive)
    _amount(summation, "TotalPrepaidAmount", totals.prepaid)
    _amount(summation, "DuePayableAmount", totals.payable)
    # BG-3: the invoice corrected, then the prepayment invoices deducted.
    for number, issued in ([doc.preceding_invoice] if doc.preceding_invoice else []) + list(doc.prepayment_invoices):
        reference = _sub(settlement, "InvoiceReferencedDocument")
        _text(reference, "IssuerAssignedID", number)
        if issued:
            formatted = _sub(reference, "FormattedIssueDateTime")
            _text(formatted, "DateTimeString", issued.strftime("%Y%m%d"), QDT, format="102")
    if doc.references.buyer_accounting_reference:
        _text(_sub(settlement, "ReceivableSpecifiedTradeAccountingAccount"), "ID",
              doc.references.buyer_accounting_reference)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _sub(parent: etree._Element, name: str, namespace: str = RAM) -> etree._Element:
    return etree.SubElement(parent, f"{{{namespace}}}{name}")


def _text(parent: etree._Element, name: str, text: str | None, namespace: str = RAM, /, **attributes: str) -> None:
    """An element with text, or nothing when there is no value (no empty elements)."""
    if text is None or not text.strip():
        return
    element = etree.SubElement(parent, f"{{{namespace}}}{name}", attributes)
    element.text = text


def _amount(parent: etree._Element, name: str, value: Decimal | None) -> None:
    if value is not None:
        _text(parent, name, decimal_text(value))


def _date(parent: etree._Element, name: str, value: date) -> None:
    _text(_sub(parent, name), "DateTimeString", value.strftime("%Y%m%d"), UDT, format="102")


def _period(parent: etree._Element, start: date | None, end: date | None) -> None:
    if start is None and end is None:
        return
    period = _sub(parent, "BillingSpecifiedPeriod")
    if start:
        _date(period, "StartDateTime", start)
    if end:
        _date(period, "EndDateTime", end)


def _percent(parent: etree._Element, vat: VatCategory) -> None:
    if vat.percent is not None:
        _text(parent, "RateApplicablePercent", quantity_text(vat.percent))


def _address(parent: etree._Element, address: PostalAddress) -> None:
    _text(parent, "PostcodeCode", address.postal_code)
    _text(parent, "LineOne", address.line1)
    _text(parent, "LineTwo", address.line2)
    _text(parent, "CityName", address.city)
    _text(parent, "CountryID", address.country)
    _text(parent, "CountrySubDivisionName", address.subdivision)


def _party(element: etree._Element, party: Party) -> None:
    _identifiers(element, party.identifiers)
    _text(element, "Name", party.name)
    _text(element, "Description", party.additional_legal_info)
    if party.legal_registration_id or party.trading_name:
        organization = _sub(element, "SpecifiedLegalOrganization")
        _text(organization, "ID", party.legal_registration_id)
        _text(organization, "TradingBusinessName", party.trading_name)
    if party.contact_name or party.phone or party.email:
        contact = _sub(element, "DefinedTradeContact")
        _text(contact, "PersonName", party.contact_name)
        if party.phone:
            _text(_sub(contact, "TelephoneUniversalCommunication"), "CompleteNumber", party.phone)
        if party.email:
            _text(_sub(contact, "EmailURIUniversalCommunication"), "URIID", party.email)
    _address(_sub(element, "PostalTradeAddress"), party.address)
    if party.electronic_address:
        endpoint = party.electronic_address
        _text(_sub(element, "URIUniversalCommunication"), "URIID", endpoint.value, schemeID=endpoint.scheme)
    for registration, scheme in ((party.vat_id, "VA"), (party.tax_registration_id, "FC")):
        if registration:
            _text(_sub(element, "SpecifiedTaxRegistration"), "ID", registration, schemeID=scheme)


def _allowance_charge(parent: etree._Element, adjustment: AllowanceCharge) -> None:
    element = _sub(parent, "SpecifiedTradeAllowanceCharge")
    _text(_sub(element, "ChargeIndicator"), "Indicator", "true" if adjustment.is_charge else "false", UDT)
    _amount(element, "ActualAmount", adjustment.amount)
    _text(element, "ReasonCode", adjustment.reason_code)
    _text(element, "Reason", adjustment.reason)
    if adjustment.vat:
        tax = _sub(element, "CategoryTradeTax")
        _text(tax, "TypeCode", "VAT")
        _text(tax, "CategoryCode", adjustment.vat.code)
        _percent(tax, adjustment.vat)


def _line(transaction: etree._Element, line: Line) -> None:
    item = _sub(transaction, "IncludedSupplyChainTradeLineItem")
    document = _sub(item, "AssociatedDocumentLineDocument")
    _text(document, "LineID", line.number)
    if line.note:
        _text(_sub(document, "IncludedNote"), "Content", line.note)
    _product(_sub(item, "SpecifiedTradeProduct"), line)
    references = line.references
    agreement = _sub(item, "SpecifiedLineTradeAgreement")
    if references and references.order_line_reference:  # BT-132
        _text(_sub(agreement, "BuyerOrderReferencedDocument"), "LineID", references.order_line_reference)
    if line.gross_price is not None and line.price_discount is not None:  # BT-148, BT-147
        gross = _sub(agreement, "GrossPriceProductTradePrice")
        _amount(gross, "ChargeAmount", line.gross_price)
        if line.price_base_quantity is not None:
            _text(gross, "BasisQuantity", quantity_text(line.price_base_quantity), unitCode=line.unit_code)
        if line.price_discount:
            discount = _sub(gross, "AppliedTradeAllowanceCharge")
            _text(_sub(discount, "ChargeIndicator"), "Indicator", "false", UDT)
            _amount(discount, "ActualAmount", line.price_discount)
    price = _sub(agreement, "NetPriceProductTradePrice")
    _amount(price, "ChargeAmount", line.net_price)
    if line.price_base_quantity is not None:
        _text(price, "BasisQuantity", quantity_text(line.price_base_quantity), unitCode=line.unit_code)
    delivery = _sub(item, "SpecifiedLineTradeDelivery")
    _text(delivery, "BilledQuantity", quantity_text(line.quantity), unitCode=line.unit_code)
    settlement = _sub(item, "SpecifiedLineTradeSettlement")
    tax = _sub(settlement, "ApplicableTradeTax")
    _text(tax, "TypeCode", "VAT")
    _text(tax, "CategoryCode", line.vat.code)
    _percent(tax, line.vat)
    _period(settlement, line.period_start, line.period_end)
    for adjustment in line.allowances_charges:
        _allowance_charge(settlement, adjustment)
    _amount(_sub(settlement, "SpecifiedTradeSettlementLineMonetarySummation"), "LineTotalAmount", line.net_amount)
    if references and references.object_id:  # BT-128: a referenced document of type 130
        document = _sub(settlement, "AdditionalReferencedDocument")
        _text(document, "IssuerAssignedID", references.object_id.value)
        _text(document, "TypeCode", "130")
        _text(document, "ReferenceTypeCode", references.object_id.scheme)
    if references and references.accounting_reference:  # BT-133
        _text(_sub(settlement, "ReceivableSpecifiedTradeAccountingAccount"), "ID", references.accounting_reference)


def _product(product: etree._Element, line: Line) -> None:
    """BG-31 and BG-32 in the order of the Factur-X EN 16931 schema's SpecifiedTradeProduct."""
    details = line.item
    if details and details.standard_id:  # BT-157
        _text(product, "GlobalID", details.standard_id.value, schemeID=details.standard_id.scheme)
    _text(product, "SellerAssignedID", details.seller_item_id if details else None)  # BT-155
    _text(product, "BuyerAssignedID", details.buyer_item_id if details else None)  # BT-156
    _text(product, "Name", line.name)
    _text(product, "Description", details.description if details else None)  # BT-154
    for attribute in details.attributes if details else ():  # BG-32
        characteristic = _sub(product, "ApplicableProductCharacteristic")
        _text(characteristic, "Description", attribute.name)
        _text(characteristic, "Value", attribute.value)
    for classification in details.classifications if details else ():  # BT-158
        attributes = {"listID": classification.list_id}
        if classification.list_version:
            attributes["listVersionID"] = classification.list_version
        _text(_sub(product, "DesignatedProductClassification"), "ClassCode", classification.code, **attributes)
    if details and details.origin_country:  # BT-159
        _text(_sub(product, "OriginTradeCountry"), "ID", details.origin_country)


# --- issue 12: identifiers, references, supporting documents, payee, tax representative, ship-to ----------


def _identifiers(element: etree._Element, identifiers: tuple[PartyId, ...]) -> None:
    """BT-29 / BT-46 / BT-60 / BT-71: ram:ID without a scheme, ram:GlobalID with one (IDs first)."""
    for identifier in identifiers:
        if not identifier.scheme:
            _text(element, "ID", identifier.value)
    for identifier in identifiers:
        if identifier.scheme:
            _text(element, "GlobalID", identifier.value, schemeID=identifier.scheme)


def _tax_representative(agreement: etree._Element, doc: Document) -> None:
    representative = doc.tax_representative
    if representative is None:
        return
    element = _sub(agreement, "SellerTaxRepresentativeTradeParty")
    _text(element, "Name", representative.name)
    _address(_sub(element, "PostalTradeAddress"), representative.address)
    _text(_sub(element, "SpecifiedTaxRegistration"), "ID", representative.vat_id, schemeID="VA")


def _agreement_references(agreement: etree._Element, doc: Document) -> None:
    """BT-12, BG-24, BT-17 (type 50), BT-18 (type 130) and BT-11, in the CII element order."""
    refs = doc.references
    if refs.contract:
        _text(_sub(agreement, "ContractReferencedDocument"), "IssuerAssignedID", refs.contract)
    for document in doc.supporting_documents:
        element = _sub(agreement, "AdditionalReferencedDocument")
        _text(element, "IssuerAssignedID", document.id)
        _text(element, "URIID", document.url)
        _text(element, "TypeCode", "916")
        _text(element, "Name", document.description)
        if document.content_base64 and document.mime_code and document.filename:
            _text(element, "AttachmentBinaryObject", document.content_base64, mimeCode=document.mime_code,
                  filename=document.filename)
    if refs.tender_or_lot:
        element = _sub(agreement, "AdditionalReferencedDocument")
        _text(element, "IssuerAssignedID", refs.tender_or_lot)
        _text(element, "TypeCode", "50")
    if refs.invoiced_object:
        element = _sub(agreement, "AdditionalReferencedDocument")
        _text(element, "IssuerAssignedID", refs.invoiced_object.value)
        _text(element, "TypeCode", "130")
        _text(element, "ReferenceTypeCode", refs.invoiced_object.scheme)
    if refs.project:
        project = _sub(agreement, "SpecifiedProcuringProject")
        _text(project, "ID", refs.project)
        _text(project, "Name", "Project reference")  # mandatory in CII; EN 16931 has no project name


def _ship_to(delivery: etree._Element, given: Delivery) -> None:
    """BG-13's party: BT-71, BT-70 and BG-15 (ShipToTradeParty)."""
    if not (given.address or given.name or given.location_id):
        return
    party = _sub(delivery, "ShipToTradeParty")
    if given.location_id:
        _identifiers(party, (given.location_id,))
    _text(party, "Name", given.name)
    if given.address:
        _address(_sub(party, "PostalTradeAddress"), given.address)


def _delivery_references(delivery: etree._Element, doc: Document) -> None:
    """BT-16 and BT-15."""
    if doc.references.despatch_advice:
        _text(_sub(delivery, "DespatchAdviceReferencedDocument"), "IssuerAssignedID", doc.references.despatch_advice)
    if doc.references.receiving_advice:
        _text(_sub(delivery, "ReceivingAdviceReferencedDocument"), "IssuerAssignedID",
              doc.references.receiving_advice)


def _payee(settlement: etree._Element, doc: Document) -> None:
    payee = doc.payee
    if payee is None:
        return
    element = _sub(settlement, "PayeeTradeParty")
    if payee.identifier:
        _identifiers(element, (payee.identifier,))
    _text(element, "Name", payee.name)
    if payee.legal_registration_id:
        _text(_sub(element, "SpecifiedLegalOrganization"), "ID", payee.legal_registration_id)
