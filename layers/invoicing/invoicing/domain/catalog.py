"""The catalog: products and their prices, as Stripe's Product and Price objects.

A price is immutable once created (what it charges never changes under an invoice that used it);
only `active`, `nickname` and `metadata` change, as in Stripe. To charge differently, create a new
price and deactivate the old one. The amounts and their rounding are in domain/pricing.py.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import Field, ValidationError, field_validator, model_validator

from invoicing.domain.errors import InvalidInput, invalid_input
from invoicing.domain.events import DomainEvent, new_event
from invoicing.domain.invoice import TaxCode
from invoicing.domain.money import normalize_currency
from invoicing.domain.party import Model
from invoicing.domain.pricing import (
    BillingScheme,
    CurrencyNotOffered,
    PriceTerms,
    Tier,
    TiersMode,
    TransformQuantity,
    amount,
    exact_amount,
)
from invoicing.domain.supply import SupplyType
from invoicing.domain.totals import TaxBehavior

Interval = Literal["day", "week", "month", "year"]
UsageType = Literal["licensed", "metered"]
# Stripe's longest recurring interval: three years (3 years, 36 months, 156 weeks, 1095 days).
MAX_INTERVAL_COUNT: dict[str, int] = {"day": 1095, "week": 156, "month": 36, "year": 3}


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole months, the day clamped to the month's last (Jan 31 + 1 month = Feb 28/29)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


class Recurring(Model):
    """How often a recurring price bills, and whether for a quantity (licensed) or for usage (metered)."""

    interval: Interval
    interval_count: int = Field(default=1, ge=1)
    usage_type: UsageType = "licensed"

    @model_validator(mode="after")
    def _at_most_three_years(self) -> Recurring:
        if self.interval_count > MAX_INTERVAL_COUNT[self.interval]:
            raise ValueError(f"the interval is at most three years ({MAX_INTERVAL_COUNT[self.interval]} "
                             f"{self.interval}s)")
        return self

    def boundary(self, anchor: datetime, index: int) -> datetime:
        """The start of period `index` (0, 1, …) of a subscription anchored at `anchor`.

        Counted from the anchor each time, not from the previous period, so monthly periods anchored
        on the 31st end on the 28th/29th/30th and come back to the 31st (as Stripe's billing anchor)."""
        if self.interval in ("month", "year"):
            months = self.interval_count * index * (12 if self.interval == "year" else 1)
            return add_months(anchor, months)
        days = self.interval_count * index * (7 if self.interval == "week" else 1)
        return anchor + timedelta(days=days)

    def periods_between(self, anchor: datetime, at: datetime) -> int:
        """Whole periods from `anchor` to `at`, by arithmetic (no walk): exact for days and weeks, and
        for months and years at most one off where a boundary's day is clamped to a month's end (the
        caller settles it on `boundary`)."""
        if self.interval in ("month", "year"):
            months = (at.year - anchor.year) * 12 + at.month - anchor.month
            return months // (self.interval_count * (12 if self.interval == "year" else 1))
        return (at - anchor) // timedelta(days=self.interval_count * (7 if self.interval == "week" else 1))


class CurrencyOption(Model):
    """A price's amounts in one more currency (Stripe's `currency_options[currency]`)."""

    unit_amount_decimal: Decimal | None = None
    tiers: tuple[Tier, ...] = ()


class CatalogObject(Model):
    """What products, prices and coupons share: an id in an account, metadata, a version, and the
    events of the unit of work (never part of the stored document: see domain/events.py)."""

    id: str
    account_id: str
    metadata: dict[str, str] = Field(default_factory=dict)
    created: datetime
    version: int = 0
    events: tuple[DomainEvent, ...] = Field(default=(), exclude=True)

    def summary(self) -> dict[str, Any]:
        raise NotImplementedError

    def _recorded(self, type_: str, at: datetime) -> Self:
        aggregate = type_.partition(".")[0]
        event = new_event(type_, account_id=self.account_id, aggregate=aggregate, aggregate_id=self.id,
                          version=self.version, at=at, obj=self.summary())
        return self.model_copy(update={"events": (*self.events, event)})


class Product(CatalogObject):
    """What is sold. Its `tax_code` is the default of its prices."""

    object: Literal["product"] = "product"
    name: str = Field(min_length=1, max_length=250)
    description: str | None = Field(default=None, max_length=2000)
    active: bool = True
    tax_code: TaxCode = "standard"
    supply_type: SupplyType | None = None  # goods, services, ...: docs/tax.md; None: the account's default
    unit_label: str | None = Field(default=None, max_length=12)

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "object": "product", "name": self.name, "active": self.active,
                "tax_code": self.tax_code}

    def record_created(self, at: datetime) -> Product:
        return self._recorded("product.created", at)


