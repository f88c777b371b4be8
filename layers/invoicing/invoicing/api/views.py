"""How objects look in the API: Stripe-like, snake_case, integer minor units, ISO 8601 times."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from invoicing.api.contract import ValidationIssueObject
from invoicing.api.line_views import (
    ItemObject,
    ObjectIdObject,
    PrecedingInvoiceObject,
    item_view,
    preceding_invoice_view,
    references_view,
)
from invoicing.domain.corrective import InvoiceTypeCode
from invoicing.domain.credit_note import CreditLineType, CreditNote, CreditReason
from invoicing.domain.direct_debit import DirectDebitMandate
from invoicing.domain.dunning import DunningPolicy, is_overdue
from invoicing.domain.events import DomainEvent
from invoicing.domain.invoice import Invoice, InvoiceLine, InvoiceStatus
from invoicing.domain.party import (
    Account,
    Address,
    BankAccount,
    Branding,
    Contact,
    Customer,
    Delivery,
    ElectronicAddress,
    Numbering,
    PartyIdentifier,
    Payee,
    ReviewSettings,
    SellerTexts,
    TaxId,
    TaxRepresentative,
)
from invoicing.domain.payment_card import PaymentCard
from invoicing.domain.references import DocumentReferences, SupportingDocument
from invoicing.domain.sending import EmailFailure
from invoicing.domain.supply import CustomerType, SupplyType, TaxCode
from invoicing.domain.tax import TaxCategory, TaxRate, TaxType, exemption_reason_code
from invoicing.domain.totals import Charge, Discount, TaxBehavior
from invoicing.domain.xrechnung import EInvoiceProfile
from invoicing.services.invoices import DocumentLink, InvoiceView
from invoicing.services.ports import Page

T = TypeVar("T")
DecimalText = Annotated[str, Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$", examples=["2.5"],
                                   description="A decimal number as a string")]
Metadata = dict[str, str]


# --- the objects the routes answer with (the OpenAPI document's response schemas) -------------------
# Each view below returns a dict of its object's shape; tests/unit/test_openapi_document.py checks
# every view against its model, and schemathesis checks every answer against the document.
# `defer_build`: the API function never validates through these, so it does not build them at init.


class View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ListOf(View, Generic[T]):
    object: Literal["list"]
    url: str
    data: list[T]
    has_more: bool


class AccountObject(View):
    id: str = Field(examples=["acct_01JD4V6Q3Z0M6V2K3W5N8P9R7T"])
    object: Literal["account"]
    name: str
    email: str | None
    phone: str | None
    website: str | None
    address: Address | None
    tax_ids: list[TaxId]
    legal_registration_id: str | None
    electronic_address: ElectronicAddress | None
    iban: str | None
    bic: str | None
    bankgiro: str | None = Field(description="Bankgiro number, digits only")
    plusgiro: str | None = Field(description="Plusgiro number, digits only")
    bank_accounts: list[BankAccount] = Field(description="Further accounts paid into by credit transfer")
    remittance_reference: Literal["rf", "ocr"] = Field(description="What invoices give the payer to quote (BT-83)")
    default_currency: str
    default_locale: str
    days_until_due: int
    payment_terms: str | None
    texts: SellerTexts | None
    branding: Branding
    numbering: Numbering
    default_supply_type: SupplyType
    oss_registered: bool
    review: ReviewSettings
    dunning_policies: list[DunningPolicy]
    # EN 16931 seller details (issue 12).
    contact: Contact | None
    identifiers: list[PartyIdentifier]
    trading_name: str | None
    additional_legal_info: str | None
    tax_representative: TaxRepresentative | None
    payee: Payee | None
    sepa_creditor_id: str | None = Field(description="BT-90: the SEPA creditor identifier of its direct debits")
    created: datetime


class CustomerObject(View):
    id: str = Field(examples=["cus_01JD4V6Q3Z0M6V2K3W5N8P9R7T"])
    object: Literal["customer"]
    name: str
    email: str | None
    address: Address | None
    tax_ids: list[TaxId]
    tax_exempt: Literal["none", "exempt", "reverse"]
    customer_type: CustomerType | None = Field(description="null: decided from its tax IDs")
    electronic_address: ElectronicAddress | None
    locale: str
    currency: str
    invoice_prefix: str | None
    default_payment_method: str | None
    stripe_customer_id: str | None = Field(description="The customer at Stripe its saved payment method belongs to")
    einvoice_format: Literal["pdf", "facturx", "ubl", "cii"]
    einvoice_profile: EInvoiceProfile = Field(description="en16931, or xrechnung (XRechnung 3.0)")
    leitweg_id: str | None = Field(description="The Leitweg-ID: BT-10 of its invoices unless an invoice gives its own")
    credit_balance: int = Field(description="Credit in minor units, used on the next invoice")
    segments: list[str]
    test_clock: str | None = Field(description="The test clock the customer lives on (sandbox)")
    email_failure: EmailFailure | None = Field(description="Why mail to `email` fails (a bounce or complaint)")
    metadata: Metadata
    # EN 16931 buyer details (issue 12).
    contact: Contact | None
    identifier: PartyIdentifier | None
    trading_name: str | None
    legal_registration_id: str | None
    delivery: Delivery | None
    direct_debit: DirectDebitMandate | None = Field(description="BG-19: its SEPA direct debit mandate")
    payment_card: PaymentCard | None = Field(description="BG-18: the card its charge_automatically invoices are "
                                                         "charged to (last digits only)")
    created: datetime


class CustomerList(ListOf[CustomerObject]):
    pass


class DiscountObject(View):
    description: str | None
    percent_off: DecimalText | None
    amount_off: int | None
    reason_code: str | None = Field(description="UNCL 5189 (BT-98 / BT-140); null: 95")
    tax_rate: TaxRateObject | None = Field(description="Invoice-level: the VAT rate it is at; null: "
                                                                     "spread over the rates in proportion")


class ChargeObject(View):
    description: str | None
    percent: DecimalText | None
    amount: int | None
    reason_code: str | None = Field(description="UNCL 7161 (BT-105 / BT-145)")
    tax_rate: TaxRateObject | None = Field(description="Invoice-level: the VAT rate it is at; null: "
                                                                     "spread over the rates in proportion")


class PeriodObject(View):
    start: date
    end: date


class TaxRateObject(View):
    category: TaxCategory
    percent: DecimalText
    name: str
    exemption_reason: str | None
    tax_type: TaxType
    jurisdiction: str | None
    compound: bool
    legal_note: str | None = Field(description="The legal note's id in the tax data (docs/tax.md)")
    country: str | None = Field(description="The member state whose VAT this is")
    exemption_reason_code: str | None = Field(description="VATEX code (a line's `tax`)")
    inclusive: bool | None = Field(default=None, description="In `tax_rates`: the invoice's tax_behavior")


class LineObject(View):
    id: str
    object: Literal["line_item"]
    description: str
    quantity: DecimalText
    unit_amount_decimal: DecimalText
    gross_unit_amount_decimal: DecimalText | None = Field(
        description="The gross unit price (BT-148) the unit price was derived from, when given")
    price_discount_decimal: DecimalText | None = Field(
        description="The price discount (BT-147) taken off it: unit_amount_decimal = gross_unit_amount_decimal - "
                    "price_discount_decimal; null without a gross price")
    unit_code: str
    tax_code: TaxCode
    supply_type: SupplyType | None
    tax: TaxRateObject | None
    tax_rates: list[TaxRateObject] = Field(description="Every tax on the line, in order (stacked taxes)")
    discounts: list[DiscountObject]
    charges: list[ChargeObject]
    supply_date: date | None
    period: PeriodObject | None
    amount: int | None
    discount_amount: int | None
    charge_amount: int | None
    net_amount: int | None
    item: ItemObject | None = Field(description="Item information (BG-31, BG-32)")
    line_identifier: str | None = Field(description="BT-126 as given (null: the line's position)")
    note: str | None = Field(description="BT-127")
    order_line_reference: str | None = Field(description="BT-132")
    object_id: ObjectIdObject | None = Field(description="BT-128")
    accounting_reference: str | None = Field(description="BT-133")
    proration: bool = Field(description="A subscription's proration: the credit for the unused time on an old "
                                        "item, or the charge for the remaining time on a new one (Stripe's "
                                        "`proration`); its description is in the customer's language")


class LineList(View):
    object: Literal["list"]
    data: list[LineObject]
    has_more: bool


class TaxGroupObject(View):
    """The tax of one (category, rate): an invoice's `tax_breakdown`, a credit note's `tax_groups`."""

    category: str
    percent: DecimalText
    name: str
    exemption_reason: str | None
    exemption_reason_code: str | None = Field(description="VATEX code (BT-121)")
    legal_note: str | None
    taxable_amount: int
    tax_amount: int
    tax_type: str
    jurisdiction: str | None
    compound: bool
    taxes_in_base: int = Field(description="A compound tax's: the other taxes it is computed on")


class StatusTransitionsObject(View):
    finalized_at: datetime | None
    paid_at: datetime | None
    voided_at: datetime | None
    marked_uncollectible_at: datetime | None


class InvoiceObject(View):
    id: str = Field(examples=["in_01JD4V6Q3Z0M6V2K3W5N8P9R7T"])
    object: Literal["invoice"]
    number: str | None
    status: InvoiceStatus
    overdue: bool = Field(description="Open, and past its due date today (derived, never stored)")
    customer: str
    currency: str
    collection_method: Literal["send_invoice", "charge_automatically"]
    tax_behavior: TaxBehavior
    description: str | None
    footer: str | None
    buyer_reference: str | None
    purchase_order: str | None
    # EN 16931 details (issue 12): as given on the invoice (the customer's and account's apply where null).
    references: DocumentReferences
    supporting_documents: list[SupportingDocument]
    delivery: Delivery | None
    buyer_contact: Contact | None
    payee: Payee | None
    payment_reference: str | None
    ocr_reference: str | None
    issue_date: date | None
    due_date: date | None
    days_until_due: int | None
    supply_date: date | None
    supply_type: SupplyType | None
    period: PeriodObject | None
    lines: LineList
    discounts: list[DiscountObject]
    charges: list[ChargeObject]
    subtotal: int
    total_discount_amount: int
    total_charge_amount: int
    total_excluding_tax: int
    tax: int
    total: int
    tax_breakdown: list[TaxGroupObject]
    applied_balance: int
    balance_credit: int = Field(description="What a corrective invoice whose total is below zero gave the "
                                            "customer's credit balance at finalization (it is then paid)")
    amount_due: int
    amount_paid: int
    amount_remaining: int
    pre_payment_credit_notes_amount: int
    post_payment_credit_notes_amount: int
    validation_issues: list[ValidationIssueObject]
    status_transitions: StatusTransitionsObject
    metadata: Metadata
    created: datetime
    type_code: InvoiceTypeCode = Field(description="380 commercial, 384 corrective invoice")
    preceding_invoice: PrecedingInvoiceObject | None = Field(description="BG-3: what it corrects")
    # --- payment and VAT details (docs/einvoicing.md) ---
    payment_terms: str | None = Field(description="BT-20 of this invoice (null: the account's)")
    remittance_information: str | None = Field(description="BT-83 as given (null: the RF reference or OCR number)")
    tax_point_date: date | None = Field(description="BT-7")
    tax_point_date_code: Literal["3", "35", "432"] | None = Field(description="BT-8 (UNCL 2005)")
    tax_currency_rate: TaxCurrencyRateObject | None
    tax_in_tax_currency: int | None = Field(description="The VAT total in tax_currency_rate.currency's minor units "
                                                        "(the second BT-111)")
    prepayment: bool = Field(description="A prepayment invoice (BT-3 386)")
    prepayments: list[PrepaymentObject] = Field(description="The paid prepayment invoices it deducts (BG-3)")
    prepaid_amount: int = Field(description="What they were paid: with applied_balance and pre-payment credit "
                                            "notes, the paid amount (BT-113); amount_due = total - all of it")
    prepayment_deducted: int = Field(description="A prepayment invoice: how much of it final invoices deducted")


class PrepaymentObject(View):
    invoice: str
    number: str = Field(description="BT-25")
    issue_date: date | None = Field(description="BT-26")
    amount: int = Field(description="Deducted, minor units, VAT included")


class TaxCurrencyRateObject(View):
    currency: str = Field(description="The national currency (BT-6)")
    rate: DecimalText
    source: str | None
    rate_date: date | None


class InvoiceList(ListOf[InvoiceObject]):
    pass


class CreditNoteLineObject(View):
    id: str | None = Field(description="null in a preview")
    object: Literal["credit_note_line_item"]
    type: CreditLineType
    invoice_line_item: str | None
    description: str | None
    quantity: DecimalText | None
    unit_code: str
    unit_amount_decimal: DecimalText | None
    amount: int
    base_amount: int
    net_amount: int
    tax: TaxRateObject
    tax_rates: list[TaxRateObject]
    period: PeriodObject | None


class CreditNoteLineList(View):
    object: Literal["list"]
    data: list[CreditNoteLineObject]
    has_more: bool


class CreditNoteObject(View):
    id: str | None = Field(examples=["cn_01JD4V6Q3Z0M6V2K3W5N8P9R7T"], description="null in a preview")
    object: Literal["credit_note"]
    number: str | None = Field(description="null in a preview")
    invoice: str
    invoice_number: str
    customer: str
    currency: str
    amount: int
    subtotal: int
    tax: int
    tax_groups: list[TaxGroupObject]
    lines: CreditNoteLineList
    tax_behavior: TaxBehavior
    type: Literal["pre_payment", "post_payment"]
    pre_payment_amount: int
    post_payment_amount: int
    credit_amount: int
    out_of_band_amount: int
    reason: CreditReason | None
    memo: str | None
    issue_date: date
    created: datetime
    preview: bool | None = Field(default=None, description="true in a preview: nothing was issued")


class CreditNoteList(ListOf[CreditNoteObject]):
    pass


class EventObject(View):
    id: str = Field(examples=["evt_3f1c…"])
    object: Literal["event"]
    type: str = Field(examples=["invoice.finalized"])
    created: datetime
    aggregate: str
    aggregate_id: str
    version: int
    data: dict[str, Any] = Field(description="{\"object\": …}: the object, as docs/events/ describes it")


class EventList(ListOf[EventObject]):
    pass


class FileLinkObject(View):
    object: Literal["file_link"]
    format: Literal["pdf", "ubl", "cii"]
    url: str | None = Field(description="A presigned URL; null while the document is being rendered")
    expires_in: int = Field(description="Seconds the URL stays valid (at most 900)")
    ready: bool


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def decimal_text(value: Decimal | None) -> str | None:
    """Decimals travel as strings, without exponent or needless trailing zeros."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


