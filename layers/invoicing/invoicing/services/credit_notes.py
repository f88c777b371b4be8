"""Use cases for credit notes: the only way to correct a finalized invoice."""

from __future__ import annotations

from dataclasses import dataclass

from invoicing.domain.credit_note import CreditNote, split_credit
from invoicing.domain.einvoice import EInvoiceObstacle
from invoicing.domain.errors import Conflict
from invoicing.domain.numbering import credit_note_series
from invoicing.services.commands import NewCreditNote
from invoicing.services.document_keys import credit_note_key
from invoicing.services.invoices import DocumentFormat, DocumentLink, document_link, why_no_einvoice
from invoicing.services.numbering import commit_numbered
from invoicing.services.ports import Clock, Documents, Ids, Page, Retry, UnitOfWork


@dataclass(frozen=True)
class CreditNoteService:
    uow: UnitOfWork
    clock: Clock
    ids: Ids
    retry: Retry
    documents: Documents

    def create(self, account_id: str, cmd: NewCreditNote) -> CreditNote:
        """A numbered credit note: before payment it lowers what is due, after payment it becomes
        credit on the customer's balance (used by their next invoice). One commit writes the credit
        note, the credited invoice with `credit_note.created` (and `invoice.paid` when it settles it),
        the customer's credit and the series counter."""
        credit_note_id = self.ids.new("cn")

        def work(uow: UnitOfWork) -> CreditNote:
            invoice = uow.invoices.get(account_id, cmd.invoice_id)
            seller = uow.accounts.get(account_id)
            now = self.clock.now()
            amount = cmd.amount if cmd.amount is not None else invoice.creditable_amount
            _, kind = invoice.credited(amount, now)  # checks state and limits before numbering
            if kind == "post_payment":
                customer = uow.customers.get(account_id, invoice.customer_id)
                if customer.currency != invoice.currency:
                    # The balance is kept in the customer's currency; an unconverted amount would be wrong money.
                    raise Conflict(
                        f"Invoice {invoice.number} is in {invoice.currency} but customer {customer.id}'s credit "
                        f"balance is in {customer.currency}: a credit note after payment cannot become their credit.",
                        param="invoice", code="credit_currency_mismatch",
                    )
            series = credit_note_series(seller)
            number = series.format(uow.series.next(account_id, series))
            groups = split_credit(invoice, amount)
            tax = sum(g.tax_amount for g in groups)
            note = CreditNote(
                id=credit_note_id, account_id=account_id, invoice_id=invoice.id,
                invoice_number=invoice.number or "", customer_id=invoice.customer_id, number=number,
                currency=invoice.currency, amount=amount, subtotal=amount - tax, tax=tax, tax_groups=groups,
                type=kind, reason=cmd.reason, memo=cmd.memo, issue_date=now, created=now,
            )
            uow.credit_notes.add(note)
            uow.invoices.save(invoice.credited(amount, now, note.summary())[0])
            if kind == "post_payment":
                uow.customers.adjust_credit(account_id, invoice.customer_id, amount)
            return note

        return commit_numbered(self.uow, self.retry, work)

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
