"""The EN 16931 view of a finalized invoice or credit note, shared by the UBL and CII writers.

What each business term holds is decided here, once: amounts in major units, the VAT category of
every line, allowance and breakdown, the references, the parties' identifiers, and what cannot be
expressed at all (`EInvoiceUnsupported`). `ubl.py` and `cii.py` only put these values where their
syntax binds each term, so the two documents of one invoice always say the same thing.

Amounts come from the invoice's integer minor units through `to_major`, exactly; nothing is
recomputed or re-rounded except where EN 16931 is net-based and the invoice is not (tax-inclusive
line allowances and charges, below), and there every figure still adds up to the invoice's own.
A unit price keeps every decimal it has; where quantity x unit price cannot give the rounded line
amount closely enough (tax-inclusive lines, or half a yen), the price is stated per base quantity
(BT-149) so that the line adds up exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, localcontext
from typing import Literal

from invoicing.domain.code_lists import DEFAULT_ALLOWANCE_REASON_CODE, allowance_reason
from invoicing.domain.credit_note import CreditNote
from invoicing.domain.direct_debit import SEPA_DIRECT_DEBIT, creditor_id_missing, debited_under
from invoicing.domain.einvoice import (
    VAT_ID_TYPES,
    EInvoiceObstacle,
    currency_obstacle,
    party_obstacle,
    supply_obstacle,
    tax_kind_obstacle,
    vat_category_obstacle,
)
from invoicing.domain.errors import InvalidInput
from invoicing.domain.giro import INSTITUTION as GIRO_INSTITUTION
from invoicing.domain.invoice import Invoice, InvoiceLine
from invoicing.domain.line_item import LineItem, LineReferences
from invoicing.domain.money import exponent, round_minor, to_major
from invoicing.domain.party import (
    Account,
    Address,
    Contact,
    Customer,
    ElectronicAddress,
    PartyIdentifier,
    TaxId,
    language_of,
)
from invoicing.domain.party import Delivery as DeliveryDetails
from invoicing.domain.payment_card import charged_to
from invoicing.domain.payment_reference import remittance_text
from invoicing.domain.references import UploadedContent, embedded_files
from invoicing.domain.tax import (
    EXEMPT_NOTE,
    EXPORT_NOTE,
    INTRA_COMMUNITY_NOTE,
    OUTSIDE_SCOPE_NOTE,
    REVERSE_CHARGE_NOTE,
    exemption_reason_code,
    legal_note,
    legal_note_by_text,
)
from invoicing.domain.totals import Charge, Discount, Totals
from invoicing.domain.xrechnung import (
    XRECHNUNG_SPECIFICATION_ID,
    EInvoiceProfile,
    seller_contact_email,
    seller_contact_phone,
    skonto_lines,
    xrechnung_buyer_reference,
    xrechnung_violations,
)

DISCOUNT_REASON_CODE = DEFAULT_ALLOWANCE_REASON_CODE  # UNCL 5189 "Discount"
_HUNDRED = Decimal(100)
_PRICE_MAX_DECIMALS = 10  # a unit price that needs more becomes a price per the line's whole quantity
_PRICE_SLACK = Decimal("0.01")  # how far quantity x price may be from the line amount (Peppol allows 0.02)

# Electronic Address Scheme codes for a party's VAT number, by the number's country (EAS code list,
# the entries both CEN 1.3.16 and Peppol BIS 3.0 accept). Sweden and Norway address by organisation
# number instead, which their VAT numbers contain.
_VAT_EAS: dict[str, str] = {
    "AT": "9914", "BE": "9925", "BG": "9926", "CH": "9927", "CY": "9928", "CZ": "9929", "DE": "9930",
    "EE": "9931", "ES": "9920", "FR": "9957", "GB": "9932", "GR": "9933", "HR": "9934", "HU": "9910",
    "IE": "9935", "LT": "9937", "LU": "9938", "LV": "9939", "MT": "9943", "NL": "9944", "PL": "9945",
    "PT": "9946", "RO": "9947", "SI": "9949", "SK": "9950",
}  # fmt: skip
_TAX_ID_EAS: dict[str, str] = {"us_ein": "9959", "au_abn": "0151"}  # US EIN, Australian ABN
EMAIL_SCHEME = "EM"
# BT-10 when the buyer gave neither a reference nor a purchase order number (docs/einvoicing.md).
NO_BUYER_REFERENCE = "n/a"
# Characters XML 1.0 cannot carry at all (control characters other than tab and line breaks, …).
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class EInvoiceUnsupported(InvalidInput):
    """The invoice cannot be expressed as a valid EN 16931 e-invoice; `param` names the field."""

    code = "einvoice_unsupported"

    @classmethod
    def refuse(cls, obstacle: EInvoiceObstacle | None) -> None:
        """Raise for what `invoicing.domain.einvoice` found (the one place that decides it)."""
        if obstacle is not None:
            raise cls(obstacle.message, param=obstacle.field, code=obstacle.code)


# --- the semantic model -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Identifier:
    value: str
    scheme: str  # EAS code (electronic addresses)


@dataclass(frozen=True)
class PartyId:
    """A party's or a place's identifier (BT-29, BT-46, BT-60, BT-71) and its ISO/IEC 6523 scheme."""

    value: str
    scheme: str | None


@dataclass(frozen=True)
class PostalAddress:
    """BG-5 (seller), BG-8 (buyer), BG-15 (deliver to)."""

    line1: str  # BT-35 / BT-50 / BT-75
    line2: str | None  # BT-36 / BT-51 / BT-76
    city: str  # BT-37 / BT-52 / BT-77
    postal_code: str | None  # BT-38 / BT-53 / BT-78
    subdivision: str | None  # BT-39 / BT-54 / BT-79
    country: str  # BT-40 / BT-55 / BT-80


@dataclass(frozen=True)
class Party:
    """BG-4 (seller) or BG-7 (buyer)."""

    name: str  # BT-27 / BT-44
    address: PostalAddress
    vat_id: str | None  # BT-31 / BT-48
    tax_registration_id: str | None  # BT-32 (seller only)
    legal_registration_id: str | None  # BT-30 / BT-47
    electronic_address: Identifier | None  # BT-34 / BT-49
    phone: str | None  # BT-42 / BT-57
    email: str | None  # BT-43 / BT-58
    # Issue 12: identifiers with their scheme, trading name, contact name, additional legal information.
    identifiers: tuple[PartyId, ...] = ()  # BT-29 / BT-46 (the buyer has at most one)
    trading_name: str | None = None  # BT-28 / BT-45
    contact_name: str | None = None  # BT-41 / BT-56
    additional_legal_info: str | None = None  # BT-33 (seller only)


@dataclass(frozen=True)
class VatCategory:
    code: str  # UNCL 5305: BT-95 / BT-102 / BT-118 / BT-151
    percent: Decimal | None  # BT-96 / BT-103 / BT-119 / BT-152; None when not subject to VAT (O)
    exemption_reason: str | None = None  # BT-120 (breakdown only)
    exemption_code: str | None = None  # BT-121, VATEX (breakdown only)


@dataclass(frozen=True)
class AllowanceCharge:
    """A document level allowance (BG-20) or charge (BG-21), or a line level one (BG-27 / BG-28)."""

    is_charge: bool
    amount: Decimal  # BT-92 / BT-99 / BT-136 / BT-141
    reason: str  # BT-97 / BT-104 / BT-139 / BT-144
    reason_code: str | None = None  # BT-98 / BT-140 (UNCL 5189), BT-105 / BT-145 (UNCL 7161)
    vat: VatCategory | None = None  # document level only


@dataclass(frozen=True)
class Line:
    """BG-25."""

    number: str  # BT-126
    name: str  # BT-153
    quantity: Decimal  # BT-129
    unit_code: str  # BT-130
    net_amount: Decimal  # BT-131
    net_price: Decimal  # BT-146
    price_base_quantity: Decimal | None  # BT-149
    vat: VatCategory  # BT-151 / BT-152
    allowances_charges: tuple[AllowanceCharge, ...] = ()
    period_start: date | None = None  # BT-134
    period_end: date | None = None  # BT-135
    note: str | None = None  # BT-127: on a credit note, the invoice line it credits
    item: LineItem | None = None  # BT-154 … BT-159, BG-32 (domain/line_item.py)
    references: LineReferences | None = None  # BT-128, BT-132, BT-133 (its note is `note`)
    # BT-148 and BT-147, per the price's base quantity as BT-146 is: gross_price - price_discount is
    # net_price exactly (PEPPOL-EN16931-R046). None: the line was given no gross price.
    gross_price: Decimal | None = None
    price_discount: Decimal | None = None


@dataclass(frozen=True)
class VatBreakdown:
    """BG-23."""

    taxable_amount: Decimal  # BT-116
    tax_amount: Decimal  # BT-117
    category: VatCategory  # BT-118 .. BT-121


@dataclass(frozen=True)
class DocumentTotals:
    """BG-22."""

    line_net_total: Decimal  # BT-106
    allowance_total: Decimal | None  # BT-107
    charge_total: Decimal | None  # BT-108
    tax_exclusive: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    tax_inclusive: Decimal  # BT-112
    prepaid: Decimal | None  # BT-113
    payable: Decimal  # BT-115


@dataclass(frozen=True)
class PaymentInstructions:
    """BG-16 with one credit transfer (BG-17); an invoice has one per account it may be paid to."""

    means_code: str  # BT-81, UNCL 4461
    means_text: str  # BT-82
    remittance_information: str | None  # BT-83
    iban: str | None  # BT-84, an IBAN
    account_name: str | None  # BT-85
    bic: str | None  # BT-86: a BIC, or SE:BANKGIRO / SE:PLUSGIRO (Swedish Peppol practice)
    proprietary_id: str | None = None  # BT-84 that is not an IBAN: a Bankgiro or Plusgiro number
    # BG-19, a SEPA direct debit (code 59): the mandate (BT-89) and the account debited (BT-91). The
    # creditor identifier (BT-90) is the document's `creditor_id`.
    mandate_reference: str | None = None
    debited_account: str | None = None
    # BG-18, a card payment (code 48, 54 or 55): the card's last digits (BT-87) and its holder (BT-88).
    card_number: str | None = None
    card_holder: str | None = None


@dataclass(frozen=True)
class Delivery:
    """BG-13 with the deliver-to address (BG-15)."""

    address: PostalAddress | None  # deliver-to: as given, else the buyer's for an intra-community supply
    date: date | None  # BT-72
    name: str | None = None  # BT-70
    location_id: PartyId | None = None  # BT-71


@dataclass(frozen=True)
class Document:
    kind: Literal["invoice", "credit_note"]
    number: str  # BT-1
    issue_date: date  # BT-2
    type_code: str  # BT-3: 380 commercial invoice, 381 credit note
    currency: str  # BT-5
    note: str | None  # BT-22 (one: Peppol allows no more)
    due_date: date | None  # BT-9
    buyer_reference: str  # BT-10
    purchase_order: str | None  # BT-13
    preceding_invoice: tuple[str, date | None] | None  # BG-3: BT-25, BT-26
    period_start: date | None  # BT-73
    period_end: date | None  # BT-74
    seller: Party
    buyer: Party
    delivery: Delivery | None
    payments: tuple[PaymentInstructions, ...]  # BG-16, one per account (the first is the main one)
    payment_terms: str | None  # BT-20
    allowances_charges: tuple[AllowanceCharge, ...]
    vat_breakdown: tuple[VatBreakdown, ...]
    totals: DocumentTotals
    lines: tuple[Line, ...]
    # --- VAT details (docs/einvoicing.md "VAT in the national currency", "Tax point") ---
    tax_currency: str | None = None  # BT-6
    tax_total_in_tax_currency: Decimal | None = None  # BT-111, in BT-6
    tax_point_date: date | None = None  # BT-7
    tax_point_date_code: str | None = None  # BT-8 (UNCL 2005; CII writes its UNCL 2475 twin)
    # --- end of the VAT details ---
    # Issue 12: the documents referred to, supporting documents, payee and tax representative.
    references: References = field(default_factory=lambda: References())
    supporting_documents: tuple[SupportingReference, ...] = ()
    payee: PayeeParty | None = None  # BG-10
    tax_representative: TaxRepresentativeParty | None = None  # BG-11
    # BG-3 for each prepayment invoice a final invoice deducts (domain/prepayment.py): BT-25, BT-26.
    prepayment_invoices: tuple[tuple[str, date | None], ...] = ()
    # BT-24 when not the syntax's own (Peppol BIS 3.0 UBL, Factur-X EN 16931 CII): XRechnung 3.0.
    profile: EInvoiceProfile = "en16931"
    # BT-90, the seller's SEPA creditor identifier, on an invoice collected by direct debit (BG-19).
    creditor_id: str | None = None

    @property
    def specification_id(self) -> str | None:
        """BT-24 of the profile, or None for the syntax's default."""
        return XRECHNUNG_SPECIFICATION_ID if self.profile == "xrechnung" else None


