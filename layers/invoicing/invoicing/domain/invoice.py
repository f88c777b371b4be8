"""The invoice aggregate: a draft that is priced and edited, then finalized into an immutable,
numbered document that is paid, voided or marked uncollectible. Corrections are credit notes.

Every method returns a new Invoice; nothing here touches storage or the clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from invoicing.domain.corrective import COMMERCIAL_INVOICE, InvoiceTypeCode, PrecedingInvoice, require_allowed_total
from invoicing.domain.errors import Conflict, FinalizationBlocked, InvalidInput, InvalidStateTransition, InvoiceNotDraft
from invoicing.domain.events import DomainEvent, new_event
from invoicing.domain.gross_price import net_unit_price
from invoicing.domain.line_item import LineItem, LineReferences
from invoicing.domain.money import MAX_AMOUNT
from invoicing.domain.party import Account, Contact, Customer, Delivery, Payee
from invoicing.domain.prepayment import DeductedPrepayment, deductible
from invoicing.domain.references import DocumentReferences, SupportingDocument
from invoicing.domain.statuses import InvoiceStatus
from invoicing.domain.supply import SupplyType, TaxCode
from invoicing.domain.tax import TaxDecision, TaxKey, TaxRate, decide_tax
from invoicing.domain.tax_currency import TaxCurrencyRate, tax_in_tax_currency
from invoicing.domain.totals import Charge, Discount, PricedLine, TaxBehavior, TaxGroup, Totals, compute_totals
from invoicing.domain.validation import ValidationIssue, validation_issues

# The state machine: which status may follow which.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"open"}),
    "open": frozenset({"paid", "void", "uncollectible"}),
    "uncollectible": frozenset({"paid", "void"}),
    "paid": frozenset(),
    "void": frozenset(),
}


# BT-8, the UNCL 2005 codes EN 16931 allows: VAT is due on the invoice's issue date (3), on the actual
# delivery date (35), or on the date it is paid (432).
TaxPointDateCode = Literal["3", "35", "432"]


DRAFT_EDITABLE = frozenset({
    "description", "footer", "buyer_reference", "purchase_order", "collection_method", "days_until_due",
    "due_date", "tax_behavior", "discounts", "charges", "metadata", "version",
    "supply_date", "period_start", "period_end", "supply_type",
})
# EN 16931 details an invoice names itself (issue 12): references, supporting documents, delivery,
# buyer contact, payee.
DRAFT_EDITABLE = DRAFT_EDITABLE | {"references", "supporting_documents", "delivery", "buyer_contact", "payee"}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InvoiceLine(_Model):
    id: str
    description: str
    quantity: Decimal
    unit_amount_decimal: Decimal  # minor units, kept unrounded until the line total
    # The gross price (BT-148) and price discount (BT-147) the net unit price above was derived from,
    # when the line was given them (domain/gross_price.py): unit_amount_decimal = gross - discount.
    gross_unit_amount_decimal: Decimal | None = None
    price_discount_decimal: Decimal | None = None
    unit_code: str = "C62"  # UN/ECE Rec 20 ("one"); "HUR" hours, "DAY" days...
    tax_code: TaxCode = "standard"
    tax_rate: TaxRate | None = None  # a manual rate; otherwise decided by the place of supply
    tax_rates: tuple[TaxRate, ...] = ()  # several manual rates, stacked (GST + QST); not with tax_rate
    supply_type: SupplyType | None = None  # None: the invoice's, else the account's default (docs/tax.md)
    discounts: tuple[Discount, ...] = ()
    charges: tuple[Charge, ...] = ()
    # When this line was supplied: a date, or the period a service covered (never both).
    supply_date: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    # Set by pricing: the line's tax, and with stacked taxes all of them (`tax` is the first).
    tax: TaxRate | None = None
    taxes: tuple[TaxRate, ...] = ()
    amount: int | None = None
    discount_amount: int | None = None
    charge_amount: int | None = None
    net_amount: int | None = None
    # Item information and the line's references (domain/line_item.py: BT-127 … BT-133, BG-31, BG-32).
    item: LineItem | None = None
    references: LineReferences | None = None
    # A subscription's proration (Stripe's `proration`): the credit for unused time or the charge for
    # the remaining time after a change (domain/proration.py). Set by billing, never by a request.
    proration: bool = False

    @model_validator(mode="after")
    def _net_of_gross(self) -> InvoiceLine:
        if self.gross_unit_amount_decimal is not None or self.price_discount_decimal is not None:
            net_unit_price(self.unit_amount_decimal, self.gross_unit_amount_decimal, self.price_discount_decimal)
        return self

    @property
    def applied_taxes(self) -> tuple[TaxRate, ...]:
        """Every tax pricing gave the line (lines priced before stacked taxes have only `tax`)."""
        return self.taxes or ((self.tax,) if self.tax is not None else ())

    @property
    def stacked(self) -> bool:
        return len(self.applied_taxes) > 1


def check_line_identifiers(lines: tuple[InvoiceLine, ...]) -> tuple[InvoiceLine, ...]:
    """The lines, if each line identifier the issuer gives (BT-126) names one of them; else 400."""
    given = [line.references.line_identifier for line in lines
             if line.references is not None and line.references.line_identifier is not None]
    if duplicates := sorted({i for i in given if given.count(i) > 1}):
        raise InvalidInput(f"Each line_identifier names one line of the invoice: {', '.join(duplicates)} is "
                           "given more than once.", param="lines", code="line_identifier_duplicate")
    return lines


class CreditedLine(_Model):
    """How much of an invoice line its credit notes have credited so far."""

    line_id: str
    quantity: Decimal = Decimal(0)  # counted by credits by quantity; credits by amount count none
    amount: int = 0  # in the line's own terms (its net, or its gross with tax-inclusive prices)
    base_amount: int = 0  # the same after its share of the invoice's discounts and charges


class CreditedGroup(_Model):
    """How much of one tax group (category, rate; with stacked taxes also kind, jurisdiction and
    compounding: `TaxRate.group_key`) its credit notes have credited so far."""

    category: str
    percent: Decimal
    base_amount: int = 0  # what tax is computed on: nets (tax-exclusive) or grosses (tax-inclusive)
    taxable_amount: int = 0  # excluding tax
    tax_amount: int = 0
    tax_type: str = "vat"
    jurisdiction: str | None = None
    compound: bool = False

    @property
    def key(self) -> TaxKey:
        return (self.category, self.percent.normalize(), self.tax_type, self.jurisdiction, self.compound)


class CreditLedger(_Model):
    """What the invoice's credit notes have taken, per line and per (category, rate): kept on the
    invoice, so that the invoice's version check makes concurrent credit notes take turns."""

    lines: tuple[CreditedLine, ...] = ()
    groups: tuple[CreditedGroup, ...] = ()
    # All credited, excluding tax, each line counted once whatever its taxes (a line with stacked taxes
    # is in several groups). None on ledgers kept before stacked taxes: there it is the groups' sum.
    taxable_amount: int | None = None

    def line(self, line_id: str) -> CreditedLine:
        return next((c for c in self.lines if c.line_id == line_id), CreditedLine(line_id=line_id))

    def group(self, group: TaxGroup) -> CreditedGroup:
        """What was credited of one of the invoice's tax groups."""
        return next((g for g in self.groups if g.key == group.key), CreditedGroup(
            category=group.category, percent=group.percent, tax_type=group.tax_type,
            jurisdiction=group.jurisdiction, compound=group.compound))

    @property
    def credited_taxable(self) -> int:
        if self.taxable_amount is not None:
            return self.taxable_amount
        return sum(g.taxable_amount for g in self.groups)

    @property
    def gross(self) -> int:
        return self.credited_taxable + sum(g.tax_amount for g in self.groups)

    def with_taxable(self, amount: int) -> CreditLedger:
        """`amount` more credited, excluding tax."""
        return self.model_copy(update={"taxable_amount": self.credited_taxable + amount})

    def with_line(self, credited: CreditedLine) -> CreditLedger:
        others = tuple(c for c in self.lines if c.line_id != credited.line_id)
        return self.model_copy(update={"lines": (*others, credited)})

    def with_group(self, credited: CreditedGroup) -> CreditLedger:
        groups = list(self.groups)
        index = next((i for i, g in enumerate(groups) if g.key == credited.key), None)
        if index is None:
            groups.append(credited)
        else:
            groups[index] = credited
        return self.model_copy(update={"groups": tuple(groups)})


