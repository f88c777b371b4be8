"""The final invoice that deducts prepayments already paid (EN 16931 BT-113, BG-3).

A prepayment invoice (`Invoice.prepayment`, BT-3 386) charges VAT on an advance (Directive
2006/112/EC Art. 65). When the supply is made, the final invoice states the whole supply with all of
its VAT and deducts what the prepayment invoices were paid: its paid amount (BT-113) is what it
deducts (with any customer credit applied), and the amount due (BT-115) is the total (BT-112) less
that. It names each prepayment invoice it deducts as a preceding invoice (BG-3: BT-25, BT-26).

Each prepayment is deducted at most once: a prepayment invoice keeps how much of it final invoices
have deducted (`Invoice.prepayment_deducted`), raised in the same commit that finalizes the final
invoice, so two final invoices cannot both deduct the same money.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from invoicing.domain.errors import InvalidInput

if TYPE_CHECKING:
    from invoicing.domain.invoice import Invoice

MAX_PREPAYMENTS = 10


class DeductedPrepayment(BaseModel):
    """A prepayment invoice a final invoice deducts, and how much of it (VAT included)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    invoice_id: str
    number: str  # BT-25 of its BG-3
    issue_date: date | None = None  # BT-26
    amount: int = Field(gt=0, description="Minor units, VAT included: part of BT-113")


def deductible(prepayment: Invoice) -> int:
    """What of a paid prepayment invoice final invoices may still deduct: what was paid for it (in
    money or from the customer's credit balance), less what credit notes gave back and what final
    invoices already deducted."""
    return prepayment.amount_paid + prepayment.applied_balance - prepayment.post_payment_credit_notes_amount \
        - prepayment.prepayment_deducted


def deduction(prepayment: Invoice, *, customer_id: str, currency: str, amount: int | None,
              param: str) -> DeductedPrepayment:
    """The deduction a final invoice of `customer_id` in `currency` may make of `prepayment`: `amount`,
    or everything still deductible. 400 naming `param` otherwise."""
    who = prepayment.number or prepayment.id
    if not prepayment.prepayment or prepayment.number is None:
        raise InvalidInput(f"Invoice {who} is not a prepayment invoice (prepayment: true).", param=param,
                           code="prepayment_invalid")
    if prepayment.customer_id != customer_id or prepayment.currency != currency:
        raise InvalidInput(f"Prepayment invoice {who} is another customer's or in another currency.", param=param,
                           code="prepayment_invalid")
    if prepayment.status != "paid":
        raise InvalidInput(f"Prepayment invoice {who} is {prepayment.status}: only a paid prepayment is deducted.",
                           param=param, code="prepayment_not_paid")
    left = deductible(prepayment)
    wanted = left if amount is None else amount
    if wanted <= 0 or wanted > left:
        raise InvalidInput(f"Prepayment invoice {who} has {left} left to deduct, not {wanted}.",
                           param=f"{param}.amount" if amount is not None else param, code="prepayment_exceeded")
    return DeductedPrepayment(invoice_id=prepayment.id, number=prepayment.number, issue_date=prepayment.issue_date,
                              amount=wanted)
