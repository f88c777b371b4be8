"""Lists over the sharded indexes: the same order and cursors as one partition would give."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from invoicing.adapters.dynamodb import Backoff, DynamoUnitOfWork
from invoicing.adapters.dynamodb.keys import SHARDS, shard
from invoicing.adapters.ids import UlidIds
from invoicing.domain.errors import InvalidInput, NotFound
from invoicing.domain.invoice import Invoice
from invoicing.domain.party import Account, Customer
from invoicing.services.commands import NewInvoice, NewLine
from invoicing.services.invoices import InvoiceService
from invoicing.services.payments import PaymentService
from invoicing.services.ports import InvoiceFilter
from tests.integration.adapters.conftest import NOW, make_account, make_customer
from tests.unit.services.fakes import FakeClock, FakeDocuments


@pytest.fixture
def service(uow: DynamoUnitOfWork) -> InvoiceService:
    return InvoiceService(uow, FakeClock(NOW), UlidIds(), Backoff(), FakeDocuments())


def add_customer(uow: DynamoUnitOfWork, customer: Customer) -> Customer:
    with uow:
        uow.customers.add(customer)
        uow.commit()
    return customer


@pytest.fixture
def book(service: InvoiceService, uow: DynamoUnitOfWork, seller: Account, buyer: Customer) -> dict[str, Any]:
    """Invoices of two customers in several statuses and due dates, created in this order."""
    other = add_customer(uow, make_customer(seller, name="Other AB"))
    plan = [  # (customer, due date, final status)
        (buyer, None, "draft"),
        (buyer, date(2025, 4, 10), "open"),
        (other, date(2025, 4, 20), "open"),
        (buyer, date(2025, 5, 5), "paid"),
        (buyer, date(2025, 4, 10), "open"),
        (other, None, "draft"),
        (buyer, date(2025, 6, 1), "void"),
        (buyer, date(2025, 5, 20), "draft"),
    ]
    made: list[Invoice] = []
    for customer, due, status in plan:
        line = NewLine(description="Consulting", quantity=Decimal(1), unit_amount_decimal=Decimal(10_000))
        invoice = service.create_draft(seller.id, NewInvoice(customer_id=customer.id, lines=(line,),
                                                             due_date=due)).invoice
        if status != "draft":
            invoice = service.finalize(seller.id, invoice.id).invoice
        if status == "paid":
            payments = PaymentService(uow, FakeClock(NOW), UlidIds(), Backoff())
            invoice = payments.pay_invoice(seller.id, invoice.id).invoice
        if status == "void":
            invoice = service.void(seller.id, invoice.id).invoice
        made.append(invoice)
    # Another account's customer and invoice must never show up.
    intruder = make_account()
    with uow:
        uow.accounts.save(intruder)
        uow.commit()
    stranger = add_customer(uow, make_customer(intruder))
    line = NewLine(description="x", quantity=Decimal(1), unit_amount_decimal=Decimal(1))
    service.create_draft(intruder.id, NewInvoice(customer_id=stranger.id, lines=(line,)))
    return {"invoices": made, "buyer": buyer, "other": other}


def collect(service: InvoiceService, account_id: str, flt: InvoiceFilter, limit: int) -> list[str]:
    """Every page, following `starting_after`; checks `has_more` on the way."""
    seen: list[str] = []
    starting_after = None
    while True:
        page = service.list(account_id, flt, limit=limit, starting_after=starting_after)
        seen += [i.id for i in page.data]
        if not page.has_more:
            return seen
        assert len(page.data) == limit
        starting_after = page.data[-1].id


def newest_first(items: list[Invoice]) -> list[str]:
    return [i.id for i in reversed(items)]


def by_due_desc(items: list[Invoice]) -> list[str]:
    return [i.id for i in sorted(items, key=lambda i: (i.due_date or date.min, i.id), reverse=True)]


def test_the_book_spreads_over_shards(book: dict[str, Any]) -> None:
    assert len({shard(i.id) for i in book["invoices"]}) > 1  # so the merge is really exercised
    assert SHARDS == 16


@pytest.mark.parametrize("limit", [1, 2, 3, 100])
def test_list_everything_newest_first(service: InvoiceService, seller: Account, book: dict[str, Any],
                                      limit: int) -> None:
    assert collect(service, seller.id, InvoiceFilter(), limit) == newest_first(book["invoices"])


@pytest.mark.parametrize("limit", [1, 2, 100])
def test_list_by_customer(service: InvoiceService, seller: Account, book: dict[str, Any], limit: int) -> None:
    buyer = book["buyer"]
    mine = [i for i in book["invoices"] if i.customer_id == buyer.id]
    assert collect(service, seller.id, InvoiceFilter(customer_id=buyer.id), limit) == newest_first(mine)
    open_ = InvoiceFilter(customer_id=buyer.id, status="open")
    assert collect(service, seller.id, open_, limit) == newest_first([i for i in mine if i.status == "open"])
    april = InvoiceFilter(customer_id=buyer.id, due_date_gte=date(2025, 4, 1), due_date_lte=date(2025, 5, 10))
    expected = [i for i in mine if i.due_date and date(2025, 4, 1) <= i.due_date <= date(2025, 5, 10)]
    assert collect(service, seller.id, april, limit) == newest_first(expected)


def test_list_by_customer_of_another_account_is_empty(service: InvoiceService, book: dict[str, Any]) -> None:
    page = service.list(make_account().id, InvoiceFilter(customer_id=book["buyer"].id), limit=10,
                        starting_after=None)
    assert page.data == [] and not page.has_more


@pytest.mark.parametrize("limit", [1, 2, 100])
def test_list_by_status_latest_due_date_first(service: InvoiceService, seller: Account, book: dict[str, Any],
                                              limit: int) -> None:
    made = book["invoices"]
    for status in ("draft", "open", "paid", "void", "uncollectible"):
        expected = by_due_desc([i for i in made if i.status == status])
        assert collect(service, seller.id, InvoiceFilter(status=status), limit) == expected, status
    flt = InvoiceFilter(status="open", due_date_gte=date(2025, 4, 11))
    assert collect(service, seller.id, flt, limit) == [made[2].id]
    flt = InvoiceFilter(status="open", due_date_lte=date(2025, 4, 10))
    assert collect(service, seller.id, flt, limit) == by_due_desc([made[1], made[4]])
    # A draft without a due date is outside every due-date range.
    flt = InvoiceFilter(status="draft", due_date_lte=date(2025, 12, 31))
    assert collect(service, seller.id, flt, limit) == [made[7].id]


@pytest.mark.parametrize("limit", [1, 2, 100])
def test_list_by_due_date_only(service: InvoiceService, seller: Account, book: dict[str, Any], limit: int) -> None:
    made = book["invoices"]
    flt = InvoiceFilter(due_date_gte=date(2025, 4, 10), due_date_lte=date(2025, 5, 20))
    expected = by_due_desc([i for i in made if i.due_date and date(2025, 4, 10) <= i.due_date <= date(2025, 5, 20)])
    assert collect(service, seller.id, flt, limit) == expected
    assert len(expected) == 5
    overdue = InvoiceFilter(due_date_lte=date(2025, 4, 30))
    assert collect(service, seller.id, overdue, limit) == by_due_desc([made[1], made[2], made[4]])


def test_starting_after_an_invoice_before_the_range_ends_the_list(
    service: InvoiceService, seller: Account, book: dict[str, Any]
) -> None:
    flt = InvoiceFilter(due_date_gte=date(2025, 4, 15), due_date_lte=date(2025, 6, 30))
    page = service.list(seller.id, flt, limit=10, starting_after=book["invoices"][1].id)  # due 04-10
    assert page.data == [] and not page.has_more


def test_list_rejects_an_unknown_starting_point_and_finds_nothing_in_an_empty_range(
    service: InvoiceService, seller: Account, book: dict[str, Any]
) -> None:
    with pytest.raises(NotFound) as raised:
        service.list(seller.id, InvoiceFilter(status="open"), limit=10, starting_after="in_missing")
    assert raised.value.param == "starting_after"
    empty = service.list(seller.id, InvoiceFilter(due_date_gte=date(2025, 5, 1), due_date_lte=date(2025, 4, 1)),
                         limit=10, starting_after=None)
    assert (empty.data, empty.has_more) == ([], False)  # a range whose end is before its start holds no day
    with pytest.raises(InvalidInput):
        service.list(seller.id, InvoiceFilter(), limit=101, starting_after=None)


def test_recent_totals_skip_drafts_and_void(uow: DynamoUnitOfWork, seller: Account, book: dict[str, Any]) -> None:
    buyer = book["buyer"]
    finalized = [i for i in book["invoices"] if i.customer_id == buyer.id and i.status in ("open", "paid")]
    with uow:
        assert uow.invoices.recent_totals(seller.id, buyer.id) == [i.totals.total for i in reversed(finalized)]
        assert uow.invoices.recent_totals(seller.id, buyer.id, limit=1) == [finalized[-1].totals.total]


def test_customers_list_newest_first_with_pagination(uow: DynamoUnitOfWork) -> None:
    account = make_account()
    created = [add_customer(uow, make_customer(account, name=f"Buyer {i}")) for i in range(7)]
    add_customer(uow, make_customer(make_account()))  # another account's customer stays out
    seen, after = [], None
    with uow:
        while True:
            page = uow.customers.list(account.id, limit=2, starting_after=after)
            seen += [c.id for c in page.data]
            if not page.has_more:
                break
            after = page.data[-1].id
    assert seen == [c.id for c in reversed(created)]
