"""What the use cases need from the outside world. Adapters implement these; tests use fakes.

Every write that changes an invoice's state is one atomic write that also records the event
for the audit trail; numbering happens inside the same transaction as finalization.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import date, datetime
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from invoicing.domain.credit_note import CreditNote
from invoicing.domain.invoice import Invoice, InvoiceStatus
from invoicing.domain.numbering import Series
from invoicing.domain.party import Account, Customer

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list, newest first; `has_more` says whether `starting_after` the last id gives more."""

    model_config = ConfigDict(frozen=True)

    data: list[T]
    has_more: bool


class InvoiceEvent(BaseModel):
    """An entry in an invoice's audit trail (`invoice.created`, `invoice.finalized`, ...)."""

    model_config = ConfigDict(frozen=True)

    type: str
    invoice_id: str
    account_id: str
    at: datetime
    status: InvoiceStatus
    data: dict[str, str | int | None] = {}


class InvoiceFilter(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: InvoiceStatus | None = None
    customer_id: str | None = None
    due_date_gte: date | None = None
    due_date_lte: date | None = None


class Accounts(Protocol):
    def get(self, account_id: str) -> Account: ...  # raises NotFound
    def put(self, account: Account) -> None: ...


class Customers(Protocol):
    def add(self, customer: Customer) -> None: ...
    def get(self, account_id: str, customer_id: str) -> Customer: ...  # raises NotFound
    def update(self, customer: Customer) -> None: ...  # raises NotFound if it does not exist
    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[Customer]: ...


# Builds the finalized invoice once the number is known: (number, sequence) -> Invoice.
FinalizeBuilder = Callable[[str, int], Invoice]
# Builds the credit note and the credited invoice once the credit note's number is known.
CreditNoteBuilder = Callable[[str, int], tuple[CreditNote, Invoice]]


class Invoices(Protocol):
    def add(self, invoice: Invoice, event: InvoiceEvent) -> None: ...
    def get(self, account_id: str, invoice_id: str) -> Invoice: ...  # raises NotFound
    def save(self, invoice: Invoice, *, expected_version: int, event: InvoiceEvent | None) -> None:
        """Replace the stored invoice if its version is still `expected_version` (else Conflict)."""
        ...
    def list(
        self, account_id: str, flt: InvoiceFilter, *, limit: int, starting_after: str | None
    ) -> Page[Invoice]: ...
    def recent_totals(self, account_id: str, customer_id: str, *, limit: int = 12) -> builtins.list[int]:
        """Totals of the customer's latest finalized, non-void invoices (for `total_unusual`)."""
        ...
    def finalize(
        self, draft: Invoice, series: Series, build: FinalizeBuilder, *, credit_used: int
    ) -> Invoice:
        """One transaction: next number of `series`, the finalized invoice (draft version must be
        unchanged), a claim on the number, the event, and `credit_used` taken off the customer's
        credit balance. Retries on a concurrent increment of the series; never leaves a gap."""
        ...
    def issue_credit_note(
        self, invoice: Invoice, series: Series, build: CreditNoteBuilder, *, customer_credit: int
    ) -> tuple[CreditNote, Invoice]:
        """One transaction: the credit note with the next number of `series`, the credited invoice
        (version must be unchanged), the event, and `customer_credit` added to the customer's balance."""
        ...
    def get_credit_note(self, account_id: str, credit_note_id: str) -> CreditNote: ...
    def list_credit_notes(
        self, account_id: str, invoice_id: str, *, limit: int, starting_after: str | None
    ) -> Page[CreditNote]: ...
    def events(self, invoice_id: str) -> builtins.list[InvoiceEvent]: ...


class Documents(Protocol):
    """Rendered documents in the private bucket, handed out by presigned URLs."""

    def put(self, key: str, body: bytes, content_type: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def presigned_url(self, key: str, *, expires_in: int) -> str: ...


class RenderRequests(Protocol):
    """The queue that asks the document function to render an invoice's (or a credit note's) documents."""

    def request(self, account_id: str, invoice_id: str, *, credit_note_id: str | None = None) -> None: ...