def decimal_text(value: Decimal) -> str:
    """A decimal as the XML schemas want it: digits and a point, never an exponent (1E+2)."""
    return format(value, "f")


def quantity_text(value: Decimal) -> str:
    return decimal_text(value.normalize()) if value else "0"


# --- building it ----------------------------------------------------------------------------------


def invoice_document(invoice: Invoice, uploaded: Mapping[str, UploadedContent] | None = None) -> Document:
    """The EN 16931 content of a finalized invoice; `uploaded`: the bytes of the files its supporting
    documents name (`supporting_documents[].file`), by file id."""
    if invoice.status == "draft" or invoice.number is None or invoice.issue_date is None:
        raise EInvoiceUnsupported("Only a finalized invoice has an e-invoice.", param="status")
    totals, seller, customer = invoice.totals, invoice.seller_snapshot, invoice.customer_snapshot
    assert totals is not None and seller is not None and customer is not None  # set by finalize
    currency = _supported_currency(invoice.currency)
    EInvoiceUnsupported.refuse(tax_kind_obstacle(line.applied_taxes for line in invoice.lines))
    profile = _profile(invoice, seller, customer)

    def major(amount: int) -> Decimal:
        return to_major(amount, currency)

    lines = tuple(_invoice_line(invoice, line, i, currency) for i, line in enumerate(invoice.lines))
    allowances_charges: list[AllowanceCharge] = []
    breakdown: list[VatBreakdown] = []
    language = language_of(customer.locale)
    itemized = _itemized_adjustments(invoice, totals)
    for index, group in enumerate(totals.tax_groups):
        vat = vat_category(group.category, group.percent, group.exemption_reason, group.legal_note, language,
                           code_given=group.exemption_code)
        if itemized:
            # Each discount and charge its own allowance or charge in each VAT group it has a part in,
            # with its reason and code: a group's parts add up to its share (BR-S-08 and its siblings).
            for adjustment, parts in itemized:
                if parts[index]:
                    allowances_charges.append(_document_adjustment(adjustment, major(parts[index]), vat))
            breakdown.append(VatBreakdown(major(group.taxable_amount), major(group.tax_amount), vat))
            continue
        # Totals stored before they itemized: one document level allowance and charge per VAT group, so
        # that each group's taxable amount is its lines minus its allowance plus its charge, exactly.
        if group.discount_amount:
            reason = _reasons(invoice.discounts, "Discount")
            allowances_charges.append(
                AllowanceCharge(False, major(group.discount_amount), reason, DISCOUNT_REASON_CODE, vat))
        if group.charge_amount:
            reason = _reasons(invoice.charges, "Charge")
            allowances_charges.append(AllowanceCharge(True, major(group.charge_amount), reason, None, vat))
        breakdown.append(VatBreakdown(major(group.taxable_amount), major(group.tax_amount), vat))

    prepaid = invoice.paid_before  # prepayments deducted, customer credit, credit notes before payment
    document_totals = DocumentTotals(
        line_net_total=major(totals.subtotal),
        allowance_total=major(totals.discount_amount) if totals.discount_amount else None,
        charge_total=major(totals.charge_amount) if totals.charge_amount else None,
        tax_exclusive=major(totals.total_excluding_tax),
        tax_total=major(totals.tax),
        tax_inclusive=major(totals.total),
        prepaid=major(prepaid) if prepaid else None,
        payable=major(invoice.amount_due),
    )
    # The domain guarantees these; a document that broke them would be refused by every receiver.
    assert sum(line.net_amount for line in lines) == document_totals.line_net_total
    assert totals.total - prepaid == invoice.amount_due

    period_start, period_end = invoice.period_start, invoice.period_end
    categories = {line.vat.code for line in lines} | {b.category.code for b in breakdown}
    seller_party, buyer_party = _parties(seller, customer, categories)
    seller_party, buyer_party = _detailed_parties(seller_party, buyer_party, seller, customer,
                                                  invoice.buyer_contact_point)
    due_date = invoice.due_date or invoice.issue_date
    return Document(
        kind="invoice",
        number=invoice.number,
        issue_date=invoice.issue_date,
        type_code="386" if invoice.prepayment else invoice.type_code,
        currency=currency,
        note=_document_note(invoice.description, [g.legal_note for g in totals.tax_groups], language),
        due_date=due_date,
        buyer_reference=buyer_reference(invoice),
        purchase_order=_text(invoice.purchase_order),
        preceding_invoice=(invoice.preceding_invoice.number, invoice.preceding_invoice.issue_date)
        if invoice.preceding_invoice else None,
        period_start=period_start,
        period_end=period_end,
        seller=seller_party,
        buyer=buyer_party,
        delivery=_delivered(_delivery(buyer_party, categories, invoice.supply_date, period_start, period_end),
                            invoice.delivered_to),
        payments=_payments(invoice, seller, customer),
        creditor_id=_creditor_id(invoice, seller, customer),
        payment_terms=_profile_terms(profile, _text(invoice.payment_terms) or _payment_terms(
            seller, customer.locale, invoice.issue_date, due_date)),
        allowances_charges=tuple(allowances_charges),
        vat_breakdown=tuple(breakdown),
        totals=document_totals,
        lines=lines,
        tax_currency=invoice.tax_currency_rate.currency if invoice.tax_currency_rate is not None else None,
        tax_total_in_tax_currency=_tax_in_tax_currency(invoice),
        tax_point_date=invoice.tax_point_date,
        tax_point_date_code=invoice.tax_point_date_code,
        references=_references(invoice),
        supporting_documents=_supporting_documents(invoice, uploaded),
        payee=_payee(invoice),
        tax_representative=_tax_representative(seller, categories),
        prepayment_invoices=tuple((p.number, p.issue_date) for p in invoice.prepayments),
        profile=profile,
    )


