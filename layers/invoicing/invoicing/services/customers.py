"""Use cases for customers (the buyers)."""

from __future__ import annotations

from dataclasses import dataclass

from invoicing.adapters.clock import Clock
from invoicing.adapters.ids import new_id
from invoicing.domain.party import Customer, TaxId, validated_tax_id
from invoicing.services.commands import CustomerCreate, CustomerUpdate, TaxIdIn
from invoicing.services.ports import Customers, Page


def checked_tax_ids(tax_ids: list[TaxIdIn]) -> list[TaxId]:
    """Tax IDs in compact form, each checked with python-stdnum (format and check digits)."""
    return [validated_tax_id(t.type, t.value, param=f"tax_ids[{i}].value") for i, t in enumerate(tax_ids)]


@dataclass(frozen=True)
class CustomerService:
    customers: Customers
    clock: Clock

    def create(self, account_id: str, cmd: CustomerCreate) -> Customer:
        fields = cmd.model_dump(exclude={"tax_ids"})
        customer = Customer(
            id=new_id("cus"), account_id=account_id, created=self.clock.now(),
            tax_ids=checked_tax_ids(cmd.tax_ids), **fields,
        )
        self.customers.add(customer)
        return customer

    def update(self, account_id: str, customer_id: str, cmd: CustomerUpdate) -> Customer:
        current = self.customers.get(account_id, customer_id)
        changes = {name: getattr(cmd, name) for name in cmd.model_fields_set if name != "tax_ids"}
        if "tax_ids" in cmd.model_fields_set:
            changes["tax_ids"] = checked_tax_ids(cmd.tax_ids or [])
        updated = Customer.model_validate({**current.model_dump(), **changes})
        self.customers.update(updated)
        return updated

    def get(self, account_id: str, customer_id: str) -> Customer:
        return self.customers.get(account_id, customer_id)

    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[Customer]:
        return self.customers.list(account_id, limit=limit, starting_after=starting_after)
