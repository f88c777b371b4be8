"""The services over in-memory fakes. tests/integration/adapters/test_services_on_dynamodb.py runs
the same tests with the DynamoDB unit of work instead (it overrides `uow`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from invoicing.domain.party import Account, Customer
from invoicing.services.accounts import AccountService
from invoicing.services.catalog import CatalogService
from invoicing.services.credit_notes import CreditNoteService
from invoicing.services.customers import CustomerService
from invoicing.services.invoices import InvoiceService
from invoicing.services.payments import PaymentService
from invoicing.services.statements import StatementService
from tests.unit.domain.builders import NOW, customer, seller
from tests.unit.services.fakes import (
    FakeClock,
    FakeDocuments,
    FakeIds,
    FakeRetry,
    FakeStatementFiles,
    FakeUnitOfWork,
)


@dataclass
class Services:
    uow: Any
    clock: FakeClock
    accounts: AccountService
    customers: CustomerService
    invoices: InvoiceService
    credit_notes: CreditNoteService
    catalog: CatalogService
    seller: Account
    buyer: Customer


@pytest.fixture
def uow() -> Any:
    return FakeUnitOfWork()


@pytest.fixture
def services(uow: Any) -> Services:
    clock, ids, retry, documents = FakeClock(NOW), FakeIds(), FakeRetry(), FakeDocuments()
    account = seller("SE", iban="SE4550000000058398257466")
    buyer = customer("SE")
    with uow:
        uow.accounts.save(account)
        uow.commit()
    with uow:
        uow.customers.add(buyer)
        uow.commit()
    return Services(
        uow=uow, clock=clock,
        accounts=AccountService(uow), customers=CustomerService(uow, clock, ids),
        invoices=InvoiceService(uow, clock, ids, retry, documents),
        credit_notes=CreditNoteService(uow, clock, ids, retry, documents),
        catalog=CatalogService(uow, clock, ids),
        seller=account, buyer=buyer,
    )


@pytest.fixture
def payments(services: Services) -> PaymentService:
    return PaymentService(services.uow, services.clock, FakeIds(), FakeRetry(10))


@pytest.fixture
def statement_files() -> FakeStatementFiles:
    return FakeStatementFiles()


@pytest.fixture
def statements(services: Services, payments: PaymentService, statement_files: FakeStatementFiles) -> StatementService:
    from invoicing.adapters.bank_statements import parse_statement

    return StatementService(services.uow, services.clock, FakeIds(), statement_files, payments, parse_statement)
