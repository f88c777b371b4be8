"""Use cases for the seller's account: its details, branding and numbering."""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

from invoicing.domain.errors import InvalidInput
from invoicing.domain.party import Account
from invoicing.services.commands import AccountUpdate
from invoicing.services.customers import checked_tax_ids
from invoicing.services.ports import Accounts


@dataclass(frozen=True)
class AccountService:
    accounts: Accounts

    def get(self, account_id: str) -> Account:
        return self.accounts.get(account_id)

    def update(self, account_id: str, cmd: AccountUpdate) -> Account:
        current = self.accounts.get(account_id)
        changes = {name: getattr(cmd, name) for name in cmd.model_fields_set if name != "tax_ids"}
        if "tax_ids" in cmd.model_fields_set:
            changes["tax_ids"] = checked_tax_ids(cmd.tax_ids or [])
        if cmd.iban is not None:
            changes["iban"] = _checked(stdnum_iban, cmd.iban, "iban")
        if cmd.bic is not None:
            changes["bic"] = _checked(stdnum_bic, cmd.bic, "bic")
        updated = Account.model_validate({**current.model_dump(), **changes})
        self.accounts.put(updated)
        return updated


def _checked(module: object, value: str, param: str) -> str:
    try:
        return str(module.validate(value))  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise InvalidInput(f"'{value}' is not a valid {param.upper()}: {exc}.", param=param) from exc
