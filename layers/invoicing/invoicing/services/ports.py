"""What the use cases need from the outside world. Adapters implement these; the services' unit
tests use the in-memory fakes in `tests/unit/services/fakes.py`.

A use case reads through the unit of work's repositories, changes aggregates (which record their
domain events), registers the changes, and commits once: `commit()` writes every change and every
event atomically (the events are the audit trail and the outbox).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict

from invoicing.domain.catalog import Price, Product
from invoicing.domain.coupons import Coupon
from invoicing.domain.credit_note import CreditNote
from invoicing.domain.events import DomainEvent
from invoicing.domain.invoice import Invoice, InvoiceStatus
from invoicing.domain.numbering import Series
from invoicing.domain.party import Account, Customer
from invoicing.domain.sending import InvoiceCorrespondence, ReviewItem
from invoicing.domain.subscription import Subscription
from invoicing.domain.usage import Meter, UsageEvent

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list, newest first; `has_more` says whether `starting_after` the last id gives more."""

    model_config = ConfigDict(frozen=True)

    data: list[T]
    has_more: bool


class InvoiceFilter(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: InvoiceStatus | None = None
    customer_id: str | None = None
    due_date_gte: date | None = None
    due_date_lte: date | None = None


class PriceFilter(BaseModel):
    model_config = ConfigDict(frozen=True)

    product_id: str | None = None
    active: bool | None = None


# --- time, ids, retries ------------------------------------------------------------------------

class Clock(Protocol):
    def now(self) -> datetime: ...


class Ids(Protocol):
    def new(self, prefix: str) -> str:
        """A new object id, `{prefix}_...`, later ids sorting after earlier ones."""
        ...


class Retry(Protocol):
    def attempts(self) -> Iterator[int]:
        """Attempt numbers (0, 1, ...), waiting between them, until the retry budget is spent."""
        ...


# --- repositories (reads go to storage; writes are registered and happen at commit) ------------

class Accounts(Protocol):
    def get(self, account_id: str) -> Account: ...  # raises NotFound
    def save(self, account: Account) -> None: ...  # create or replace


class Customers(Protocol):
    def add(self, customer: Customer) -> None: ...
    def get(self, account_id: str, customer_id: str) -> Customer: ...  # raises NotFound
    def get_many(self, account_id: str, customer_ids: Sequence[str]) -> builtins.list[Customer]:
        """Those that exist, in one or a few requests."""
        ...
    def save(self, customer: Customer) -> None:
        """The next version of a customer read in this unit of work (else Conflict at commit)."""
        ...
    def adjust_credit(self, account_id: str, customer_id: str, delta: int) -> None:
        """Add `delta` to the credit balance at commit; a negative delta needs that much credit."""
        ...
    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[Customer]: ...


class Invoices(Protocol):
    def add(self, invoice: Invoice) -> None: ...
    def get(self, account_id: str, invoice_id: str) -> Invoice: ...  # raises NotFound
    def get_many(self, account_id: str, invoice_ids: Sequence[str]) -> builtins.list[Invoice]:
        """Those that exist, in one or a few requests; each then saves like one read by `get`."""
        ...
    def save(self, invoice: Invoice) -> None:
        """The next version of an invoice read in this unit of work (else Conflict at commit)."""
        ...
    def list(
        self, account_id: str, flt: InvoiceFilter, *, limit: int, starting_after: str | None
    ) -> Page[Invoice]: ...
    def recent_totals(self, account_id: str, customer_id: str, *, limit: int = 12) -> builtins.list[int]:
        """Totals of the customer's latest finalized, non-void invoices (for `total_unusual`)."""
        ...
    def events(self, account_id: str, invoice_id: str) -> builtins.list[DomainEvent]:
        """The invoice's audit trail, oldest first."""
        ...


class CreditNotes(Protocol):
    def add(self, credit_note: CreditNote) -> None: ...
    def get(self, account_id: str, credit_note_id: str) -> CreditNote: ...  # raises NotFound
    def list_for_invoice(
        self, account_id: str, invoice_id: str, *, limit: int, starting_after: str | None
    ) -> Page[CreditNote]: ...


class Products(Protocol):
    def add(self, product: Product) -> None: ...
    def get(self, account_id: str, product_id: str) -> Product: ...  # raises NotFound
    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[Product]: ...


class Prices(Protocol):
    def add(self, price: Price) -> None: ...
    def get(self, account_id: str, price_id: str) -> Price: ...  # raises NotFound
    def save(self, price: Price) -> None:
        """The next version of a price read in this unit of work (else Conflict at commit)."""
        ...
    def list(self, account_id: str, flt: PriceFilter, *, limit: int, starting_after: str | None) -> Page[Price]:
        """Newest first; a product's prices from that product's own index partition."""
        ...


class Coupons(Protocol):
    def add(self, coupon: Coupon) -> None: ...
    def get(self, account_id: str, coupon_id: str) -> Coupon: ...  # raises NotFound


class NumberSeries(Protocol):
    """Gapless counters, one per (account, prefix). The counter moves at commit, in the same
    transaction as the numbered documents; if another commit moved it first, that commit raises
    `SeriesMoved` and the whole use case is retried."""

    def next(self, account_id: str, series: Series) -> int:
        """The sequence number the next document of `series` gets."""
        ...
    def reserve(self, account_id: str, series: Series, count: int) -> range:
        """`count` consecutive sequence numbers for a batch committed in one transaction."""
        ...


class Meters(Protocol):
    def add(self, meter: Meter) -> None:
        """Registers the meter and the claim of its event name (Conflict at commit if either exists)."""
        ...
    def get(self, account_id: str, meter_id: str) -> Meter: ...  # raises NotFound
    def by_event_name(self, account_id: str, event_name: str) -> Meter: ...  # raises NotFound
    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[Meter]: ...


class UsageEvents(Protocol):
    def add(self, event: UsageEvent) -> None:
        """Registers the event; the commit raises `AlreadyRecorded` if its identifier is recorded."""
        ...
    def landed(self, account_id: str, event_name: str, customer_id: str, start: datetime,
               end: datetime) -> builtins.list[UsageEvent]:
        """The customer's events of the meter whose bucket lies in [start, end) (domain/usage.py)."""
        ...


@dataclass(frozen=True)
class DueBoundary:
    """A subscription boundary due for billing (a billing run's unit of work)."""

    account_id: str
    subscription_id: str
    boundary: int


class Subscriptions(Protocol):
    def add(self, subscription: Subscription) -> None: ...
    def get(self, account_id: str, subscription_id: str) -> Subscription: ...  # raises NotFound
    def save(self, subscription: Subscription) -> None:
        """The next version of a subscription read in this unit of work (else Conflict at commit)."""
        ...
    def list(self, account_id: str, *, customer_id: str | None, limit: int,
             starting_after: str | None) -> Page[Subscription]: ...
    def due(self, hour: datetime, shard_: int, *, until: datetime, limit: int,
            cursor: dict[str, Any] | None) -> tuple[builtins.list[DueBoundary], dict[str, Any] | None]:
        """One page of the boundaries falling due in `hour` (one of its shards) that are due by `until`."""
        ...
    def watermark(self) -> datetime | None:
        """The hour up to which billing runs have read the renewal index (None: no run yet)."""
        ...
    def set_watermark(self, hour: datetime) -> None: ...


class Reviews(Protocol):
    """The review list: what a person should look at (failing addresses, customers' questions)."""

    def add(self, item: ReviewItem) -> None:
        """Registers the item; the commit raises `AlreadyInReview` if an item of that id exists."""
        ...
    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[ReviewItem]:
        """Newest first."""
        ...


class Correspondence(Protocol):
    """What was sent and asked about each invoice: one item per invoice, beside the invoice's."""

    def get(self, account_id: str, invoice_id: str) -> InvoiceCorrespondence:
        """The invoice's correspondence; a new one (version 0) when nothing was recorded yet."""
        ...
    def save(self, correspondence: InvoiceCorrespondence) -> None:
        """The next version of one read in this unit of work (else Conflict at commit)."""
        ...
    def events(self, account_id: str, invoice_id: str) -> builtins.list[DomainEvent]:
        """Its events, oldest first (part of the invoice's audit trail)."""
        ...


class UnitOfWork(Protocol):
    # Read-only members: each implementation brings its own repositories.
    @property
    def accounts(self) -> Accounts: ...
    @property
    def customers(self) -> Customers: ...
    @property
    def invoices(self) -> Invoices: ...
    @property
    def credit_notes(self) -> CreditNotes: ...
    @property
    def series(self) -> NumberSeries: ...
    @property
    def meters(self) -> Meters: ...
    @property
    def usage_events(self) -> UsageEvents: ...
    @property
    def subscriptions(self) -> Subscriptions: ...
    @property
    def products(self) -> Products: ...
    @property
    def prices(self) -> Prices: ...
    @property
    def coupons(self) -> Coupons: ...
    @property
    def reviews(self) -> Reviews: ...
    @property
    def correspondence(self) -> Correspondence: ...

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc_info: object) -> None: ...
    def commit(self) -> None:
        """Write every registered change and its events atomically, or raise a domain error."""
        ...


