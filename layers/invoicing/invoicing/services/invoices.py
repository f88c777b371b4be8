"""Use cases for invoices: drafts, finalization with a gapless number, payment, void,
uncollectible, credit notes, and the PDF link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from invoicing.adapters.clock import Clock
from invoicing.adapters.ids import new_id
from invoicing.domain.credit_note import CreditNote, split_credit
from invoicing.domain.errors import Conflict, InvalidInput
from invoicing.domain.invoice import Invoice, InvoiceLine
from invoicing.domain.numbering import credit_note_series, invoice_series
from invoicing.domain.party import Account, Customer
from invoicing.domain.payment_reference import creditor_reference
from invoicing.domain.tax import TaxRate
from invoicing.domain.totals import Charge, Discount
from invoicing.domain.validation import ValidationIssue
from invoicing.services.commands import (
    MAX_LINES,
    ChargeIn,
    CreditNoteCreate,
    DiscountIn,
    InvoiceCreate,
    InvoiceLinesAdd,
    LineIn,
)
from invoicing.services.document_keys import credit_note_key, invoice_key
from invoicing.services.ports import (
    Accounts,
    Customers,
    Documents,
    InvoiceEvent,
    InvoiceFilter,
    Invoices,
    Page,
    RenderRequests,
)

LINK_SECONDS = 900  # presigned links live 15 minutes at most
DocumentFormat = Literal["pdf", "ubl", "cii"]


@dataclass(frozen=True)
class InvoiceView:
    """An invoice with what a person checks before sending it (drafts only)."""

    invoice: Invoice
    validation_issues: list[ValidationIssue]


@dataclass(frozen=True)
class DocumentLink:
    """A short-lived link to a stored document, or `ready=False` while it is being rendered."""

    format: DocumentFormat
    url: str | None
    expires_in: int
    ready: bool


def _link(documents: Documents, keys: Callable[[DocumentFormat], str], fmt: DocumentFormat,
          request: Callable[[], None]) -> DocumentLink:
    key = keys(fmt)
    if documents.exists(key):
        return DocumentLink(format=fmt, url=documents.presigned_url(key, expires_in=LINK_SECONDS),
                            expires_in=LINK_SECONDS, ready=True)
    if fmt != "pdf" and documents.exists(keys("pdf")):
        # The PDF is written last: rendering finished without this e-invoice (EN 16931 cannot express
        # the document, e.g. a currency with three decimals).
        raise Conflict("No EN 16931 e-invoice exists for this document; its PDF does.", param="format",
                       code="einvoice_unavailable")
    # Rendering is asynchronous (and idempotent): ask again in case a request was lost.
    request()
    return DocumentLink(format=fmt, url=None, expires_in=0, ready=False)


def _discount(d: DiscountIn) -> Discount:
    return Discount(description=d.description, percent_off=d.percent_off, amount_off=d.amount_off)


def _charge(c: ChargeIn) -> Charge:
    return Charge(description=c.description, percent=c.percent, amount=c.amount)


def _line(line: LineIn) -> InvoiceLine:
    manual = line.tax_rate
    return InvoiceLine(
        id=new_id("il"),
        description=line.description,
        quantity=line.quantity,
        unit_amount_decimal=line.unit_price,
        unit_code=line.unit_code,
        tax_code=line.tax_code,
        tax_rate=TaxRate(category=manual.category, percent=manual.percent, name=manual.name,
                         exemption_reason=manual.exemption_reason) if manual else None,
        discounts=tuple(_discount(d) for d in line.discounts),
        charges=tuple(_charge(c) for c in line.charges),
        period_start=line.period.start if line.period else None,
        period_end=line.period.end if line.period else None,
    )


def _event(kind: str, invoice: Invoice, at: datetime, **data: str | int | None) -> InvoiceEvent:
    return InvoiceEvent(type=kind, invoice_id=invoice.id, account_id=invoice.account_id, at=at,
                        status=invoice.status, data=data)


@dataclass(frozen=True)
class InvoiceService:
    accounts: Accounts
    customers: Customers
    invoices: Invoices
    documents: Documents
    render_requests: RenderRequests
    clock: Clock

    # --- drafts ----------------------------------------------------------------------------

    def create_draft(self, account_id: str, cmd: InvoiceCreate) -> InvoiceView:
        seller = self.accounts.get(account_id)
        customer = self.customers.get(account_id, cmd.customer)
        now = self.clock.now()
        draft = Invoice(
            id=new_id("in"),
            account_id=account_id,
            customer_id=customer.id,
            currency=cmd.currency or customer.currency,
            tax_behavior=cmd.tax_behavior,
            collection_method=cmd.collection_method,
            days_until_due=cmd.days_until_due,
            due_date=cmd.due_date,
            description=cmd.description,
            footer=cmd.footer,
            buyer_reference=cmd.buyer_reference,
            purchase_order=cmd.purchase_order,
            lines=tuple(_line(line) for line in cmd.lines),
            discounts=tuple(_discount(d) for d in cmd.discounts),
            charges=tuple(_charge(c) for c in cmd.charges),
            metadata=cmd.metadata,
            created=now,
        )
        if cmd.due_date and cmd.due_date < now.date():
            raise InvalidInput("due_date must not be in the past.", param="due_date")
        priced = draft.priced(seller, customer, now.date())
        self.invoices.add(priced, _event("invoice.created", priced, now))
        return self._view(priced, seller, customer)

    def add_lines(self, account_id: str, invoice_id: str, cmd: InvoiceLinesAdd) -> InvoiceView:
        current = self.invoices.get(account_id, invoice_id)
        if len(current.lines) + len(cmd.lines) > MAX_LINES:
            raise InvalidInput(f"An invoice holds at most {MAX_LINES} lines.", param="lines")
        return self._save_draft(current, current.add_lines([_line(line) for line in cmd.lines]))

    def remove_line(self, account_id: str, invoice_id: str, line_id: str) -> InvoiceView:
        current = self.invoices.get(account_id, invoice_id)
        return self._save_draft(current, current.remove_line(line_id))

    def _save_draft(self, current: Invoice, changed: Invoice) -> InvoiceView:
        seller = self.accounts.get(current.account_id)
        customer = self.customers.get(current.account_id, current.customer_id)
        priced = changed.priced(seller, customer, self.clock.now().date()).model_copy(
            update={"version": current.version + 1}
        )
        self.invoices.save(priced, expected_version=current.version, event=None)
        return self._view(priced, seller, customer)

    def get(self, account_id: str, invoice_id: str) -> InvoiceView:
        invoice = self.invoices.get(account_id, invoice_id)
        if invoice.status != "draft":
            return InvoiceView(invoice, [])
        # A draft follows its customer and the account until it is finalized: price it afresh.
        seller = self.accounts.get(account_id)
        customer = self.customers.get(account_id, invoice.customer_id)
        return self._view(invoice.priced(seller, customer, self.clock.now().date()), seller, customer)

    def list(self, account_id: str, flt: InvoiceFilter, *, limit: int, starting_after: str | None) -> Page[Invoice]:
        return self.invoices.list(account_id, flt, limit=limit, starting_after=starting_after)

    def _view(self, invoice: Invoice, seller: Account, customer: Customer) -> InvoiceView:
        previous = self.invoices.recent_totals(invoice.account_id, customer.id)
        return InvoiceView(invoice, invoice.validation_issues(seller, customer, previous))

    # --- the state machine -----------------------------------------------------------------

    def finalize(self, account_id: str, invoice_id: str) -> InvoiceView:
        """Assign the next number of the series and freeze the invoice, in one transaction;
        then ask for its PDF. Blocking validation issues stop it with a 409 naming them."""
        draft = self.invoices.get(account_id, invoice_id)
        if draft.status != "draft":
            raise Conflict(f"Invoice {draft.number} is already finalized ({draft.status}).",
                           param="status", code="invoice_not_draft")
        seller = self.accounts.get(account_id)
        customer = self.customers.get(account_id, draft.customer_id)
        previous = self.invoices.recent_totals(account_id, customer.id)
        now = self.clock.now()

        def build(number: str, sequence: int) -> Invoice:
            return draft.finalize(seller=seller, customer=customer, number=number, now=now,
                                  previous_totals=previous, payment_reference=creditor_reference(number))

        # Fail fast, before touching the series, when the draft cannot be finalized.
        provisional = build("PENDING-0", 0)
        finalized = self.invoices.finalize(
            draft, invoice_series(seller, customer), build, credit_used=provisional.applied_balance
        )
        self.render_requests.request(account_id, finalized.id)
        return InvoiceView(finalized, [])

    def pay(self, account_id: str, invoice_id: str) -> InvoiceView:
        return self._transition(account_id, invoice_id, "invoice.paid", lambda inv, now: inv.pay(now))

    def void(self, account_id: str, invoice_id: str) -> InvoiceView:
        return self._transition(account_id, invoice_id, "invoice.voided", lambda inv, now: inv.void(now))

    def mark_uncollectible(self, account_id: str, invoice_id: str) -> InvoiceView:
        return self._transition(account_id, invoice_id, "invoice.marked_uncollectible",
                                lambda inv, now: inv.mark_uncollectible(now))

    def _transition(self, account_id: str, invoice_id: str, kind: str,
                    change: Callable[[Invoice, datetime], Invoice]) -> InvoiceView:
        current = self.invoices.get(account_id, invoice_id)
        now = self.clock.now()
        changed: Invoice = change(current, now)
        self.invoices.save(changed, expected_version=current.version, event=_event(kind, changed, now))
        return InvoiceView(changed, [])

    # --- documents -------------------------------------------------------------------------

    def document_link(self, account_id: str, invoice_id: str, fmt: DocumentFormat) -> DocumentLink:
        """The PDF (a Factur-X PDF/A-3b where EN 16931 allows), or the UBL / CII e-invoice."""
        invoice = self.invoices.get(account_id, invoice_id)
        if invoice.status == "draft":
            raise Conflict("A draft has no documents: finalize the invoice first.", param="status",
                           code="invoice_not_finalized")
        return _link(self.documents, lambda kind: invoice_key(invoice, kind), fmt,
                     lambda: self.render_requests.request(account_id, invoice_id))


@dataclass(frozen=True)
class CreditNoteService:
    accounts: Accounts
    customers: Customers
    invoices: Invoices
    documents: Documents
    render_requests: RenderRequests
    clock: Clock

    def create(self, account_id: str, cmd: CreditNoteCreate) -> CreditNote:
        """A numbered credit note: before payment it lowers what is due, after payment it becomes
        credit on the customer's balance (used by their next invoice)."""
        invoice = self.invoices.get(account_id, cmd.invoice)
        seller = self.accounts.get(account_id)
        now = self.clock.now()
        if cmd.amount is not None:
            amount = cmd.amount
        elif invoice.status == "paid":
            amount = invoice.amount_paid - invoice.post_payment_credit_notes_amount
        else:
            amount = invoice.amount_remaining
        credited, kind = invoice.credited(amount, now)  # checks state and limits before numbering
        if kind == "post_payment":
            customer = self.customers.get(account_id, invoice.customer_id)
            if customer.currency != invoice.currency:
                # The balance is kept in the customer's currency; an unconverted amount would be wrong money.
                raise Conflict(
                    f"Invoice {invoice.number} is in {invoice.currency} but customer {customer.id}'s credit balance "
                    f"is in {customer.currency}: a credit note after payment cannot become their credit.",
                    param="invoice", code="credit_currency_mismatch",
                )

        def build(number: str, sequence: int) -> tuple[CreditNote, Invoice]:
            groups = split_credit(invoice, amount)
            tax = sum(g.tax_amount for g in groups)
            note = CreditNote(
                id=new_id("cn"), account_id=account_id, invoice_id=invoice.id,
                invoice_number=invoice.number or "", customer_id=invoice.customer_id, number=number,
                currency=invoice.currency, amount=amount, subtotal=amount - tax, tax=tax, tax_groups=groups,
                type=kind, reason=cmd.reason, memo=cmd.memo, issue_date=now, created=now,
            )
            return note, credited

        note = self.invoices.issue_credit_note(
            invoice, credit_note_series(seller), build,
            customer_credit=amount if kind == "post_payment" else 0,
        )[0]
        self.render_requests.request(account_id, invoice.id, credit_note_id=note.id)
        return note

    def document_link(self, account_id: str, credit_note_id: str, fmt: DocumentFormat) -> DocumentLink:
        note = self.invoices.get_credit_note(account_id, credit_note_id)
        return _link(self.documents, lambda kind: credit_note_key(note, kind), fmt,
                     lambda: self.render_requests.request(account_id, note.invoice_id, credit_note_id=note.id))

    def get(self, account_id: str, credit_note_id: str) -> CreditNote:
        return self.invoices.get_credit_note(account_id, credit_note_id)

    def list_for_invoice(self, account_id: str, invoice_id: str, *, limit: int,
                         starting_after: str | None) -> Page[CreditNote]:
        self.invoices.get(account_id, invoice_id)  # 404 for an unknown invoice
        return self.invoices.list_credit_notes(account_id, invoice_id, limit=limit, starting_after=starting_after)
