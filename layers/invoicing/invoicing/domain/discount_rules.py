"""Automatic discounts by rule: a discount that applies by itself to the subscription lines that meet
its conditions, without a coupon (a volume discount from 10 seats, 20 % for the `nonprofit` segment).

A rule has conditions, all of which must hold for a line, and one effect:

- `customer_segment`: the customer carries the segment (its tags, `Customer.segments`);
- `min_quantity`: the line's quantity — an item's seats, or a metered item's usage for the period —
  is at least this;
- `product`, `price`: the line is for that product, or that price.

- `percent_off` (up to 2 decimals): the line's amount x percent / 100, rounded once, half up;
- `amount_off` in the rule's `currency`: that much off the line, at most the line's amount. A line in
  another currency is not discounted by it: amounts are never converted.

Which lines: a subscription's item lines for the period a boundary bills (its licensed items in
advance, its metered items' usage in arrears). Proration lines and late-usage adjustments are not
discounted on the invoice, as in Stripe (prorations are not discountable): a proration's amount
already reflects the rule its item met in the period (`rule_discounts`, domain/subscription.py).

One rule per line: when several match, the one that takes the most off the line applies (a tie: the
oldest rule, ids sort by creation), so rules never stack into more than any one of them gives. The
rule is the line's discount, named by the rule's `name`; the totals take it off the line before the
invoice's coupon, which is computed on what the lines come to after their discounts, and both before
tax (EN 16931: line allowances, then document allowances, then VAT).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal, localcontext
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from invoicing.domain.catalog import CatalogObject
from invoicing.domain.money import normalize_currency, round_minor
from invoicing.domain.party import Customer, Segment
from invoicing.domain.subscription import PlannedLine
from invoicing.domain.totals import Discount

HUNDRED = Decimal(100)
MAX_ACTIVE_RULES = 100  # an account's active rules are read whole at every billed boundary


class DiscountRule(CatalogObject):
    object: Literal["discount_rule"] = "discount_rule"
    name: str = Field(min_length=1, max_length=40)
    active: bool = True
    customer_segment: Segment | None = None
    min_quantity: Decimal | None = Field(default=None, gt=0, le=10**12, decimal_places=12)
    product: str | None = Field(default=None, max_length=64)
    price: str | None = Field(default=None, max_length=64)
    percent_off: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=2)
    amount_off: int | None = Field(default=None, ge=1)
    currency: str | None = None

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return None if value is None else normalize_currency(value)

    @model_validator(mode="after")
    def _consistent(self) -> DiscountRule:
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValueError("a discount rule has exactly one of percent_off or amount_off")
        if (self.amount_off is None) != (self.currency is None):
            raise ValueError("an amount_off rule needs its currency, and only it takes one")
        if self.customer_segment is None and self.min_quantity is None and self.product is None \
                and self.price is None:
            raise ValueError("a discount rule needs a condition: customer_segment, min_quantity, product or price")
        return self

    def matches(self, line: PlannedLine, segments: Iterable[str], currency: str) -> bool:
        if line.units is None or not self.active:
            return False
        if self.amount_off is not None and self.currency != normalize_currency(currency):
            return False
        return ((self.customer_segment is None or self.customer_segment in segments)
                and (self.min_quantity is None or line.units >= self.min_quantity)
                and (self.product is None or line.product_id == self.product)
                and (self.price is None or line.price_id == self.price))

    def discount_on(self, amount: int) -> int:
        """What the rule takes off a line of `amount` (minor units): never more than the amount."""
        if amount <= 0:
            return 0
        if self.percent_off is not None:
            return min(amount, round_minor(Decimal(amount) * self.percent_off / HUNDRED))
        return min(amount, self.amount_off or 0)

    def as_discount(self, amount: int) -> Discount:
        """The rule as the line's discount: a percentage stays one (the totals compute the same amount)."""
        if self.percent_off is not None:
            return Discount(description=self.name, percent_off=self.percent_off)
        return Discount(description=self.name, amount_off=self.discount_on(amount))

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "object": "discount_rule", "name": self.name, "active": self.active,
                "percent_off": None if self.percent_off is None else format(self.percent_off.normalize(), "f"),
                "amount_off": self.amount_off, "currency": self.currency}

    def record_created(self, at: datetime) -> DiscountRule:
        return self._recorded("discount_rule.created", at)

    def deactivated(self, at: datetime) -> DiscountRule:
        if not self.active:
            return self
        changed = self.model_copy(update={"active": False, "version": self.version + 1})
        return changed._recorded("discount_rule.updated", at)


def line_amount(line: PlannedLine) -> int:
    """The line's amount before discounts, as the totals compute it (quantity x unit amount, rounded once)."""
    with localcontext(prec=60):
        return round_minor(line.quantity * line.unit_amount_decimal)


def best_rule(rules: Sequence[DiscountRule], line: PlannedLine, segments: Iterable[str],
              currency: str) -> DiscountRule | None:
    """The rule that takes the most off the line (a tie: the oldest), or None."""
    amount = line_amount(line)
    segments = frozenset(segments)
    matching = [r for r in sorted(rules, key=lambda r: (r.created, r.id)) if r.matches(line, segments, currency)]
    best = max(matching, key=lambda r: r.discount_on(amount), default=None)  # max keeps the first of a tie
    return best if best is not None and best.discount_on(amount) > 0 else None


def rule_discounts(rules: Sequence[DiscountRule], line: PlannedLine, customer: Customer,
                   currency: str) -> tuple[Discount, ...]:
    """The discount the line's best rule gives it (none when no rule takes anything off)."""
    rule = best_rule(rules, line, customer.segments, currency) if rules else None
    return (rule.as_discount(line_amount(line)),) if rule is not None else ()


def with_rule_discounts(lines: Sequence[PlannedLine], rules: Sequence[DiscountRule], customer: Customer,
                        currency: str) -> list[PlannedLine]:
    """The lines, each item line of the billed period with the discount of its best rule."""
    return [replace(line, discounts=(*line.discounts, *rule_discounts(rules, line, customer, currency)))
            for line in lines]
