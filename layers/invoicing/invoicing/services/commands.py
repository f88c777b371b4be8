"""The inputs of the use cases: domain values, already parsed and checked at the edge (the API
turns request bodies into these in `invoicing.api.requests`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from invoicing.domain.corrective import COMMERCIAL_INVOICE, InvoiceTypeCode, PrecedingInvoice
from invoicing.domain.credit_note import CreditLineRequest, CreditRequest
from invoicing.domain.line_item import LineItem, LineReferences
from invoicing.domain.party import Contact, Delivery, Payee
from invoicing.domain.references import DocumentReferences, SupportingDocument
from invoicing.domain.supply import SupplyType, TaxCode
from invoicing.domain.tax import TaxRate
from invoicing.domain.totals import Charge, Discount


@dataclass(frozen=True)
class NewLine:
    description: str
    quantity: Decimal
    unit_amount_decimal: Decimal  # minor units, unrounded
    gross_unit_amount_decimal: Decimal | None = None  # BT-148, when the net price was derived from it
    price_discount_decimal: Decimal | None = None  # BT-147
    unit_code: str = "C62"
    tax_code: TaxCode = "standard"
    tax_rate: TaxRate | None = None
    tax_rates: tuple[TaxRate, ...] = ()  # stacked taxes, in the order they are printed
    supply_type: SupplyType | None = None
    discounts: tuple[Discount, ...] = ()
    charges: tuple[Charge, ...] = ()
    supply_date: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    item: LineItem | None = None
    references: LineReferences | None = None


@dataclass(frozen=True)
class PaymentVatDetails:
    """A new invoice's payment terms (BT-20), remittance information (BT-83), tax point (BT-7 / BT-8),
    national-currency rate (BT-6) and whether it is a prepayment invoice (BT-3 386)."""

    payment_terms: str | None = None
    remittance_information: str | None = None
    tax_point_date: date | None = None
    tax_point_date_code: str | None = None
    tax_currency_rate: Decimal | None = None
    tax_currency: str | None = None
    tax_currency_source: str | None = None
    tax_currency_date: date | None = None
    prepayment: bool = False


@dataclass(frozen=True)
class NewInvoice:
    customer_id: str
    lines: tuple[NewLine, ...] = ()
    currency: str | None = None
    collection_method: Literal["send_invoice", "charge_automatically"] = "send_invoice"
    days_until_due: int | None = None
    due_date: date | None = None
    supply_date: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    tax_behavior: Literal["exclusive", "inclusive"] = "exclusive"
    supply_type: SupplyType | None = None
    description: str | None = None
    footer: str | None = None
    buyer_reference: str | None = None
    purchase_order: str | None = None
    discounts: tuple[Discount, ...] = ()
    charges: tuple[Charge, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    type_code: InvoiceTypeCode = COMMERCIAL_INVOICE
    preceding_invoice: PrecedingInvoice | None = None
    payment_vat: PaymentVatDetails = field(default_factory=PaymentVatDetails)
    # EN 16931 details (issue 12).
    references: DocumentReferences | None = None
    supporting_documents: tuple[SupportingDocument, ...] = ()
    delivery: Delivery | None = None
    buyer_contact: Contact | None = None
    payee: Payee | None = None
    # Paid prepayment invoices the final invoice deducts (BT-113): (invoice id, amount or None for all).
    prepayments: tuple[tuple[str, int | None], ...] = ()


@dataclass(frozen=True)
class TaxIdInput:
    type: str
    value: str


@dataclass(frozen=True)
class Changes:
    """Fields of a customer or an account to set (only those present change), with tax IDs apart:
    they are checked with python-stdnum before they are stored."""

    fields: dict[str, Any]
    tax_ids: list[TaxIdInput] | None = None


@dataclass(frozen=True)
class NewCreditNote:
    invoice_id: str
    amount: int | None = None  # with no lines: an amount including tax (single-rate invoices only)
    reason: Literal["duplicate", "fraudulent", "order_change", "product_unsatisfactory"] | None = None
    memo: str | None = None
    lines: tuple[CreditLineRequest, ...] = ()  # neither lines nor amount: everything that can still be credited
    credit_amount: int | None = None  # after payment: to the customer's balance (default: all of it)
    out_of_band_amount: int | None = None  # after payment: refunded outside this system

    def request(self) -> CreditRequest:
        return CreditRequest(lines=self.lines, amount=self.amount, reason=self.reason, memo=self.memo,
                             credit_amount=self.credit_amount, out_of_band_amount=self.out_of_band_amount)
