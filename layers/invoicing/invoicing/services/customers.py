"""Use cases for customers (the buyers)."""

from __future__ import annotations

from dataclasses import dataclass

from invoicing.domain.errors import InvalidInput
from invoicing.domain.party import Customer, TaxId, validated_tax_id
from invoicing.services.commands import Changes, TaxIdInput
from invoicing.services.ports import Clock, Ids, Page, UnitOfWork


def checked_tax_ids(tax_ids: list[TaxIdInput]) -> list[TaxId]:
    """Tax IDs in compact form, each checked with python-stdnum (format and check digits)."""
    return [validated_tax_id(t.type, t.value, param=f"tax_ids[{i}].value") for i, t in enumerate(tax_ids)]


def changes_of(cmd: Changes) -> dict[str, object]:
    changes = dict(cmd.fields)
    if cmd.tax_ids is not None:
        changes["tax_ids"] = checked_tax_ids(cmd.tax_ids)
    return changes


@dataclass(frozen=True)
class CustomerService:
    uow: UnitOfWork
    clock: Clock
    ids: Ids

    def create(self, account_id: str, cmd: Changes) -> Customer:
        now = self.clock.now()
        customer = Customer.model_validate({
            **changes_of(Changes(cmd.fields, cmd.tax_ids or [])),
            "id": self.ids.new("cus"), "account_id": account_id, "created": now,
        }).record_created(now)
        with self.uow:
            if customer.test_clock:
                self.uow.test_clocks.get(account_id, customer.test_clock)  # 404 for a clock that does not exist
            self.uow.customers.add(customer)
            self.uow.commit()
        return customer

    def update(self, account_id: str, customer_id: str, cmd: Changes) -> Customer:
        if "test_clock" in cmd.fields:
            raise InvalidInput("A customer is attached to a test clock when it is created.", param="test_clock")
        with self.uow:
            current = self.uow.customers.get(account_id, customer_id)
            updated = current.changed(changes_of(cmd), self.clock.now())
            self.uow.customers.save(updated)
            self.uow.commit()
            return updated

    def get(self, account_id: str, customer_id: str) -> Customer:
        with self.uow:
            return self.uow.customers.get(account_id, customer_id)

    def list(self, account_id: str, *, limit: int, starting_after: str | None,
             segment: str | None = None) -> Page[Customer]:
        with self.uow:
            if segment:
                return self.uow.customers.list_in_segment(account_id, segment, limit=limit,
                                                          starting_after=starting_after)
            return self.uow.customers.list(account_id, limit=limit, starting_after=starting_after)
