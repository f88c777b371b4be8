"""Proration: what a change of price or quantity in the middle of a period credits and charges.

A change at `change_at` inside the period [start, end) gives two lines, each for the rest of the
period, [change_at, end):
- a credit for the unused time on the old item: -(old item's amount for a full period) x fraction;
- a charge for the remaining time on the new item: +(new item's amount for a full period) x fraction.

The fraction is the unused share of the period, by `proration_basis`:
- `seconds` (Stripe's, the default): seconds from the change to the end / seconds in the period;
- `days` (Lago's and Kill Bill's): whole days from the change's date to the end's date / days in
  the period, dates in UTC; the day of the change is charged on the new item.

Rounding: each line is rounded once, half up (away from zero for the credit), to the currency's
minor unit: the item's exact full-period amount (domain/pricing.py, unrounded) after the discounts it
has in the period (`Item.discounts`: Stripe reflects a subscription's discounts in its prorations'
amounts), times the fraction, then `round_minor`. So a credit and a charge of the same amount cancel
exactly, and a zero-decimal currency (JPY) prorates to whole yen.

`proration_behavior`: `create_prorations` gives the lines (for the next invoice), `always_invoice`
gives them and asks for an invoice now, `none` gives no lines. Metered prices are billed in arrears
on their usage and are never prorated (as in Stripe).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from typing import Literal

from pydantic import Field

from invoicing.domain.catalog import Price
from invoicing.domain.errors import InvalidInput
from invoicing.domain.line_texts import LineTexts
from invoicing.domain.money import round_minor
from invoicing.domain.party import Model
from invoicing.domain.pricing import PRECISION
from invoicing.domain.totals import Discount

ProrationBehavior = Literal["create_prorations", "none", "always_invoice"]
ProrationBasis = Literal["seconds", "days"]
_SECOND = timedelta(seconds=1)
HUNDRED = Decimal(100)


class Item(Model):
    """A subscription item as proration sees it: a price, a quantity, and the discounts it has in the
    period, in the order they apply (a discount rule's, then the coupon's)."""

    price: Price
    quantity: Decimal = Field(default=Decimal(1), ge=0)
    discounts: tuple[Discount, ...] = ()

    def exact_amount(self, currency: str) -> Decimal:
        """The item's amount for a full period after its discounts, unrounded: a percentage takes its
        share of what is left, an amount that much (never below zero)."""
        with localcontext(prec=PRECISION):
            amount = self.price.exact_amount(self.quantity, currency)
            for discount in self.discounts:
                if discount.percent_off is not None:
                    amount -= amount * discount.percent_off / HUNDRED
                else:
                    amount -= min(amount, Decimal(discount.amount_off or 0))
            return amount


class ProrationLine(Model):
    """One proration line: negative for the credit, positive for the charge."""

    kind: Literal["credit", "charge"]
    price_id: str
    quantity: Decimal
    amount: int
    currency: str
    period_start: datetime
    period_end: datetime
    description: str  # in the customer's language (domain/line_texts.py)


class Proration(Model):
    lines: tuple[ProrationLine, ...]
    invoice_now: bool  # always_invoice: bill the lines on an invoice right away

    @property
    def net(self) -> int:
        return sum(line.amount for line in self.lines)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise InvalidInput("Times must carry their time zone.", param="proration_date")
    return moment.astimezone(UTC)


def unused_fraction(start: datetime, end: datetime, change_at: datetime, basis: ProrationBasis) -> Decimal:
    """The share of [start, end) left at `change_at`, exact (a ratio of whole seconds or days)."""
    start, end, change_at = _utc(start), _utc(end), _utc(change_at)
    if not start < end:
        raise InvalidInput("The period must end after it starts.", param="period")
    if not start <= change_at <= end:
        raise InvalidInput("The change must fall within the current period.", param="proration_date")
    if basis == "days":
        remaining, whole = (end.date() - change_at.date()).days, (end.date() - start.date()).days
        if whole == 0:  # a period within one day: by seconds
            return unused_fraction(start, end, change_at, "seconds")
    else:
        remaining, whole = (end - change_at) // _SECOND, (end - start) // _SECOND
    with localcontext(prec=PRECISION):
        return Decimal(remaining) / Decimal(whole)


def _line(kind: Literal["credit", "charge"], item: Item, currency: str, fraction: Decimal, change_at: datetime,
          end: datetime, texts: LineTexts) -> ProrationLine:
    with localcontext(prec=PRECISION):
        exact = item.exact_amount(currency) * fraction
    magnitude = round_minor(exact)
    what = f"{texts.quantity(item.quantity)} × {item.price.nickname or item.price.id}"
    return ProrationLine(kind=kind, price_id=item.price.id, quantity=item.quantity,
                         amount=-magnitude if kind == "credit" else magnitude, currency=currency,
                         period_start=change_at, period_end=end,
                         description=texts.prorated(kind, what, [d.description for d in item.discounts]))


def prorate(
    old: Item | None,
    new: Item | None,
    *,
    currency: str,
    period_start: datetime,
    period_end: datetime,
    change_at: datetime,
    behavior: ProrationBehavior = "create_prorations",
    basis: ProrationBasis = "seconds",
    texts: LineTexts,
) -> Proration:
    """The proration lines of replacing `old` by `new` at `change_at` (None: an item added or removed),
    described by `texts` (in the customer's language)."""
    for item in (old, new):
        if item is not None and item.price.recurring is None:
            raise InvalidInput(f"Price '{item.price.id}' is one-time: only recurring prices are prorated.",
                               param="price")
    fraction = unused_fraction(period_start, period_end, change_at, basis)
    if behavior == "none":
        return Proration(lines=(), invoice_now=False)
    lines = []
    if old is not None and not old.price.metered:
        lines.append(_line("credit", old, currency, fraction, _utc(change_at), _utc(period_end), texts))
    if new is not None and not new.price.metered:
        lines.append(_line("charge", new, currency, fraction, _utc(change_at), _utc(period_end), texts))
    return Proration(lines=tuple(lines), invoice_now=behavior == "always_invoice")