class StatusTransitions(_Model):
    finalized_at: datetime | None = None
    paid_at: datetime | None = None
    voided_at: datetime | None = None
    marked_uncollectible_at: datetime | None = None


class Invoice(_Model):
    id: str
    object: Literal["invoice"] = "invoice"
    account_id: str
    customer_id: str
    status: InvoiceStatus = "draft"
    number: str | None = None
    currency: str
    tax_behavior: TaxBehavior = "exclusive"
    collection_method: Literal["send_invoice", "charge_automatically"] = "send_invoice"
    days_until_due: int | None = None
    due_date: date | None = None
    issue_date: date | None = None
    # The date of supply (Directive 2006/112/EC Art. 226(7), BT-72) or the service period (BG-14) of
    # the whole invoice; stated only when given, never assumed from the issue date.
    supply_date: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    supply_type: SupplyType | None = None  # what the lines supply unless they say; None: the account's default
    description: str | None = None  # the memo printed above the lines (Stripe's `description`)
    footer: str | None = None  # replaces the seller's footer on this invoice
    buyer_reference: str | None = None
    purchase_order: str | None = None
    # EN 16931 details (issue 12; docs/einvoicing.md): the documents referred to (BT-11 .. BT-19) and
    # supporting documents (BG-24); and where the invoice's own delivery (BG-13), buyer contact (BG-9)
    # and payee (BG-10) replace the customer's and the account's (`delivered_to`, `buyer_contact_point`,
    # `paid_to`).
    references: DocumentReferences = Field(default_factory=DocumentReferences)
    supporting_documents: tuple[SupportingDocument, ...] = ()
    delivery: Delivery | None = None
    buyer_contact: Contact | None = None
    payee: Payee | None = None
    payment_reference: str | None = None  # the RF creditor reference (ISO 11649)
    ocr_reference: str | None = None  # the Swedish OCR number, for a Swedish seller (Bankgirot)
    lines: tuple[InvoiceLine, ...] = ()
    discounts: tuple[Discount, ...] = ()
    charges: tuple[Charge, ...] = ()
    totals: Totals | None = None
    tax_missing: str | None = None  # why automatic tax could not be decided yet
    applied_balance: int = 0
    # A corrective invoice whose total is below zero owes the customer: at finalization what it owes
    # goes to the customer's credit balance (as Stripe's negative invoices do), so it is settled, not a
    # receivable; its amount due (BT-115) stays the negative amount its documents state.
    balance_credit: int = 0
    amount_due: int = 0
    amount_paid: int = 0
    pre_payment_credit_notes_amount: int = 0
    post_payment_credit_notes_amount: int = 0
    credit_ledger: CreditLedger = Field(default_factory=CreditLedger)
    customer_snapshot: Customer | None = None
    seller_snapshot: Account | None = None
    status_transitions: StatusTransitions = Field(default_factory=StatusTransitions)
    metadata: dict[str, str] = Field(default_factory=dict)
    # The hosted page's secret (domain/sending.py: the page's token), set at finalization. What was sent
    # and asked about the invoice is its `InvoiceCorrespondence`, an item of its own.
    hosted_secret: str | None = None
    # BT-3 and BG-3 (domain/corrective.py): a corrective invoice (384) names the invoice it corrects and
    # may come to less than zero.
    type_code: InvoiceTypeCode = COMMERCIAL_INVOICE
    preceding_invoice: PrecedingInvoice | None = None
    # --- payment and VAT details (EN 16931 BT-20, BT-83, BT-7, BT-8, BT-6; docs/einvoicing.md) ---
    payment_terms: str | None = None  # BT-20 of this invoice, in place of the account's terms
    remittance_information: str | None = None  # BT-83 as the seller gives it; None: the account's choice
    tax_point_date: date | None = None  # BT-7: when VAT became chargeable, where not the issue date
    tax_point_date_code: TaxPointDateCode | None = None  # BT-8 (UNCL 2005), never with BT-7 (BR-CO-03)
    tax_currency_rate: TaxCurrencyRate | None = None  # VAT also in the national currency (Art. 230)
    prepayment: bool = False  # a prepayment invoice (BT-3 386): VAT on the advance (Art. 65)
    # domain/prepayment.py: the paid prepayment invoices this final invoice deducts (BT-113, BG-3); and,
    # on a prepayment invoice, how much of it final invoices have deducted.
    prepayments: tuple[DeductedPrepayment, ...] = ()
    prepayment_deducted: int = 0
    # --- end of the payment and VAT details ---
    created: datetime
    version: int = 0
    # What happened in this unit of work (never part of the stored document: see domain/events.py).
    events: tuple[DomainEvent, ...] = Field(default=(), exclude=True)

    @property
    def amount_remaining(self) -> int:
        return self.amount_due + self.balance_credit - self.amount_paid

    @property
    def prepaid_amount(self) -> int:
        """What the prepayment invoices it deducts were paid (part of BT-113)."""
        return sum(p.amount for p in self.prepayments)

    @property
    def paid_before(self) -> int:
        """BT-113: what was paid before this invoice: the prepayments it deducts, the customer's credit
        it applied, and credit notes that lowered what it asks."""
        return self.prepaid_amount + self.applied_balance + self.pre_payment_credit_notes_amount

    @property
    def tax_in_tax_currency(self) -> int | None:
        """The VAT total in the national currency (the second BT-111), at `tax_currency_rate`."""
        if self.tax_currency_rate is None or self.totals is None:
            return None
        return tax_in_tax_currency(self.totals.tax, self.currency, self.tax_currency_rate)

    @property
    def creditable_amount(self) -> int:
        """What credit notes may still take: what remains due, and what was paid or taken from the
        customer's credit balance and not yet credited back, nor deducted by a final invoice (a
        prepayment invoice's money that a final invoice took counts there, not here)."""
        if self.status not in ("open", "uncollectible", "paid"):
            return 0
        remaining = self.amount_remaining if self.status != "paid" else 0
        return remaining + self.amount_paid + self.applied_balance - self.post_payment_credit_notes_amount \
            - self.prepayment_deducted

    # --- EN 16931 details: the invoice's own, else its customer's or seller's (snapshots once final) ---

    @property
    def delivered_to(self) -> Delivery | None:
        """BG-13: the invoice's delivery, else its customer's default."""
        customer = self.customer_snapshot
        return self.delivery or (customer.delivery if customer is not None else None)

    @property
    def buyer_contact_point(self) -> Contact | None:
        """BG-9: the invoice's buyer contact, else its customer's."""
        customer = self.customer_snapshot
        return self.buyer_contact or (customer.contact if customer is not None else None)

    @property
    def paid_to(self) -> Payee | None:
        """BG-10: the invoice's payee, else the account's; None: the seller is paid."""
        seller = self.seller_snapshot
        return self.payee or (seller.payee if seller is not None else None)

    # --- events ------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """The invoice as events carry it: what subscribers need to act, not the whole document."""
        return {
            "id": self.id, "object": "invoice", "number": self.number, "status": self.status,
            "customer": self.customer_id, "currency": self.currency,
            "total": self.totals.total if self.totals else 0, "amount_due": self.amount_due,
            "amount_paid": self.amount_paid, "amount_remaining": self.amount_remaining,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "collection_method": self.collection_method,
        }

    def _recorded(self, type_: str, at: datetime, obj: dict[str, Any] | None = None) -> Invoice:
        event = new_event(type_, account_id=self.account_id, aggregate="invoice", aggregate_id=self.id,
                          version=self.version, at=at, obj=obj if obj is not None else self.summary())
        return self.model_copy(update={"events": (*self.events, event)})

    def record_created(self, at: datetime) -> Invoice:
        """A new draft: `invoice.created`."""
        if self.version != 0 or self.status != "draft":
            raise InvalidStateTransition(f"Invoice {self.id} already exists.", param="invoice")
        return self._recorded("invoice.created", at)

    def record_credit_note(self, credit_note: dict[str, Any], at: datetime) -> Invoice:
        """`credit_note.created`, in the credited invoice's audit trail (one transaction credits both)."""
        return self._recorded("credit_note.created", at, credit_note)

    # --- editing a draft -------------------------------------------------------------------

    def require_draft(self) -> None:
        """The one place that says a finalized invoice does not change."""
        if self.status != "draft":
            raise InvoiceNotDraft(
                f"Invoice {self.number or self.id} is {self.status}: a finalized invoice cannot be changed; "
                "issue a credit note instead.",
                param="status",
            )

    def with_lines(self, lines: tuple[InvoiceLine, ...]) -> Invoice:
        self.require_draft()
        return self.model_copy(update={"lines": check_line_identifiers(lines)})

    def add_lines(self, lines: list[InvoiceLine], at: datetime) -> Invoice:
        return self.with_lines(self.lines + tuple(lines))._edited(at)

    def remove_line(self, line_id: str, at: datetime) -> Invoice:
        self.require_draft()
        if not any(line.id == line_id for line in self.lines):
            raise InvalidInput(f"Invoice {self.id} has no line {line_id}.", param="line_id", code="line_missing")
        return self.with_lines(tuple(line for line in self.lines if line.id != line_id))._edited(at)

    def _edited(self, at: datetime) -> Invoice:
        return self.model_copy(update={"version": self.version + 1})._recorded("invoice.updated", at)

    def edited(self, **changes: Any) -> Invoice:
        """Change a draft's editable fields; status, number, totals and snapshots are not among them."""
        self.require_draft()
        unknown = set(changes) - DRAFT_EDITABLE
        if unknown:
            raise InvalidInput(f"Not editable on a draft: {', '.join(sorted(unknown))}.", param=sorted(unknown)[0])
        return self.model_copy(update=changes)

    # --- pricing ---------------------------------------------------------------------------

    def priced(self, seller: Account, customer: Customer, on: date) -> Invoice:
        """Decide each line's tax (at the rates of its date of supply: `chargeable_date`) and compute
        totals. Drafts are priced on every change."""
        supply_type = self.supply_type or seller.default_supply_type
        decisions = [None if line.tax_rates else _line_tax(line, seller, customer, self.chargeable_date(line, on),
                                                           supply_type)
                     for line in self.lines]
        taxes = [_line_taxes(line, d) for line, d in zip(self.lines, decisions, strict=True)]
        missing = next((d.missing for d in decisions if d is not None and d.rate is None), None)
        # Until tax can be decided, a line is priced at 0 % so the draft still shows amounts.
        placeholder = (TaxRate(category="S", percent=Decimal(0)),)
        resolved = [t or placeholder for t in taxes]
        totals = compute_totals(
            [
                PricedLine(quantity=line.quantity, unit_amount=line.unit_amount_decimal,
                           discounts=line.discounts, charges=line.charges, taxes=line_taxes)
                for line, line_taxes in zip(self.lines, resolved, strict=True)
            ],
            self.discounts,
            self.tax_behavior,
            self.charges,
        )
        _require_within_cap(totals)
        require_allowed_total(totals.total, self.type_code, self.preceding_invoice)
        lines = tuple(
            line.model_copy(update={"tax": tax[0] if tax else None, "taxes": tax if len(tax) > 1 else (),
                                    "amount": amounts.amount,
                                    "discount_amount": amounts.discount_amount,
                                    "charge_amount": amounts.charge_amount, "net_amount": amounts.net_amount})
            for line, tax, amounts in zip(self.lines, taxes, totals.lines, strict=True)
        )
        return self.model_copy(update={
            "lines": lines, "totals": totals, "tax_missing": missing,
            "amount_due": totals.total - self.paid_before,
        })

    def chargeable_date(self, line: InvoiceLine, on: date) -> date:
        """Whose rates apply: those in force when the line was supplied (Directive 2006/112/EC Art. 63
        and 93; a period's end, Art. 64): its date of supply or the end of its period, else the
        invoice's, else `on` (the issue date)."""
        return line.supply_date or line.period_end or self.supply_date or self.period_end or on

    def validation_issues(
        self, seller: Account, customer: Customer, previous_totals: list[int]
    ) -> list[ValidationIssue]:
        if self.status != "draft":
            return []
        return validation_issues(self, seller, customer, previous_totals)

    # --- the state machine -----------------------------------------------------------------

    def _transition(self, to: InvoiceStatus, **changes: Any) -> Invoice:
        if to not in TRANSITIONS[self.status]:
            raise InvalidStateTransition(
                f"Invoice {self.number or self.id} is {self.status} and cannot become {to}.", param="status"
            )
        return self.model_copy(update={"status": to, "version": self.version + 1, **changes})

    def finalize(
        self,
        *,
        seller: Account,
        customer: Customer,
        number: str,
        now: datetime,
        previous_totals: list[int],
        payment_reference: str | None = None,
        ocr_reference: str | None = None,
        hosted_secret: str | None = None,
    ) -> Invoice:
        """Number, price and freeze the draft. Blocking validation issues stop it (409). The payment
        references (`domain.payment_reference`) are frozen with it."""
        self.require_draft()
        issue_date = now.date()
        priced = self.priced(seller, customer, issue_date)
        blocking = [i for i in priced.validation_issues(seller, customer, previous_totals) if i.blocking]
        if blocking:
            raise FinalizationBlocked(
                "Invoice cannot be finalized: " + "; ".join(i.message for i in blocking),
                issues=blocking,
                param=blocking[0].field,
            )
        assert priced.totals is not None
        days = self.days_until_due if self.days_until_due is not None else seller.days_until_due
        owed = priced.totals.total - self.prepaid_amount  # prepayments first, then the customer's credit
        same_currency = customer.currency == self.currency
        applied = min(customer.credit_balance, max(owed, 0)) if same_currency else 0
        # What a negative corrective invoice owes the customer becomes their credit, in their currency.
        credit = -owed if owed < 0 and same_currency else 0
        finalized = priced._transition(
            "open",
            number=number,
            issue_date=issue_date,
            due_date=self.due_date or issue_date + timedelta(days=days),
            customer_snapshot=customer,
            seller_snapshot=seller,
            payment_reference=payment_reference,
            ocr_reference=ocr_reference,
            hosted_secret=hosted_secret,
            applied_balance=applied,
            balance_credit=credit,
            amount_due=owed - applied,
            status_transitions=self.status_transitions.model_copy(update={"finalized_at": now}),
        )
        finalized = finalized._recorded("invoice.finalized", now)
        if finalized.amount_remaining == 0:
            # Credit covered everything (or what it owes went to the customer's credit): nothing is
            # owed, so nothing must be chased.
            transitions = finalized.status_transitions.model_copy(update={"paid_at": now})
            paid = finalized.model_copy(update={"status": "paid", "status_transitions": transitions})
            return paid._recorded("invoice.paid", now)
        return finalized

    def deduct_prepayment(self, amount: int, now: datetime) -> Invoice:
        """A final invoice deducts `amount` of this paid prepayment invoice (domain/prepayment.py); never
        more than was paid for it and not yet deducted, so each prepayment counts once."""
        if not self.prepayment or self.status != "paid" or not 0 < amount <= deductible(self):
            raise Conflict(f"Prepayment invoice {self.number or self.id} has {deductible(self)} left to deduct, "
                           f"not {amount}.", param="prepayments", code="prepayment_exceeded")
        return self.model_copy(update={"prepayment_deducted": self.prepayment_deducted + amount,
                                       "version": self.version + 1})._recorded("invoice.updated", now)

    def return_prepayment(self, amount: int, now: datetime) -> Invoice:
        """A voided final invoice gives back the `amount` it deducted of this prepayment invoice, which
        another final invoice may then deduct."""
        if not self.prepayment or not 0 < amount <= self.prepayment_deducted:
            raise Conflict(f"Prepayment invoice {self.number or self.id} has {self.prepayment_deducted} deducted, "
                           f"not {amount} to give back.", param="prepayments", code="prepayment_exceeded")
        return self.model_copy(update={"prepayment_deducted": self.prepayment_deducted - amount,
                                       "version": self.version + 1})._recorded("invoice.updated", now)

    def pay(self, now: datetime) -> Invoice:
        """A manual payment of everything that remains."""
        return self._transition(
            "paid",
            amount_paid=self.amount_due,
            status_transitions=self.status_transitions.model_copy(update={"paid_at": now}),
        )._recorded("invoice.paid", now)

    # --- payments (services/payments.py: one reconciliation for every path) -------------------

    def receive_payment(self, amount: int, payment_id: str, now: datetime) -> Invoice:
        """Apply `amount` of payment `payment_id`: what remains falls by it, never below zero (an
        amount larger than what remains is refused: the payment is allocated again on fresh reads).
        Nothing left: `invoice.paid`; something left: `invoice.partially_paid`, and it stays open."""
        if self.status not in ("open", "uncollectible"):
            raise InvalidStateTransition(
                f"Invoice {self.number or self.id} is {self.status}: payments apply to open invoices only.",
                param="invoice", code="invoice_not_open")
        if not 0 < amount <= self.amount_remaining:
            raise InvalidInput(
                f"Invoice {self.number or self.id} has {self.amount_remaining} remaining; {amount} cannot be "
                "applied to it.", param="amount", code="amount_exceeds_remaining")
        paid = self.model_copy(update={"amount_paid": self.amount_paid + amount, "version": self.version + 1})
        obj = {**paid.summary(), "payment": payment_id, "amount_applied": amount}
        if paid.amount_remaining:
            return paid._recorded("invoice.partially_paid", now, obj)
        transitions = paid.status_transitions.model_copy(update={"paid_at": now})
        settled = paid.model_copy(update={"status": "paid", "status_transitions": transitions})
        return settled._recorded("invoice.paid", now, {**settled.summary(), "payment": payment_id,
                                                       "amount_applied": amount})

    def reverse_payment(self, amount: int, payment_id: str, now: datetime) -> Invoice:
        """Take back `amount` a payment gave (a refund, a recalled bank payment): what remains grows
        by it, and a paid invoice is open again (`invoice.reopened`; `paid_at` is cleared)."""
        if self.status not in ("open", "uncollectible", "paid"):
            raise InvalidStateTransition(
                f"Invoice {self.number or self.id} is {self.status}: no payment of it can be reversed.",
                param="invoice")
        if not 0 < amount <= self.amount_paid:
            raise InvalidInput(f"Invoice {self.number or self.id} was paid {self.amount_paid}; {amount} cannot "
                               "be taken back.", param="amount")
        status = "open" if self.status == "paid" else self.status
        transitions = self.status_transitions.model_copy(update={"paid_at": None}) if self.status == "paid" \
            else self.status_transitions
        reopened = self.model_copy(update={"amount_paid": self.amount_paid - amount, "status": status,
                                           "status_transitions": transitions, "version": self.version + 1})
        return reopened._recorded("invoice.reopened", now, {**reopened.summary(), "payment": payment_id,
                                                           "amount_reversed": amount})

    def void(self, now: datetime) -> Invoice:
        if self.amount_paid:
            raise InvalidStateTransition("An invoice with payments cannot be voided; issue a credit note.")
        transitions = self.status_transitions.model_copy(update={"voided_at": now})
        return self._transition("void", status_transitions=transitions)._recorded("invoice.voided", now)

    def mark_uncollectible(self, now: datetime) -> Invoice:
        return self._transition(
            "uncollectible",
            status_transitions=self.status_transitions.model_copy(update={"marked_uncollectible_at": now}),
        )._recorded("invoice.marked_uncollectible", now)

    # --- the hosted page (services/hosted.py) -----------------------------------------------

    def rotate_hosted_secret(self, secret: str, at: datetime) -> Invoice:
        """A new link to the hosted page; the old one answers 404 from now on."""
        if self.status in ("draft", "void"):
            raise Conflict(f"Invoice {self.number or self.id} is {self.status}: it has no page.", param="status",
                           code="invoice_not_sendable")
        return self.model_copy(update={"version": self.version + 1, "hosted_secret": secret}
                               )._recorded("invoice.hosted_link_rotated", at)

    def credit_split(self, amount: int) -> tuple[int, int]:
        """How a credit note of `amount` settles, as Stripe's: (pre-payment part, post-payment part).
        It first lowers what remains due, never below zero; the rest returns what was paid or taken
        from the customer's credit balance and not yet credited, as customer credit."""
        if amount <= 0:
            raise InvalidInput("A credit note's amount must be positive.", param="amount")
        if self.status not in ("open", "uncollectible", "paid"):
            raise InvalidStateTransition(
                f"Credit notes can be issued only for open or paid invoices; this one is {self.status}.",
                param="invoice")
        pre = min(amount, self.amount_remaining) if self.status != "paid" else 0
        returnable = self.amount_paid + self.applied_balance - self.post_payment_credit_notes_amount \
            - self.prepayment_deducted
        if amount - pre > returnable:
            due = f"what remains due ({self.amount_remaining})" if self.status != "paid" else ""
            paid = f"what was paid or taken from the customer's credit and not yet credited ({returnable})"
            raise InvalidInput(f"The credit note ({amount}) exceeds {due + ' and ' if due else ''}{paid}.",
                               param="amount", code="credit_exceeds_invoice")
        return pre, amount - pre

    def credited(
        self, amount: int, now: datetime, credit_note: dict[str, Any] | None = None,
        ledger: CreditLedger | None = None,
    ) -> tuple[Invoice, Literal["pre_payment", "post_payment"]]:
        """Apply a credit note of `amount` (`credit_split`): before payment it lowers what is due (and
        settles the invoice when nothing remains); beyond that it becomes credit for the customer.
        With the credit note's summary, `credit_note.created` is recorded (before `invoice.paid`);
        `ledger` is what all its credit notes have credited per line and rate, this one included."""
        pre, post = self.credit_split(amount)
        updated = self.model_copy(update={
            "pre_payment_credit_notes_amount": self.pre_payment_credit_notes_amount + pre,
            "post_payment_credit_notes_amount": self.post_payment_credit_notes_amount + post,
            "amount_due": self.amount_due - pre,
            "credit_ledger": ledger if ledger is not None else self.credit_ledger,
            "version": self.version + 1,
        })
        if credit_note is not None:
            updated = updated.record_credit_note(credit_note, now)
        if updated.status != "paid" and updated.amount_remaining == 0:
            updated = updated._transition(
                "paid", status_transitions=updated.status_transitions.model_copy(update={"paid_at": now})
            )._recorded("invoice.paid", now)
        return updated, "post_payment" if post else "pre_payment"


