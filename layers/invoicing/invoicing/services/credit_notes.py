"""Use cases for credit notes: the only way to correct a finalized invoice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from invoicing.domain.credit_note import CreditNote, issue_credit_note
from invoicing.domain.einvoice import EInvoiceObstacle
from invoicing.domain.errors import Conflict
from invoicing.domain.invoice import Invoice
from invoicing.domain.numbering import credit_note_series
from invoicing.services.commands import NewCreditNote
from invoicing.services.document_keys import credit_note_key
from invoicing.services.invoices import DocumentFormat, DocumentLink, document_link, why_no_einvoice
from invoicing.services.numbering import commit_numbered
from invoicing.services.ports import Clock, Clocks, Documents, Ids, Page, Retry, UnitOfWork

PREVIEW_ID = "cn_preview"


@dataclass(frozen=True)
class CreditNoteService:
    uow: UnitOfWork
    clock: Clock
    ids: Ids
    retry: Retry
    documents: Documents
    clocks: Clocks | None = None  # test clocks (sandbox): a clock customer's credit note is issued on its time

    def _now(self, account_id: str, invoice: Invoice) -> datetime:
        """When the credit note is issued: on the test clock its invoice's customer lives on, if any
        (as the invoice was finalized on it), else now."""
        test_clock = invoice.customer_snapshot.test_clock if invoice.customer_snapshot else None
        if test_clock and self.clocks is not None:
            return self.clocks.now(account_id, test_clock)
        return self.clock.now()

    def create(self, account_id: str, cmd: NewCreditNote) -> CreditNote:
        """A numbered credit note of lines (an invoice line: all of it, a quantity or an amount of it;
        or a custom line at one of the invoice's rates), tax per rate by the invoice's rule, never more
        than the line, the rate or the invoice across all its credit notes (domain/credit_note.py).
        Before payment it lowers what is due; after payment it becomes credit on the customer's
        balance (used by their next invoice), less what was refunded outside (`out_of_band_amount`).
        One commit writes the credit note, the credited invoice (its credit ledger, with
        `credit_note.created`, and `invoice.paid` when it settles it), the customer's credit and the
        series counter; the invoice's version check makes concurrent credit notes take turns."""
        credit_note_id = self.ids.new("cn")

        def work(uow: UnitOfWork) -> CreditNote:
            seller = uow.accounts.get(account_id)
            series = credit_note_series(seller)
            # The counter is read before the invoice: a credit note committed in between moves both,
            # so whichever way two credit notes interleave, the later runs again on fresh reads.
            number = series.format(uow.series.next(account_id, series))
            invoice = uow.invoices.get(account_id, cmd.invoice_id)
            now = self._now(account_id, invoice)
            note, credited = issue_credit_note(invoice, cmd.request(), credit_note_id=credit_note_id,
                                               number=number, now=now)
            self._check_customer_credit(uow, invoice, note)
            uow.credit_notes.add(note)
            uow.invoices.save(credited)
            if note.credit_amount:
                uow.customers.adjust_credit(account_id, invoice.customer_id, note.credit_amount)
            return note

        return commit_numbered(self.uow, self.retry, work)

    def preview(self, account_id: str, cmd: NewCreditNote) -> CreditNote:
        """The credit note `create` would issue now, with the same checks; nothing is written and no
        number is taken (its id and number are empty)."""
        with self.uow:
            invoice = self.uow.invoices.get(account_id, cmd.invoice_id)
            note, _ = issue_credit_note(invoice, cmd.request(), credit_note_id=PREVIEW_ID, number="",
                                        now=self._now(account_id, invoice))
            self._check_customer_credit(self.uow, invoice, note)
            return note

    @staticmethod
    def _check_customer_credit(uow: UnitOfWork, invoice: Invoice, note: CreditNote) -> None:
        if not note.credit_amount:
            return
        customer = uow.customers.get(invoice.account_id, invoice.customer_id)
        if customer.currency != invoice.currency:
            # The balance is kept in the customer's currency; an unconverted amount would be wrong money.
            raise Conflict(
                f"Invoice {invoice.number} is in {invoice.currency} but customer {customer.id}'s credit "
                f"balance is in {customer.currency}: a credit note after payment cannot become their credit "
                "(record it as out_of_band_amount if it was refunded).",
                param="invoice", code="credit_currency_mismatch",
            )

    def document_link(self, account_id: str, credit_note_id: str, fmt: DocumentFormat) -> DocumentLink:
        with self.uow:
            note = self.uow.credit_notes.get(account_id, credit_note_id)
        return document_link(self.documents, lambda kind: credit_note_key(note, kind), fmt,
                             lambda: self._why_no_einvoice(account_id, note.invoice_id))

    def _why_no_einvoice(self, account_id: str, invoice_id: str) -> EInvoiceObstacle | None:
        with self.uow:
            return why_no_einvoice(self.uow.invoices.get(account_id, invoice_id))

    def get(self, account_id: str, credit_note_id: str) -> CreditNote:
        with self.uow:
            return self.uow.credit_notes.get(account_id, credit_note_id)

    def list_for_invoice(self, account_id: str, invoice_id: str, *, limit: int,
                         starting_after: str | None) -> Page[CreditNote]:
        with self.uow:
            self.uow.invoices.get(account_id, invoice_id)  # 404 for an unknown invoice
            return self.uow.credit_notes.list_for_invoice(account_id, invoice_id, limit=limit,
                                                          starting_after=starting_after)