class Price(CatalogObject):
    """What a product costs, in one or several currencies, once or every interval."""

    object: Literal["price"] = "price"
    product_id: str
    active: bool = True
    currency: str
    type: Literal["one_time", "recurring"] = "one_time"
    recurring: Recurring | None = None
    billing_scheme: BillingScheme = "per_unit"
    unit_amount_decimal: Decimal | None = None
    tiers_mode: TiersMode | None = None
    tiers: tuple[Tier, ...] = ()
    transform_quantity: TransformQuantity | None = None
    currency_options: dict[str, CurrencyOption] = Field(default_factory=dict)
    tax_behavior: TaxBehavior = "exclusive"
    tax_code: TaxCode = "standard"
    supply_type: SupplyType | None = None  # its product's
    nickname: str | None = Field(default=None, max_length=250)
    lookup_key: str | None = Field(default=None, max_length=200)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return normalize_currency(value)

    @field_validator("currency_options")
    @classmethod
    def _option_currencies(cls, value: dict[str, CurrencyOption]) -> dict[str, CurrencyOption]:
        return {normalize_currency(code): option for code, option in value.items()}

    @model_validator(mode="after")
    def _consistent(self) -> Price:
        if (self.type == "recurring") != (self.recurring is not None):
            raise ValueError("a recurring price has `recurring` (interval…); a one_time price has none")
        if self.currency in self.currency_options:
            raise ValueError(f"currency_options repeats the price's own currency {self.currency}")
        for code in (self.currency, *self.currency_options):
            try:
                self.terms(code)
            except ValidationError as error:
                detail = error.errors()[0]["msg"].removeprefix("Value error, ")
                where = "" if code == self.currency else f" in currency_options[{code}]"
                raise ValueError(f"{detail}{where}") from None
        return self

    @property
    def currencies(self) -> tuple[str, ...]:
        return (self.currency, *self.currency_options)

    def terms(self, currency: str) -> PriceTerms:
        """The price's amounts in `currency`, or `CurrencyNotOffered`: never a conversion."""
        code = normalize_currency(currency)
        shape: dict[str, Any] = {"billing_scheme": self.billing_scheme, "tiers_mode": self.tiers_mode,
                                 "transform_quantity": self.transform_quantity}
        if code == self.currency:
            return PriceTerms(unit_amount_decimal=self.unit_amount_decimal, tiers=self.tiers, **shape)
        option = self.currency_options.get(code)
        if option is None:
            raise CurrencyNotOffered(
                f"Price '{self.id}' has no amounts in {code} (it has {', '.join(self.currencies)}); add {code} "
                "to its currency_options or use a price in that currency. Amounts are never converted.",
                param="currency")
        return PriceTerms(unit_amount_decimal=option.unit_amount_decimal, tiers=option.tiers, **shape)

    def exact_amount(self, quantity: Decimal, currency: str) -> Decimal:
        return exact_amount(self.terms(currency), quantity)

    def amount(self, quantity: Decimal, currency: str) -> int:
        """What `quantity` costs in `currency`, in minor units, rounded once, half up."""
        return amount(self.terms(currency), quantity)

    @property
    def metered(self) -> bool:
        return self.recurring is not None and self.recurring.usage_type == "metered"

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "object": "price", "product": self.product_id, "active": self.active,
                "currency": self.currency, "type": self.type, "billing_scheme": self.billing_scheme,
                "currencies": list(self.currencies)}

    def record_created(self, at: datetime) -> Price:
        return self._recorded("price.created", at)

    def changed(self, changes: dict[str, Any], at: datetime) -> Price:
        """The price with `active`, `nickname` or `metadata` changed, as its next version: nothing
        else of a price changes once created."""
        fixed = sorted(set(changes) - {"active", "nickname", "metadata"})
        if fixed:
            raise InvalidInput(f"A price's '{fixed[0]}' cannot change once created: create a new price and "
                               "deactivate this one.", param=fixed[0], code="price_immutable")
        try:
            updated = Price.model_validate({**self.model_dump(), **changes, "version": self.version + 1})
        except ValidationError as error:
            raise invalid_input(error) from None
        return updated.model_copy(update={"events": self.events})._recorded("price.updated", at)