def account_view(account: Account) -> dict[str, Any]:
    data = account.model_dump(mode="json")
    data["created"] = iso(account.created)
    return data


def customer_view(customer: Customer) -> dict[str, Any]:
    data = customer.model_dump(mode="json", exclude={"account_id", "version"})
    data["created"] = iso(customer.created)
    return data


def _discount(d: Discount) -> dict[str, Any]:
    return {"description": d.description, "percent_off": decimal_text(d.percent_off), "amount_off": d.amount_off,
            "reason_code": d.reason_code, "tax_rate": _tax_rate(d.tax_rate) if d.tax_rate else None}


def _charge(c: Charge) -> dict[str, Any]:
    return {"description": c.description, "percent": decimal_text(c.percent), "amount": c.amount,
            "reason_code": c.reason_code, "tax_rate": _tax_rate(c.tax_rate) if c.tax_rate else None}


def _iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _period(start: date | None, end: date | None) -> dict[str, str] | None:
    return {"start": start.isoformat(), "end": end.isoformat()} if start and end else None


def _line(line: InvoiceLine, inclusive: bool) -> dict[str, Any]:
    return {
        "id": line.id,
        "object": "line_item",
        "description": line.description,
        "quantity": decimal_text(line.quantity),
        "unit_amount_decimal": decimal_text(line.unit_amount_decimal),
        "gross_unit_amount_decimal": _decimal_or_none(line.gross_unit_amount_decimal),
        "price_discount_decimal": (decimal_text(line.price_discount_decimal or Decimal(0))
                                   if line.gross_unit_amount_decimal is not None else None),
        "unit_code": line.unit_code,
        "tax_code": line.tax_code,
        "supply_type": line.supply_type,
        "tax": ({**line.tax.model_dump(mode="json", exclude={"exemption_code"}),
                 "exemption_reason_code": line.tax.exemption_reason_code} if line.tax else None),
        # Every tax on the line, in order: one, or several stacked (each has its row in tax_breakdown).
        "tax_rates": [_tax_rate(rate, inclusive) for rate in line.applied_taxes],
        "discounts": [_discount(d) for d in line.discounts],
        "charges": [_charge(c) for c in line.charges],
        "supply_date": _iso_date(line.supply_date),
        "period": _period(line.period_start, line.period_end),
        "amount": line.amount,
        "discount_amount": line.discount_amount,
        "charge_amount": line.charge_amount,
        "net_amount": line.net_amount,
        "item": item_view(line.item),
        **references_view(line.references),
        "proration": line.proration,
    }


