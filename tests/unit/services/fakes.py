"""In-memory fakes of the services' ports: the same rules as the DynamoDB adapters (a commit writes
everything or nothing, a stale version conflicts, a moved series makes the use case run again), so
the services' rules are tested fast, and the same tests run on DynamoDB in tests/integration."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, Self, TypeVar

from invoicing.domain.bank_statement import StatementRejected
from invoicing.domain.catalog import Price, Product
from invoicing.domain.coupons import Coupon
from invoicing.domain.credit_note import CreditNote
from invoicing.domain.discount_rules import DiscountRule
from invoicing.domain.dunning import Dunning, PlannedStep, StepDone
from invoicing.domain.errors import (
    ConcurrentChange,
    Conflict,
    InvalidInput,
    NotFound,
    PaymentAlreadyRecorded,
    SeriesMoved,
)
from invoicing.domain.events import DomainEvent
from invoicing.domain.files import UploadedFile
from invoicing.domain.invoice import Invoice
from invoicing.domain.numbering import Series
from invoicing.domain.party import Account, Customer
from invoicing.domain.payment import Payment, PaymentStatus
from invoicing.domain.payment_reference import ocr_body
from invoicing.domain.sending import AlreadyInReview, InvoiceCorrespondence, ReviewItem
from invoicing.domain.statement_import import StatementImport
from invoicing.domain.subscription import Subscription
from invoicing.domain.usage import AlreadyRecorded, Meter, UsageEvent
from invoicing.services.ports import (
    ChargeResult,
    DueBoundary,
    DueDunning,
    InvoiceFilter,
    OutgoingEmail,
    Page,
    PriceFilter,
)

D = TypeVar("D", Product, Price, Coupon, DiscountRule)


@dataclass
class Store:
    """What a fake unit of work commits into (the table)."""

    accounts: dict[str, Account] = field(default_factory=dict)
    customers: dict[tuple[str, str], Customer] = field(default_factory=dict)
    invoices: dict[tuple[str, str], Invoice] = field(default_factory=dict)
    credit_notes: dict[tuple[str, str], CreditNote] = field(default_factory=dict)
    trails: dict[tuple[str, str], list[DomainEvent]] = field(default_factory=dict)
    series: dict[tuple[str, str], int] = field(default_factory=dict)
    meters: dict[tuple[str, str], Meter] = field(default_factory=dict)
    usage_events: dict[tuple[str, str, str], UsageEvent] = field(default_factory=dict)
    subscriptions: dict[tuple[str, str], Subscription] = field(default_factory=dict)
    billing_watermark: datetime | None = None
    products: dict[tuple[str, str], Product] = field(default_factory=dict)
    prices: dict[tuple[str, str], Price] = field(default_factory=dict)
    coupons: dict[tuple[str, str], Coupon] = field(default_factory=dict)
    discount_rules: dict[tuple[str, str], DiscountRule] = field(default_factory=dict)
    payments: dict[tuple[str, str], Payment] = field(default_factory=dict)
    statement_imports: dict[tuple[str, str], StatementImport] = field(default_factory=dict)
    files: dict[tuple[str, str], UploadedFile] = field(default_factory=dict)
    dunning: dict[tuple[str, str], Dunning] = field(default_factory=dict)
    dunning_steps: dict[tuple[str, str, str], str | None] = field(default_factory=dict)  # -> outcome
    notices: set[tuple[str, str, str]] = field(default_factory=set)
    dunning_watermark: datetime | None = None
    reviews: dict[tuple[str, str], ReviewItem] = field(default_factory=dict)
    correspondence: dict[tuple[str, str], InvoiceCorrespondence] = field(default_factory=dict)
    outbox: list[DomainEvent] = field(default_factory=list)  # every event committed, in order
    commits: int = 0


def _page(items: list[Any], limit: int, starting_after: str | None) -> Page[Any]:
    items = sorted(items, key=lambda x: x.id, reverse=True)
    if starting_after:
        items = [x for x in items if x.id < starting_after]
    return Page[Any](data=items[:limit], has_more=len(items) > limit)


class FakeUnitOfWork:
    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()
        self._changes: list[tuple[Callable[[], None], Callable[[], None]]] = []  # (check, apply)
        self._read: dict[tuple[str, str], int] = {}
        self._reserved: set[tuple[str, str]] = set()
        self.before_commit: Callable[[Store], None] | None = None  # lets a test move things meanwhile
        self.accounts = _Accounts(self)
        self.customers = _Customers(self)
        self.invoices = _Invoices(self)
        self.credit_notes = _CreditNotes(self)
        self.series = _Series(self)
        self.meters = _Meters(self)
        self.usage_events = _UsageEvents(self)
        self.subscriptions = _Subscriptions(self)
        self.products = _Catalog[Product](self, "products", "product")
        self.prices = _Prices(self, "prices", "price")
        self.coupons = _Catalog[Coupon](self, "coupons", "coupon")
        self.discount_rules = _DiscountRules(self, "discount_rules", "discount_rule")
        self.payments = _Payments(self)
        self.statement_imports = _StatementImports(self)
        self.files = _Files(self)
        self.dunning = _Dunning(self)
        self.review_items = _Reviews(self)
        self.correspondence = _Correspondence(self)

    def __enter__(self) -> Self:
        self._changes, self._read, self._reserved = [], {}, set()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._changes, self._read, self._reserved = [], {}, set()

    def register(self, check: Callable[[], None], apply: Callable[[], None]) -> None:
        self._changes.append((check, apply))

    def commit(self) -> None:
        changes, self._changes = self._changes, []
        if self.before_commit:
            hook, self.before_commit = self.before_commit, None
            hook(self.store)
        errors: list[Exception] = []
        for check, _ in changes:
            try:
                check()
            except Exception as error:  # collected: a moved series wins, as on DynamoDB
                errors.append(error)
        if errors:
            raise next((e for e in errors if isinstance(e, SeriesMoved)), errors[0])
        for _, apply in changes:
            apply()
        if changes:
            self.store.commits += 1


class _Reviews:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def add(self, item: ReviewItem) -> None:
        store, key = self._uow.store, (item.account_id, item.id)

        def check() -> None:
            if key in store.reviews:
                raise AlreadyInReview("exists")

        self._uow.register(check, lambda: store.reviews.__setitem__(key, item))

    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[ReviewItem]:
        return _page([r for (a, _), r in self._uow.store.reviews.items() if a == account_id], limit, starting_after)


class _Correspondence:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def get(self, account_id: str, invoice_id: str) -> InvoiceCorrespondence:
        found = self._uow.store.correspondence.get((account_id, invoice_id))
        found = found or InvoiceCorrespondence(account_id=account_id, invoice_id=invoice_id)
        self._uow._read[("correspondence", invoice_id)] = found.version
        return found

    def save(self, correspondence: InvoiceCorrespondence) -> None:
        store, key = self._uow.store, (correspondence.account_id, correspondence.invoice_id)
        loaded = self._uow._read[("correspondence", correspondence.invoice_id)]

        def check() -> None:
            current = store.correspondence.get(key)
            if (current.version if current else 0) != loaded:
                raise Conflict("changed concurrently")

        def apply() -> None:
            store.correspondence[key] = correspondence.model_copy(update={"events": ()})
            store.trails.setdefault(key, []).extend(correspondence.events)
            store.outbox.extend(correspondence.events)

        self._uow.register(check, apply)

    def events(self, account_id: str, invoice_id: str) -> list[DomainEvent]:
        return []  # the fake keeps them in the invoice's trail (`store.trails`) already


class _Accounts:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def get(self, account_id: str) -> Account:
        if account_id not in self._uow.store.accounts:
            raise NotFound(f"No such account: '{account_id}'.", param="account")
        return self._uow.store.accounts[account_id]

    def save(self, account: Account) -> None:
        self._uow.register(lambda: None, lambda: self._uow.store.accounts.__setitem__(account.id, account))


class _Customers:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def add(self, customer: Customer) -> None:
        store, key = self._uow.store, (customer.account_id, customer.id)

        def check() -> None:
            if key in store.customers:
                raise Conflict("exists", code="resource_already_exists")

        def apply() -> None:
            store.customers[key] = customer.model_copy(update={"events": ()})
            store.outbox.extend(customer.events)

        self._uow.register(check, apply)

    def get(self, account_id: str, customer_id: str) -> Customer:
        key = (account_id, customer_id)
        if key not in self._uow.store.customers:
            raise NotFound(f"No such customer: '{customer_id}'.", param="customer")
        customer = self._uow.store.customers[key]
        self._uow._read[("customer", customer_id)] = customer.version
        return customer

    def get_many(self, account_id: str, customer_ids: Any) -> list[Customer]:
        return [self.get(account_id, c) for c in customer_ids if (account_id, c) in self._uow.store.customers]

    def save(self, customer: Customer) -> None:
        store, key = self._uow.store, (customer.account_id, customer.id)
        loaded = self._uow._read[("customer", customer.id)]

        def check() -> None:
            if store.customers[key].version != loaded:
                raise Conflict("changed concurrently")

        def apply() -> None:
            balance = store.customers[key].credit_balance  # the balance is not the document's to write
            store.customers[key] = customer.model_copy(update={"events": (), "credit_balance": balance})
            store.outbox.extend(customer.events)

        self._uow.register(check, apply)

    def adjust_credit(self, account_id: str, customer_id: str, delta: int) -> None:
        store, key = self._uow.store, (account_id, customer_id)

        def check() -> None:
            if key not in store.customers:
                raise NotFound("no customer")
            if store.customers[key].credit_balance + delta < 0:
                raise InvalidInput("balance too low", code="balance_insufficient")

        def apply() -> None:
            current = store.customers[key]
            store.customers[key] = current.model_copy(update={"credit_balance": current.credit_balance + delta})

        self._uow.register(check, apply)

    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[Customer]:
        return _page([c for (a, _), c in self._uow.store.customers.items() if a == account_id], limit, starting_after)


class _Invoices:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def add(self, invoice: Invoice) -> None:
        store, key = self._uow.store, (invoice.account_id, invoice.id)

        def check() -> None:
            if key in store.invoices:
                raise Conflict("exists", code="resource_already_exists")

        self._uow.register(check, lambda: self._store(invoice))

    def _store(self, invoice: Invoice) -> None:
        store, key = self._uow.store, (invoice.account_id, invoice.id)
        store.invoices[key] = invoice.model_copy(update={"events": ()})
        store.trails.setdefault(key, []).extend(invoice.events)
        store.outbox.extend(invoice.events)

    def get(self, account_id: str, invoice_id: str) -> Invoice:
        key = (account_id, invoice_id)
        if key not in self._uow.store.invoices:
            raise NotFound(f"No such invoice: '{invoice_id}'.", param="invoice")
        invoice = self._uow.store.invoices[key]
        self._uow._read[("invoice", invoice_id)] = invoice.version
        return invoice

    def get_many(self, account_id: str, invoice_ids: Any) -> list[Invoice]:
        return [self.get(account_id, i) for i in invoice_ids if (account_id, i) in self._uow.store.invoices]

    def by_number_digits(self, account_id: str, digits: Any) -> list[Invoice]:
        found = [i.id for (acct, _), i in self._uow.store.invoices.items()
                 if acct == account_id and i.number is not None and ocr_body(i.number) in set(digits)]
        return self.get_many(account_id, found)

    def save(self, invoice: Invoice) -> None:
        store, key = self._uow.store, (invoice.account_id, invoice.id)
        loaded = self._uow._read[("invoice", invoice.id)]
        if invoice.version <= loaded:
            raise ValueError("a saved change is a new version")

        def check() -> None:
            if store.invoices[key].version != loaded:
                raise ConcurrentChange("changed concurrently")

        self._uow.register(check, lambda: self._store(invoice))

    def list(self, account_id: str, flt: InvoiceFilter, *, limit: int, starting_after: str | None) -> Page[Invoice]:
        found = [i for (a, _), i in self._uow.store.invoices.items() if a == account_id
                 and (flt.status is None or i.status == flt.status)
                 and (flt.customer_id is None or i.customer_id == flt.customer_id)]
        return _page(found, limit, starting_after)

    def recent_totals(self, account_id: str, customer_id: str, *, limit: int = 12) -> list[int]:
        found = sorted((i for (a, _), i in self._uow.store.invoices.items()
                        if a == account_id and i.customer_id == customer_id
                        and i.status in ("open", "paid", "uncollectible")), key=lambda i: i.id, reverse=True)
        return [i.totals.total for i in found if i.totals][:limit]

    def events(self, account_id: str, invoice_id: str) -> list[DomainEvent]:
        self.get(account_id, invoice_id)
        return list(self._uow.store.trails.get((account_id, invoice_id), []))


class _CreditNotes:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def add(self, note: CreditNote) -> None:
        self._uow.register(lambda: None,
                           lambda: self._uow.store.credit_notes.__setitem__((note.account_id, note.id), note))

    def get(self, account_id: str, credit_note_id: str) -> CreditNote:
        if (account_id, credit_note_id) not in self._uow.store.credit_notes:
            raise NotFound(f"No such credit note: '{credit_note_id}'.", param="credit_note")
        return self._uow.store.credit_notes[(account_id, credit_note_id)]

    def list_for_invoice(self, account_id: str, invoice_id: str, *, limit: int,
                         starting_after: str | None) -> Page[CreditNote]:
        notes = [n for (a, _), n in self._uow.store.credit_notes.items()
                 if a == account_id and n.invoice_id == invoice_id]
        return _page(notes, limit, starting_after)


class _Meters:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def add(self, meter: Meter) -> None:
        store = self._uow.store

        def check() -> None:
            if any(m.account_id == meter.account_id and m.event_name == meter.event_name
                   for m in store.meters.values()):
                raise Conflict("event name taken", param="event_name", code="resource_already_exists")

        def apply() -> None:
            store.meters[(meter.account_id, meter.id)] = meter.model_copy(update={"events": ()})
            store.outbox.extend(meter.events)

        self._uow.register(check, apply)

    def get(self, account_id: str, meter_id: str) -> Meter:
        if (account_id, meter_id) not in self._uow.store.meters:
            raise NotFound(f"No such meter: '{meter_id}'.", param="meter")
        return self._uow.store.meters[(account_id, meter_id)]

    def by_event_name(self, account_id: str, event_name: str) -> Meter:
        for meter in self._uow.store.meters.values():
            if meter.account_id == account_id and meter.event_name == event_name:
                return meter
        raise NotFound(f"No meter counts event_name '{event_name}'.", param="event_name")

    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[Meter]:
        return _page([m for (a, _), m in self._uow.store.meters.items() if a == account_id], limit, starting_after)


class _UsageEvents:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def add(self, event: UsageEvent) -> None:
        store, key = self._uow.store, (event.account_id, event.event_name, event.identifier)

        def check() -> None:
            if key in store.usage_events:
                raise AlreadyRecorded("recorded", param="identifier")

        self._uow.register(check, lambda: store.usage_events.__setitem__(key, event))

    def landed(self, account_id: str, event_name: str, customer_id: str, start: datetime,
               end: datetime) -> list[UsageEvent]:
        return [e for e in self._uow.store.usage_events.values()
                if (e.account_id, e.event_name, e.customer_id) == (account_id, event_name, customer_id)
                and start <= e.bucket < end]


class _Subscriptions:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def add(self, sub: Subscription) -> None:
        store, key = self._uow.store, (sub.account_id, sub.id)

        def check() -> None:
            if key in store.subscriptions:
                raise Conflict("exists", code="resource_already_exists")

        self._uow.register(check, lambda: self._store(sub))

    def _store(self, sub: Subscription) -> None:
        self._uow.store.subscriptions[(sub.account_id, sub.id)] = sub.model_copy(update={"events": ()})
        self._uow.store.outbox.extend(sub.events)

    def get(self, account_id: str, subscription_id: str) -> Subscription:
        key = (account_id, subscription_id)
        if key not in self._uow.store.subscriptions:
            raise NotFound(f"No such subscription: '{subscription_id}'.", param="subscription")
        sub = self._uow.store.subscriptions[key]
        self._uow._read[("subscription", subscription_id)] = sub.version
        return sub

    def save(self, sub: Subscription) -> None:
        store, key = self._uow.store, (sub.account_id, sub.id)
        loaded = self._uow._read[("subscription", sub.id)]

        def check() -> None:
            if store.subscriptions[key].version != loaded:
                raise Conflict("changed concurrently", param="subscription")

        self._uow.register(check, lambda: self._store(sub))

    def list(self, account_id: str, *, customer_id: str | None, limit: int,
             starting_after: str | None) -> Page[Subscription]:
        subs = [s for (a, _), s in self._uow.store.subscriptions.items()
                if a == account_id and customer_id in (None, s.customer_id)]
        return _page(subs, limit, starting_after)

    def watermark(self) -> datetime | None:
        return self._uow.store.billing_watermark

    def set_watermark(self, hour: datetime) -> None:
        self._uow.register(lambda: None, lambda: setattr(self._uow.store, "billing_watermark", hour))

    def due(self, hour: datetime, shard_: int, *, until: datetime, limit: int,
            cursor: dict[str, Any] | None) -> tuple[list[DueBoundary], dict[str, Any] | None]:
        due = sorted((s.due_at(s.billed_through + 1), s.account_id, s.id, s.billed_through + 1)
                     for s in self._uow.store.subscriptions.values() if not s.finished)
        found = [DueBoundary(a, i, k) for at, a, i, k in due
                 if at <= until and at.replace(minute=0, second=0, microsecond=0) == hour and shard_ == 0]
        start = int((cursor or {}).get("offset", 0))
        page = found[start:start + limit]
        return page, ({"offset": start + limit} if start + limit < len(found) else None)


class _Dunning:
    """The same conditions as the DynamoDB records: a record added once and saved under its version,
    a step claimed once and given its outcome once, a notice recorded once."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def add(self, dunning: Dunning) -> None:
        store, key = self._uow.store, (dunning.account_id, dunning.invoice_id)

        def check() -> None:
            if key in store.dunning:
                raise Conflict("exists", code="resource_already_exists")

        self._uow.register(check, lambda: store.dunning.__setitem__(key, dunning))

    def find(self, account_id: str, invoice_id: str) -> Dunning | None:
        found = self._uow.store.dunning.get((account_id, invoice_id))
        if found is not None:
            self._uow._read[("dunning", invoice_id)] = found.version
        return found

    def get(self, account_id: str, invoice_id: str) -> Dunning:
        found = self.find(account_id, invoice_id)
        if found is None:
            raise NotFound("no dunning", param="invoice")
        return found

    def save(self, dunning: Dunning) -> None:
        store, key = self._uow.store, (dunning.account_id, dunning.invoice_id)
        loaded = self._uow._read[("dunning", dunning.invoice_id)]

        def check() -> None:
            if store.dunning[key].version != loaded:
                raise Conflict("changed concurrently")

        self._uow.register(check, lambda: store.dunning.__setitem__(key, dunning))

    def claim_step(self, dunning: Dunning, step: PlannedStep) -> None:
        steps, key = self._uow.store.dunning_steps, (dunning.account_id, dunning.invoice_id, step.id)

        def check() -> None:
            if key in steps:
                raise Conflict("claimed already")

        self._uow.register(check, lambda: steps.__setitem__(key, None))

    def record_outcome(self, dunning: Dunning, done: StepDone) -> None:
        steps, key = self._uow.store.dunning_steps, (dunning.account_id, dunning.invoice_id, done.step_id)

        def check() -> None:
            if key not in steps or steps[key] is not None:
                raise Conflict("not claimed, or done already")

        self._uow.register(check, lambda: steps.__setitem__(key, done.outcome))

    def notice_sent(self, account_id: str, invoice_id: str, event_id: str) -> bool:
        return (account_id, invoice_id, event_id) in self._uow.store.notices

    def record_notice(self, account_id: str, invoice_id: str, event_id: str) -> None:
        notices, key = self._uow.store.notices, (account_id, invoice_id, event_id)

        def check() -> None:
            if key in notices:
                raise Conflict("recorded already")

        self._uow.register(check, lambda: notices.add(key))

    def watermark(self) -> datetime | None:
        return self._uow.store.dunning_watermark

    def set_watermark(self, hour: datetime) -> None:
        self._uow.register(lambda: None, lambda: setattr(self._uow.store, "dunning_watermark", hour))

    def due(self, hour: datetime, shard_: int, *, until: datetime, limit: int,
            cursor: dict[str, Any] | None) -> tuple[list[DueDunning], dict[str, Any] | None]:
        due = sorted((d.next_at, d.account_id, d.invoice_id, d.next_step.id)
                     for d in self._uow.store.dunning.values()
                     if d.next_at is not None and d.next_step is not None and d.test_clock is None)
        found = [DueDunning(a, i, s) for at, a, i, s in due
                 if at <= until and at.replace(minute=0, second=0, microsecond=0) == hour and shard_ == 0]
        start = int((cursor or {}).get("offset", 0))
        return found[start:start + limit], ({"offset": start + limit} if start + limit < len(found) else None)

    def _on_clock(self, account_id: str, clock_id: str) -> list[tuple[datetime, str, str]]:
        return sorted((d.next_at, d.invoice_id, d.next_step.id) for d in self._uow.store.dunning.values()
                      if d.account_id == account_id and d.test_clock == clock_id and d.next_at is not None
                      and d.next_step is not None)

    def clock_next(self, account_id: str, clock_id: str) -> datetime | None:
        found = self._on_clock(account_id, clock_id)
        return found[0][0] if found else None

    def clock_due(self, account_id: str, clock_id: str, *, until: datetime, limit: int) -> list[DueDunning]:
        due = [DueDunning(account_id, i, s) for at, i, s in self._on_clock(account_id, clock_id) if at <= until]
        return due[:limit]