def _profile(invoice: Invoice, seller: Account, customer: Customer) -> EInvoiceProfile:
    """The customer's e-invoice profile; an XRechnung is refused with the first BR-DE rule it would
    break (finalizing refuses the invoice for the same rules: domain/xrechnung.py)."""
    if customer.einvoice_profile != "xrechnung":
        return "en16931"
    broken = xrechnung_violations(invoice, seller, customer)
    if broken:
        first = broken[0]
        raise EInvoiceUnsupported(first.message, param=first.field, code=first.code)
    return "xrechnung"


def _profile_terms(profile: EInvoiceProfile, terms: str | None) -> str | None:
    """BT-20. XRechnung wants a line break after the last Skonto line (BR-DE-18): text is stripped
    everywhere else, so it is given back here."""
    if profile == "xrechnung" and terms and skonto_lines(terms) and terms.splitlines()[-1].strip().startswith("#"):
        return terms + "\n"
    return terms


def credit_note_document(note: CreditNote, invoice: Invoice) -> Document:
    """The EN 16931 content of a credit note: its lines (each naming the invoice line it credits) and
    its VAT per rate, referring to the invoice it corrects (BG-3: BT-25, BT-26)."""
    if note.invoice_number != invoice.number or invoice.issue_date is None:
        raise EInvoiceUnsupported(
            f"Credit note {note.number} credits invoice {note.invoice_number}, not {invoice.number}.",
            param="invoice",
        )
    seller, customer = invoice.seller_snapshot, invoice.customer_snapshot
    assert seller is not None and customer is not None  # a finalized invoice has them
    currency = _supported_currency(note.currency)
    EInvoiceUnsupported.refuse(tax_kind_obstacle(line.applied_taxes for line in invoice.lines)
                               or tax_kind_obstacle(line.applied_taxes for line in note.lines))

    def major(amount: int) -> Decimal:
        return to_major(amount, currency)

    # Every rate a line credits has its breakdown; credit notes from before lines were kept list the
    # groups they credit something of.
    groups = list(note.tax_groups) if note.lines else (
        [g for g in note.tax_groups if g.taxable_amount or g.tax_amount] or list(note.tax_groups[:1]))
    language = language_of(customer.locale)
    breakdown = [VatBreakdown(major(g.taxable_amount), major(g.tax_amount),
                              vat_category(g.category, g.percent, g.exemption_reason, g.legal_note, language,
                                           code_given=g.exemption_code))
                 for g in groups]
    lines = _credit_note_lines(note, invoice, currency) if note.lines else _group_lines(note, breakdown)
    assert sum(line.net_amount for line in lines) == major(note.subtotal)
    assert sum(g.taxable_amount for g in note.tax_groups) == note.subtotal and note.subtotal + note.tax == note.amount

    categories = {line.vat.code for line in lines}
    seller_party, buyer_party = _parties(seller, customer, categories)
    seller_party, buyer_party = _detailed_parties(seller_party, buyer_party, seller, customer,
                                                  invoice.buyer_contact_point)
    period_start, period_end = invoice.period_start, invoice.period_end  # what the credited invoice covered
    terms = _credit_terms(note, major)
    profile = _profile(invoice, seller, customer)
    # XRechnung asks a credit note for payment instructions too (BR-DE-1): how the credit is paid is in
    # BT-20, so the means is "instrument not defined" (UNCL 4461 code 1, which BR-DE-23..25 leave be).
    payments = (PaymentInstructions("1", "Instrument not defined", None, None, None, None),) \
        if profile == "xrechnung" else ()
    return Document(
        kind="credit_note",
        number=note.number,
        issue_date=note.issue_date.date(),
        type_code="381",
        currency=currency,
        note=_document_note(note.memo, [g.legal_note for g in groups], language),
        due_date=None,
        buyer_reference=buyer_reference(invoice),
        purchase_order=_text(invoice.purchase_order),
        preceding_invoice=(note.invoice_number, invoice.issue_date),
        period_start=period_start,
        period_end=period_end,
        seller=seller_party,
        buyer=buyer_party,
        delivery=_delivered(_delivery(buyer_party, categories, invoice.supply_date, period_start, period_end),
                            invoice.delivered_to),
        payments=payments,
        payment_terms=terms,
        allowances_charges=(),
        vat_breakdown=tuple(breakdown),
        totals=DocumentTotals(
            line_net_total=major(note.subtotal),
            allowance_total=None,
            charge_total=None,
            tax_exclusive=major(note.subtotal),
            tax_total=major(note.tax),
            tax_inclusive=major(note.amount),
            prepaid=None,
            payable=major(note.amount),
        ),
        lines=tuple(lines),
        tax_representative=_tax_representative(seller, categories),
        profile=profile,
    )


