"""The DynamoDB unit of work: one atomic write per commit, events inside the items they belong to,
conflicts as domain errors, tenant isolation by key, and gapless numbering under contention."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from invoicing.adapters.dynamodb import Backoff, DynamoUnitOfWork
from invoicing.adapters.dynamodb.keys import customer_key, invoice_key, series_key
from invoicing.adapters.ids import UlidIds
from invoicing.adapters.outbox import outbox_documents
from invoicing.domain.credit_note import CreditLineRequest
from invoicing.domain.errors import Conflict, InvalidInput, NotFound, SeriesMoved
from invoicing.domain.invoice import Invoice, InvoiceLine
from invoicing.domain.numbering import Series
from invoicing.domain.party import Account, Customer
from invoicing.services.commands import NewCreditNote
from invoicing.services.credit_notes import CreditNoteService
from invoicing.services.invoices import InvoiceService
from tests.integration.adapters.conftest import NOW, make_account, make_draft
from tests.integration.adapters.serialized import serialize_calls
from tests.unit.services.fakes import FakeClock, FakeDocuments

SERIES = Series(key="INV", prefix="INV", padding=6)


def calls(client: Any) -> Counter[str]:
    """Counts the DynamoDB operations the client makes from now on."""
    seen: Counter[str] = Counter()
    client.meta.events.register("before-call.dynamodb", lambda model, **_: seen.update([model.name]))
    return seen


def add(uow: DynamoUnitOfWork, seller: Account, buyer: Customer, amount: int = 10_000) -> Invoice:
    with uow:
        created = make_draft(seller, buyer, amount=amount).priced(seller, buyer, NOW.date()).record_created(NOW)
        uow.invoices.add(created)
        uow.commit()
    return created


def raw(dynamodb: Any, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    return dynamodb.get_item(TableName=table, Key=key).get("Item")


def test_a_single_item_commit_is_one_conditional_write_with_its_events(
    uow: DynamoUnitOfWork, dynamodb: Any, table: str, seller: Account, buyer: Customer
) -> None:
    seen = calls(dynamodb)
    draft = add(uow, seller, buyer)
    assert seen["PutItem"] == 1 and seen["TransactWriteItems"] == 0  # no transaction's double price
    item = raw(dynamodb, table, invoice_key(seller.id, draft.id))
    assert item is not None and item["outbox_count"] == {"N": "1"}
    assert [e["type"] for e in outbox_documents(item)] == ["invoice.created"]
    with uow:
        assert [e.id for e in uow.invoices.events(seller.id, draft.id)] == [draft.events[0].id]


def test_numbering_commits_counter_and_document_in_one_transaction(
    uow: DynamoUnitOfWork, dynamodb: Any, table: str, seller: Account, buyer: Customer
) -> None:
    draft = add(uow, seller, buyer)
    seen = calls(dynamodb)
    with uow:
        loaded = uow.invoices.get(seller.id, draft.id)
        number = SERIES.format(uow.series.next(seller.id, SERIES))
        uow.invoices.save(loaded.finalize(seller=seller, customer=buyer, number=number, now=NOW, previous_totals=[]))
        uow.commit()
    assert seen["TransactWriteItems"] == 1
    assert raw(dynamodb, table, series_key(seller.id, "INV"))["seq"] == {"N": "1"}  # type: ignore[index]
    item = raw(dynamodb, table, invoice_key(seller.id, draft.id))
    assert item is not None
    assert [e["type"] for e in outbox_documents(item)] == ["invoice.finalized"]  # only what this commit added
    with uow:
        assert [e.type for e in uow.invoices.events(seller.id, draft.id)] == ["invoice.created", "invoice.finalized"]


def test_a_stale_version_conflicts_and_writes_nothing(
    uow: DynamoUnitOfWork, dynamodb: Any, table: str, seller: Account, buyer: Customer
) -> None:
    draft = add(uow, seller, buyer)
    other = DynamoUnitOfWork(dynamodb, table)
    with uow:
        mine = uow.invoices.get(seller.id, draft.id)
        with other:  # someone else edits the draft in between
            theirs = other.invoices.get(seller.id, draft.id)
            other.invoices.save(theirs.add_lines([], NOW))
            other.commit()
        number = SERIES.format(uow.series.next(seller.id, SERIES))
        uow.invoices.save(mine.finalize(seller=seller, customer=buyer, number=number, now=NOW, previous_totals=[]))
        with pytest.raises(Conflict):
            uow.commit()
    assert raw(dynamodb, table, series_key(seller.id, "INV")) is None  # the counter did not move: no gap
    with uow:
        assert uow.invoices.get(seller.id, draft.id).status == "draft"


def test_a_moved_series_is_reported_for_a_retry(
    uow: DynamoUnitOfWork, dynamodb: Any, table: str, seller: Account, buyer: Customer
) -> None:
    first, second = add(uow, seller, buyer), add(uow, seller, buyer)
    other = DynamoUnitOfWork(dynamodb, table)
    with uow:
        mine = uow.invoices.get(seller.id, first.id)
        sequence = uow.series.next(seller.id, SERIES)
        with other:
            theirs = other.invoices.get(seller.id, second.id)
            taken = SERIES.format(other.series.next(seller.id, SERIES))
            other.invoices.save(theirs.finalize(seller=seller, customer=buyer, number=taken, now=NOW,
                                                previous_totals=[]))
            other.commit()
        uow.invoices.save(mine.finalize(seller=seller, customer=buyer, number=SERIES.format(sequence), now=NOW,
                                        previous_totals=[]))
        with pytest.raises(SeriesMoved):
            uow.commit()


def test_documents_are_found_only_in_their_own_account(
    uow: DynamoUnitOfWork, seller: Account, buyer: Customer
) -> None:
    draft = add(uow, seller, buyer)
    intruder = make_account()
    with uow:
        with pytest.raises(NotFound):
            uow.invoices.get(intruder.id, draft.id)
        with pytest.raises(NotFound):
            uow.customers.get(intruder.id, buyer.id)
        with pytest.raises(NotFound):
            uow.invoices.events(intruder.id, draft.id)


def test_credit_never_goes_below_zero(uow: DynamoUnitOfWork, dynamodb: Any, table: str, seller: Account,
                                      buyer: Customer) -> None:
    with uow:
        uow.customers.adjust_credit(seller.id, buyer.id, 300)
        uow.commit()
    with uow:
        uow.customers.adjust_credit(seller.id, buyer.id, -301)
        with pytest.raises(InvalidInput) as raised:
            uow.commit()
    assert raised.value.code == "balance_insufficient"
    item = raw(dynamodb, table, customer_key(seller.id, buyer.id))
    assert item is not None and item["credit_balance"] == {"N": "300"} and item["outbox_count"] == {"N": "0"}
    with uow:
        uow.customers.adjust_credit(seller.id, "cus_missing", 1)
        with pytest.raises(NotFound):
            uow.commit()


def test_a_customer_save_keeps_a_concurrent_credit_change(uow: DynamoUnitOfWork, dynamodb: Any, table: str,
                                                          seller: Account, buyer: Customer) -> None:
    with uow:
        loaded = uow.customers.get(seller.id, buyer.id)
        with DynamoUnitOfWork(dynamodb, table) as other:
            other.customers.adjust_credit(seller.id, buyer.id, 500)
            other.commit()
        uow.customers.save(loaded.changed({"name": "Renamed AB"}, NOW))
        uow.commit()
    with uow:
        stored = uow.customers.get(seller.id, buyer.id)
    assert (stored.name, stored.credit_balance, stored.version) == ("Renamed AB", 500, 1)


def test_a_batch_numbers_99_invoices_in_one_transaction(
    uow: DynamoUnitOfWork, dynamodb: Any, table: str, seller: Account, buyer: Customer
) -> None:
    drafts = [add(uow, seller, buyer, 100 + i) for i in range(99)]
    service = InvoiceService(uow, FakeClock(NOW), ids=None, retry=Backoff(), documents=FakeDocuments())  # type: ignore[arg-type]
    seen = calls(dynamodb)
    outcome = service.finalize_many(seller.id, [d.id for d in drafts])
    assert not outcome.failed
    assert [i.number for i in outcome.finalized] == [SERIES.format(n) for n in range(1, 99)] + ["INV-000099"]
    assert seen["TransactWriteItems"] == 2  # 98 invoices + the counter, then the 99th with the counter


def test_concurrent_finalizations_get_distinct_gapless_numbers(
    dynamodb: Any, table: str, seller: Account, buyer: Customer, uow: DynamoUnitOfWork
) -> None:
    serialize_calls(dynamodb)  # moto is not atomic across threads; DynamoDB is (see serialized.py)
    drafts = [add(uow, seller, buyer) for _ in range(20)]
    start = threading.Barrier(len(drafts))

    def finalize(draft: Invoice) -> str:
        service = InvoiceService(DynamoUnitOfWork(dynamodb, table), FakeClock(NOW), ids=None,  # type: ignore[arg-type]
                                 retry=Backoff(), documents=FakeDocuments())
        start.wait()
        number = service.finalize(seller.id, draft.id).invoice.number
        assert number is not None
        return number

    with ThreadPoolExecutor(max_workers=len(drafts)) as pool:
        numbers = list(pool.map(finalize, drafts))
    assert sorted(numbers) == [SERIES.format(n) for n in range(1, 21)]
    assert raw(dynamodb, table, series_key(seller.id, "INV"))["seq"] == {"N": "20"}  # type: ignore[index]


def test_contention_that_outlasts_the_budget_gives_up_cleanly(
    uow: DynamoUnitOfWork, dynamodb: Any, table: str, seller: Account, buyer: Customer
) -> None:
    draft = add(uow, seller, buyer)

    def move_the_counter(params: dict[str, Any], **_: Any) -> None:
        if "TransactItems" in params:  # someone else numbers just before every attempt commits
            dynamodb.update_item(TableName=table, Key=series_key(seller.id, "INV"),
                                 UpdateExpression="SET seq = if_not_exists(seq, :zero) + :one",
                                 ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}})

    dynamodb.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", move_the_counter)
    service = InvoiceService(uow, FakeClock(NOW), ids=None, retry=Backoff(attempts=3, base=0.001),  # type: ignore[arg-type]
                             documents=FakeDocuments())
    with pytest.raises(Conflict) as raised:
        service.finalize(seller.id, draft.id)
    assert raised.value.code == "lock_timeout"
    with uow:
        assert uow.invoices.get(seller.id, draft.id).status == "draft"


def test_concurrent_credit_notes_on_one_line_never_over_credit_it(
    dynamodb: Any, table: str, seller: Account, buyer: Customer, uow: DynamoUnitOfWork
) -> None:
    serialize_calls(dynamodb)  # moto is not atomic across threads; DynamoDB is (see serialized.py)
    seats = InvoiceLine(id="il_seats", description="Seats", quantity=Decimal(3), unit_amount_decimal=Decimal(10_000))
    with uow:
        uow.accounts.save(seller.model_copy(update={"tax_ids": []}))
        uow.commit()
    draft = make_draft(seller, buyer).model_copy(update={"lines": (seats,)})
    with uow:
        invoice = draft.finalize(seller=seller, customer=buyer, number="INV-000001", now=NOW, previous_totals=[])
        uow.invoices.add(invoice)
        uow.commit()
    start = threading.Barrier(8)
    one_seat = NewCreditNote(invoice_id=invoice.id, lines=(CreditLineRequest(
        type="invoice_line_item", invoice_line_item="il_seats", quantity=Decimal(1)),))

    def credit() -> str:
        service = CreditNoteService(DynamoUnitOfWork(dynamodb, table), FakeClock(NOW), UlidIds(), Backoff(),
                                    FakeDocuments())
        start.wait()
        try:
            return service.create(seller.id, one_seat).number
        except (InvalidInput, Conflict) as error:  # no seat left (400), or contention outlasted (409)
            return error.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: credit(), range(8)))
    numbers = sorted(o for o in outcomes if o.startswith("CN-"))
    assert numbers == ["CN-000001", "CN-000002", "CN-000003"], outcomes  # three seats, three credit notes
    assert set(outcomes) - set(numbers) <= {"line_fully_credited", "lock_timeout"}
    with uow:
        stored = uow.invoices.get(seller.id, invoice.id)
    assert stored.credit_ledger.line("il_seats").quantity == 3
    assert stored.pre_payment_credit_notes_amount == 37_500 and stored.status == "paid"  # 3 x 100.00 + 25 %
