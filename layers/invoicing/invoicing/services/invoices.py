"""Use cases for invoices: drafts, finalization with a gapless number (one at a time, or in
batches for billing runs), void, uncollectible, the audit trail and document links. Payments, the
manual `pay` included, are `services.payments.PaymentService`'s."""

from __future__ import annotations

import builtins  # `list` is also a method here
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from invoicing.domain.einvoice import EInvoiceObstacle, einvoice_obstacle
from invoicing.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from invoicing.domain.events import DomainEvent
from invoicing.domain.invoice import Invoice, InvoiceLine, check_line_identifiers
from invoicing.domain.numbering import invoice_series
from invoicing.domain.party import Account, Customer
from invoicing.domain.payment_reference import creditor_reference, ocr_applies, ocr_reference
from invoicing.domain.prepayment import DeductedPrepayment, deduction
from invoicing.domain.references import DocumentReferences
from invoicing.domain.tax_currency import TaxCurrencyRate, national_currency
from invoicing.domain.validation import ValidationIssue
from invoicing.services.commands import NewInvoice, NewLine, PaymentVatDetails
from invoicing.services.document_keys import invoice_key
from invoicing.services.files import FileNotReady, FileService, check_files
from invoicing.services.hosted import new_hosted_secret
from invoicing.services.numbering import commit_numbered
from invoicing.services.ports import Clock, Clocks, Documents, Ids, InvoiceFilter, Page, Retry, UnitOfWork

MAX_LINES = 250  # keeps an invoice well inside one DynamoDB item
LINK_SECONDS = 900  # presigned links live 15 minutes at most
RENDER_RETRY_AFTER = 2  # seconds a client waits before asking again for a document being rendered
BATCH_ITEMS = 99  # a batch commit: the series counter plus documents, within one transaction's 100 items
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
    retry_after: int = 0


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch finalization did: the finalized invoices, and why the others were not."""

    finalized: builtins.list[Invoice]
    failed: dict[str, DomainError]


def document_link(documents: Documents, keys: Callable[[DocumentFormat], str], fmt: DocumentFormat,
                  why_no_einvoice: Callable[[], EInvoiceObstacle | None]) -> DocumentLink:
    """A link to the stored document, or 'not ready yet': rendering subscribes to the events of the
    finalizing commit, so it always follows and asking again never queues more work. Where no
    e-invoice can exist, 409 names why (`einvoice_<reason>`, decided in `domain.einvoice`)."""
    key = keys(fmt)
    if documents.exists(key):
        return DocumentLink(format=fmt, url=documents.presigned_url(key, expires_in=LINK_SECONDS),
                            expires_in=LINK_SECONDS, ready=True)
    if fmt != "pdf" and documents.exists(keys("pdf")):
        # The PDF is written last: rendering finished without this e-invoice (EN 16931 cannot express
        # the document, e.g. a currency with three decimals).
        obstacle = why_no_einvoice()
        if obstacle is None:
            raise Conflict("No EN 16931 e-invoice exists for this document; its PDF does.", param="format",
                           code="einvoice_unavailable")
        raise Conflict(f"No EN 16931 e-invoice exists for this document: {obstacle.message}",
                       param=obstacle.field, code=obstacle.code)
    return DocumentLink(format=fmt, url=None, expires_in=0, ready=False, retry_after=RENDER_RETRY_AFTER)


def why_no_einvoice(invoice: Invoice) -> EInvoiceObstacle | None:
    """Why a finalized invoice (and so its credit notes) has no e-invoice, from its snapshots."""
    if invoice.seller_snapshot is None or invoice.customer_snapshot is None:
        return None
    return einvoice_obstacle(invoice, invoice.seller_snapshot, invoice.customer_snapshot)


def new_line(ids: Ids, line: NewLine) -> InvoiceLine:
    return InvoiceLine(
        id=ids.new("il"), description=line.description, quantity=line.quantity,
        unit_amount_decimal=line.unit_amount_decimal, gross_unit_amount_decimal=line.gross_unit_amount_decimal,
        price_discount_decimal=line.price_discount_decimal, unit_code=line.unit_code, tax_code=line.tax_code,
        tax_rate=line.tax_rate, tax_rates=line.tax_rates, discounts=line.discounts, charges=line.charges,
        supply_date=line.supply_date, period_start=line.period_start, period_end=line.period_end,
        supply_type=line.supply_type, item=line.item, references=line.references,
    )


def payment_vat_fields(details: PaymentVatDetails, seller: Account, currency: str, now: datetime) -> dict[str, Any]:
    """A new invoice's payment and VAT details; the rate's currency defaults to the seller's national one."""
    rate = None
    if details.tax_currency_rate is not None:
        tax_currency = details.tax_currency or national_currency(seller.country, now.date())
        if tax_currency is None:
            raise InvalidInput("The account has no address, so its national currency is unknown: give "
                               "tax_currency_rate.currency.", param="tax_currency_rate.currency")
        if tax_currency == currency:
            raise InvalidInput(f"The invoice is in {currency} already: a tax_currency_rate is for an invoice in "
                               "another currency than the national one.", param="tax_currency_rate.currency")
        rate = TaxCurrencyRate(currency=tax_currency, rate=details.tax_currency_rate,
                               source=details.tax_currency_source, rate_date=details.tax_currency_date)
    return {"payment_terms": details.payment_terms, "remittance_information": details.remittance_information,
            "tax_point_date": details.tax_point_date, "tax_point_date_code": details.tax_point_date_code,
            "tax_currency_rate": rate, "prepayment": details.prepayment}