def _line_taxes(line: InvoiceLine, decision: TaxDecision | None) -> tuple[TaxRate, ...]:
    """The line's taxes: its manual rates (stacked ones in the order given), or the one decided."""
    if line.tax_rates:
        return line.tax_rates
    return (decision.rate,) if decision is not None and decision.rate is not None else ()


def _line_tax(line: InvoiceLine, seller: Account, customer: Customer, on: date,
              supply_type: SupplyType) -> TaxDecision:
    """A manual rate as given; otherwise the tax of the line's place of supply and tax code."""
    if line.tax_rate is not None:
        return TaxDecision(rate=line.tax_rate)
    return decide_tax(seller, customer, on, line.supply_type or supply_type, line.tax_code)


def _require_within_cap(totals: Totals) -> None:
    """No line and no total of an invoice above `MAX_AMOUNT` (docs/api.md, "Limits"): refused as bad
    input before anything is stored, whichever amount crosses it first."""
    for i, line in enumerate(totals.lines):
        largest = max(abs(line.amount), abs(line.amount - line.discount_amount + line.charge_amount))
        if largest > MAX_AMOUNT:
            raise InvalidInput(
                f"Line {i + 1} comes to {largest} minor units; an amount may be at most {MAX_AMOUNT}.",
                param=f"lines[{i}]", code="amount_too_large")
    for name, amount in (("subtotal", totals.subtotal), ("total_excluding_tax", totals.total_excluding_tax),
                         ("tax", totals.tax), ("total", totals.total)):
        if abs(amount) > MAX_AMOUNT:
            raise InvalidInput(
                f"The invoice's {name.replace('_', ' ')} would be {amount} minor units; an invoice may come "
                f"to at most {MAX_AMOUNT}.", param="lines", code="amount_too_large")
