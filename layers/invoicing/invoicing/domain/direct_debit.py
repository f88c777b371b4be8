"""SEPA direct debit (EN 16931 BG-19): the seller collects an invoice from the buyer's account under
the buyer's mandate, instead of asking the buyer to transfer the amount.

Where each part lives: the mandate is the customer's (`Customer.direct_debit`: its reference, BT-89,
and the IBAN it allows debiting, BT-91); the SEPA creditor identifier (BT-90) is the seller's
(`Account.sepa_creditor_id`). An invoice in euro for a customer with a mandate is collected by direct
debit (`debited_under`): its payment means is code 59 alone (SEPA direct debit is euro-only, and the
buyer is not asked to pay otherwise), and its PDF says the amount will be debited. Without the
seller's creditor identifier no such collection can be made: finalizing is refused
(`direct_debit_creditor_id_missing`).

Checked with python-stdnum: the IBAN (`stdnum.iban`) and the creditor identifier (`stdnum.eu.at_02`,
its ISO 7064 MOD 97-10 check digits), kept in their compact forms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator
from stdnum import iban as stdnum_iban
from stdnum.eu import at_02
from stdnum.exceptions import ValidationError as StdnumError

if TYPE_CHECKING:
    from invoicing.domain.invoice import Invoice
    from invoicing.domain.party import Account, Customer

SEPA_DIRECT_DEBIT = "59"  # UNCL 4461
SEPA_CURRENCY = "EUR"
# A SEPA mandate reference (MndtId): up to 35 characters of the SEPA character set, no spaces.
MANDATE_REFERENCE_PATTERN = r"^[A-Za-z0-9+?/:().,'-]{1,35}$"


class DirectDebitMandate(BaseModel):
    """The customer's SEPA direct debit mandate (BG-19): BT-89 and BT-91."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mandate_reference: str = Field(pattern=MANDATE_REFERENCE_PATTERN, examples=["MNDT-2026-0042"],
                                   description="BT-89: the mandate's reference, as the signed mandate states it "
                                               "(up to 35 letters, digits and + ? / - : ( ) . , ')")
    iban: str = Field(max_length=42, examples=["DE02120300000000202051"],
                      description="BT-91: the IBAN debited, checked and kept without spaces")

    @field_validator("iban")
    @classmethod
    def _valid_iban(cls, value: str) -> str:
        try:
            return str(stdnum_iban.validate(value))
        except StdnumError as exc:
            raise ValueError(f"{value!r} is not a valid IBAN ({exc})") from None

    @property
    def masked_iban(self) -> str:
        """The debited account as the PDF names it: its last four characters only."""
        return "•••• " + self.iban[-4:]


def compact_creditor_id(value: str) -> str:
    """A SEPA creditor identifier (`DE98ZZZ09999999999`) in its compact form, or ValueError."""
    try:
        return str(at_02.validate(value))
    except StdnumError as exc:
        raise ValueError(f"{value!r} is not a valid SEPA creditor identifier ({exc}): two letters of the "
                         "country, two check digits, a business code (ZZZ when none) and the national "
                         "identifier, e.g. DE98ZZZ09999999999") from None


def debited_under(invoice: Invoice, customer: Customer) -> DirectDebitMandate | None:
    """The mandate an invoice is collected under: the customer's, for an invoice in euro."""
    if customer.direct_debit is None or invoice.currency != SEPA_CURRENCY:
        return None
    return customer.direct_debit


def creditor_id_missing(invoice: Invoice, seller: Account, customer: Customer) -> bool:
    """An invoice to be collected by direct debit from a seller without a SEPA creditor identifier."""
    return debited_under(invoice, customer) is not None and not seller.sepa_creditor_id
