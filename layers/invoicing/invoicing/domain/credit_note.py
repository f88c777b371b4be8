"""Credit notes: the only way to correct a finalized invoice.

A credit note carries its own number (a gapless series of its own) and the tax it reverses,
spread over the invoice's tax groups in proportion to their gross amounts so the parts add up.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from invoicing.domain.invoice import Invoice
from invoicing.domain.money import allocate, round_minor


class CreditNoteTaxGroup(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: str
    percent: Decimal
    name: str
    exemption_reason: str | None
    taxable_amount: int
    tax_amount: int


class CreditNote(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    object: Literal["credit_note"] = "credit_note"
    account_id: str
    invoice_id: str
    invoice_number: str
    customer_id: str
    number: str
    currency: str
    amount: int  # total credited, including tax
    subtotal: int  # excluding tax
    tax: int
    tax_groups: tuple[CreditNoteTaxGroup, ...]
    type: Literal["pre_payment", "post_payment"]
    reason: Literal["duplicate", "fraudulent", "order_change", "product_unsatisfactory"] | None = None
    memo: str | None = None
    issue_date: datetime
    created: datetime

    def summary(self) -> dict[str, Any]:
        """The credit note as events carry it."""
        return {"id": self.id, "object": "credit_note", "number": self.number, "invoice": self.invoice_id,
                "customer": self.customer_id, "currency": self.currency, "amount": self.amount,
                "type": self.type}


def split_credit(invoice: Invoice, amount: int) -> tuple[CreditNoteTaxGroup, ...]:
    """Spread a gross credit over the invoice's tax groups, each part split into net and tax."""
    assert invoice.totals is not None
    groups = invoice.totals.tax_groups
    parts = allocate(amount, [g.taxable_amount + g.tax_amount for g in groups])
    result = []
    for group, part in zip(groups, parts, strict=True):
        gross = group.taxable_amount + group.tax_amount
        tax = round_minor(Decimal(part) * group.tax_amount / gross) if gross else 0
        result.append(CreditNoteTaxGroup(category=group.category, percent=group.percent, name=group.name,
                                         exemption_reason=group.exemption_reason,
                                         taxable_amount=part - tax, tax_amount=tax))
    return tuple(result)