def _credit_terms(note: CreditNote, major: Callable[[int], Decimal]) -> str:
    """BT-20 of a credit note: how it is settled (off the amount due, to the customer's balance,
    refunded), with each part's amount when there are several."""
    parts = [(note.pre_payment_amount, "deducted from the amount due"),
             (note.credit_amount, "credited to the customer's balance"),
             (note.out_of_band_amount, "refunded")]
    given = [(amount, words) for amount, words in parts if amount]
    if len(given) == 1:
        return f"{given[0][1].capitalize()} for invoice {note.invoice_number}."
    listed = "; ".join(f"{decimal_text(major(amount))} {words}" for amount, words in given)
    return f"For invoice {note.invoice_number}: {listed}."


def _credit_note_lines(note: CreditNote, invoice: Invoice, currency: str) -> list[Line]:
    """One line per credit note line, each naming the invoice line it credits (BT-127: EN 16931 has
    no invoice line reference of its own; the document's BG-3 names the invoice). A credit by
    amount counts no quantity: it is 1 unit (C62) of its net amount."""
    decimals = exponent(currency)
    numbers = {line.id: (line.references.line_identifier if line.references else None) or str(i + 1)
               for i, line in enumerate(invoice.lines)}  # each invoice line's BT-126
    lines: list[Line] = []
    for i, credit in enumerate(note.lines):
        vat = vat_category(credit.tax.category, credit.tax.percent, credit.tax.exemption_reason,
                           credit.tax.legal_note, code_given=credit.tax.exemption_code)
        quantity = credit.quantity if credit.quantity is not None else Decimal(1)
        unit_code = credit.unit_code if credit.quantity is not None else "C62"
        price, base_quantity = _price_for_amount(credit.net_amount, quantity, decimals)
        reference = None
        if credit.invoice_line_item is not None:
            position = numbers.get(credit.invoice_line_item)
            reference = (f"Credits line {position} ({credit.invoice_line_item}) of invoice {note.invoice_number}"
                         if position else f"Credits line {credit.invoice_line_item} of invoice {note.invoice_number}")
        name = _text(credit.description) or f"Credit for invoice {note.invoice_number}"
        lines.append(Line(number=str(i + 1), name=name, quantity=quantity,
                          unit_code=unit_code, net_amount=to_major(credit.net_amount, currency), net_price=price,
                          price_base_quantity=base_quantity, vat=vat, period_start=credit.period_start,
                          period_end=credit.period_end, note=reference))
    return lines


def _group_lines(note: CreditNote, breakdown: Sequence[VatBreakdown]) -> list[Line]:
    """A credit note issued before credit notes kept lines: one line per VAT group it credits."""
    lines: list[Line] = []
    for i, group in enumerate(breakdown):
        name = f"Credit for invoice {note.invoice_number}"
        if len(breakdown) > 1:
            name += f" ({_category_label(group.category)})"
        net = group.taxable_amount
        price, quantity = (net, Decimal(1)) if net >= 0 else (-net, Decimal(-1))
        lines.append(Line(number=str(i + 1), name=name, quantity=quantity, unit_code="C62", net_amount=net,
                          net_price=price, price_base_quantity=None, vat=group.category))
    return lines


