from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from invoicing.adapters.dynamodb import DynamoCustomers, DynamoInvoices
from invoicing.domain.errors import Conflict, InvalidInput, NotFound
from invoicing.domain.invoice import Invoice
from invoicing.domain.numbering import Series
from invoicing.domain.party import Account, Customer
from invoicing.services.ports import InvoiceEvent, InvoiceFilter
from tests.integration.adapters.conftest import (
    NOW,
    created_event,
    finalizer,
    make_account,
    make_customer,
    make_draft,
)

SERIES = Series(key="invoice#account#INV", prefix="INV", padding=6)


def add(invoices: DynamoInvoices, invoice: Invoice) -> Invoice:
    invoices.add(invoice, created_event(invoice))
    return invoice


def test_invoice_round_trip_with_its_created_event(invoices: DynamoInvoices, seller: Account, buyer: Customer) -> None:
    draft = make_draft(seller, buyer, due=date(2025, 4, 30)).priced(seller, buyer, NOW.date())
    add(invoices, draft)

    assert invoices.get(seller.id, draft.id) == draft
    assert invoices.events(draft.id) == [created_event(draft)]


def test_adding_an_invoice_twice_conflicts(invoices: DynamoInvoices, seller: Account, buyer: Customer) -> None:
    draft = add(invoices, make_draft(seller, buyer))
    with pytest.raises(Conflict):
        invoices.add(draft, created_event(draft, NOW + timedelta(seconds=1)))


def test_missing_invoice_is_not_found(invoices: DynamoInvoices, seller: Account, buyer: Customer) -> None:
    with pytest.raises(NotFound) as raised:
        invoices.get(seller.id, "inv_missing")
    assert raised.value.param == "invoice"
    draft = add(invoices, make_draft(seller, buyer))
    with pytest.raises(NotFound):
        invoices.get(make_account().id, draft.id)  # another account's invoice


def test_save_replaces_when_the_version_is_unchanged(
    invoices: DynamoInvoices, seller: Account, buyer: Customer
) -> None:
    draft = add(invoices, make_draft(seller, buyer))
    edited = draft.edited(description="March work", version=draft.version + 1)
    invoices.save(edited, expected_version=draft.version, event=None)
    assert invoices.get(seller.id, draft.id) == edited


def test_save_on_a_moved_version_conflicts(invoices: DynamoInvoices, seller: Account, buyer: Customer) -> None:
    draft = add(invoices, make_draft(seller, buyer))
    invoices.save(draft.edited(description="first", version=1), expected_version=0, event=None)
    with pytest.raises(Conflict) as raised:
        invoices.save(draft.edited(description="second", version=1), expected_version=0, event=None)
    assert "changed concurrently" in raised.value.message
    assert invoices.get(seller.id, draft.id).description == "first"


def test_save_of_a_missing_invoice_is_not_found(invoices: DynamoInvoices, seller: Account, buyer: Customer) -> None:
    with pytest.raises(NotFound):
        invoices.save(make_draft(seller, buyer), expected_version=0, event=None)


def test_save_cannot_finalize_behind_the_series_back(
    invoices: DynamoInvoices, seller: Account, buyer: Customer
) -> None:
    draft = add(invoices, make_draft(seller, buyer))
    unnumbered = finalizer(seller, buyer, draft)("INV-999999", 999_999)
    with pytest.raises(Conflict) as raised:
        invoices.save(unnumbered, expected_version=draft.version, event=None)
    assert raised.value.code == "invalid_state_transition"
    assert invoices.get(seller.id, draft.id).status == "draft"


