"""Reconciliation on the fakes only: a payment losing a race to another commit (the fake lets a
test commit in between; on DynamoDB, 20 real threads race in test_payments_on_dynamodb.py), and the
events each payment leaves in the outbox, as their schemas in docs/events/ say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from invoicing.services.payments import PaymentService
from invoicing.services.statements import StatementService
from local.camt import Entry, camt053
from tests.unit.services.conftest import Services
from tests.unit.services.fakes import FakeIds, FakeRetry
from tests.unit.services.test_payments import credit, open_invoice, paid, stored
from tests.unit.services.test_statements import upload

SCHEMAS = Path(__file__).resolve().parents[3] / "docs" / "events"


def test_a_payment_that_loses_a_race_for_an_invoice_is_allocated_again(
        services: Services, payments: PaymentService) -> None:
    invoice = open_invoice(services)  # 12 500

    def another_payment_commits_first(store: Any) -> None:
        other = PaymentService(type(services.uow)(store), services.clock, FakeIds(), FakeRetry())
        other.receive(services.seller.id, paid("stripe:pi_first", 10_000, invoice_id=invoice.id), source="stripe")

    services.uow.before_commit = another_payment_commits_first
    ours = payments.receive(services.seller.id, paid("stripe:pi_second", 10_000, invoice_id=invoice.id),
                            source="stripe")
    after = stored(services, invoice.id)
    assert after.amount_paid == 12_500 and after.amount_remaining == 0
    assert ours.payment.allocation.applications[0].amount == 2_500 and ours.payment.allocation.credit == 7_500
    assert credit(services) == 7_500



def test_every_payment_event_is_in_the_outbox_as_its_schema_says(services: Services, payments: PaymentService) -> None:
    invoice, other = open_invoice(services), open_invoice(services)
    account = services.seller.id
    payments.receive(account, paid("stripe:pi_1", 5_000, invoice_id=invoice.id), source="stripe")
    full = payments.receive(account, paid("stripe:pi_2", 9_000, invoice_id=invoice.id), source="stripe")
    waiting = payments.receive(account, paid("bank:x:2", 777), source="bank_statement")
    payments.apply(account, waiting.payment.id, [other.id])
    payments.take_back(account, full.payment.id, reversal_key="evt_r", amount=None, kind="refund")
    payments.record_failure(account, paid("stripe:failed:pi_3", 100), source="stripe", message="declined")
    published = [e.model_dump(mode="json") for e in services.uow.store.outbox]
    types = {e["type"] for e in published}
    assert {"payment.received", "payment.applied", "payment.unmatched", "payment.refunded", "payment.failed",
            "invoice.paid", "invoice.partially_paid", "invoice.reopened"} <= types
    for event in published:
        jsonschema.validate(event, json.loads((SCHEMAS / f"{event['type']}.json").read_text()))


def test_statement_events_are_as_their_schemas_say(services: Services, statements: StatementService,
                                                   statement_files: Any) -> None:
    invoice = open_invoice(services)
    upload(statements, statement_files, camt053(Entry("R-1", "125.00", structured_reference=invoice.payment_reference)),
           services.seller.id)
    upload(statements, statement_files, b"not a statement", services.seller.id)
    published = [e.model_dump(mode="json") for e in services.uow.store.outbox if e.aggregate == "bank_statement"]
    assert [e["type"] for e in published] == ["statement.received", "statement.reconciled", "statement.rejected"]
    for event in published:
        jsonschema.validate(event, json.loads((SCHEMAS / f"{event['type']}.json").read_text()))
