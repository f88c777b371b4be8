"""A bank statement, as the parsers of camt.053, camt.054 and MT940 files hand it over: entries
booked on the seller's account, each one payment (a batch entry is split into its transactions).

Amounts are integer minor units of their currency, parsed exactly from the file's decimal strings
(`amount_minor`); an amount with more decimals than its currency has is refused, never rounded,
since a statement that does not add up must not be half-applied.

`entry_reference` is what a reconciliation applies a payment once on: the bank's own reference
of the entry (camt `AcctSvcrRef`, MT940 `:61:` bank reference) when the file has one, otherwise a
digest of where and what the entry is in its statement, which is the same every time the same
file arrives.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel, ConfigDict

from invoicing.domain.errors import InvalidInput, UnknownCurrency
from invoicing.domain.money import exponent, normalize_currency

StatementFormat = Literal["camt.053", "camt.054", "mt940"]
Direction = Literal["credit", "debit"]

# ISO 20022 ActiveOrHistoricCurrencyAndAmount: up to 18 digits, at most 5 after the point.
_AMOUNT = re.compile(r"\d{1,18}(\.\d{0,5})?|\.\d{1,5}")


class StatementRejected(InvalidInput):
    """A statement file that cannot be read: not the format it claims, hostile, too large, or
    with an entry that cannot be taken exactly. Nothing of such a file is applied."""

    code = "statement_rejected"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StatementEntry(_Model):
    """One payment in or out of the account, in the words a reconciliation needs."""

    entry_reference: str  # the bank's reference of the entry, unique within its account
    account: str | None = None  # the seller's account it was booked on (IBAN or other identifier)
    booking_date: date | None = None
    value_date: date | None = None
    amount: int  # minor units, positive: what was booked on the account
    currency: str
    direction: Direction
    reversal: bool = False  # the entry undoes an earlier one (camt RvslInd, MT940 RC/RD)
    booked: bool = True  # camt Sts BOOK (PDNG/INFO entries are not money on the account yet)
    charges: int = 0  # minor units the bank took, included in `amount` when `charges_included`
    charges_included: bool = False
    structured_reference: str | None = None  # CdtrRefInf/Ref: an RF reference or an OCR number
    remittance_text: str | None = None  # the unstructured remittance information
    payer_name: str | None = None  # the other party: the payer of a credit, the payee of a debit
    payer_iban: str | None = None
    end_to_end_id: str | None = None
    bank_transaction_code: str | None = None

    @property
    def idempotency_key(self) -> str:
        """What a reconciliation applies this payment once on, however often its file arrives."""
        return f"bank:{self.account or ''}:{self.entry_reference}"

    @property
    def paid_amount(self) -> int:
        """What the payer sent: the booked amount plus the charges the bank took out of it (the
        seller's bank fee is the seller's cost, not a shortfall of the customer's)."""
        return self.amount + (self.charges if self.charges_included else 0)


class BankStatement(_Model):
    format: StatementFormat
    version: str | None = None  # "001.02" ... "001.08" for camt
    statement_id: str
    account: str | None = None  # the account's IBAN (or its other identifier)
    currency: str | None = None
    entries: tuple[StatementEntry, ...] = ()


def amount_minor(text: str | None, currency: str | None) -> int:
    """`"1234.5"` EUR -> 123450, exactly: the decimal string, never a float. Trailing zeros
    beyond the currency's digits are fine (`"12.300"` EUR); other digits there are refused."""
    if text is None or currency is None:
        raise StatementRejected("An amount or its currency is missing.", param="amount")
    compact = text.strip()
    if not _AMOUNT.fullmatch(compact):
        raise StatementRejected(f"'{text}' is not an amount (digits, at most 5 decimals).", param="amount")
    try:
        code = normalize_currency(currency)
        value = Decimal(compact).scaleb(exponent(code))
    except UnknownCurrency as error:
        raise StatementRejected(f"'{currency}' is not an ISO 4217 currency code.", param="currency") from error
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only decimals
        raise StatementRejected(f"'{text}' is not an amount.", param="amount") from error
    if value != value.to_integral_value():
        raise StatementRejected(
            f"The amount {compact} {code} has more decimals than {code} has ({exponent(code)}).", param="amount"
        )
    return int(value)


def derived_entry_reference(*parts: object) -> str:
    """A stable key for an entry the bank gave no reference: the same parts, the same key."""
    digest = hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()
    return f"sha256:{digest[:32]}"