def buyer_reference(invoice: Invoice) -> str:
    """BT-10: the buyer's own reference; else its customer's Leitweg-ID; else its purchase order number
    (BT-13, the buyer's too); else `NO_BUYER_REFERENCE`. Peppol needs BT-10 or BT-13
    (PEPPOL-EN16931-R003) and many receivers route on BT-10 alone, so it is always written, but never
    with a number of the seller's: the invoice number stated as "the buyer's reference" would be a
    reference the buyer never gave."""
    customer = invoice.customer_snapshot
    if customer is not None:  # a finalized invoice: the customer's Leitweg-ID comes after the invoice's own
        return _text(xrechnung_buyer_reference(invoice, customer)) or NO_BUYER_REFERENCE
    for candidate in (invoice.buyer_reference, invoice.purchase_order):
        text = _text(candidate)
        if text:
            return text
    return NO_BUYER_REFERENCE


def vat_category(code: str, percent: Decimal, exemption_reason: str | None, note_id: str | None = None,
                 language: str = "en", *, code_given: str | None = None) -> VatCategory:
    """A tax group or line's VAT category with the exemption reason (BT-120) and VATEX code (BT-121)
    EN 16931 asks of it (BR-S/Z/E/AE/G/O/IC-05 and -10). A decided rate's legal note gives both, the
    text in the invoice's language (as its PDF prints it; domain/data/vat_legal_notes.json); a manual
    rate's own reason is written as given, with its own VATEX code (`code_given`, checked against the
    category at the edge) or else its category's."""
    rate = percent.normalize() if percent else Decimal(0)
    EInvoiceUnsupported.refuse(vat_category_obstacle(code, rate))
    if code in ("S", "Z"):  # BR-S-10, BR-Z-10: no exemption reason
        return VatCategory(code, rate)
    note = legal_note(note_id) if note_id else legal_note_by_text(exemption_reason)
    percent_or_none = None if code == "O" else rate  # BR-O-05: no rate at all
    if note is not None and note.category == code:
        return VatCategory(code, percent_or_none, note.text(language), exemption_reason_code(code, note.id, code_given))
    reason = _text(exemption_reason) or _DEFAULT_REASON[code]
    return VatCategory(code, percent_or_none, reason, exemption_reason_code(code, None, code_given))


# What a manual rate of each category states when it gives no reason of its own.
_DEFAULT_REASON = {"E": EXEMPT_NOTE, "AE": REVERSE_CHARGE_NOTE, "G": EXPORT_NOTE, "K": INTRA_COMMUNITY_NOTE,
                   "O": OUTSIDE_SCOPE_NOTE}


def _document_note(memo: str | None, note_ids: Iterable[str | None], language: str) -> str | None:
    """BT-22: the memo, then the notes of standard-rated groups (the OSS), which BR-S-10 keeps out of
    BT-120. One note, paragraphs apart: Peppol allows no more (PEPPOL-EN16931-R002)."""
    notes = [legal_note(n) for n in dict.fromkeys(note_ids) if n]
    parts = [_text(memo), *(n.text(language) for n in notes if n.category == "S")]
    return "\n\n".join(p for p in parts if p) or None


# --- lines ------------------------------------------------------------------------------------------


def _invoice_line(invoice: Invoice, line: InvoiceLine, index: int, currency: str) -> Line:
    assert line.tax is not None and line.amount is not None and line.net_amount is not None
    vat = vat_category(line.tax.category, line.tax.percent, line.tax.exemption_reason, line.tax.legal_note,
                       code_given=line.tax.exemption_code)
    allowances = [(d.amount_on(line.amount), _reason(d), d.reason_code or DISCOUNT_REASON_CODE)
                  for d in line.discounts]
    charges = [(c.amount_on(line.amount), _reason(c), c.reason_code) for c in line.charges]
    decimals = exponent(currency)
    if invoice.tax_behavior == "exclusive":
        quantity = line.quantity
        price, base_quantity = _price(line.unit_amount_decimal.scaleb(-decimals), decimals), None
        with localcontext(prec=60):
            rounding = abs(quantity * price - Decimal(line.amount).scaleb(-decimals))
        if rounding > _PRICE_SLACK:
            # The line amount is rounded to the minor unit; in a currency without decimals that can
            # be half a unit off quantity x price, more than Peppol allows (PEPPOL-EN16931-R120).
            price, base_quantity = _price_for_amount(line.amount, quantity, decimals)
    else:
        # Tax-inclusive: the line's amounts include VAT, but EN 16931 is net-based. The net amount is
        # the invoice's own (BT-131); its allowances and charges are taken net of VAT, each rounded
        # once, and the net price is whatever makes quantity x price - allowances + charges equal the
        # net amount exactly.
        factor = _HUNDRED / (_HUNDRED + line.tax.percent)
        allowances = [(round_minor(amount * factor), reason, code) for amount, reason, code in allowances]
        charges = [(round_minor(amount * factor), reason, code) for amount, reason, code in charges]
        base = line.net_amount + sum(a for a, _, _ in allowances) - sum(c for c, _, _ in charges)
        if line.quantity == 0 and base:
            # Nothing to put a price on: the rounding residue stays with the line's adjustments.
            if base > 0:
                charges.append((base, "Rounding of tax-inclusive amounts", None))
            else:
                allowances.append((-base, "Rounding of tax-inclusive amounts", DISCOUNT_REASON_CODE))
            base = 0
        quantity = line.quantity
        price, base_quantity = _price_for_amount(base, line.quantity, decimals)
    if price < 0:  # BR-27: the price is never negative; the quantity carries the sign
        price, quantity = -price, -quantity
    gross_price, price_discount = _gross_price(invoice, line, price, base_quantity, decimals)
    adjustments = tuple(
        AllowanceCharge(False, to_major(amount, currency), reason, code)
        for amount, reason, code in allowances if amount
    ) + tuple(AllowanceCharge(True, to_major(amount, currency), reason, code) for amount, reason, code in charges
              if amount)
    return Line(
        number=_text(line.references.line_identifier if line.references else None) or str(index + 1),
        name=_text(line.description) or f"Line {index + 1}",
        quantity=quantity,
        unit_code=line.unit_code,
        net_amount=to_major(line.net_amount, currency),
        net_price=price,
        price_base_quantity=base_quantity,
        vat=vat,
        allowances_charges=adjustments,
        # BG-26 as given: the line's period, or its date of supply as a period of that one day.
        period_start=line.period_start or line.supply_date,
        period_end=line.period_end or line.supply_date,
        note=_text(line.references.note) if line.references else None,
        item=line.item,
        references=line.references,
        gross_price=gross_price,
        price_discount=price_discount,
    )


