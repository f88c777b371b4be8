"""Use cases for the seller's account: its details, branding and numbering."""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

from invoicing.domain.errors import InvalidInput
from invoicing.domain.party import Account
from invoicing.services.commands import Changes
from invoicing.services.customers import changes_of
from invoicing.services.ports import UnitOfWork


@dataclass(frozen=True)
class AccountService:
    uow: UnitOfWork

    def get(self, account_id: str) -> Account:
        with self.uow:
            return self.uow.accounts.get(account_id)

    def update(self, account_id: str, cmd: Changes) -> Account:
        changes = changes_of(cmd)
        if changes.get("iban") is not None:
            changes["iban"] = _checked(stdnum_iban, str(changes["iban"]), "iban")
        if changes.get("bic") is not None:
            changes["bic"] = _checked(stdnum_bic, str(changes["bic"]), "bic")
        with self.uow:
            current = self.uow.accounts.get(account_id)
            updated = current.changed(changes)
            self.uow.accounts.save(updated)
            self.uow.commit()
            return updated


def _checked(module: object, value: str, param: str) -> str:
    try:
        return str(module.validate(value))  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise InvalidInput(f"'{value}' is not a valid {param.upper()}: {exc}.", param=param) from exc