class _Series:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def next(self, account_id: str, series: Series) -> int:
        return self.reserve(account_id, series, 1).start

    def reserve(self, account_id: str, series: Series, count: int) -> range:
        store, key = self._uow.store, (account_id, series.key)
        if key in self._uow._reserved:
            raise ValueError("reserve once per batch")
        self._uow._reserved.add(key)
        current = store.series.get(key, 0)

        def check() -> None:
            if store.series.get(key, 0) != current:
                raise SeriesMoved("moved")

        self._uow.register(check, lambda: store.series.__setitem__(key, current + count))
        return range(current + 1, current + count + 1)


class _Catalog(Generic[D]):
    """Products, prices and coupons: documents added once (and prices saved by version)."""

    def __init__(self, uow: FakeUnitOfWork, table: str, kind: str) -> None:
        self._uow, self._table, self._kind = uow, table, kind

    @property
    def _items(self) -> dict[tuple[str, str], D]:
        items: dict[tuple[str, str], D] = getattr(self._uow.store, self._table)
        return items

    def add(self, document: D) -> None:
        key = (document.account_id, document.id)

        def check() -> None:
            if key in self._items:
                raise Conflict("exists", code="resource_already_exists")

        def apply() -> None:
            self._items[key] = document.model_copy(update={"events": ()})
            self._uow.store.outbox.extend(document.events)

        self._uow.register(check, apply)

    def get(self, account_id: str, document_id: str) -> D:
        if (account_id, document_id) not in self._items:
            raise NotFound(f"No such {self._kind}: '{document_id}'.", param=self._kind)
        document = self._items[(account_id, document_id)]
        self._uow._read[(self._kind, document_id)] = document.version
        return document

    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[D]:
        return _page([d for (a, _), d in self._items.items() if a == account_id], limit, starting_after)