def _gross_price(invoice: Invoice, line: InvoiceLine, net_price: Decimal, base_quantity: Decimal | None,
                 decimals: int) -> tuple[Decimal | None, Decimal | None]:
    """(BT-148, BT-147) of a line given a gross price, on the net price's own base: per unit, or per
    the base quantity where the net price is stated per one (the discount times it). BT-148 is the net
    price plus the discount, so BT-146 = BT-148 - BT-147 exactly (PEPPOL-EN16931-R046). With
    tax-inclusive prices the discount includes VAT and EN 16931's excludes it: it is taken net of the
    line's VAT rate (to ten decimals), as the line's own discounts are, and BT-148 is again the net
    price plus it."""
    if line.gross_unit_amount_decimal is None:
        return None, None
    per_unit = (line.price_discount_decimal or Decimal(0)).scaleb(-decimals)
    with localcontext(prec=60):
        if invoice.tax_behavior != "exclusive":
            assert line.tax is not None
            per_unit = (per_unit * _HUNDRED / (_HUNDRED + line.tax.percent)).quantize(
                Decimal(1).scaleb(-_PRICE_MAX_DECIMALS))
        discount = per_unit * base_quantity if base_quantity is not None else per_unit
        return _price(net_price + discount, decimals), _price(discount, decimals)


def _price(value: Decimal, decimals: int) -> Decimal:
    """A unit price in major units with every significant digit and at least the currency's decimals."""
    normalized = value.normalize()
    if _decimal_places(normalized) <= decimals:
        return normalized.quantize(Decimal(1).scaleb(-decimals))
    return normalized


def _decimal_places(value: Decimal) -> int:
    exp = value.normalize().as_tuple().exponent
    assert isinstance(exp, int)  # a finite number
    return max(0, -exp)


def _price_for_amount(amount: int, quantity: Decimal, decimals: int) -> tuple[Decimal, Decimal | None]:
    """(BT-146, BT-149) such that quantity x price / base quantity is `amount` exactly: a unit
    price when one exists with a few decimals, else the price of the whole quantity."""
    total = Decimal(amount).scaleb(-decimals)
    if quantity == 0:
        return _price(Decimal(0), decimals), None
    with localcontext(prec=60):
        unit = total / quantity
        exact = unit * quantity == total
    if exact and _decimal_places(unit) <= _PRICE_MAX_DECIMALS:
        return _price(unit, decimals), None
    # quantity x (price / base quantity) = total, with a positive base quantity (PEPPOL-EN16931-R121)
    return _price(total if quantity > 0 else -total, decimals), abs(quantity)


def _delivery(
    buyer: Party, categories: set[str], supplied: date | None, start: date | None, end: date | None
) -> Delivery | None:
    """When (BT-72) and, for an intra-community supply, where (BG-15, BR-IC-12: the buyer's address)
    the supply was made. The date is the invoice's own `supply_date`, never assumed from the issue
    date; an intra-community supply states its date or period (BR-IC-11)."""
    EInvoiceUnsupported.refuse(supply_obstacle(categories, supplied, start, end))
    if "K" in categories:
        return Delivery(address=buyer.address, date=supplied)
    return Delivery(address=None, date=supplied) if supplied else None


def _reason(adjustment: Discount | Charge) -> str:
    described = _text(adjustment.description)
    if described:
        return described
    if isinstance(adjustment, Discount) and adjustment.reason_code:
        return allowance_reason(adjustment.reason_code)  # BR-CO-21: the text its code stands for
    kind, percent = ("Discount", adjustment.percent_off) if isinstance(adjustment, Discount) else (
        "Charge", adjustment.percent)
    return f"{kind} {quantity_text(percent)} %" if percent else kind


def _itemized_adjustments(invoice: Invoice, totals: Totals) -> list[tuple[Discount | Charge, tuple[int, ...]]]:
    """Each invoice-level discount and charge with its part per tax group, when the totals recorded
    them (`Totals.discount_breakdown`); empty for totals stored before, which are written per group."""
    if len(totals.discount_breakdown) != len(invoice.discounts) or \
            len(totals.charge_breakdown) != len(invoice.charges):
        return []
    return [*zip(invoice.discounts, totals.discount_breakdown, strict=True),
            *zip(invoice.charges, totals.charge_breakdown, strict=True)]


def _document_adjustment(adjustment: Discount | Charge, amount: Decimal, vat: VatCategory) -> AllowanceCharge:
    """BG-20 / BG-21: the amount of one discount or charge in one VAT group, its reason and code."""
    if isinstance(adjustment, Discount):
        return AllowanceCharge(False, amount, _reason(adjustment), adjustment.reason_code or DISCOUNT_REASON_CODE,
                               vat)
    return AllowanceCharge(True, amount, _reason(adjustment), adjustment.reason_code, vat)


def _reasons(adjustments: Iterable[Discount | Charge], default: str) -> str:
    """One reason for a document level allowance or charge that sums several of the invoice's."""
    return "; ".join(dict.fromkeys(_reason(a) for a in adjustments)) or default


# --- parties ------------------------------------------------------------------------------------------


def _parties(seller: Account, customer: Customer, categories: set[str]) -> tuple[Party, Party]:
    """Seller and buyer with the identifiers the VAT categories on the document require."""
    EInvoiceUnsupported.refuse(party_obstacle(seller, customer, categories))
    assert seller.address is not None and customer.address is not None  # party_obstacle refuses without
    seller_vat = _vat_id(seller.tax_ids, seller.country)
    buyer_vat = _vat_id(customer.tax_ids, customer.country)
    tax_registration = next((t.value for t in seller.tax_ids if t.type not in VAT_ID_TYPES), None)
    legal_id = _text(seller.legal_registration_id)

    if "O" in categories:
        seller_vat = buyer_vat = None  # BR-O-02: no VAT identifiers at all

    return (
        Party(
            name=_required(seller.name, "account.name"),
            address=_address(seller.address),
            vat_id=seller_vat,
            tax_registration_id=tax_registration,
            legal_registration_id=legal_id,
            electronic_address=_electronic_address(seller.electronic_address, seller.tax_ids, seller.email),
            phone=_text(seller.phone),
            email=_text(seller.email),
        ),
        Party(
            name=_required(customer.name, "customer.name"),
            address=_address(customer.address),
            vat_id=buyer_vat,
            tax_registration_id=None,
            legal_registration_id=None,
            electronic_address=_buyer_electronic_address(customer),
            phone=None,
            email=_text(customer.email),
        ),
    )


