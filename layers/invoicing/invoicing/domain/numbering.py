"""Invoice and credit note numbers: gapless series, formatted `{prefix}-{seq}`.

A series is its prefix: the number's digits follow the last hyphen, so the prefix is everything
before it, and two settings with the same prefix are one series (one counter, no duplicates). The
sequence itself lives in storage and is advanced in the same commit that writes the numbered
document (the `NumberSeries` port); this module only names the series and formats.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from invoicing.domain.party import Account, Customer


class Series(BaseModel):
    """One gapless sequence: `key` (its prefix) identifies it in storage, prefix and padding format it."""

    model_config = ConfigDict(frozen=True)

    key: str
    prefix: str
    padding: int

    def format(self, sequence: int) -> str:
        if sequence < 1:
            raise ValueError("sequences start at 1")
        return f"{self.prefix}-{sequence:0{self.padding}d}"


def invoice_series(account: Account, customer: Customer) -> Series:
    numbering = account.numbering
    if numbering.scope == "customer":
        prefix = customer.invoice_prefix or default_customer_prefix(customer)
        return Series(key=prefix, prefix=prefix, padding=numbering.customer_padding)
    return Series(key=numbering.prefix, prefix=numbering.prefix, padding=numbering.padding)


def credit_note_series(account: Account) -> Series:
    prefix = account.numbering.credit_note_prefix
    return Series(key=prefix, prefix=prefix, padding=account.numbering.padding)


def default_customer_prefix(customer: Customer) -> str:
    """Stripe-like: letters of the customer's name plus the end of its id, upper case."""
    letters = "".join(ch for ch in customer.name.upper() if "A" <= ch <= "Z")[:3] or "CUS"
    return f"{letters}{customer.id[-4:].upper()}"