class _Prices(_Catalog[Price]):
    def save(self, price: Price) -> None:
        key, loaded = (price.account_id, price.id), self._uow._read[("price", price.id)]

        def check() -> None:
            if self._items[key].version != loaded:
                raise Conflict("changed concurrently")

        def apply() -> None:
            self._items[key] = price.model_copy(update={"events": ()})
            self._uow.store.outbox.extend(price.events)

        self._uow.register(check, apply)

    def list(self, account_id: str, flt: PriceFilter | None = None, *, limit: int,
             starting_after: str | None) -> Page[Price]:
        flt = flt or PriceFilter()
        found = [p for (a, _), p in self._items.items() if a == account_id
                 and (flt.product_id is None or p.product_id == flt.product_id)
                 and (flt.active is None or p.active == flt.active)]
        return _page(found, limit, starting_after)


class _DiscountRules(_Catalog[DiscountRule]):
    def save(self, rule: DiscountRule) -> None:
        key, loaded = (rule.account_id, rule.id), self._uow._read[("discount_rule", rule.id)]

        def check() -> None:
            if self._items[key].version != loaded:
                raise Conflict("changed concurrently")

        def apply() -> None:
            self._items[key] = rule.model_copy(update={"events": ()})
            self._uow.store.outbox.extend(rule.events)

        self._uow.register(check, apply)

    def active(self, account_id: str) -> list[DiscountRule]:
        return [r for (a, _), r in sorted(self._items.items(), reverse=True) if a == account_id and r.active]

    def list(self, account_id: str, *, active: bool = True, limit: int,  # type: ignore[override]
             starting_after: str | None) -> Page[DiscountRule]:
        found = [r for (a, _), r in self._items.items() if a == account_id and r.active == active]
        return _page(found, limit, starting_after)


