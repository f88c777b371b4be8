"""Moto-backed fixtures for the adapter tests: tables built from template.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from invoicing.adapters.dynamodb import DynamoUnitOfWork
from invoicing.adapters.ids import new_id
from invoicing.domain.invoice import Invoice, InvoiceLine
from invoicing.domain.party import Account, Address, Customer, validated_tax_id
from tests.integration.tables import create_tables_from_template

TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"
REGION = "eu-west-1"
NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


@pytest.fixture
def table_template() -> Path:
    return TEMPLATE


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Only moto: no endpoint (the local emulator's) or profile from the shell may leak in.
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def dynamodb(aws: None) -> Any:
    return boto3.client("dynamodb", region_name=REGION)


@pytest.fixture
def tables(dynamodb: Any, table_template: Path) -> dict[str, str]:
    return create_tables_from_template(dynamodb, table_template)


@pytest.fixture
def table(tables: dict[str, str]) -> str:
    return tables["InvoicingTable"]


@pytest.fixture
def uow(dynamodb: Any, table: str) -> DynamoUnitOfWork:
    return DynamoUnitOfWork(dynamodb, table)


# --- domain objects --------------------------------------------------------------------------

STOCKHOLM = Address(line1="Drottninggatan 1", city="Stockholm", postal_code="111 51", country="SE")


def make_account(**changes: Any) -> Account:
    # A seller that may charge Swedish VAT: its VAT number and bank details are on every invoice.
    fields: dict[str, Any] = {"name": "Seller AB", "email": "billing@seller.example", "address": STOCKHOLM,
                              "tax_ids": [validated_tax_id("eu_vat", "SE556703748501")],
                              "iban": "SE4550000000058398257466", "created": NOW}
    fields.update(changes)
    return Account(id=new_id("acct"), **fields)


def make_customer(account: Account, **changes: Any) -> Customer:
    fields: dict[str, Any] = {"name": "Buyer AB", "email": "ap@buyer.example", "address": STOCKHOLM, "created": NOW}
    fields.update(changes)
    return Customer(id=new_id("cus"), account_id=account.id, **fields)


def make_draft(account: Account, customer: Customer, *, amount: int = 10_000, due: date | None = None) -> Invoice:
    return Invoice(
        id=new_id("inv"), account_id=account.id, customer_id=customer.id, currency="EUR", due_date=due,
        lines=(InvoiceLine(id=new_id("il"), description="Consulting", quantity=Decimal(1),
                           unit_amount_decimal=Decimal(amount)),),
        created=NOW,
    )


@pytest.fixture
def seller() -> Account:
    return make_account()


@pytest.fixture
def buyer(seller: Account, uow: DynamoUnitOfWork) -> Customer:
    customer = make_customer(seller)
    with uow:
        uow.accounts.save(seller)
        uow.commit()
    with uow:
        uow.customers.add(customer)
        uow.commit()
    return customer
