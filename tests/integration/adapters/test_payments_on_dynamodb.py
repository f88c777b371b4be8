"""Reconciliation on the DynamoDB unit of work (moto): the services' payment tests again, the review
queue on its index, and 20 payments racing for one invoice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from invoicing.adapters.dynamodb import Backoff, DynamoUnitOfWork
from invoicing.adapters.ids import UlidIds
from invoicing.services.payments import PaymentService
from tests.integration.adapters.serialized import serialize_calls
from tests.unit.services.conftest import (  # noqa: F401 - the fixtures, built on this package's `uow`
    Services,
    payments,
    services,
    statement_files,
    statements,
)
from tests.unit.services.test_payments import *  # noqa: F403 - every reconciliation test, on DynamoDB too
from tests.unit.services.test_payments import credit, open_invoice, paid, stored
from tests.unit.services.test_statements import *  # noqa: F403 - statement uploads, on DynamoDB too


def test_twenty_concurrent_payments_on_one_invoice_are_each_applied_once_never_below_zero(
        services: Services, dynamodb: Any, table: str) -> None:  # noqa: F811 - the fixture
    invoice = open_invoice(services)  # 12 500
    serialize_calls(dynamodb)  # moto is not atomic across threads; DynamoDB is (see serialized.py)
    keys = [f"stripe:pi_{i:02d}" for i in range(20)]

    def pay(key: str) -> Any:
        service = PaymentService(DynamoUnitOfWork(dynamodb, table), services.clock, UlidIds(), Backoff())
        return service.receive(services.seller.id, paid(key, 1_000, invoice_id=invoice.id), source="stripe")

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(pay, keys + keys))  # each delivered twice, all at once

    first = {o.payment.id: o.payment for o in outcomes if not o.duplicate}
    assert len(first) == 20 and sum(o.duplicate for o in outcomes) == 20
    after = stored(services, invoice.id)
    assert after.amount_paid == 12_500 and after.amount_remaining == 0 and after.status == "paid"
    applied = sum(a.amount for p in first.values() for a in p.allocation.applications)
    credited = sum(p.allocation.credit for p in first.values())
    assert applied == 12_500 and credited == 7_500 == credit(services)
    assert all(p.allocation.applied + p.allocation.credit == 1_000 for p in first.values())
    events = [e.type for e in services.invoices.events(services.seller.id, invoice.id)]
    assert events.count("invoice.paid") == 1 and events.count("invoice.partially_paid") == 12
