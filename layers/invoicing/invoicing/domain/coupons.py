"""Coupons, as Stripe's Coupon object: a percentage or an amount off, for one, several or all periods.

The amount a coupon takes off an amount (integer minor units) is exact to the minor unit:

- `percent_off` (up to 2 decimals, as Stripe): amount x percent / 100, rounded once, half up;
- `amount_off` (minor units of the coupon's `currency`, or of one of its `currency_options`): the
  amount off, at most the amount itself (a coupon never makes an amount negative);
- in a currency the coupon has no amount for, `CurrencyNotOffered`: never a conversion.

Which periods a coupon applies to, given when it was applied (`AppliedCoupon.start`): a period
gets the discount when it starts at or after `start` and
- `once`: it is the first such period (the previous period started before `start`);
- `repeating`: it starts before `start + duration_in_months` (so 3 months on a monthly price is
  three periods; on a yearly price, the first year);
- `forever`: always.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from invoicing.domain.catalog import CatalogObject, add_months
from invoicing.domain.money import normalize_currency, round_minor
from invoicing.domain.party import Model
from invoicing.domain.pricing import CurrencyNotOffered
from invoicing.domain.totals import Discount

Duration = Literal["once", "repeating", "forever"]
HUNDRED = Decimal(100)


class CouponAmount(Model):
    amount_off: int = Field(ge=1)


class Coupon(CatalogObject):
    object: Literal["coupon"] = "coupon"
    name: str | None = Field(default=None, max_length=40)
    percent_off: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=2)
    amount_off: int | None = Field(default=None, ge=1)
    currency: str | None = None
    currency_options: dict[str, CouponAmount] = Field(default_factory=dict)
    duration: Duration
    duration_in_months: int | None = Field(default=None, ge=1, le=120)
    max_redemptions: int | None = Field(default=None, ge=1)
    redeem_by: datetime | None = None

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return None if value is None else normalize_currency(value)

    @field_validator("currency_options")
    @classmethod
    def _option_currencies(cls, value: dict[str, CouponAmount]) -> dict[str, CouponAmount]:
        return {normalize_currency(code): option for code, option in value.items()}

    @model_validator(mode="after")
    def _consistent(self) -> Coupon:
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValueError("a coupon has exactly one of percent_off or amount_off")
        if self.amount_off is not None and self.currency is None:
            raise ValueError("an amount_off coupon needs its currency")
        if self.percent_off is not None and (self.currency_options or self.currency):
            raise ValueError("currency and currency_options are for amount_off coupons")
        if self.currency is not None and self.currency in self.currency_options:
            raise ValueError(f"currency_options repeats the coupon's own currency {self.currency}")
        if (self.duration == "repeating") != (self.duration_in_months is not None):
            raise ValueError("duration_in_months is required with duration 'repeating', and only with it")
        return self

    def amount_off_in(self, currency: str) -> int:
        """The amount off in `currency` (minor units), or `CurrencyNotOffered`."""
        code = normalize_currency(currency)
        if code == self.currency and self.amount_off is not None:
            return self.amount_off
        option = self.currency_options.get(code)
        if option is None:
            offered = ", ".join(c for c in (self.currency, *self.currency_options) if c)
            raise CurrencyNotOffered(f"Coupon '{self.id}' takes an amount off in {offered}, not in {code}; "
                                     "amounts are never converted.", param="coupon")
        return option.amount_off

    def discount_on(self, amount: int, currency: str) -> int:
        """What the coupon takes off `amount` (minor units of `currency`): never more than the amount."""
        if amount <= 0:
            return 0
        if self.percent_off is not None:
            return min(amount, round_minor(Decimal(amount) * self.percent_off / HUNDRED))
        return min(amount, self.amount_off_in(currency))

    def invoice_discount(self, amount: int, currency: str, *, part: bool = False) -> Discount:
        """The coupon as an invoice-level discount on a subtotal of `amount` (domain/totals.py spreads
        it over the tax groups): a percentage stays a percentage; an amount is capped at the subtotal.
        `part`: `amount` is only part of the subtotal (its discountable lines, not its prorations): a
        percentage is then its amount of that part, rounded once, half up."""
        label = self.name or self.id
        if self.percent_off is not None and not part:
            return Discount(description=label, percent_off=self.percent_off)
        return Discount(description=label, amount_off=self.discount_on(amount, currency))

    def redeemable(self, at: datetime) -> bool:
        return self.redeem_by is None or at <= self.redeem_by

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "object": "coupon", "duration": self.duration,
                "percent_off": None if self.percent_off is None else format(self.percent_off.normalize(), "f"),
                "amount_off": self.amount_off, "currency": self.currency}

    def record_created(self, at: datetime) -> Coupon:
        return self._recorded("coupon.created", at)


class AppliedCoupon(Model):
    """A coupon applied at `start` (Stripe's Discount object): which periods it discounts."""

    coupon: Coupon
    start: datetime

    @property
    def end(self) -> datetime | None:
        """When a repeating coupon stops applying (periods starting from then on pay in full)."""
        if self.coupon.duration == "repeating" and self.coupon.duration_in_months:
            return add_months(self.start, self.coupon.duration_in_months)
        return None

    def applies_to(self, period_start: datetime, *, previous_period_start: datetime | None = None) -> bool:
        """Whether the period starting at `period_start` gets the discount (`previous_period_start`:
        when the period before it started, None for a subscription's first period)."""
        if period_start < self.start:
            return False
        if self.coupon.duration == "once":
            return previous_period_start is None or previous_period_start < self.start
        end = self.end
        return end is None or period_start < end