def _address(address: Address) -> PostalAddress:
    return PostalAddress(line1=_required(address.line1, "address.line1"), line2=_text(address.line2),
                         city=_required(address.city, "address.city"),
                         postal_code=_text(address.postal_code), subdivision=_text(address.state),
                         country=address.country)


def _vat_id(tax_ids: Sequence[TaxId], country: str | None) -> str | None:
    """The party's VAT identifier with its country prefix (BR-CO-09), its own country's first."""
    vat_ids = [t for t in tax_ids if t.type in VAT_ID_TYPES]
    if not vat_ids:
        return None
    return next((t for t in vat_ids if t.country == country), vat_ids[0]).stated


def _electronic_address(
    explicit: ElectronicAddress | None, tax_ids: Sequence[TaxId], email: str | None
) -> Identifier | None:
    """BT-34, the seller's: the account's own electronic address; else one its tax ID gives (an
    organisation number in Sweden and Norway, the VAT number under its country's EAS code elsewhere, a
    US EIN or an Australian ABN); else its email (scheme EM, which EN 16931 accepts and Peppol does
    not). The account is the seller's own: it sets `electronic_address` where that guess is wrong.
    The buyer's (BT-49) is never derived: `_buyer_electronic_address`."""
    if explicit is not None:
        return Identifier(explicit.value, explicit.scheme)
    for tax_id in tax_ids:
        if tax_id.type == "eu_vat" and tax_id.value.startswith("SE"):
            return Identifier(tax_id.value[2:12], "0007")  # SE + organisationsnummer + 01
        if tax_id.type == "no_vat":
            return Identifier(tax_id.value.removesuffix("MVA"), "0192")  # organisasjonsnummer + MVA
        if tax_id.type in _TAX_ID_EAS:
            return Identifier(tax_id.value, _TAX_ID_EAS[tax_id.type])
        country = tax_id.country
        if tax_id.type in VAT_ID_TYPES and country in _VAT_EAS:
            value = tax_id.stated
            # Greece's EAS takes the bare tax number (TIN), without the EL prefix.
            return Identifier(value[2:] if country == "GR" else value, _VAT_EAS[country])
    text = _text(email)
    return Identifier(text, EMAIL_SCHEME) if text else None


def _buyer_electronic_address(customer: Customer) -> Identifier | None:
    """BT-49: only an address the customer gave. Its own `electronic_address` (a Peppol participant
    id, say); else its billing email under scheme EM, which is that email by the scheme's definition;
    else none. A participant id is never derived from the buyer's VAT or organisation number: that
    the buyer receives e-invoices under such an id is a guess, and a wrong BT-49 routes the invoice
    to somebody else or nowhere (docs/einvoicing.md, "Electronic addresses")."""
    if customer.electronic_address is not None:
        return Identifier(customer.electronic_address.value, customer.electronic_address.scheme)
    text = _text(customer.email)
    return Identifier(text, EMAIL_SCHEME) if text else None


# --- issue 12: the parties' details, delivery, references, supporting documents -------------------------


@dataclass(frozen=True)
class References:
    """The documents an invoice refers to (BT-11 .. BT-19, without BT-10 and BT-13)."""

    project: str | None = None  # BT-11
    contract: str | None = None  # BT-12
    sales_order: str | None = None  # BT-14
    receiving_advice: str | None = None  # BT-15
    despatch_advice: str | None = None  # BT-16
    tender_or_lot: str | None = None  # BT-17
    invoiced_object: PartyId | None = None  # BT-18 with its scheme (BT-18-1)
    buyer_accounting_reference: str | None = None  # BT-19


@dataclass(frozen=True)
class SupportingReference:
    """BG-24."""

    id: str  # BT-122
    description: str | None  # BT-123
    url: str | None  # BT-124
    mime_code: str | None = None  # BT-125-1
    filename: str | None = None  # BT-125-2
    content_base64: str | None = None  # BT-125


@dataclass(frozen=True)
class PayeeParty:
    """BG-10."""

    name: str  # BT-59
    identifier: PartyId | None  # BT-60
    legal_registration_id: str | None  # BT-61


@dataclass(frozen=True)
class TaxRepresentativeParty:
    """BG-11."""

    name: str  # BT-62
    vat_id: str  # BT-63
    address: PostalAddress  # BG-12


def _party_ids(identifiers: Iterable[PartyIdentifier]) -> tuple[PartyId, ...]:
    return tuple(PartyId(value, i.scheme) for i in identifiers if (value := _text(i.value)))


def _detailed_parties(seller_party: Party, buyer_party: Party, seller: Account, customer: Customer,
                      buyer_contact: Contact | None) -> tuple[Party, Party]:
    """The parties with their identifiers, trading names and contacts. The seller's contact (BG-6)
    gives the name, and the phone and email where it has them (else the account's); the buyer's is the
    invoice's own contact, else the customer's (BG-9), its email else the customer's billing email."""
    contact = seller.contact
    detailed_seller = replace(
        seller_party,
        identifiers=_party_ids(seller.identifiers),
        trading_name=_text(seller.trading_name),
        contact_name=_text(contact.name) if contact else None,
        phone=_text(seller_contact_phone(seller)),
        email=_text(seller_contact_email(seller)),
        additional_legal_info=_text(seller.additional_legal_info),
    )
    detailed_buyer = replace(
        buyer_party,
        identifiers=_party_ids([customer.identifier] if customer.identifier else []),
        trading_name=_text(customer.trading_name),
        legal_registration_id=_text(customer.legal_registration_id),
        contact_name=_text(buyer_contact.name) if buyer_contact else None,
        phone=_text(buyer_contact.phone) if buyer_contact else None,
        email=_text(buyer_contact.email) if buyer_contact and buyer_contact.email else buyer_party.email,
    )
    return detailed_seller, detailed_buyer


def _delivered(decided: Delivery | None, given: DeliveryDetails | None) -> Delivery | None:
    """BG-13: the invoice's (or its customer's) deliver-to party, place and address, with the date
    and the intra-community address `_delivery` decided (a given address replaces the buyer's)."""
    if given is None:
        return decided
    location = given.location_id
    return Delivery(
        address=_address(given.address) if given.address else (decided.address if decided else None),
        date=decided.date if decided else None,
        name=_text(given.name),
        location_id=PartyId(location.value, location.scheme) if location else None,
    )


def _references(invoice: Invoice) -> References:
    given = invoice.references
    invoiced = _text(given.invoiced_object)
    return References(
        project=_text(given.project), contract=_text(given.contract), sales_order=_text(given.sales_order),
        receiving_advice=_text(given.receiving_advice), despatch_advice=_text(given.despatch_advice),
        tender_or_lot=_text(given.tender_or_lot),
        invoiced_object=PartyId(invoiced, given.invoiced_object_scheme) if invoiced else None,
        buyer_accounting_reference=_text(given.buyer_accounting_reference),
    )


