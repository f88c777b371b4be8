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
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict

from invoicing.domain.statuses import InvoiceStatus  # a field of InvoiceFilter: pydantic needs it at runtime

if TYPE_CHECKING:
    # Only in annotations: a function that uses one capability (the usage worker, the relay) does not
    # import every aggregate's model to know its ports (bench/README.md, "Cold starts").
    from invoicing.domain.billing_run import BillingRun, ReviewEntry, RunCounts
    from invoicing.domain.catalog import Price, Product
    from invoicing.domain.coupons import Coupon
    from invoicing.domain.credit_note import CreditNote
    from invoicing.domain.discount_rules import DiscountRule
    from invoicing.domain.dunning import Dunning, PlannedStep, StepDone
    from invoicing.domain.events import DomainEvent
    from invoicing.domain.files import UploadedFile
    from invoicing.domain.invoice import Invoice
    from invoicing.domain.numbering import Series
    from invoicing.domain.party import Account, Customer
    from invoicing.domain.payment import Payment, PaymentStatus
    from invoicing.domain.sending import InvoiceCorrespondence, ReviewItem
    from invoicing.domain.statement_import import StatementImport
    from invoicing.domain.subscription import Subscription
    from invoicing.domain.test_clock import TestClock
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


def overdue_filter(flt: InvoiceFilter, overdue: bool, today: date) -> InvoiceFilter | None:
    """`overdue=true` as an index query: open invoices due before `today` (the status index, GSI3,
    read up to yesterday's due dates); None when nothing can match (only open invoices are overdue,
    so with another `status` the list is empty). Overdue is derived, so only `true` is a filter."""
    from invoicing.domain.errors import InvalidInput

    if not overdue:
        raise InvalidInput("overdue=false is not a filter: list by status or due date instead.", param="overdue")
    if flt.status not in (None, "open"):
        return None
    yesterday = today - timedelta(days=1)
    latest = min(flt.due_date_lte, yesterday) if flt.due_date_lte else yesterday
    return flt.model_copy(update={"status": "open", "due_date_lte": latest})


class PriceFilter(BaseModel):
    model_config = ConfigDict(frozen=True)

    product_id: str | None = None
    active: bool | None = None


ReviewSort = Literal["created", "amount", "change"]


class ReviewFilter(BaseModel):
    """What a run's review list filters on (domain/billing_run.py)."""

    model_config = ConfigDict(frozen=True)

    customer_id: str | None = None
    segment: str | None = None
    amount_gte: int | None = None
    amount_lte: int | None = None
    change_gte: int | None = None  # minor units against the customer's last finalized invoice
    change_lte: int | None = None
    blocking: bool | None = None
    issue: str | None = None  # a validation issue code
    flag: str | None = None  # an anomaly flag


# --- time, ids, retries ------------------------------------------------------------------------

class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class FrozenAt:
    """A `Clock` standing at one moment: a test clock's time while its advance runs what fell due then."""

    moment: datetime

    def now(self) -> datetime:
        return self.moment


class Clocks(Protocol):
    """Whose time it is: real time, or the test clock a customer and its subscriptions live on."""

    def now(self, account_id: str, test_clock: str | None) -> datetime: ...


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
    def in_segment(self, account_id: str, segment: str, shard_: int, *, limit: int,
                   cursor: dict[str, Any] | None) -> tuple[builtins.list[str], dict[str, Any] | None]:
        """One page of the ids of a segment's customers, from one shard of the segment's index."""
        ...
    def list_in_segment(self, account_id: str, segment: str, *, limit: int,
                        starting_after: str | None) -> Page[Customer]: ...


class Invoices(Protocol):
    def add(self, invoice: Invoice) -> None: ...
    def get(self, account_id: str, invoice_id: str) -> Invoice: ...  # raises NotFound
    def get_many(self, account_id: str, invoice_ids: Sequence[str]) -> builtins.list[Invoice]:
        """Those that exist, in one or a few requests; each then saves like one read by `get`."""
        ...
    def by_number_digits(self, account_id: str, digits: Sequence[str]) -> builtins.list[Invoice]:
        """The numbered invoices whose numbers read as one of `digits` (`payment_reference.ocr_body`):
        how a payment's RF or OCR reference finds its invoice, however many are open. Read like
        `get_many`."""
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