class _Versioned:
    """Payments and statement uploads: added once, saved by version, their events to the outbox."""

    kind = ""

    def __init__(self, uow: FakeUnitOfWork, table: str) -> None:
        self._uow, self._table = uow, table

    @property
    def _items(self) -> dict[tuple[str, str], Any]:
        items: dict[tuple[str, str], Any] = getattr(self._uow.store, self._table)
        return items

    def _store(self, document: Any) -> None:
        self._items[(document.account_id, document.id)] = document.model_copy(update={"events": ()})
        self._uow.store.outbox.extend(document.events)

    def _check_new(self, key: tuple[str, str]) -> None:
        if key in self._items:
            raise Conflict("exists", code="resource_already_exists")

    def add(self, document: Any) -> None:
        key = (document.account_id, document.id)
        self._uow.register(lambda: self._check_new(key), lambda: self._store(document))

    def find(self, account_id: str, document_id: str) -> Any:
        document = self._items.get((account_id, document_id))
        if document is not None:
            self._uow._read[(self.kind, document_id)] = document.version
        return document

    def get(self, account_id: str, document_id: str) -> Any:
        document = self.find(account_id, document_id)
        if document is None:
            raise NotFound(f"No such {self.kind}: '{document_id}'.", param=self.kind)
        return document

    def save(self, document: Any) -> None:
        key, loaded = (document.account_id, document.id), self._uow._read[(self.kind, document.id)]

        def check() -> None:
            if self._items[key].version != loaded:
                raise ConcurrentChange("changed concurrently", param=self.kind)

        self._uow.register(check, lambda: self._store(document))