def _supporting_documents(invoice: Invoice,
                          uploaded: Mapping[str, UploadedContent] | None) -> tuple[SupportingReference, ...]:
    files = {f.document_id: f for f in embedded_files(invoice.supporting_documents, uploaded)}
    documents = []
    for d in invoice.supporting_documents:
        file = files.get(d.id)
        documents.append(SupportingReference(
            id=_required(d.id, "supporting_documents.id"), description=_text(d.description), url=_text(d.url),
            mime_code=file.mime_code if file else None, filename=_text(file.filename) if file else None,
            content_base64=file.content_base64 if file else None))
    return tuple(documents)


def _payee(invoice: Invoice) -> PayeeParty | None:
    payee = invoice.paid_to
    if payee is None:
        return None
    identifier = payee.identifier
    return PayeeParty(name=_required(payee.name, "payee.name"),
                      identifier=PartyId(identifier.value, identifier.scheme) if identifier else None,
                      legal_registration_id=_text(payee.legal_registration_id))


def _tax_representative(seller: Account, categories: set[str]) -> TaxRepresentativeParty | None:
    """BG-11, except on an invoice not subject to VAT, which names no VAT identifier (BR-O-04)."""
    representative = seller.tax_representative
    if representative is None or "O" in categories:
        return None
    return TaxRepresentativeParty(name=_required(representative.name, "account.tax_representative.name"),
                                  vat_id=representative.vat_id, address=_address(representative.address))


# --- payment ------------------------------------------------------------------------------------------


def _payments(invoice: Invoice, seller: Account, customer: Customer) -> tuple[PaymentInstructions, ...]:
    """One credit transfer per account of the seller's: its IBANs (SEPA when in euro; the account's, then
    its `bank_accounts` in the invoice's currency), then its Bankgiro
    and Plusgiro numbers (code 30, the digits as the account id, SE:BANKGIRO / SE:PLUSGIRO as the
    institution: Peppol BIS national rules SE-R-007 to SE-R-010), each quoting the same remittance
    information (`remittance_information`). No account at all: "instrument not defined". An invoice
    collected by direct debit (domain/direct_debit.py) has that one means instead: code 59 with the
    mandate and the account debited (BG-19), no account to transfer to; one charged to the customer's
    card (domain/payment_card.py), its code (48, 54, 55) with the card (BG-18)."""
    reference = remittance_information(invoice, seller)
    mandate = debited_under(invoice, customer)
    if mandate is not None:
        return (PaymentInstructions(SEPA_DIRECT_DEBIT, "SEPA direct debit", reference, None, None, None,
                                    mandate_reference=mandate.mandate_reference, debited_account=mandate.iban),)
    card = charged_to(invoice, customer)
    if card is not None:
        return (PaymentInstructions(card.means_code, card.means_text, reference, None, None, None,
                                    card_number=card.last_digits, card_holder=_text(card.holder_name)),)
    payments: list[PaymentInstructions] = []
    for iban, bic in seller.transfer_accounts(invoice.currency):  # the account's IBAN, then its bank_accounts
        sepa = invoice.currency == "EUR"
        payments.append(PaymentInstructions(
            means_code="58" if sepa else "30",
            means_text="SEPA credit transfer" if sepa else "Credit transfer",
            remittance_information=reference,
            iban=iban,
            account_name=_text(seller.name),
            bic=_text(bic),
        ))
    for kind, number in (("bankgiro", seller.bankgiro), ("plusgiro", seller.plusgiro)):
        if number:
            payments.append(PaymentInstructions(
                means_code="30", means_text="Bankgiro" if kind == "bankgiro" else "Plusgiro",
                remittance_information=reference, iban=None, account_name=_text(seller.name),
                bic=GIRO_INSTITUTION[kind], proprietary_id=number))  # type: ignore[index]
    if not payments:
        payments.append(PaymentInstructions("1", "Instrument not defined", reference, None, None, None))
    return tuple(payments)


def _creditor_id(invoice: Invoice, seller: Account, customer: Customer) -> str | None:
    """BT-90 of an invoice collected by direct debit: the seller's SEPA creditor identifier, without
    which no debit can be made (finalizing refuses it, and so does the writer for an older snapshot)."""
    if debited_under(invoice, customer) is None:
        return None
    if creditor_id_missing(invoice, seller, customer):
        raise EInvoiceUnsupported("The invoice is collected by SEPA direct debit (the customer's direct_debit "
                                  "mandate) and the account has no sepa_creditor_id (BT-90).",
                                  param="account.sepa_creditor_id", code="direct_debit_creditor_id_missing")
    return seller.sepa_creditor_id


def remittance_information(invoice: Invoice, seller: Account) -> str | None:
    """BT-83: `invoicing.domain.payment_reference.remittance_text`, as XML can carry it."""
    return _text(remittance_text(invoice, seller))


def _tax_in_tax_currency(invoice: Invoice) -> Decimal | None:
    """The second BT-111: the VAT total in the tax currency (BT-6; Art. 230: `Invoice.tax_in_tax_currency`)."""
    rate = invoice.tax_currency_rate
    converted = invoice.tax_in_tax_currency
    return to_major(converted, rate.currency) if rate is not None and converted is not None else None


def _payment_terms(seller: Account, locale: str, issue_date: date, due_date: date) -> str:
    """BT-20: the seller's terms in the customer's language (as the PDF prints them), else the net days."""
    terms = _text(seller.text("payment_terms", locale))
    if terms:
        return terms
    days = (due_date - issue_date).days
    return f"Net {days} days, due {due_date.isoformat()}" if days > 0 else "Due on receipt"


# --- small helpers --------------------------------------------------------------------------------------


def _supported_currency(currency: str) -> str:
    EInvoiceUnsupported.refuse(currency_obstacle(currency))
    return currency


def _text(value: str | None) -> str | None:
    """Text as XML 1.0 can carry it (control characters dropped), or None when nothing is left:
    Peppol refuses empty elements (PEPPOL-EN16931-R008)."""
    if value is None:
        return None
    return _NOT_XML.sub("", value).strip() or None


def _required(value: str, param: str) -> str:
    text = _text(value)
    if text is None:
        raise EInvoiceUnsupported(f"{param} has no printable text.", param=param)
    return text


def _category_label(vat: VatCategory) -> str:
    if vat.percent is None:
        return vat.code
    return f"VAT {vat.code} {decimal_text(vat.percent)} %"


def _rule_prefix(code: str) -> str:
    return "IC" if code == "K" else code