class DiscountRules(Protocol):
    def add(self, rule: DiscountRule) -> None: ...
    def get(self, account_id: str, rule_id: str) -> DiscountRule: ...  # raises NotFound
    def save(self, rule: DiscountRule) -> None: ...  # a deactivation, if its version is still the one read
    def active(self, account_id: str) -> list[DiscountRule]: ...  # what billing applies (bounded)
    def list(self, account_id: str, *, active: bool, limit: int,
             starting_after: str | None) -> Page[DiscountRule]: ...


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
    def shard_page(self, account_id: str, shard_: int, *, limit: int, cursor: dict[str, Any] | None
                   ) -> tuple[builtins.list[Subscription], dict[str, Any] | None]:
        """One page of one shard of the account's subscriptions (a billing run over the account)."""
        ...
    def watermark(self) -> datetime | None:
        """The hour up to which billing runs have read the renewal index (None: no run yet)."""
        ...
    def set_watermark(self, hour: datetime) -> None: ...


class BillingRunRecords(Protocol):
    """Billing runs, their figures (counted once per boundary) and their plan of pages."""

    def add(self, run: BillingRun) -> None: ...
    def ensure(self, run: BillingRun) -> None:
        """Write the run record now unless it exists (outside the commit)."""
        ...
    def get(self, account_id: str, run_id: str) -> BillingRun: ...  # raises NotFound
    def save(self, run: BillingRun) -> None: ...
    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[BillingRun]: ...
    def count(self, account_id: str, run_id: str, spread: str, **deltas: int) -> None: ...
    def claim(self, account_id: str, run_id: str, boundary: DueBoundary, outcome: str) -> None:
        """At commit: the boundary counted for the run, or `AlreadyCounted` if it was."""
        ...
    def counts(self, account_id: str, run_id: str) -> RunCounts: ...
    def open_plan(self, run_id: str, pages: int) -> None: ...
    def plan(self, run_id: str) -> tuple[int, int, builtins.list[str]]: ...
    def listed(self, run_id: str, page: str
               ) -> tuple[builtins.list[DueBoundary], dict[str, Any] | None] | None: ...
    def close_page(self, run_id: str, page: str, due: builtins.list[DueBoundary],
                   next_cursor: dict[str, Any] | None, opened: int) -> None: ...


class Reviews(Protocol):
    def add(self, entry: ReviewEntry) -> None: ...
    def remove(self, account_id: str, invoice_id: str) -> None: ...
    def get(self, account_id: str, invoice_id: str) -> ReviewEntry: ...  # raises NotFound
    def get_many(self, account_id: str, invoice_ids: builtins.list[str]) -> builtins.list[ReviewEntry]: ...
    def list(self, account_id: str, run_id: str, flt: ReviewFilter, *, sort: ReviewSort, limit: int,
             starting_after: str | None) -> Page[ReviewEntry]: ...
    def due(self, day: datetime, shard_: int, *, until: datetime, limit: int, cursor: dict[str, Any] | None
            ) -> tuple[builtins.list[tuple[str, str]], dict[str, Any] | None]: ...
    def on_clock(self, account_id: str, clock_id: str) -> builtins.list[ReviewEntry]: ...


class TestClocks(Protocol):
    def add(self, clock: TestClock) -> None: ...
    def get(self, account_id: str, clock_id: str) -> TestClock: ...  # raises NotFound
    def save(self, clock: TestClock) -> None: ...
class Payments(Protocol):
    """Payments, one per key (`payment.payment_id` derives the id from it)."""

    def add(self, payment: Payment) -> None:
        """Registers a new payment; the commit raises `PaymentAlreadyRecorded` if its id exists."""
        ...
    def find(self, account_id: str, payment_id: str) -> Payment | None:
        """The payment, read for `save` in this unit of work; None when there is none."""
        ...
    def get(self, account_id: str, payment_id: str) -> Payment: ...  # raises NotFound
    def save(self, payment: Payment) -> None:
        """The next version of a payment read in this unit of work (else ConcurrentChange at commit)."""
        ...
    def list(self, account_id: str, *, status: PaymentStatus | None, limit: int,
             starting_after: str | None) -> Page[Payment]:
        """Newest first; by status from that status's index partitions (the review queue: `unmatched`)."""
        ...
    def of_amount(self, account_id: str, currency: str, amount: int, *, limit: int = 50) -> builtins.list[Payment]:
        """The latest payments of exactly this amount and currency (what a bank reversal may send back)."""
        ...