@dataclass(frozen=True)
class InvoiceService:
    uow: UnitOfWork
    clock: Clock
    ids: Ids
    retry: Retry
    documents: Documents
    clocks: Clocks | None = None  # test clocks (sandbox): a clock customer's invoice is finalized on its time
    files: FileService | None = None  # with it, finalizing checks the uploaded files that have just arrived

    # --- drafts ----------------------------------------------------------------------------

    def create_draft(self, account_id: str, cmd: NewInvoice) -> InvoiceView:
        if len(cmd.lines) > MAX_LINES:
            raise InvalidInput(f"An invoice holds at most {MAX_LINES} lines.", param="lines")
        if cmd.prepayments and cmd.payment_vat.prepayment:
            raise InvalidInput("A prepayment invoice deducts no prepayments: the final invoice does.",
                               param="prepayments")
        with self.uow:
            seller = self.uow.accounts.get(account_id)
            customer = self.uow.customers.get(account_id, cmd.customer_id)
            # Created now, or, for a test clock's customer, at the clock's time (as it is finalized).
            now = self.clocks.now(account_id, customer.test_clock) if customer.test_clock and self.clocks \
                else self.clock.now()
            if cmd.due_date and cmd.due_date < now.date():
                raise InvalidInput("due_date must not be in the past.", param="due_date")
            prepayments = self._deductions(account_id, customer.id, cmd.currency or customer.currency,
                                           cmd.prepayments)
            for index, document in enumerate(cmd.supporting_documents):
                if document.file is not None:  # one of the account's uploads (ready or not: finalizing checks that)
                    try:
                        self.uow.files.get(account_id, document.file)
                    except NotFound:
                        raise NotFound(f"No such file: '{document.file}'.",
                                       param=f"supporting_documents[{index}].file") from None
            draft = Invoice(
                id=self.ids.new("in"), account_id=account_id, customer_id=customer.id,
                currency=cmd.currency or customer.currency, tax_behavior=cmd.tax_behavior,
                collection_method=cmd.collection_method, days_until_due=cmd.days_until_due,
                due_date=cmd.due_date, supply_date=cmd.supply_date, period_start=cmd.period_start,
                period_end=cmd.period_end, supply_type=cmd.supply_type, description=cmd.description,
                footer=cmd.footer,
                buyer_reference=cmd.buyer_reference, purchase_order=cmd.purchase_order,
                lines=check_line_identifiers(tuple(new_line(self.ids, line) for line in cmd.lines)),
                discounts=cmd.discounts,
                charges=cmd.charges, metadata=cmd.metadata, created=now,
                type_code=cmd.type_code, preceding_invoice=cmd.preceding_invoice,
                **payment_vat_fields(cmd.payment_vat, seller, cmd.currency or customer.currency, now),
                references=cmd.references or DocumentReferences(), supporting_documents=cmd.supporting_documents,
                delivery=cmd.delivery, buyer_contact=cmd.buyer_contact, payee=cmd.payee, prepayments=prepayments,
            )
            priced = draft.priced(seller, customer, now.date()).record_created(now)
            self.uow.invoices.add(priced)
            self.uow.commit()
            return self._view(priced, seller, customer)

    def _deductions(self, account_id: str, customer_id: str, currency: str,
                    wanted: Sequence[tuple[str, int | None]]) -> tuple[DeductedPrepayment, ...]:
        """The prepayment invoices a final invoice deducts, each checked (paid, the customer's, in the
        currency, enough left: domain/prepayment.py) and named once."""
        if len({invoice_id for invoice_id, _ in wanted}) != len(wanted):
            raise InvalidInput("Each prepayment invoice may be deducted once.", param="prepayments")
        found = {i.id: i for i in self.uow.invoices.get_many(account_id, [i for i, _ in wanted])} if wanted else {}
        deductions = []
        for index, (invoice_id, amount) in enumerate(wanted):
            param = f"prepayments[{index}]"
            if invoice_id not in found:
                raise NotFound(f"No such invoice: '{invoice_id}'.", param=f"{param}.invoice")
            deductions.append(deduction(found[invoice_id], customer_id=customer_id, currency=currency,
                                        amount=amount, param=param))
        return tuple(deductions)

    def add_lines(self, account_id: str, invoice_id: str, lines: Sequence[NewLine]) -> InvoiceView:
        def change(invoice: Invoice, now: datetime) -> Invoice:
            if len(invoice.lines) + len(lines) > MAX_LINES:
                raise InvalidInput(f"An invoice holds at most {MAX_LINES} lines.", param="lines")
            return invoice.add_lines([new_line(self.ids, line) for line in lines], now)

        return self._edit_draft(account_id, invoice_id, change)

    def remove_line(self, account_id: str, invoice_id: str, line_id: str) -> InvoiceView:
        return self._edit_draft(account_id, invoice_id, lambda invoice, now: invoice.remove_line(line_id, now))

    def _edit_draft(self, account_id: str, invoice_id: str,
                    change: Callable[[Invoice, datetime], Invoice]) -> InvoiceView:
        now = self.clock.now()
        with self.uow:
            current = self.uow.invoices.get(account_id, invoice_id)
            seller = self.uow.accounts.get(account_id)
            customer = self.uow.customers.get(account_id, current.customer_id)
            priced = change(current, now).priced(seller, customer, now.date())
            self.uow.invoices.save(priced)
            self.uow.commit()
            return self._view(priced, seller, customer)

    def get(self, account_id: str, invoice_id: str) -> InvoiceView:
        with self.uow:
            invoice = self.uow.invoices.get(account_id, invoice_id)
            if invoice.status != "draft":
                return InvoiceView(invoice, [])
            # A draft follows its customer and the account until it is finalized: price it afresh.
            seller = self.uow.accounts.get(account_id)
            customer = self.uow.customers.get(account_id, invoice.customer_id)
            return self._view(invoice.priced(seller, customer, self.clock.now().date()), seller, customer)

    def list(self, account_id: str, flt: InvoiceFilter, *, limit: int, starting_after: str | None) -> Page[Invoice]:
        with self.uow:
            return self.uow.invoices.list(account_id, flt, limit=limit, starting_after=starting_after)

    def events(self, account_id: str, invoice_id: str) -> builtins.list[DomainEvent]:
        """The invoice's audit trail, oldest first: every change, as the events the bus carried."""
        with self.uow:
            trail = self.uow.invoices.events(account_id, invoice_id)
            # What was sent and asked about it is recorded beside it (its correspondence, domain/sending.py).
            sent = self.uow.correspondence.events(account_id, invoice_id)
        return sorted([*trail, *sent], key=lambda event: event.created) if sent else trail

    def _view(self, invoice: Invoice, seller: Account, customer: Customer) -> InvoiceView:
        previous = self.uow.invoices.recent_totals(invoice.account_id, customer.id)
        return InvoiceView(invoice, invoice.validation_issues(seller, customer, previous))

    # --- the state machine -----------------------------------------------------------------

    def finalize(self, account_id: str, invoice_id: str) -> InvoiceView:
        """Assign the next number of the series and freeze the invoice, in one commit with its
        `invoice.finalized` event (its documents follow from that event). Blocking validation
        issues stop it with a 409 naming them, and so does an uploaded file that is not ready
        (`supporting_documents[i].file`)."""
        outcome = self.finalize_many(account_id, [invoice_id])
        failure = outcome.failed.get(invoice_id)
        if isinstance(failure, FileNotReady) and self.files is not None:
            # A file's upload may have arrived since the file was last looked at: checked now (then
            # ready or rejected for good), and finalized once more when every file is ready.
            with self.uow:
                draft = self.uow.invoices.get(account_id, invoice_id)
            self.files.require_ready(draft)
            outcome = self.finalize_many(account_id, [invoice_id])
            failure = outcome.failed.get(invoice_id)
        if failure is not None:
            raise failure
        return InvoiceView(outcome.finalized[0], [])

    def finalize_many(self, account_id: str, invoice_ids: Sequence[str]) -> BatchOutcome:
        """Finalize drafts in batches: per number series, one commit numbers up to `BATCH_ITEMS`
        documents with one counter update (what a billing run's worker calls). A draft that cannot
        be finalized is reported, never numbered: the numbers of a batch have no gap. They are
        finalized (their issue date, due date and `finalized_at`) now, or, for a test clock's
        customer, at the clock's time (read once per clock)."""
        now = self.clock.now()
        clock_times: dict[str, datetime] = {}  # test clock id -> its time, for this call
        failed: dict[str, DomainError] = {}
        finalized: builtins.list[Invoice] = []
        pending = builtins.list(dict.fromkeys(invoice_ids))
        while pending:
            done, pending = commit_numbered(self.uow, self.retry,
                                            functools.partial(self._finalize_batch, account_id=account_id,
                                                              ids=pending, now=now, clock_times=clock_times,
                                                              failed=failed))
            finalized.extend(done)
        return BatchOutcome(finalized=finalized, failed=failed)

    def _finalize_batch(self, uow: UnitOfWork, account_id: str, ids: builtins.list[str], now: datetime,
                        clock_times: dict[str, datetime],
                        failed: dict[str, DomainError]) -> tuple[builtins.list[Invoice], builtins.list[str]]:
        """Register one commit's worth of finalizations (one series, within the item budget);
        returns them and the ids left for the next commit. The drafts and their customers are read
        in batches: a series' commits follow each other, so their reads are kept few."""
        seller = uow.accounts.get(account_id)
        window, rest = ids[:BATCH_ITEMS - 1], ids[BATCH_ITEMS - 1:]
        drafts = {invoice.id: invoice for invoice in uow.invoices.get_many(account_id, window)}
        buyers = sorted({d.customer_id for d in drafts.values()})
        customers = {c.id: c for c in uow.customers.get_many(account_id, buyers)}
        batch: builtins.list[tuple[Invoice, Customer]] = []
        prepayments: dict[str, builtins.list[Invoice]] = {}
        now_of: dict[str, datetime] = {}  # the invoices of test clock customers: their clock's time
        held: builtins.list[str] = []
        series = None
        items = 1  # the counter
        for invoice_id in window:
            try:
                if invoice_id not in drafts:
                    raise NotFound(f"No such invoice: '{invoice_id}'.", param="invoice")
                draft = drafts[invoice_id]
                draft.require_draft()
                if draft.customer_id not in customers:
                    raise NotFound(f"No such customer: '{draft.customer_id}'.", param="customer")
                customer = customers[draft.customer_id]
                # Its files as last looked at (`finalize` checks one whose upload arrived since, then
                # asks again; a billing run's draft waits for the next pass or review).
                check_files(draft, functools.partial(uow.files.get, account_id))
                this_series = invoice_series(seller, customer)
                # Fail fast, before numbering, when the draft cannot be finalized. (The customer's usual
                # total only makes a warning, which a finalized invoice no longer shows: not read here.)
                if customer.test_clock and self.clocks is not None:
                    if customer.test_clock not in clock_times:
                        clock_times[customer.test_clock] = self.clocks.now(account_id, customer.test_clock)
                    now_of[invoice_id] = clock_times[customer.test_clock]
                trial = draft.finalize(seller=seller, customer=customer, number=this_series.format(1),
                                       now=now_of.get(invoice_id, now),
                                       previous_totals=[])
                # The prepayments it deducts, as they are now (another invoice may have deducted them since).
                deducted = [uow.invoices.get(account_id, p.invoice_id).deduct_prepayment(
                    p.amount, now_of.get(invoice_id, now)) for p in draft.prepayments]
            except DomainError as error:
                failed[invoice_id] = error
                continue
            balance = trial.applied_balance or trial.balance_credit  # it writes the customer's balance
            needs = 1 + (1 if balance else 0) + len(draft.prepayments)
            deducting = {p.invoice_id for p in draft.prepayments}
            if (series is not None and this_series != series) or items + needs > BATCH_ITEMS \
                    or (balance and any(c.id == customer.id for _, c in batch)) \
                    or any(deducting & {p.invoice_id for p in d.prepayments} for d, _ in batch):
                # another series, a full batch, a second use of one credit balance or of one prepayment
                held.append(invoice_id)
                continue
            series = this_series
            items += needs
            batch.append((draft, customer))
            prepayments[invoice_id] = deducted
        if series is None:
            return [], held + rest
        numbers = uow.series.reserve(account_id, series, len(batch))
        done = []
        for (draft, customer), sequence in zip(batch, numbers, strict=True):
            number = series.format(sequence)
            invoice = draft.finalize(
                seller=seller, customer=customer, number=number, now=now_of.get(draft.id, now), previous_totals=[],
                payment_reference=creditor_reference(number),
                ocr_reference=ocr_reference(number) if ocr_applies(seller.country) else None,
                hosted_secret=new_hosted_secret(),
            )
            uow.invoices.save(invoice)
            if invoice.applied_balance or invoice.balance_credit:
                uow.customers.adjust_credit(account_id, customer.id, invoice.balance_credit - invoice.applied_balance)
            # Each prepayment deducted once: the prepayment invoice records it in this same commit (its
            # version is conditioned on, so a concurrent deduction fails the commit with a conflict and
            # nothing of it is written).
            for prepayment in prepayments[draft.id]:
                uow.invoices.save(prepayment)
            done.append(invoice)
        return done, held + rest

    def void(self, account_id: str, invoice_id: str) -> InvoiceView:
        """Void an open invoice, and give back in the same commit what finalizing it took: the customer
        credit it applied returns to the customer's balance, and each prepayment it deducted may be
        deducted again by another final invoice (docs/api.md, "Prepayments")."""
        with self.uow:
            now = self.clock.now()
            invoice = self.uow.invoices.get(account_id, invoice_id)
            voided = invoice.void(now)
            self.uow.invoices.save(voided)
            for deducted in invoice.prepayments:
                prepayment = self.uow.invoices.get(account_id, deducted.invoice_id)
                self.uow.invoices.save(prepayment.return_prepayment(deducted.amount, now))
            if invoice.applied_balance:
                self.uow.customers.adjust_credit(account_id, invoice.customer_id, invoice.applied_balance)
            self.uow.commit()
            return InvoiceView(voided, [])

    def mark_uncollectible(self, account_id: str, invoice_id: str) -> InvoiceView:
        return self._transition(account_id, invoice_id, lambda inv, now: inv.mark_uncollectible(now))

    def _transition(self, account_id: str, invoice_id: str,
                    change: Callable[[Invoice, datetime], Invoice]) -> InvoiceView:
        with self.uow:
            changed = change(self.uow.invoices.get(account_id, invoice_id), self.clock.now())
            self.uow.invoices.save(changed)
            self.uow.commit()
            return InvoiceView(changed, [])

    # --- documents -------------------------------------------------------------------------

    def document_link(self, account_id: str, invoice_id: str, fmt: DocumentFormat) -> DocumentLink:
        """The PDF (a Factur-X PDF/A-3b where EN 16931 allows), or the UBL / CII e-invoice."""
        with self.uow:
            invoice = self.uow.invoices.get(account_id, invoice_id)
        if invoice.status == "draft":
            raise Conflict("A draft has no documents: finalize the invoice first.", param="status",
                           code="invoice_not_finalized")
        return document_link(self.documents, lambda kind: invoice_key(invoice, kind), fmt,
                             lambda: why_no_einvoice(invoice))
