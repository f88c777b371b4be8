"""Gapless numbering: the series counter moves only in the transaction that writes the document."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from invoicing.adapters.dynamodb import Backoff, DuplicateNumber, DynamoCustomers, DynamoInvoices, NumberingContention
from invoicing.adapters.ids import new_id
from invoicing.domain.credit_note import CreditNote, split_credit
from invoicing.domain.errors import Conflict
from invoicing.domain.invoice import Invoice
from invoicing.domain.numbering import Series, credit_note_series, invoice_series
from invoicing.domain.party import Account, Customer
from tests.integration.adapters.conftest import NOW, created_event, finalizer, make_account, make_customer, make_draft
from tests.integration.adapters.serialized import serialize_calls

SERIES = Series(key="invoice#account#INV", prefix="INV", padding=6)


def draft_of(invoices: DynamoInvoices, seller: Account, customer: Customer, amount: int = 10_000) -> Invoice:
    draft = make_draft(seller, customer, amount=amount)
    invoices.add(draft, created_event(draft))
    return draft


def item(dynamodb: Any, table: str, pk: str, sk: str) -> dict[str, Any] | None:
    return dynamodb.get_item(TableName=table, Key={"PK": {"S": pk}, "SK": {"S": sk}}).get("Item")


def counter(dynamodb: Any, table: str, seller: Account, series: Series = SERIES) -> int | None:
    found = item(dynamodb, table, f"ACCOUNT#{seller.id}", f"SERIES#{series.key}")
    return None if found is None else int(found["seq"]["N"])


def test_finalize_numbers_in_order_and_claims_and_records(
    invoices: DynamoInvoices, dynamodb: Any, table: str, seller: Account, buyer: Customer
) -> None:
    first, second = draft_of(invoices, seller, buyer), draft_of(invoices, seller, buyer)

    one = invoices.finalize(first, SERIES, finalizer(seller, buyer, first), credit_used=0)
    two = invoices.finalize(second, SERIES, finalizer(seller, buyer, second), credit_used=0)

    assert (one.number, two.number) == ("INV-000001", "INV-000002")
    assert invoices.get(seller.id, first.id) == one
    assert one.status == "open" and one.version == first.version + 1
    assert counter(dynamodb, table, seller) == 2
    claim = item(dynamodb, table, f"ACCOUNT#{seller.id}", "NUMBER#INV-000002")
    assert claim is not None and claim["document_id"]["S"] == second.id
    finalized = invoices.events(first.id)[-1]
    assert finalized.type == "invoice.finalized"
    assert finalized.status == "open" and finalized.data["number"] == "INV-000001"
    assert finalized.at == one.status_transitions.finalized_at


def test_series_are_independent(invoices: DynamoInvoices, seller: Account, buyer: Customer) -> None:
    per_customer = invoice_series(seller.model_copy(update={"numbering": seller.numbering.model_copy(
        update={"scope": "customer"})}), buyer)
    a, b = draft_of(invoices, seller, buyer), draft_of(invoices, seller, buyer)
    assert invoices.finalize(a, SERIES, finalizer(seller, buyer, a), credit_used=0).number == "INV-000001"
    numbered = invoices.finalize(b, per_customer, finalizer(seller, buyer, b), credit_used=0).number
    assert numbered == f"{per_customer.prefix}-0001"


def test_finalize_on_a_stale_draft_conflicts_and_leaves_the_counter(
    invoices: DynamoInvoices, dynamodb: Any, table: str, seller: Account, buyer: Customer
) -> None:
    warmup = draft_of(invoices, seller, buyer)
    invoices.finalize(warmup, SERIES, finalizer(seller, buyer, warmup), credit_used=0)
    draft = draft_of(invoices, seller, buyer)
    edited = draft.edited(description="changed meanwhile", version=draft.version + 1)
    invoices.save(edited, expected_version=draft.version, event=None)

    with pytest.raises(Conflict) as raised:
        invoices.finalize(draft, SERIES, finalizer(seller, buyer, draft), credit_used=0)
    assert "finalized or changed concurrently" in raised.value.message
    assert counter(dynamodb, table, seller) == 1
    assert item(dynamodb, table, f"ACCOUNT#{seller.id}", "NUMBER#INV-000002") is None
    assert invoices.get(seller.id, draft.id).status == "draft"
    # The next finalization takes the number that was not used: no gap.
    assert invoices.finalize(edited, SERIES, finalizer(seller, buyer, edited), credit_used=0).number == "INV-000002"


def test_finalizing_twice_conflicts(invoices: DynamoInvoices, dynamodb: Any, table: str, seller: Account,
                                    buyer: Customer) -> None:
    draft = draft_of(invoices, seller, buyer)
    invoices.finalize(draft, SERIES, finalizer(seller, buyer, draft), credit_used=0)
    with pytest.raises(Conflict):
        invoices.finalize(draft, SERIES, finalizer(seller, buyer, draft), credit_used=0)
    assert counter(dynamodb, table, seller) == 1


def test_a_blocked_draft_does_not_move_the_counter(
    invoices: DynamoInvoices, dynamodb: Any, table: str, seller: Account, customers: DynamoCustomers
) -> None:
    no_email = make_customer(seller, email=None)
    customers.add(no_email)
    draft = draft_of(invoices, seller, no_email)
    with pytest.raises(Conflict) as raised:
        invoices.finalize(draft, SERIES, finalizer(seller, no_email, draft), credit_used=0)
    assert raised.value.code == "finalization_blocked"
    assert counter(dynamodb, table, seller) is None


def test_credit_balance_is_consumed_in_the_same_transaction(
    invoices: DynamoInvoices, customers: DynamoCustomers, seller: Account
) -> None:
    customer = make_customer(seller, credit_balance=3_000)
    customers.add(customer)
    draft = draft_of(invoices, seller, customer)
    stored = customers.get(seller.id, customer.id)

    finalized = invoices.finalize(draft, SERIES, finalizer(seller, stored, draft), credit_used=3_000)

    assert finalized.applied_balance == 3_000
    assert finalized.amount_due == finalized.totals.total - 3_000
    assert customers.get(seller.id, customer.id).credit_balance == 0


def test_credit_spent_meanwhile_cancels_everything(
    invoices: DynamoInvoices, customers: DynamoCustomers, dynamodb: Any, table: str, seller: Account
) -> None:
    customer = make_customer(seller, credit_balance=3_000)
    customers.add(customer)
    stale = customers.get(seller.id, customer.id)
    customers.adjust_credit_balance(seller.id, customer.id, -2_000)  # another invoice took most of it
    draft = draft_of(invoices, seller, customer)

    with pytest.raises(Conflict) as raised:
        invoices.finalize(draft, SERIES, finalizer(seller, stale, draft), credit_used=3_000)
    assert raised.value.param == "credit_balance"
    assert counter(dynamodb, table, seller) is None
    assert invoices.get(seller.id, draft.id).status == "draft"
    assert customers.get(seller.id, customer.id).credit_balance == 1_000


def test_a_claimed_number_is_never_skipped_silently(
    invoices: DynamoInvoices, dynamodb: Any, table: str, seller: Account, buyer: Customer
) -> None:
    # A credit note series formatting the same numbers as the invoice series claimed INV-000001 first.
    dynamodb.put_item(TableName=table, Item={"PK": {"S": f"ACCOUNT#{seller.id}"}, "SK": {"S": "NUMBER#INV-000001"},
                                             "document_id": {"S": "cn_x"}})
    draft = draft_of(invoices, seller, buyer)
    with pytest.raises(DuplicateNumber, match="INV-000001"):
        invoices.finalize(draft, SERIES, finalizer(seller, buyer, draft), credit_used=0)
    assert counter(dynamodb, table, seller) is None
    assert invoices.get(seller.id, draft.id).status == "draft"


def test_contention_that_outlasts_the_budget_gives_up_cleanly(
    dynamodb: Any, table: str, seller: Account, buyer: Customer
) -> None:
    invoices = DynamoInvoices(dynamodb, table, backoff=Backoff(attempts=3, sleep=lambda _: None))
    draft = draft_of(invoices, seller, buyer)
    rival = draft_of(invoices, seller, buyer)

    def build_while_someone_else_wins(number: str, sequence: int) -> Invoice:
        # Every attempt, another finalization takes the number between our read and our write.
        other = invoices.get(seller.id, rival.id)
        if other.status == "draft":
            invoices.finalize(other, SERIES, finalizer(seller, buyer, other), credit_used=0)
        else:
            dynamodb.update_item(
                TableName=table, Key={"PK": {"S": f"ACCOUNT#{seller.id}"}, "SK": {"S": f"SERIES#{SERIES.key}"}},
                UpdateExpression="SET seq = seq + :one", ExpressionAttributeValues={":one": {"N": "1"}},
            )
        return finalizer(seller, buyer, draft)(number, sequence)

    with pytest.raises(NumberingContention) as raised:
        invoices.finalize(draft, SERIES, build_while_someone_else_wins, credit_used=0)
    assert raised.value.code == "lock_timeout"
    assert invoices.get(seller.id, draft.id).status == "draft"


def test_concurrent_finalizations_get_distinct_gapless_numbers(
    dynamodb: Any, table: str, seller: Account, buyer: Customer
) -> None:
    serialize_calls(dynamodb)  # moto is not atomic across threads; DynamoDB is (see serialized.py)
    invoices = DynamoInvoices(dynamodb, table)
    drafts = [draft_of(invoices, seller, buyer) for _ in range(20)]
    start = threading.Barrier(len(drafts))

    def finalize(draft: Invoice) -> str:
        start.wait()
        finalized = invoices.finalize(draft, SERIES, finalizer(seller, buyer, draft), credit_used=0)
        assert finalized.number is not None
        return finalized.number

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(drafts)) as pool:
        numbers = list(pool.map(finalize, drafts))

    assert sorted(numbers) == [SERIES.format(n) for n in range(1, 21)]
    assert counter(dynamodb, table, seller) == 20
    stored = {invoices.get(seller.id, d.id).number for d in drafts}
    assert stored == set(numbers)
    assert time.monotonic() - began < 30


# --- credit notes ----------------------------------------------------------------------------

def credit(invoice: Invoice, amount: int) -> Any:
    """The builder a credit note service passes in."""
    credited, kind = invoice.credited(amount, NOW)

    def build(number: str, _sequence: int) -> tuple[CreditNote, Invoice]:
        groups = split_credit(invoice, amount)
        tax = sum(g.tax_amount for g in groups)
        note = CreditNote(
            id=new_id("cn"), account_id=invoice.account_id, invoice_id=invoice.id,
            invoice_number=invoice.number or "", customer_id=invoice.customer_id, number=number,
            currency=invoice.currency, amount=amount, subtotal=amount - tax, tax=tax, tax_groups=groups,
            type=kind, issue_date=NOW, created=NOW,
        )
        return note, credited

    return build, (amount if kind == "post_payment" else 0)


def test_credit_notes_have_their_own_gapless_series(
    invoices: DynamoInvoices, customers: DynamoCustomers, seller: Account, buyer: Customer
) -> None:
    draft = draft_of(invoices, seller, buyer)
    invoice = invoices.finalize(draft, SERIES, finalizer(seller, buyer, draft), credit_used=0)
    series = credit_note_series(seller)

    build, customer_credit = credit(invoice, 1_000)
    first, credited = invoices.issue_credit_note(invoice, series, build, customer_credit=customer_credit)
    build, customer_credit = credit(credited, 500)
    second, credited_again = invoices.issue_credit_note(credited, series, build, customer_credit=customer_credit)

    assert (first.number, second.number) == ("CN-000001", "CN-000002")
    assert invoices.get_credit_note(seller.id, first.id) == first
    stored = invoices.get(seller.id, invoice.id)
    assert stored == credited_again
    assert stored.pre_payment_credit_notes_amount == 1_500
    assert stored.amount_due == invoice.amount_due - 1_500
    assert customers.get(seller.id, buyer.id).credit_balance == 0  # before payment: no customer credit
    assert [e.type for e in invoices.events(invoice.id)] == [
        "invoice.created", "invoice.finalized", "credit_note.created", "credit_note.created"]

    page = invoices.list_credit_notes(seller.id, invoice.id, limit=1, starting_after=None)
    assert [n.id for n in page.data] == [second.id] and page.has_more
    page = invoices.list_credit_notes(seller.id, invoice.id, limit=1, starting_after=second.id)
    assert [n.id for n in page.data] == [first.id] and not page.has_more
    assert invoices.list_credit_notes(make_account().id, invoice.id, limit=10, starting_after=None).data == []


def test_crediting_a_paid_invoice_credits_the_customer(
    invoices: DynamoInvoices, customers: DynamoCustomers, seller: Account, buyer: Customer
) -> None:
    draft = draft_of(invoices, seller, buyer)
    invoice = invoices.finalize(draft, SERIES, finalizer(seller, buyer, draft), credit_used=0)
    paid = invoice.pay(NOW)
    invoices.save(paid, expected_version=invoice.version, event=None)

    build, customer_credit = credit(paid, 2_500)
    note, _ = invoices.issue_credit_note(paid, credit_note_series(seller), build, customer_credit=customer_credit)

    assert note.type == "post_payment" and customer_credit == 2_500
    assert customers.get(seller.id, buyer.id).credit_balance == 2_500


def test_crediting_the_whole_amount_settles_the_invoice(
    invoices: DynamoInvoices, seller: Account, buyer: Customer
) -> None:
    draft = draft_of(invoices, seller, buyer)
    invoice = invoices.finalize(draft, SERIES, finalizer(seller, buyer, draft), credit_used=0)
    build, customer_credit = credit(invoice, invoice.amount_due)
    _, credited = invoices.issue_credit_note(invoice, credit_note_series(seller), build,
                                             customer_credit=customer_credit)
    assert credited.status == "paid"
    assert [e.type for e in invoices.events(invoice.id)][-2:] == ["credit_note.created", "invoice.paid"]


def test_a_credit_note_on_a_stale_invoice_conflicts_and_leaves_the_series(
    invoices: DynamoInvoices, dynamodb: Any, table: str, seller: Account, buyer: Customer
) -> None:
    draft = draft_of(invoices, seller, buyer)
    invoice = invoices.finalize(draft, SERIES, finalizer(seller, buyer, draft), credit_used=0)
    series = credit_note_series(seller)
    build, _ = credit(invoice, 1_000)
    invoices.issue_credit_note(invoice, series, build, customer_credit=0)

    build, _ = credit(invoice, 1_000)  # built from the invoice as it was before the first credit note
    with pytest.raises(Conflict):
        invoices.issue_credit_note(invoice, series, build, customer_credit=0)
    assert counter(dynamodb, table, seller, series) == 1
