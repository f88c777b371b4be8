"""UBL 2.1 Invoice and CreditNote documents, Peppol BIS Billing 3.0 (a CIUS of EN 16931).

The content comes from `semantic` (the EN 16931 view of the invoice); this module only places each
business term where the Peppol BIS UBL syntax binding puts it, in the element order of the UBL 2.1
schemas. Built with lxml, never from string templates.
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
from invoicing.domain.payment_card import CARD_NETWORK_NOT_KNOWN
from invoicing.domain.references import UploadedContent

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def invoice_to_ubl(invoice: Invoice, uploaded: Mapping[str, UploadedContent] | None = None) -> bytes:
    """A finalized invoice as a Peppol BIS Billing 3.0 UBL Invoice (UTF-8, with XML declaration).

    Raises `EInvoiceUnsupported` (an `InvalidInput`) naming the field when EN 16931 cannot express
    the invoice: a currency with three decimals, a reverse-charge buyer without a VAT number, …
    """
    return to_ubl(invoice_document(invoice, uploaded))


def credit_note_to_ubl(note: CreditNote, invoice: Invoice) -> bytes:
    """A credit note as a UBL CreditNote (type 381) referring to the invoice it corrects (BG-3)."""
    return to_ubl(credit_note_document(note, invoice))


def to_ubl(doc: Document) -> bytes:
    invoice = doc.kind == "invoice"
    root_ns, root_tag = (INVOICE_NS, "Invoice") if invoice else (CREDIT_NOTE_NS, "CreditNote")
    root = etree.Element(f"{{{root_ns}}}{root_tag}", nsmap={None: root_ns, "cac": CAC, "cbc": CBC})
    writer = _Writer(doc.currency)
    cbc = writer.cbc
    cbc(root, "CustomizationID", doc.specification_id or CUSTOMIZATION_ID)  # BT-24: Peppol BIS, or XRechnung
    cbc(root, "ProfileID", PROFILE_ID)
    cbc(root, "ID", doc.number)
    cbc(root, "IssueDate", doc.issue_date.isoformat())
    if invoice and doc.due_date:
        cbc(root, "DueDate", doc.due_date.isoformat())
    cbc(root, "InvoiceTypeCode" if invoice else "CreditNoteTypeCode", doc.type_code)
    cbc(root, "Note", doc.note)
    if doc.tax_point_date:
        cbc(root, "TaxPointDate", doc.tax_point_date.isoformat())  # BT-7
    cbc(root, "DocumentCurrencyCode", doc.currency)
    cbc(root, "TaxCurrencyCode", doc.tax_currency)  # BT-6
    cbc(root, "AccountingCost", doc.references.buyer_accounting_reference)
    cbc(root, "BuyerReference", doc.buyer_reference)
    writer.period(root, doc.period_start, doc.period_end, doc.tax_point_date_code)
    writer.order_reference(root, doc)
    # BG-3: the invoice corrected, then the prepayment invoices deducted.
    for number, issued in ([doc.preceding_invoice] if doc.preceding_invoice else []) + list(doc.prepayment_invoices):
        reference = writer.cac(writer.cac(root, "BillingReference"), "InvoiceDocumentReference")
        cbc(reference, "ID", number)
        cbc(reference, "IssueDate", issued.isoformat() if issued else None)
    writer.document_references(root, doc, invoice=invoice)
    writer.party(writer.cac(root, "AccountingSupplierParty"), doc.seller, seller=True, creditor_id=doc.creditor_id)
    writer.party(writer.cac(root, "AccountingCustomerParty"), doc.buyer, seller=False)
    writer.payee_and_tax_representative(root, doc)
    if doc.delivery:
        delivery = writer.cac(root, "Delivery")
        if doc.delivery.date:
            cbc(delivery, "ActualDeliveryDate", doc.delivery.date.isoformat())
        writer.delivery_place(delivery, doc.delivery)
    for i, payment in enumerate(doc.payments):
        means = writer.cac(root, "PaymentMeans")
        # BT-82 occurs once in the document (UBL-SR-46): on the first payment means only.
        cbc(means, "PaymentMeansCode", payment.means_code, **({"name": payment.means_text} if i == 0 else {}))
        cbc(means, "PaymentID", payment.remittance_information)
        if payment.card_number:  # BG-18: BT-87 and BT-88; UBL requires the card's network, not known here
            card = writer.cac(means, "CardAccount")
            cbc(card, "PrimaryAccountNumberID", payment.card_number)
            cbc(card, "NetworkID", CARD_NETWORK_NOT_KNOWN)
            cbc(card, "HolderName", payment.card_holder)
        account_id = payment.iban or payment.proprietary_id
        if account_id:
            account = writer.cac(means, "PayeeFinancialAccount")
            cbc(account, "ID", account_id)
            cbc(account, "Name", payment.account_name)
            if payment.bic:
                cbc(writer.cac(account, "FinancialInstitutionBranch"), "ID", payment.bic)
        if payment.mandate_reference:  # BG-19: BT-89 and the account debited, BT-91
            mandate = writer.cac(means, "PaymentMandate")
            cbc(mandate, "ID", payment.mandate_reference)
            cbc(writer.cac(mandate, "PayerFinancialAccount"), "ID", payment.debited_account)
    if doc.payment_terms:
        cbc(writer.cac(root, "PaymentTerms"), "Note", doc.payment_terms)
    for adjustment in doc.allowances_charges:
        writer.allowance_charge(root, adjustment)
    writer.tax_total(root, doc)
    writer.monetary_total(root, doc)
    for line in doc.lines:
        writer.line(root, line, invoice=invoice)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class _Writer:
    """Element helpers for one document (they know its currency)."""

    def __init__(self, currency: str) -> None:
        self.currency = currency

    @staticmethod
    def cac(parent: etree._Element, name: str) -> etree._Element:
        return etree.SubElement(parent, f"{{{CAC}}}{name}")

    @staticmethod
    def cbc(parent: etree._Element, name: str, text: str | None, /, **attributes: str) -> etree._Element | None:
        """A basic component, or nothing when there is no value (Peppol refuses empty elements)."""
        if text is None or not text.strip():
            return None
        element = etree.SubElement(parent, f"{{{CBC}}}{name}", attributes)
        element.text = text
        return element

    def amount(self, parent: etree._Element, name: str, value: Decimal | None) -> None:
        if value is not None:
            self.cbc(parent, name, decimal_text(value), currencyID=self.currency)

    def period(self, parent: etree._Element, start: date | None, end: date | None,
               tax_point_code: str | None = None) -> None:
        if start is None and end is None and tax_point_code is None:
            return
        period = self.cac(parent, "InvoicePeriod")
        for name, value in (("StartDate", start), ("EndDate", end)):
            if value is not None:
                self.cbc(period, name, value.isoformat())
        self.cbc(period, "DescriptionCode", tax_point_code)  # BT-8

    def address(self, parent: etree._Element, address: PostalAddress) -> None:
        self.cbc(parent, "StreetName", address.line1)
        self.cbc(parent, "AdditionalStreetName", address.line2)
        self.cbc(parent, "CityName", address.city)
        self.cbc(parent, "PostalZone", address.postal_code)
        self.cbc(parent, "CountrySubentity", address.subdivision)
        self.cbc(self.cac(parent, "Country"), "IdentificationCode", address.country)

    def party(self, parent: etree._Element, party: Party, *, seller: bool, creditor_id: str | None = None) -> None:
        element = self.cac(parent, "Party")
        if party.electronic_address:
            endpoint = party.electronic_address
            self.cbc(element, "EndpointID", endpoint.value, schemeID=endpoint.scheme)
        # BT-90, the seller's SEPA creditor identifier, is a party identification of scheme SEPA in UBL.
        self.party_identification(element, party.identifiers + ((PartyId(creditor_id, "SEPA"),) if creditor_id else ()))
        if party.trading_name:
            self.cbc(self.cac(element, "PartyName"), "Name", party.trading_name)
        self.address(self.cac(element, "PostalAddress"), party.address)
        for company_id, scheme in ((party.vat_id, "VAT"), (party.tax_registration_id, "TAX")):
            if company_id:
                tax_scheme = self.cac(element, "PartyTaxScheme")
                self.cbc(tax_scheme, "CompanyID", company_id)
                self.cbc(self.cac(tax_scheme, "TaxScheme"), "ID", scheme)
        legal = self.cac(element, "PartyLegalEntity")
        self.cbc(legal, "RegistrationName", party.name)
        self.cbc(legal, "CompanyID", party.legal_registration_id)
        self.cbc(legal, "CompanyLegalForm", party.additional_legal_info if seller else None)
        if party.contact_name or party.phone or party.email:
            contact = self.cac(element, "Contact")
            self.cbc(contact, "Name", party.contact_name)
            self.cbc(contact, "Telephone", party.phone)
            self.cbc(contact, "ElectronicMail", party.email)

    def tax_category(self, parent: etree._Element, name: str, vat: VatCategory, *, breakdown: bool = False) -> None:
        category = self.cac(parent, name)
        self.cbc(category, "ID", vat.code)
        if vat.percent is not None:
            self.cbc(category, "Percent", quantity_text(vat.percent))
        if breakdown:
            self.cbc(category, "TaxExemptionReasonCode", vat.exemption_code)
            self.cbc(category, "TaxExemptionReason", vat.exemption_reason)
        self.cbc(self.cac(category, "TaxScheme"), "ID", "VAT")

    def allowance_charge(self, parent: etree._Element, adjustment: AllowanceCharge) -> None:
        element = self.cac(parent, "AllowanceCharge")
        self.cbc(element, "ChargeIndicator", "true" if adjustment.is_charge else "false")
        self.cbc(element, "AllowanceChargeReasonCode", adjustment.reason_code)
        self.cbc(element, "AllowanceChargeReason", adjustment.reason)
        self.amount(element, "Amount", adjustment.amount)
        if adjustment.vat:
            self.tax_category(element, "TaxCategory", adjustment.vat)

    def item(self, item: etree._Element, line: Line) -> None:
        """BG-31 and BG-32 in the UBL 2.1 order of cac:Item (Description before Name, properties last)."""
        details = line.item
        self.cbc(item, "Description", details.description if details else None)  # BT-154
        self.cbc(item, "Name", line.name)
        if details and details.buyer_item_id:  # BT-156
            self.cbc(self.cac(item, "BuyersItemIdentification"), "ID", details.buyer_item_id)
        if details and details.seller_item_id:  # BT-155
            self.cbc(self.cac(item, "SellersItemIdentification"), "ID", details.seller_item_id)
        if details and details.standard_id:  # BT-157
            self.cbc(self.cac(item, "StandardItemIdentification"), "ID", details.standard_id.value,
                     schemeID=details.standard_id.scheme)
        if details and details.origin_country:  # BT-159
            self.cbc(self.cac(item, "OriginCountry"), "IdentificationCode", details.origin_country)
        for classification in details.classifications if details else ():  # BT-158
            version = {"listVersionID": classification.list_version} if classification.list_version else {}
            self.cbc(self.cac(item, "CommodityClassification"), "ItemClassificationCode", classification.code,
                     listID=classification.list_id, **version)
        self.tax_category(item, "ClassifiedTaxCategory", line.vat)
        for attribute in details.attributes if details else ():  # BG-32
            prop = self.cac(item, "AdditionalItemProperty")
            self.cbc(prop, "Name", attribute.name)
            self.cbc(prop, "Value", attribute.value)

    def tax_total(self, parent: etree._Element, doc: Document) -> None:
        total = self.cac(parent, "TaxTotal")
        self.amount(total, "TaxAmount", doc.totals.tax_total)
        for group in doc.vat_breakdown:
            subtotal = self.cac(total, "TaxSubtotal")
            self.amount(subtotal, "TaxableAmount", group.taxable_amount)
            self.amount(subtotal, "TaxAmount", group.tax_amount)
            self.tax_category(subtotal, "TaxCategory", group.category, breakdown=True)
        if doc.tax_currency and doc.tax_total_in_tax_currency is not None:
            # The second BT-111: the VAT total in the VAT accounting currency, with no breakdown.
            converted = self.cac(parent, "TaxTotal")
            self.cbc(converted, "TaxAmount", decimal_text(doc.tax_total_in_tax_currency), currencyID=doc.tax_currency)

    def monetary_total(self, parent: etree._Element, doc: Document) -> None:
        totals = doc.totals
        element = self.cac(parent, "LegalMonetaryTotal")
        self.amount(element, "LineExtensionAmount", totals.line_net_total)
        self.amount(element, "TaxExclusiveAmount", totals.tax_exclusive)
        self.amount(element, "TaxInclusiveAmount", totals.tax_inclusive)
        self.amount(element, "AllowanceTotalAmount", totals.allowance_total)
        self.amount(element, "ChargeTotalAmount", totals.charge_total)
        self.amount(element, "PrepaidAmount", totals.prepaid)
        self.amount(element, "PayableAmount", totals.payable)

    def line(self, parent: etree._Element, line: Line, *, invoice: bool) -> None:
        element = self.cac(parent, "InvoiceLine" if invoice else "CreditNoteLine")
        self.cbc(element, "ID", line.number)
        self.cbc(element, "Note", line.note)
        self.cbc(element, "InvoicedQuantity" if invoice else "CreditedQuantity", quantity_text(line.quantity),
                 unitCode=line.unit_code)
        self.amount(element, "LineExtensionAmount", line.net_amount)
        references = line.references
        self.cbc(element, "AccountingCost", references.accounting_reference if references else None)  # BT-133
        self.period(element, line.period_start, line.period_end)
        if references and references.order_line_reference:  # BT-132
            self.cbc(self.cac(element, "OrderLineReference"), "LineID", references.order_line_reference)
        if references and references.object_id:  # BT-128: a document reference of type 130
            document = self.cac(element, "DocumentReference")
            scheme = {"schemeID": references.object_id.scheme} if references.object_id.scheme else {}
            self.cbc(document, "ID", references.object_id.value, **scheme)
            self.cbc(document, "DocumentTypeCode", "130")
        for adjustment in line.allowances_charges:
            self.allowance_charge(element, adjustment)
        item = self.cac(element, "Item")
        self.item(item, line)
        price = self.cac(element, "Price")
        self.amount(price, "PriceAmount", line.net_price)
        if line.price_base_quantity is not None:
            self.cbc(price, "BaseQuantity", quantity_text(line.price_base_quantity), unitCode=line.unit_code)
        if line.gross_price is not None and line.price_discount is not None:
            # BT-147 and BT-148: the price discount off the gross price (Peppol: an allowance, never a charge,
            # with the amount and its base only: UBL-CR-632 … 635, PEPPOL-EN16931-R044).
            discount = self.cac(price, "AllowanceCharge")
            self.cbc(discount, "ChargeIndicator", "false")
            self.amount(discount, "Amount", line.price_discount)
            self.amount(discount, "BaseAmount", line.gross_price)

    # --- issue 12: references, supporting documents, payee, tax representative, delivery place ---------

    def party_identification(self, parent: etree._Element, identifiers: tuple[PartyId, ...]) -> None:
        for identifier in identifiers:
            attributes = {"schemeID": identifier.scheme} if identifier.scheme else {}
            self.cbc(self.cac(parent, "PartyIdentification"), "ID", identifier.value, **attributes)

    def order_reference(self, parent: etree._Element, doc: Document) -> None:
        """BT-13 and BT-14: the order's ID is mandatory in UBL, so a sales order without a purchase
        order states "NA" for it (Peppol BIS Billing 3.0)."""
        sales_order = doc.references.sales_order
        if doc.purchase_order or sales_order:
            order = self.cac(parent, "OrderReference")
            self.cbc(order, "ID", doc.purchase_order or "NA")
            self.cbc(order, "SalesOrderID", sales_order)

    def document_references(self, parent: etree._Element, doc: Document, *, invoice: bool) -> None:
        """BT-16, BT-15, BT-17, BT-12, BG-24 and BT-18, BT-11 in the UBL 2.1 element order."""
        refs = doc.references
        for name, value in (("DespatchDocumentReference", refs.despatch_advice),
                            ("ReceiptDocumentReference", refs.receiving_advice),
                            ("OriginatorDocumentReference", refs.tender_or_lot if invoice else None),
                            ("ContractDocumentReference", refs.contract)):
            if value:
                self.cbc(self.cac(parent, name), "ID", value)
        if invoice and refs.invoiced_object:
            reference = self.cac(parent, "AdditionalDocumentReference")
            obj = refs.invoiced_object
            self.cbc(reference, "ID", obj.value, **({"schemeID": obj.scheme} if obj.scheme else {}))
            self.cbc(reference, "DocumentTypeCode", "130")
        for document in doc.supporting_documents:
            reference = self.cac(parent, "AdditionalDocumentReference")
            self.cbc(reference, "ID", document.id)
            self.cbc(reference, "DocumentDescription", document.description)
            if document.content_base64 or document.url:
                attachment = self.cac(reference, "Attachment")
                if document.content_base64 and document.mime_code and document.filename:
                    self.cbc(attachment, "EmbeddedDocumentBinaryObject", document.content_base64,
                             mimeCode=document.mime_code, filename=document.filename)
                if document.url:
                    self.cbc(self.cac(attachment, "ExternalReference"), "URI", document.url)
        if invoice and refs.project:
            self.cbc(self.cac(parent, "ProjectReference"), "ID", refs.project)

    def payee_and_tax_representative(self, parent: etree._Element, doc: Document) -> None:
        if doc.payee:
            payee = self.cac(parent, "PayeeParty")
            if doc.payee.identifier:
                self.party_identification(payee, (doc.payee.identifier,))
            self.cbc(self.cac(payee, "PartyName"), "Name", doc.payee.name)
            if doc.payee.legal_registration_id:
                self.cbc(self.cac(payee, "PartyLegalEntity"), "CompanyID", doc.payee.legal_registration_id)
        if doc.tax_representative:
            representative = self.cac(parent, "TaxRepresentativeParty")
            self.cbc(self.cac(representative, "PartyName"), "Name", doc.tax_representative.name)
            self.address(self.cac(representative, "PostalAddress"), doc.tax_representative.address)
            tax_scheme = self.cac(representative, "PartyTaxScheme")
            self.cbc(tax_scheme, "CompanyID", doc.tax_representative.vat_id)
            self.cbc(self.cac(tax_scheme, "TaxScheme"), "ID", "VAT")

    def delivery_place(self, delivery: etree._Element, given: Delivery) -> None:
        """BT-71 and BG-15 (DeliveryLocation), then BT-70 (DeliveryParty)."""
        if given.location_id or given.address:
            location = self.cac(delivery, "DeliveryLocation")
            if given.location_id:
                scheme = given.location_id.scheme
                self.cbc(location, "ID", given.location_id.value, **({"schemeID": scheme} if scheme else {}))
            if given.address:
                self.address(self.cac(location, "Address"), given.address)
        if given.name:
            self.cbc(self.cac(self.cac(delivery, "DeliveryParty"), "PartyName"), "Name", given.name)
