"""How a payment's money is spread over invoices, and how a reversal takes it back.

Pure arithmetic over integer minor units, shared by every path a payment arrives by (bank
statement, payment provider, manual entry):

- a payment is applied to its invoices in the order given, each getting at most what remains due
  on it; what is left over is credit for the customer (used by the next invoice at finalization);
- so `sum(applications) + credit == payment amount`, and no invoice's `amount_remaining` goes
  below zero;
- a reversal (a recalled bank payment, a refund) takes back exactly what its payment did: each
  invoice is reopened by what it received, and the credit is withdrawn as far as the customer
  still has it; what was already spent of that credit is the `credit_shortfall`, for a person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from invoicing.domain.errors import InvalidInput


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Application(_Model):
    """Part of a payment applied to one invoice."""

    invoice_id: str
    amount: int = Field(gt=0)


class Allocation(_Model):
    applications: tuple[Application, ...] = ()
    credit: int = Field(default=0, ge=0)  # the overpayment, credit for the customer

    @property
    def applied(self) -> int:
        return sum(a.amount for a in self.applications)


class ReversalPlan(_Model):
    """What undoing a payment changes: invoices reopened by what each received, credit withdrawn."""

    reopen: tuple[Application, ...] = ()
    credit_withdrawn: int = Field(default=0, ge=0)
    credit_shortfall: int = Field(default=0, ge=0)  # credit already used on a later invoice


def allocate(amount: int, targets: Sequence[tuple[str, int]]) -> Allocation:
    """Spread `amount` over `targets` (invoice id, amount remaining) in order; the rest is credit.

    `allocate(15_000, [("a", 10_000), ("b", 10_000)])` -> a 10 000, b 5 000 (b stays open).
    """
    if amount <= 0:
        raise InvalidInput("A payment's amount must be positive.", param="amount")
    seen: set[str] = set()
    left = amount
    applications = []
    for invoice_id, remaining in targets:
        if invoice_id in seen:
            raise InvalidInput(f"Invoice {invoice_id} is named twice.", param="invoice")
        seen.add(invoice_id)
        if remaining < 0:
            raise InvalidInput(f"Invoice {invoice_id} has a negative amount remaining.", param="invoice")
        share = min(left, remaining)
        if share > 0:
            applications.append(Application(invoice_id=invoice_id, amount=share))
            left -= share
    return Allocation(applications=tuple(applications), credit=left)


def apply_to_remaining(remaining: Mapping[str, int], applications: Iterable[Application]) -> dict[str, int]:
    """Invoices' `amount_remaining` after `applications`. An application larger than what remains
    is refused (two payments racing for one invoice: the second must be allocated again)."""
    after = dict(remaining)
    for application in applications:
        current = after.get(application.invoice_id)
        if current is None:
            raise InvalidInput(f"Invoice {application.invoice_id} is not open.", param="invoice")
        if application.amount > current:
            raise InvalidInput(
                f"Invoice {application.invoice_id} has {current} remaining; {application.amount} cannot be applied.",
                param="amount", code="amount_exceeds_remaining",
            )
        after[application.invoice_id] = current - application.amount
    return after


def plan_reversal(original: Allocation, available_credit: int) -> ReversalPlan:
    """Undo `original`: reopen each invoice by what it received; withdraw its credit as far as the
    customer still has it (`available_credit`)."""
    if available_credit < 0:
        raise InvalidInput("A credit balance is never negative.", param="credit")
    withdrawn = min(original.credit, available_credit)
    return ReversalPlan(reopen=original.applications, credit_withdrawn=withdrawn,
                        credit_shortfall=original.credit - withdrawn)


def reopen_remaining(remaining: Mapping[str, int], plan: ReversalPlan) -> dict[str, int]:
    """Invoices' `amount_remaining` after a reversal: what each received is owed again."""
    after = dict(remaining)
    for application in plan.reopen:
        after[application.invoice_id] = after.get(application.invoice_id, 0) + application.amount
    return after