# --- queues -----------------------------------------------------------------------------------

class Queue(Protocol):
    def send_many(self, messages: Sequence[dict[str, Any]]) -> None:
        """Every message sent, or an exception (the caller's own message is then retried)."""
        ...


# --- documents ----------------------------------------------------------------------

class Documents(Protocol):
    """Rendered documents in the private bucket, handed out by presigned URLs."""

    def put_once(self, key: str, body: bytes, content_type: str) -> bool:
        """Write the document unless the key exists (a conditional put); True when written."""
        ...
    def exists(self, key: str) -> bool: ...
    def presigned_url(self, key: str, *, expires_in: int, download_name: str | None = None) -> str:
        """A GET link; with `download_name` the browser saves the file under that name."""
        ...
    def get(self, key: str) -> bytes:
        """The stored document (raises KeyError when the key holds none)."""
        ...


# --- email and payment providers ------------------------------------------------------------

@dataclass(frozen=True)
class OutgoingEmail:
    """One email, complete: the MIME message (RFC 5322 bytes) and who it goes to. `tags` travel with
    it to the provider and come back in its bounce and complaint notifications."""

    sender: str
    to: str
    raw: bytes
    tags: dict[str, str]
    name: str  # a file name for it where mail is kept as files (`.eml`)


class Mailer(Protocol):
    def send(self, email: OutgoingEmail) -> str:
        """Hand the message to the provider; returns its message id. Raises when it was not accepted."""
        ...


class PaymentProvider(Protocol):
    """The payment provider's side of the hosted page (payments live behind the same port)."""

    def checkout_link(self, invoice: Invoice) -> str | None:
        """A URL where the customer pays what remains of `invoice` (card, wallets, bank debits, as the
        provider offers), or None when no provider is configured (the page shows bank transfer only)."""
        ...