def _decimal_or_none(value: Decimal | None) -> str | None:
    return decimal_text(value) if value is not None else None


def _tax_rate(rate: TaxRate, inclusive: bool | None = None) -> dict[str, Any]:
    """A tax rate; in a line's `tax_rates` with Stripe's `inclusive` (the invoice's tax_behavior)."""
    shown = {**rate.model_dump(mode="json", exclude={"exemption_code"}), "percent": decimal_text(rate.percent),
             "exemption_reason_code": rate.exemption_reason_code}
    return shown if inclusive is None else {**shown, "inclusive": inclusive}


def _en16931_details(inv: Invoice) -> dict[str, Any]:
    """The invoice's references, supporting documents, delivery, buyer contact and payee (issue 12)."""
    return {
        "references": inv.references.model_dump(mode="json"),
        "supporting_documents": [d.model_dump(mode="json") for d in inv.supporting_documents],
        **{name: value.model_dump(mode="json") if value is not None else None
           for name, value in (("delivery", inv.delivery), ("buyer_contact", inv.buyer_contact),
                               ("payee", inv.payee))},
    }


def invoice_view(view: InvoiceView, today: date | None = None) -> dict[str, Any]:
    """`overdue` is derived, never stored (domain.dunning.is_overdue): open, past its due date on `today`."""
    inv: Invoice = view.invoice
    totals = inv.totals
    return {
        "id": inv.id,
        "object": "invoice",
        "number": inv.number,
        "status": inv.status,
        "overdue": today is not None and is_overdue(inv.status, inv.due_date, inv.amount_remaining, today),
        "customer": inv.customer_id,
        "currency": inv.currency,
        "collection_method": inv.collection_method,
        "tax_behavior": inv.tax_behavior,
        "supply_type": inv.supply_type,
        "description": inv.description,
        "footer": inv.footer,
        "buyer_reference": inv.buyer_reference,
        "purchase_order": inv.purchase_order,
        **_en16931_details(inv),
        "payment_reference": inv.payment_reference,
        "ocr_reference": inv.ocr_reference,
        "issue_date": inv.issue_date.isoformat() if inv.issue_date else None,
        "due_date": inv.due_date.isoformat() if inv.due_date else None,
        "days_until_due": inv.days_until_due,
        "supply_date": _iso_date(inv.supply_date),
        "period": _period(inv.period_start, inv.period_end),
        "lines": {"object": "list", "data": [_line(line, inv.tax_behavior == "inclusive") for line in inv.lines],
                  "has_more": False},
        "discounts": [_discount(d) for d in inv.discounts],
        "charges": [_charge(c) for c in inv.charges],
        "subtotal": totals.subtotal if totals else 0,
        "total_discount_amount": totals.discount_amount if totals else 0,
        "total_charge_amount": totals.charge_amount if totals else 0,
        "total_excluding_tax": totals.total_excluding_tax if totals else 0,
        "tax": totals.tax if totals else 0,
        "total": totals.total if totals else 0,
        "tax_breakdown": [
            {
                "category": g.category,
                "percent": decimal_text(g.percent),
                "name": g.name,
                "exemption_reason": g.exemption_reason,
                "exemption_reason_code": g.exemption_reason_code,
                "legal_note": g.legal_note,
                "taxable_amount": g.taxable_amount,
                "tax_amount": g.tax_amount,
                "tax_type": g.tax_type,
                "jurisdiction": g.jurisdiction,
                "compound": g.compound,
                "taxes_in_base": g.taxes_in_base,
            }
            for g in (totals.tax_groups if totals else ())
        ],
        "applied_balance": inv.applied_balance,
        "balance_credit": inv.balance_credit,
        "amount_due": inv.amount_due,
        "amount_paid": inv.amount_paid,
        "amount_remaining": inv.amount_remaining,
        "pre_payment_credit_notes_amount": inv.pre_payment_credit_notes_amount,
        "post_payment_credit_notes_amount": inv.post_payment_credit_notes_amount,
        "validation_issues": [i.model_dump() for i in view.validation_issues],
        "status_transitions": {k: iso(v) for k, v in inv.status_transitions.model_dump().items()},
        "metadata": inv.metadata,
        "created": iso(inv.created),
        "type_code": inv.type_code,
        "preceding_invoice": preceding_invoice_view(inv.preceding_invoice),
        **_payment_vat(inv),
    }


