"""What a quantity costs under a price, as Stripe's Price object defines it: exact, rounded once.

A price's amounts in one currency are its `PriceTerms`:

- `per_unit`: quantity x `unit_amount_decimal`; with `transform_quantity` (packages) the quantity is
  first divided by `divide_by` and rounded to a whole package, `up` or `down`, as Stripe does.
- `tiered`, `graduated`: the units are spread over the tiers in order (tier n holds the units above
  tier n-1's `up_to`, up to and including its own); each tier charges its units x its unit amount,
  plus its flat amount when at least one unit falls in it.
- `tiered`, `volume`: every unit is charged at the unit amount of the one tier the whole quantity
  falls in, plus that tier's flat amount.

The last tier is open-ended (`up_to` None, Stripe's `inf`). A quantity of 0 reaches no tier and
costs nothing (a flat amount is charged for a tier that has units; Lago's published tests agree).

Unit and flat amounts are minor units with up to 12 decimals (Stripe's `unit_amount_decimal`).
Nothing is rounded inside the calculation: `exact_amount` is the exact Decimal, and `amount` rounds
it once, half up, to a whole minor unit of the currency (domain/money.py's `round_minor`): the line
total. A price may carry amounts in several currencies (`currency_options`): a customer is billed in
their own currency with that currency's amounts, or gets `CurrencyNotOffered`; never a conversion.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from invoicing.domain.errors import InvalidInput
from invoicing.domain.money import round_minor

BillingScheme = Literal["per_unit", "tiered"]
TiersMode = Literal["graduated", "volume"]
MAX_DECIMALS = 12
MAX_TIERS = 250  # Stripe's limit
PRECISION = 60  # digits: a quantity times a 12-decimal unit amount stays exact


class CurrencyNotOffered(InvalidInput):
    """The price has no amounts in the customer's currency: billing would need a conversion."""

    code = "currency_not_offered"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _at_most_12_decimals(value: Decimal | None, name: str) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a non-negative decimal")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        raise ValueError(f"{name} has at most {MAX_DECIMALS} decimals (minor units)")
    return value


class Tier(_Frozen):
    """One tier: up to and including `up_to` units (None: the open-ended last tier)."""

    up_to: int | None = Field(default=None, ge=1)
    unit_amount_decimal: Decimal | None = None  # minor units
    flat_amount_decimal: Decimal | None = None  # minor units, for the whole tier

    @model_validator(mode="after")
    def _amounts(self) -> Tier:
        _at_most_12_decimals(self.unit_amount_decimal, "unit_amount_decimal")
        _at_most_12_decimals(self.flat_amount_decimal, "flat_amount_decimal")
        if self.unit_amount_decimal is None and self.flat_amount_decimal is None:
            raise ValueError("a tier needs a unit amount, a flat amount, or both")
        return self

    @property
    def unit(self) -> Decimal:
        return self.unit_amount_decimal or Decimal(0)

    @property
    def flat(self) -> Decimal:
        return self.flat_amount_decimal or Decimal(0)


class TransformQuantity(_Frozen):
    """Packages: bill `quantity / divide_by` packages, rounded `up` or `down` to a whole package."""

    divide_by: int = Field(ge=1, le=10**9)
    round: Literal["up", "down"]

    def packages(self, quantity: Decimal) -> Decimal:
        rounding = ROUND_CEILING if self.round == "up" else ROUND_FLOOR
        with localcontext(prec=PRECISION):
            return (quantity / self.divide_by).to_integral_value(rounding=rounding)


class PriceTerms(_Frozen):
    """A price's amounts in one currency: what `amount` needs."""

    billing_scheme: BillingScheme = "per_unit"
    unit_amount_decimal: Decimal | None = None  # per_unit
    tiers_mode: TiersMode | None = None  # tiered
    tiers: tuple[Tier, ...] = ()
    transform_quantity: TransformQuantity | None = None

    @field_validator("unit_amount_decimal")
    @classmethod
    def _unit(cls, value: Decimal | None) -> Decimal | None:
        return _at_most_12_decimals(value, "unit_amount_decimal")

    @model_validator(mode="after")
    def _consistent(self) -> PriceTerms:
        if self.billing_scheme == "per_unit":
            if self.unit_amount_decimal is None:
                raise ValueError("a per_unit price needs unit_amount (or unit_amount_decimal)")
            if self.tiers or self.tiers_mode:
                raise ValueError("tiers and tiers_mode are for billing_scheme 'tiered'")
            return self
        if self.unit_amount_decimal is not None:
            raise ValueError("a tiered price has its amounts in its tiers, not unit_amount")
        if self.tiers_mode is None:
            raise ValueError("a tiered price needs tiers_mode: graduated or volume")
        if self.transform_quantity is not None:
            raise ValueError("transform_quantity cannot be combined with tiers (as in Stripe)")
        check_tiers(self.tiers)
        return self


def check_tiers(tiers: tuple[Tier, ...]) -> None:
    """Tiers in increasing order of `up_to`, the last one open-ended."""
    if not tiers:
        raise ValueError("a tiered price needs at least one tier")
    if len(tiers) > MAX_TIERS:
        raise ValueError(f"at most {MAX_TIERS} tiers")
    if tiers[-1].up_to is not None:
        raise ValueError("the last tier must be open-ended (up_to 'inf')")
    bounds = [t.up_to for t in tiers[:-1]]
    if any(b is None for b in bounds):
        raise ValueError("only the last tier may be open-ended")
    if any(b2 <= b1 for b1, b2 in pairwise(bounds) if b1 is not None and b2 is not None):
        raise ValueError("each tier's up_to must be greater than the previous tier's")


def billed_quantity(terms: PriceTerms, quantity: Decimal) -> Decimal:
    """The quantity the price charges: the packages under `transform_quantity`, else the quantity."""
    if quantity < 0:
        raise InvalidInput("A quantity cannot be negative.", param="quantity")
    return terms.transform_quantity.packages(quantity) if terms.transform_quantity else quantity


def _graduated(tiers: tuple[Tier, ...], quantity: Decimal) -> Decimal:
    total, below = Decimal(0), Decimal(0)
    for tier in tiers:
        if quantity <= below:
            break
        top = quantity if tier.up_to is None else min(quantity, Decimal(tier.up_to))
        total += (top - below) * tier.unit + tier.flat
        below = top
    return total


def tier_reached(tiers: tuple[Tier, ...], quantity: Decimal) -> Tier:
    """The tier a volume price charges every unit at: the first whose `up_to` holds the quantity."""
    return next(t for t in tiers if t.up_to is None or quantity <= t.up_to)


def exact_amount(terms: PriceTerms, quantity: Decimal) -> Decimal:
    """The price of `quantity` in minor units, exact (not rounded)."""
    billed = billed_quantity(terms, quantity)
    with localcontext(prec=PRECISION):
        if terms.billing_scheme == "per_unit":
            return billed * (terms.unit_amount_decimal or Decimal(0))
        if billed == 0:
            return Decimal(0)
        if terms.tiers_mode == "graduated":
            return _graduated(terms.tiers, billed)
        tier = tier_reached(terms.tiers, billed)
        return billed * tier.unit + tier.flat


def amount(terms: PriceTerms, quantity: Decimal) -> int:
    """The line total of `quantity` under the terms: the exact amount rounded once, half up."""
    return round_minor(exact_amount(terms, quantity))