class StatementImports(Protocol):
    def add(self, statement: StatementImport) -> None: ...
    def get(self, account_id: str, statement_id: str) -> StatementImport: ...  # raises NotFound
    def save(self, statement: StatementImport) -> None:
        """The next version of an upload read in this unit of work (else ConcurrentChange at commit)."""
        ...


class Files(Protocol):
    """Uploaded files (supporting documents' content): their declarations and status."""

    def add(self, file: UploadedFile) -> None: ...
    def get(self, account_id: str, file_id: str) -> UploadedFile: ...  # raises NotFound
    def save(self, file: UploadedFile) -> None:
        """The next version of a file read in this unit of work (else ConcurrentChange at commit)."""
        ...


@dataclass(frozen=True)
class DueDunning:
    """An invoice whose next dunning step is due (a dunning run's unit of work)."""

    account_id: str
    invoice_id: str
    step_id: str


class DunningRecords(Protocol):
    """Each invoice's dunning record (its plan, what is done), the step records that let each step
    happen once, and the cross-account index of next steps by the hour they fall due."""

    def add(self, dunning: Dunning) -> None:
        """A new record (Conflict at commit if the invoice has one)."""
        ...
    def find(self, account_id: str, invoice_id: str) -> Dunning | None: ...
    def get(self, account_id: str, invoice_id: str) -> Dunning: ...  # raises NotFound
    def save(self, dunning: Dunning) -> None:
        """The next version of a record read in this unit of work (else Conflict at commit); its index
        entry moves to its next step's hour, or leaves the index when nothing is next."""
        ...
    def claim_step(self, dunning: Dunning, step: PlannedStep) -> None:
        """The step's record, written once: a second claim of the same (invoice, step) conflicts."""
        ...
    def record_outcome(self, dunning: Dunning, done: StepDone) -> None:
        """The claimed step's outcome, written once."""
        ...
    def due(self, hour: datetime, shard_: int, *, until: datetime, limit: int,
            cursor: dict[str, Any] | None) -> tuple[builtins.list[DueDunning], dict[str, Any] | None]:
        """One page of the records whose next step falls due in `hour` (one of its shards) by `until`."""
        ...
    def clock_next(self, account_id: str, clock_id: str) -> datetime | None:
        """When the earliest next step of a test clock's records falls due (None: nothing is next). A
        clock's records are indexed per clock, never in the hourly index."""
        ...
    def clock_due(self, account_id: str, clock_id: str, *, until: datetime,
                  limit: int) -> builtins.list[DueDunning]:
        """A test clock's records whose next step is due by `until`, oldest step first."""
        ...
    def notice_sent(self, account_id: str, invoice_id: str, event_id: str) -> bool:
        """Whether the customer was told of the event (a payment-status notice) already."""
        ...
    def record_notice(self, account_id: str, invoice_id: str, event_id: str) -> None:
        """The notice of the event, recorded once (Conflict at commit if it is recorded)."""
        ...
    def watermark(self) -> datetime | None:
        """The hour up to which dunning runs have read the index (None: no run yet)."""
        ...
    def set_watermark(self, hour: datetime) -> None: ...
class ReviewItems(Protocol):
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
    def discount_rules(self) -> DiscountRules: ...
    @property
    def billing_runs(self) -> BillingRunRecords: ...
    @property
    def reviews(self) -> Reviews: ...
    @property
    def test_clocks(self) -> TestClocks: ...
    @property
    def payments(self) -> Payments: ...
    @property
    def statement_imports(self) -> StatementImports: ...
    @property
    def files(self) -> Files: ...
    @property
    def dunning(self) -> DunningRecords: ...
    @property
    def review_items(self) -> ReviewItems: ...
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


# --- payment providers and bank files -----------------------------------------------------------

@dataclass(frozen=True)
class Charge:
    """What a provider said about a charge it attempted."""

    reference: str  # the provider's id of the payment (Stripe: the PaymentIntent)
    status: str  # "succeeded" | "processing" | "requires_action" | "failed"
    amount: int
    currency: str
    failure_message: str | None = None  # for the customer (the provider's words): never logged
    failure_code: str | None = None  # the provider's code ("card_declined", "authentication_required")