def _payment_vat(inv: Invoice) -> dict[str, Any]:
    rate = inv.tax_currency_rate
    return {
        "payment_terms": inv.payment_terms, "remittance_information": inv.remittance_information,
        "tax_point_date": _iso_date(inv.tax_point_date), "tax_point_date_code": inv.tax_point_date_code,
        "tax_currency_rate": {"currency": rate.currency, "rate": decimal_text(rate.rate), "source": rate.source,
                              "rate_date": _iso_date(rate.rate_date)} if rate else None,
        "tax_in_tax_currency": inv.tax_in_tax_currency, "prepayment": inv.prepayment,
        "prepayments": [{"invoice": p.invoice_id, "number": p.number, "issue_date": _iso_date(p.issue_date),
                         "amount": p.amount} for p in inv.prepayments],
        "prepaid_amount": inv.prepaid_amount, "prepayment_deducted": inv.prepayment_deducted,
    }


def credit_note_view(note: CreditNote, *, preview: bool = False) -> dict[str, Any]:
    """A credit note; a preview has no id or number yet (nothing was issued)."""
    data = note.model_dump(mode="json", exclude={"account_id", "invoice_id", "customer_id"})
    data.update(invoice=note.invoice_id, customer=note.customer_id, created=iso(note.created),
                issue_date=note.issue_date.date().isoformat())
    for group in data["tax_groups"]:
        group["percent"] = decimal_text(Decimal(group["percent"]))
        group["exemption_reason_code"] = exemption_reason_code(group["category"], group["legal_note"],
                                                               group.pop("exemption_code", None))
    data["lines"] = {"object": "list", "has_more": False, "data": [
        {**line.model_dump(mode="json", exclude={"quantity", "unit_amount_decimal", "tax", "taxes"}),
         "id": None if preview else line.id,
         "quantity": decimal_text(line.quantity), "unit_amount_decimal": decimal_text(line.unit_amount_decimal),
         "tax": _tax_rate(line.tax), "tax_rates": [_tax_rate(rate, note.tax_behavior == "inclusive")
                                                    for rate in line.applied_taxes],
         "period": {"start": line.period_start.isoformat(), "end": line.period_end.isoformat()}
         if line.period_start and line.period_end else None}
        for line in note.lines]}
    for line in data["lines"]["data"]:
        line.pop("period_start", None)
        line.pop("period_end", None)
    if preview:
        data.update(id=None, number=None, object="credit_note", preview=True)
    return data


def event_view(event: DomainEvent) -> dict[str, Any]:
    """An event as the API and the bus show it (docs/events/ has its JSON Schema)."""
    return {"id": event.id, "object": "event", "type": event.type, "created": iso(event.created),
            "aggregate": event.aggregate, "aggregate_id": event.aggregate_id, "version": event.version,
            "data": event.data}


def link_view(link: DocumentLink) -> dict[str, Any]:
    return {"object": "file_link", "format": link.format, "url": link.url, "expires_in": link.expires_in,
            "ready": link.ready}


def list_view(page: Page[Any], render: Any, url: str) -> dict[str, Any]:
    return {"object": "list", "url": url, "data": [render(item) for item in page.data], "has_more": page.has_more}