def test_save_with_an_event_records_it(invoices: DynamoInvoices, seller: Account, buyer: Customer) -> None:
    draft = add(invoices, make_draft(seller, buyer))
    opened = invoices.finalize(draft, SERIES, finalizer(seller, buyer, draft), credit_used=0)
    paid_at = NOW + timedelta(days=3)
    paid = opened.pay(paid_at)
    event = InvoiceEvent(type="invoice.paid", invoice_id=paid.id, account_id=seller.id, at=paid_at, status="paid")
    invoices.save(paid, expected_version=opened.version, event=event)

    assert invoices.get(seller.id, draft.id).status == "paid"
    assert [e.type for e in invoices.events(draft.id)] == ["invoice.created", "invoice.finalized", "invoice.paid"]
    with pytest.raises(Conflict):  # a stale retry neither changes the invoice nor records the event twice
        invoices.save(paid, expected_version=opened.version, event=event)
    assert len(invoices.events(draft.id)) == 3


# --- lists -----------------------------------------------------------------------------------

@pytest.fixture
def book(invoices: DynamoInvoices, seller: Account, buyer: Customer, customers: DynamoCustomers) -> dict[str, Any]:
    """Invoices of two customers in several statuses and due dates, created in this order."""
    other = make_customer(seller, name="Other AB")
    customers.add(other)
    made: list[Invoice] = []
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
    for customer, due, status in plan:
        draft = add(invoices, make_draft(seller, customer, due=due))
        invoice = draft
        if status != "draft":
            invoice = invoices.finalize(draft, SERIES, finalizer(seller, customer, draft), credit_used=0)
        if status == "paid":
            invoices.save(invoice.pay(NOW), expected_version=invoice.version, event=None)
            invoice = invoice.pay(NOW)
        if status == "void":
            invoices.save(invoice.void(NOW), expected_version=invoice.version, event=None)
            invoice = invoice.void(NOW)
        made.append(invoice)
    # Another account's invoice for a customer id of this account must never show up.
    intruder = make_account()
    add(invoices, make_draft(intruder, buyer.model_copy(update={"account_id": intruder.id})))
    return {"invoices": made, "buyer": buyer, "other": other}


def ids(page: Any) -> list[str]:
    return [item.id for item in page.data]


def collect(invoices: DynamoInvoices, account_id: str, flt: InvoiceFilter, limit: int) -> list[str]:
    """Every page, following `starting_after`; checks `has_more` on the way."""
    seen: list[str] = []
    starting_after = None
    while True:
        page = invoices.list(account_id, flt, limit=limit, starting_after=starting_after)
        seen += ids(page)
        if not page.has_more:
            return seen
        assert len(page.data) == limit
        starting_after = page.data[-1].id


def newest_first(items: list[Invoice]) -> list[str]:
    return [i.id for i in reversed(items)]


def by_due_desc(items: list[Invoice]) -> list[str]:
    return [i.id for i in sorted(items, key=lambda i: (i.due_date or date.min, i.id), reverse=True)]


@pytest.mark.parametrize("limit", [1, 2, 3, 100])
def test_list_everything_newest_first(
    invoices: DynamoInvoices, seller: Account, book: dict[str, Any], limit: int
) -> None:
    assert collect(invoices, seller.id, InvoiceFilter(), limit) == newest_first(book["invoices"])


@pytest.mark.parametrize("limit", [1, 2, 100])
def test_list_by_customer_uses_its_index(
    invoices: DynamoInvoices, seller: Account, book: dict[str, Any], limit: int
) -> None:
    buyer = book["buyer"]
    mine = [i for i in book["invoices"] if i.customer_id == buyer.id]
    assert collect(invoices, seller.id, InvoiceFilter(customer_id=buyer.id), limit) == newest_first(mine)

    open_ = InvoiceFilter(customer_id=buyer.id, status="open")
    assert collect(invoices, seller.id, open_, limit) == newest_first([i for i in mine if i.status == "open"])

    april = InvoiceFilter(customer_id=buyer.id, due_date_gte=date(2025, 4, 1), due_date_lte=date(2025, 5, 10))
    expected = [i for i in mine if i.due_date and date(2025, 4, 1) <= i.due_date <= date(2025, 5, 10)]
    assert collect(invoices, seller.id, april, limit) == newest_first(expected)


def test_list_by_customer_of_another_account_is_empty(invoices: DynamoInvoices, book: dict[str, Any]) -> None:
    page = invoices.list(make_account().id, InvoiceFilter(customer_id=book["buyer"].id), limit=10,
                         starting_after=None)
    assert page.data == [] and not page.has_more