class _Payments(_Versioned):
    kind = "payment"

    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "payments")

    def _check_new(self, key: tuple[str, str]) -> None:
        if key in self._items:
            raise PaymentAlreadyRecorded("recorded", param="payment")

    def list(self, account_id: str, *, status: PaymentStatus | None, limit: int,
             starting_after: str | None) -> Page[Payment]:
        found = sorted((p for (a, _), p in self._items.items() if a == account_id and status in (None, p.status)),
                       key=lambda p: (p.created, p.id), reverse=True)
        if starting_after:
            marks = [i for i, p in enumerate(found) if p.id == starting_after]
            found = found[marks[0] + 1:] if marks else []
        return Page[Payment](data=found[:limit], has_more=len(found) > limit)

    def of_amount(self, account_id: str, currency: str, amount: int, *, limit: int = 50) -> list[Payment]:
        return [p for (a, _), p in self._items.items()
                if a == account_id and p.currency == currency and p.amount == amount][:limit]


class _StatementImports(_Versioned):
    kind = "bank_statement"

    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "statement_imports")


class _Files(_Versioned):
    kind = "file"

    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "files")

    def _store(self, document: Any) -> None:  # a file records no events
        self._items[(document.account_id, document.id)] = document


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class FakeIds:
    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new(self, prefix: str) -> str:
        return f"{prefix}_{next(self._counter):026d}"  # sorts like creation order, as ULIDs do


