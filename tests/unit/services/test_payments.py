"""Reconciliation (services/payments.py) against the ports: fakes here, DynamoDB in
tests/integration/adapters/test_payments_on_dynamodb.py (the same tests, collected there too)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from invoicing.domain.errors import Conflict, InvalidInput
from invoicing.domain.payment_matching import IncomingPayment
from invoicing.services.commands import NewInvoice, NewLine
from invoicing.services.payments import PaymentService
from tests.unit.domain.builders import customer
from tests.unit.services.conftest import Services
from tests.unit.services.fakes import _Invoices


def open_invoice(s: Services, amount: int = 10_000, customer_id: str | None = None) -> Any:
    """A finalized invoice; 25 % Swedish VAT on `amount` net."""
    lines = (NewLine(description="Work", quantity=Decimal(1), unit_amount_decimal=Decimal(amount)),)
    draft = s.invoices.create_draft(s.seller.id, NewInvoice(customer_id=customer_id or s.buyer.id, lines=lines))
    return s.invoices.finalize(s.seller.id, draft.invoice.id).invoice


def stored(s: Services, invoice_id: str) -> Any:
    return s.invoices.get(s.seller.id, invoice_id).invoice


def credit(s: Services, customer_id: str | None = None) -> int:
    return s.customers.get(s.seller.id, customer_id or s.buyer.id).credit_balance


def paid(key: str, amount: int, **fields: Any) -> IncomingPayment:
    return IncomingPayment(key=key, amount=amount, currency=fields.pop("currency", "EUR"), **fields)


def event_types(s: Services, invoice_id: str) -> list[str]:
    return [e.type for e in s.invoices.events(s.seller.id, invoice_id)]


def test_a_payment_quoting_the_reference_pays_its_invoice_once_however_often_it_arrives(
        services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)
    entry = paid("bank:SE45:ref-1", invoice.amount_due, structured_reference=invoice.payment_reference)
    first = payments.receive(services.seller.id, entry, source="bank_statement")
    again = [payments.receive(services.seller.id, entry, source="bank_statement") for _ in range(2)]
    assert first.payment.status == "applied" and first.payment.rule == "reference"
    assert [r.duplicate for r in again] == [True, True]
    assert {r.payment.id for r in again} == {first.payment.id}
    after = stored(services, invoice.id)
    assert after.status == "paid" and after.amount_paid == invoice.amount_due and after.amount_remaining == 0
    assert event_types(services, invoice.id).count("invoice.paid") == 1


def test_a_reference_finds_its_invoice_beyond_the_open_invoices_read_for_matching(
        services: Services, payments: PaymentService, monkeypatch: pytest.MonkeyPatch) -> None:
    # Matching reads at most MATCH_CANDIDATES open invoices; a payment quoting its invoice's RF
    # reference or OCR number finds it through the reference index however many are open.
    monkeypatch.setattr("invoicing.services.payments.MATCH_CANDIDATES", 1)
    invoices = [open_invoice(services, amount=10_000 + i) for i in range(3)]
    for i, invoice in enumerate(invoices):
        reference = invoice.payment_reference if i % 2 == 0 else (invoice.ocr_reference or invoice.payment_reference)
        entry = paid(f"bank:SE45:ref-{i}", invoice.amount_due, remittance_text=f"Betalning {reference}")
        recorded = payments.receive(services.seller.id, entry, source="bank_statement")
        assert recorded.payment.status == "applied", (i, recorded.payment)
        assert [a.invoice_id for a in recorded.payment.allocation.applications] == [invoice.id]
        assert stored(services, invoice.id).status == "paid"


def test_the_reference_index_is_asked_only_when_not_every_open_invoice_was_read(
        services: Services, payments: PaymentService, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every open invoice was read: one the payment's reference names would be among them, so the
    # index has nothing more to find (a webhook's payment; a statement's book asks it for invoices
    # finalized after the file was read).
    asked: list[object] = []
    monkeypatch.setattr(_Invoices, "by_number_digits", lambda self, account_id, digits: asked.append(digits) or [])
    invoice = open_invoice(services)
    stranger = paid("bank:SE45:stranger", 999, remittance_text="Betalning RF18INV999999")
    assert payments.receive(services.seller.id, stranger, source="bank_statement").payment.status == "unmatched"
    assert asked == []
    monkeypatch.setattr("invoicing.services.payments.MATCH_CANDIDATES", 1)
    payments.receive(services.seller.id, paid("bank:SE45:stranger-2", 999, remittance_text="RF18INV999999"),
                     source="bank_statement")
    assert len(asked) == 1
    assert stored(services, invoice.id).status == "open"


def test_a_partial_payment_lowers_what_remains_and_leaves_the_invoice_open(
        services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)  # 12 500
    payments.receive(services.seller.id, paid("stripe:pi_1", 5_000, invoice_id=invoice.id), source="stripe")
    after = stored(services, invoice.id)
    assert (after.status, after.amount_paid, after.amount_remaining) == ("open", 5_000, 7_500)
    assert event_types(services, invoice.id)[-1] == "invoice.partially_paid"
    payments.receive(services.seller.id, paid("stripe:pi_2", 7_500, invoice_id=invoice.id), source="stripe")
    assert stored(services, invoice.id).status == "paid"


def test_an_overpayment_becomes_credit_used_by_the_next_invoice(services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)  # 12 500
    recorded = payments.receive(services.seller.id, paid("stripe:pi_1", 15_000, invoice_id=invoice.id),
                                source="stripe")
    assert recorded.payment.allocation.credit == 2_500
    assert credit(services) == 2_500
    following = open_invoice(services)  # 12 500, of which the credit pays 2 500
    assert following.applied_balance == 2_500 and following.amount_due == 10_000
    assert credit(services) == 0


def test_paying_an_invoice_that_is_paid_already_is_credit_for_its_customer(
        services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)
    payments.receive(services.seller.id, paid("stripe:pi_1", 12_500, invoice_id=invoice.id), source="stripe")
    second = payments.receive(services.seller.id, paid("stripe:pi_2", 12_500, invoice_id=invoice.id),
                              source="stripe")
    assert second.payment.status == "applied" and second.payment.allocation.applications == ()
    assert credit(services) == 12_500
    assert stored(services, invoice.id).amount_paid == 12_500


def test_one_transfer_for_a_customers_invoices_settles_the_group(services: Services, payments: PaymentService) -> None:
    first, second, third = open_invoice(services, 10_000), open_invoice(services, 4_000), open_invoice(services, 2_000)
    text = f"invoices {first.number} and {third.number}"
    recorded = payments.receive(services.seller.id, paid("bank:SE45:ref-9", 12_500 + 2_500, remittance_text=text),
                                source="bank_statement")
    assert recorded.payment.rule == "invoice_number"
    assert stored(services, first.id).status == "paid" and stored(services, third.id).status == "paid"
    assert stored(services, second.id).status == "open"


def test_a_payment_matching_nothing_waits_for_a_person_who_applies_it(
        services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)
    recorded = payments.receive(services.seller.id, paid("bank:SE45:ref-2", 12_500, payer_name="Someone Else"),
                                source="bank_statement")
    assert recorded.payment.status == "unmatched"
    queue = payments.list(services.seller.id, status="unmatched", limit=10, starting_after=None)
    assert [p.id for p in queue.data] == [recorded.payment.id]
    view = payments.get(services.seller.id, recorded.payment.id)
    assert view.payment.suggestions[0].invoice_id == invoice.id  # the same amount ranks first
    applied = payments.apply(services.seller.id, recorded.payment.id, [invoice.id])
    assert applied.status == "applied" and applied.rule == "manual"
    assert stored(services, invoice.id).status == "paid"
    assert payments.list(services.seller.id, status="unmatched", limit=10, starting_after=None).data == []
    with pytest.raises(Conflict):
        payments.apply(services.seller.id, recorded.payment.id, [invoice.id])


def test_applying_to_another_customers_invoices_at_once_is_refused(
        services: Services, payments: PaymentService) -> None:
    other = customer("SE", id="cus_other", name="Other Buyer")
    with services.uow:
        services.uow.customers.add(other)
        services.uow.commit()
    mine, theirs = open_invoice(services), open_invoice(services, customer_id="cus_other")
    recorded = payments.receive(services.seller.id, paid("bank:x:1", 100), source="bank_statement")
    with pytest.raises(InvalidInput):
        payments.apply(services.seller.id, recorded.payment.id, [mine.id, theirs.id])
    assert stored(services, mine.id).amount_paid == 0


def test_a_refund_reopens_what_the_payment_paid_and_takes_back_its_credit(
        services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)  # 12 500
    recorded = payments.receive(services.seller.id, paid("stripe:pi_1", 13_000, invoice_id=invoice.id),
                                source="stripe")
    partial = payments.take_back(services.seller.id, recorded.payment.id, reversal_key="evt_1", amount=1_500,
                                 kind="refund")
    assert credit(services) == 0  # the 500 of credit first, then 1 000 off the invoice
    after = stored(services, invoice.id)
    assert (after.status, after.amount_remaining) == ("open", 1_000)
    assert partial.payment.status == "applied" and partial.payment.amount_refunded == 1_500
    again = payments.take_back(services.seller.id, recorded.payment.id, reversal_key="evt_1", amount=1_500,
                               kind="refund")
    assert again.duplicate and stored(services, invoice.id).amount_remaining == 1_000
    rest = payments.refunded_to(services.seller.id, recorded.payment.id, reversal_key="evt_2", total_refunded=13_000)
    assert rest.payment.status == "refunded"
    assert stored(services, invoice.id).amount_remaining == 12_500
    assert "invoice.reopened" in event_types(services, invoice.id)


def test_pay_invoice_records_a_manual_payment_of_what_remains(services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)
    payments.receive(services.seller.id, paid("stripe:pi_1", 2_500, invoice_id=invoice.id), source="stripe")
    view = payments.pay_invoice(services.seller.id, invoice.id)
    assert view.invoice.status == "paid" and view.invoice.amount_paid == 12_500
    manual = payments.list(services.seller.id, status=None, limit=10, starting_after=None).data
    assert sorted(p.amount for p in manual) == [2_500, 10_000]
    with pytest.raises(Conflict):
        payments.pay_invoice(services.seller.id, invoice.id)


def test_a_failed_charge_is_recorded_once_and_applies_nothing(services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)
    failure = paid("stripe:failed:pi_9", 12_500, invoice_id=invoice.id)
    first = payments.record_failure(services.seller.id, failure, source="stripe", message="card_declined")
    again = payments.record_failure(services.seller.id, failure, source="stripe", message="card_declined")
    assert first.payment.status == "failed" and again.duplicate
    assert stored(services, invoice.id).amount_paid == 0



def test_what_was_refunded_of_an_unmatched_payment_is_not_applied_later(
        services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)  # 12 500
    waiting = payments.receive(services.seller.id, paid("bank:x:7", 12_500), source="bank_statement").payment
    payments.take_back(services.seller.id, waiting.id, reversal_key="evt_r", amount=2_500, kind="refund")
    applied = payments.apply(services.seller.id, waiting.id, [invoice.id])
    assert applied.allocation.applied == 10_000 and applied.allocation.credit == 0
    assert stored(services, invoice.id).amount_remaining == 2_500
