"""Credit notes on one invoice that commit at the same time take turns (the invoice's version
check, and the series counter): the second runs again on the credited invoice and finds less left."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoicing.domain.errors import InvalidInput
from invoicing.services.commands import NewCreditNote, NewInvoice, NewLine
from invoicing.services.credit_notes import CreditNoteService
from tests.unit.services.conftest import Services
from tests.unit.services.fakes import FakeClock, FakeIds, FakeRetry, FakeUnitOfWork, Store
from tests.unit.services.test_services import of_line


def test_a_concurrent_credit_note_cannot_over_credit_a_line(services: Services) -> None:
    lines = (NewLine(description="Seats", quantity=Decimal(3), unit_amount_decimal=Decimal(10_000)),)
    draft = services.invoices.create_draft(services.seller.id, NewInvoice(customer_id=services.buyer.id, lines=lines))
    invoice = services.invoices.finalize(services.seller.id, draft.invoice.id).invoice
    seats = invoice.lines[0].id
    two_seats = NewCreditNote(invoice_id=invoice.id, lines=(of_line(seats, quantity="2"),))

    def another_credit_note_commits_first(store: Store) -> None:
        other = CreditNoteService(FakeUnitOfWork(store), FakeClock(services.clock.now()), FakeIds(), FakeRetry(),
                                  services.credit_notes.documents)
        assert other.create(services.seller.id, two_seats).number == "CN-000001"

    services.uow.before_commit = another_credit_note_commits_first
    # Ours read the invoice with 3 seats left; the other took 2 before ours committed: ours runs
    # again on the fresh invoice, where only 1 is left.
    with pytest.raises(InvalidInput) as raised:
        services.credit_notes.create(services.seller.id, two_seats)
    assert raised.value.code == "credit_exceeds_line"
    stored = services.invoices.get(services.seller.id, invoice.id).invoice
    assert stored.credit_ledger.line(seats).quantity == 2
    assert stored.pre_payment_credit_notes_amount == 25_000  # 2 x 100.00 + 25 %
    one = services.credit_notes.create(services.seller.id, NewCreditNote(invoice_id=invoice.id,
                                                                         lines=(of_line(seats, quantity="1"),)))
    assert one.number == "CN-000002"