@pytest.mark.parametrize("limit", [1, 2, 100])
def test_list_by_status_latest_due_date_first(
    invoices: DynamoInvoices, seller: Account, book: dict[str, Any], limit: int
) -> None:
    made = book["invoices"]
    for status in ("draft", "open", "paid", "void", "uncollectible"):
        expected = by_due_desc([i for i in made if i.status == status])
        assert collect(invoices, seller.id, InvoiceFilter(status=status), limit) == expected, status

    flt = InvoiceFilter(status="open", due_date_gte=date(2025, 4, 11))
    assert collect(invoices, seller.id, flt, limit) == [made[2].id]
    flt = InvoiceFilter(status="open", due_date_lte=date(2025, 4, 10))
    assert collect(invoices, seller.id, flt, limit) == by_due_desc([made[1], made[4]])
    # A draft without a due date is outside every due-date range.
    flt = InvoiceFilter(status="draft", due_date_lte=date(2025, 12, 31))
    assert collect(invoices, seller.id, flt, limit) == [made[7].id]


@pytest.mark.parametrize("limit", [1, 2, 100])
def test_list_by_due_date_only(invoices: DynamoInvoices, seller: Account, book: dict[str, Any], limit: int) -> None:
    made = book["invoices"]
    flt = InvoiceFilter(due_date_gte=date(2025, 4, 10), due_date_lte=date(2025, 5, 20))
    expected = by_due_desc([i for i in made if i.due_date and date(2025, 4, 10) <= i.due_date <= date(2025, 5, 20)])
    assert collect(invoices, seller.id, flt, limit) == expected
    assert len(expected) == 5
    overdue = InvoiceFilter(due_date_lte=date(2025, 4, 30))
    assert collect(invoices, seller.id, overdue, limit) == by_due_desc([made[1], made[2], made[4]])


def test_starting_after_an_invoice_whose_due_date_left_the_range(
    invoices: DynamoInvoices, seller: Account, book: dict[str, Any]
) -> None:
    made = book["invoices"]
    flt = InvoiceFilter(due_date_gte=date(2025, 4, 15), due_date_lte=date(2025, 6, 30))
    early = made[1]  # due 2025-04-10: before the range, i.e. after its last item (latest due first)
    page = invoices.list(seller.id, flt, limit=10, starting_after=early.id)
    assert page.data == [] and not page.has_more
    late = made[7]
    moved = late.edited(due_date=date(2025, 9, 1), version=late.version + 1)
    invoices.save(moved, expected_version=late.version, event=None)
    page = invoices.list(seller.id, flt, limit=10, starting_after=late.id)  # after the range: from the top
    assert ids(page) == by_due_desc([made[2], made[3], made[6]])


def test_list_rejects_an_unknown_starting_point_and_an_empty_range(
    invoices: DynamoInvoices, seller: Account, book: dict[str, Any]
) -> None:
    with pytest.raises(NotFound) as raised:
        invoices.list(seller.id, InvoiceFilter(status="open"), limit=10, starting_after="inv_missing")
    assert raised.value.param == "starting_after"
    with pytest.raises(InvalidInput):
        invoices.list(seller.id, InvoiceFilter(due_date_gte=date(2025, 5, 1), due_date_lte=date(2025, 4, 1)),
                      limit=10, starting_after=None)


def test_recent_totals_skip_drafts_and_void(
    invoices: DynamoInvoices, seller: Account, book: dict[str, Any]
) -> None:
    buyer = book["buyer"]
    finalized = [i for i in book["invoices"] if i.customer_id == buyer.id and i.status in ("open", "paid")]
    assert invoices.recent_totals(seller.id, buyer.id) == [i.totals.total for i in reversed(finalized)]
    assert invoices.recent_totals(seller.id, buyer.id, limit=1) == [finalized[-1].totals.total]
    assert invoices.recent_totals(make_account().id, buyer.id) == []