class FakeRetry:
    def __init__(self, attempts: int = 5) -> None:
        self.max = attempts
        self.used = 0

    def attempts(self) -> Iterator[int]:
        for attempt in range(self.max):
            self.used += 1
            yield attempt


class FakeDocuments:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def put_once(self, key: str, body: bytes, content_type: str) -> bool:
        if key in self.objects:
            return False
        self.objects[key] = (body, content_type)
        return True

    def exists(self, key: str) -> bool:
        return key in self.objects

    def presigned_url(self, key: str, *, expires_in: int, download_name: str | None = None) -> str:
        suffix = f"&download={download_name}" if download_name else ""
        return f"https://documents.example/{key}?expires_in={expires_in}{suffix}"

    def get(self, key: str) -> bytes:
        return self.objects[key][0]


class FakeFileStore:
    """The files bucket: what was PUT, by key (a test puts bytes as an upload would)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.signed: list[tuple[str, str, int, int]] = []  # (key, content type, length, expiry) of each URL

    def upload_url(self, key: str, *, content_type: str, size: int, expires_in: int) -> str:
        self.signed.append((key, content_type, size, expires_in))
        return f"https://files.example/{key}?expires_in={expires_in}"

    def read(self, key: str, *, max_bytes: int) -> bytes | None:
        body = self.objects.get(key)
        return None if body is None else body[:max_bytes + 1]


class FakeStatementFiles:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def upload_url(self, key: str, *, expires_in: int) -> str:
        return f"https://statements.example/{key}?expires_in={expires_in}"

    def read(self, key: str, *, max_bytes: int) -> bytes:
        body = self.objects[key]
        if len(body) > max_bytes:
            raise StatementRejected(f"The file is {len(body)} bytes; at most {max_bytes} are read.", param="file")
        return body


class FakeNotifier:
    """Records what the customer would be emailed: (invoice id, step id or event type, language)."""

    def __init__(self) -> None:
        self.reminders: list[tuple[str, str, str]] = []
        self.notices: list[tuple[str, str, str]] = []
        self.fail_next = 0  # how many of the next calls raise (an email service that is down)

    def _maybe_fail(self) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("email service unavailable")

    def send_reminder(self, invoice: Invoice, step: PlannedStep, language: str) -> bool:
        self._maybe_fail()
        self.reminders.append((invoice.id, step.id, language))
        return True

    def send_payment_status(self, invoice: Invoice, change: str, language: str, *, event_id: str,
                            amount: int | None = None) -> bool:
        self._maybe_fail()
        self.notices.append((invoice.id, change, language))
        return True


class FakePaymentProvider:
    """Charges once per idempotency key, as a provider does; `declines` says which attempts fail."""

    def __init__(self, declines: int = 0) -> None:
        self.charges: dict[str, ChargeResult] = {}
        self.calls: list[str] = []
        self.declines = declines

    def charge(self, invoice: Invoice, idempotency_key: str) -> ChargeResult:
        self.calls.append(idempotency_key)
        if idempotency_key not in self.charges:
            if len(self.charges) < self.declines:
                self.charges[idempotency_key] = ChargeResult("failed", failure_code="card_declined")
            else:
                self.charges[idempotency_key] = ChargeResult("succeeded", payment_id=f"py_{len(self.charges)}")
        return self.charges[idempotency_key]


class FakeMailer:
    """Records what it was given; `fail` makes the next send raise (the provider refused it)."""

    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []
        self.fail: Exception | None = None

    def send(self, email: OutgoingEmail) -> str:
        if self.fail is not None:
            error, self.fail = self.fail, None
            raise error
        self.sent.append(email)
        return f"msg-{len(self.sent)}"


class FakeCheckout:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def checkout_link(self, invoice: Invoice) -> str | None:
        self.asked.append(invoice.id)
        return f"https://pay.example/checkout/{invoice.id}"