@dataclass(frozen=True)
class CheckoutLink:
    url: str | None  # None: the provider takes no money itself (a bank transfer)
    reference: str | None  # the provider's id of the session
    instructions: dict[str, Any] | None = None  # bank details and the reference to quote


@dataclass(frozen=True)
class Refund:
    reference: str
    status: str
    amount: int
    currency: str


class PaymentProvider(Protocol):
    """Where money is taken (or asked for). What was taken arrives through the provider's webhook or
    the bank statement and ends in `PaymentService`; these calls only ask for it. Every call carries
    an idempotency key, so a retried call never charges or refunds twice."""

    name: str

    def charge(self, invoice: Invoice, *, payment_method: str, customer_reference: str | None,
               idempotency_key: str) -> Charge:
        """Charge a saved payment method for what remains on the invoice (off-session)."""
        ...
    def checkout_link(self, invoice: Invoice, *, success_url: str, cancel_url: str,
                      idempotency_key: str) -> CheckoutLink:
        """A page where the customer pays what remains (card, SEPA or ACH debit, wallets)."""
        ...
    def refund(self, reference: str, *, amount: int | None, idempotency_key: str) -> Refund:
        """Give back `amount` (None: all) of a payment the provider took."""
        ...


class StatementFiles(Protocol):
    """Uploaded statement files (the statements bucket)."""

    def upload_url(self, key: str, *, expires_in: int) -> str:
        """A presigned PUT URL for the file at `key`."""
        ...
    def read(self, key: str, *, max_bytes: int) -> bytes:
        """The file; `StatementRejected` when it is larger than `max_bytes` (it is not downloaded)."""
class FileStore(Protocol):
    """Uploaded files' bytes (the files bucket)."""

    def upload_url(self, key: str, *, content_type: str, size: int, expires_in: int) -> str:
        """A presigned PUT URL for exactly this type and length at `key`."""
        ...
    def read(self, key: str, *, max_bytes: int) -> bytes | None:
        """The object (at most `max_bytes` + 1 bytes of it), or None while it is not there."""
        ...


# --- collecting: reminders and charges (dunning) --------------------------------------------------

class Notifier(Protocol):
    """Email to the customer (`services/collection.py`'s `EmailNotifier`: the sending capability's
    SES mailer and templates per language), each mail once per key. Both return False when the
    customer has no email address (nothing was sent), True when the mail was sent (or had been)."""

    def send_reminder(self, invoice: Invoice, step: PlannedStep, language: str) -> bool:
        """A payment reminder for the dunning step `step` (its `day`: before, on or after the due date),
        once per (invoice, step)."""
        ...
    def send_payment_status(self, invoice: Invoice, change: str, language: str, *, event_id: str,
                            amount: int | None = None) -> bool:
        """The customer is told that the invoice's payment status changed (`change` is the event
        type: `invoice.paid`, `invoice.partially_paid`, `payment.failed`, `invoice.reopened`), once per
        (invoice, event); `amount` is what the change moved."""
        ...


@dataclass(frozen=True)
class ChargeResult:
    status: Literal["succeeded", "pending", "failed"]
    payment_id: str | None = None
    failure_code: str | None = None  # the provider's code (e.g. "card_declined"), never personal data


class InvoiceCharger(Protocol):
    """Dunning's charge retries: charge what remains of an invoice (`services/collection.py`'s
    `ProviderCharger`: the payment provider's `charge` with the customer's saved method)."""

    def charge(self, invoice: Invoice, idempotency_key: str) -> ChargeResult:
        """Charge the customer's saved payment method for what remains of `invoice`. The same
        `idempotency_key` charges at most once, however often it is called."""
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


class CheckoutLinks(Protocol):
    """The payment provider's side of the hosted page (`services/collection.py`'s `ProviderCheckout`
    over the provider's `checkout_link`, or `adapters/checkout.py`'s `BankTransferOnly`)."""

    def checkout_link(self, invoice: Invoice) -> str | None:
        """A URL where the customer pays what remains of `invoice` (card, wallets, bank debits, as the
        provider offers), or None when no provider is configured (the page shows bank transfer only)."""
        ...
