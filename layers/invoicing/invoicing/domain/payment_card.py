"""Payment by card (EN 16931 BG-18): the seller charges an invoice to the buyer's card instead of
asking the buyer to transfer the amount.

The card is the customer's (`Customer.payment_card`): the last digits of its number (BT-87), its
holder's name (BT-88) and its kind, which gives the payment means code (UNCL 4461: 54 credit card,
55 debit card, 48 bank card when the kind is not known). A `charge_automatically` invoice for such a
customer is paid by that card (`charged_to`): its payment means is that code alone with the card, no
account to transfer to, and its PDF, email and hosted page say the amount is charged to the card
ending in those digits. The charge itself is the payment provider's, on the customer's
`default_payment_method`: the card here is what the invoice says about it.

A SEPA direct debit mandate (domain/direct_debit.py) takes precedence: an invoice collected by
direct debit is not charged to a card.

PCI DSS, and EN 16931's BR-51: an invoice never holds a full card number. Only 4 to 6 digits are
taken, and nothing else (no expiry date, no security code).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from invoicing.domain.direct_debit import debited_under

if TYPE_CHECKING:
    from invoicing.domain.invoice import Invoice
    from invoicing.domain.party import Customer

CardKind = Literal["credit", "debit", "card"]
# UNCL 4461 codes and names of a card payment.
CARD_MEANS: dict[CardKind, tuple[str, str]] = {"credit": ("54", "Credit card"), "debit": ("55", "Debit card"),
                                               "card": ("48", "Bank card")}
# UBL requires a card's network (cbc:NetworkID, which EN 16931 does not map): not known here, so the
# neutral value the CEN CII-to-UBL mapping and Peppol BIS's example write.
CARD_NETWORK_NOT_KNOWN = "NA"
LAST_DIGITS_PATTERN = r"^[0-9]{4,6}$"


class PaymentCard(BaseModel):
    """The card a customer's invoices are charged to (BG-18): never its full number."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    last_digits: str = Field(pattern=LAST_DIGITS_PATTERN, examples=["4242"],
                             description="BT-87: the last 4 to 6 digits of the card number, never the full number "
                                         "(PCI DSS)")
    holder_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = \
        Field(default=None, description="BT-88: the cardholder's name")
    kind: CardKind = Field(default="card", description="credit (payment means 54), debit (55) or card, a bank card "
                                                       "of unknown kind (48)")

    @field_validator("last_digits", mode="before")
    @classmethod
    def _digits_only(cls, value: object) -> object:
        if isinstance(value, str) and not (value.isascii() and value.isdigit() and 4 <= len(value) <= 6):
            raise ValueError("must be the last 4 to 6 digits of the card number only: an invoice never holds a "
                             "full card number (PCI DSS, EN 16931 BR-51)")
        return value

    @property
    def means_code(self) -> str:
        """BT-81: 54, 55 or 48."""
        return CARD_MEANS[self.kind][0]

    @property
    def means_text(self) -> str:
        """BT-82: the code's UNCL 4461 name."""
        return CARD_MEANS[self.kind][1]

    @property
    def masked(self) -> str:
        """The card as the PDF names it: its last digits only."""
        return "•••• " + self.last_digits


def charged_to(invoice: Invoice, customer: Customer) -> PaymentCard | None:
    """The card an invoice is paid by: the customer's, for a `charge_automatically` invoice that is
    not collected by SEPA direct debit (which takes precedence)."""
    if customer.payment_card is None or invoice.collection_method != "charge_automatically":
        return None
    if debited_under(invoice, customer) is not None:
        return None
    return customer.payment_card
