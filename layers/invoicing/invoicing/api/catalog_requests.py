"""Request bodies of the catalog (products, prices, coupons), in Stripe's words, validated at the edge.

Amounts are integer minor units (`unit_amount: 1999`), or decimal strings of minor units with up to
12 decimals (`unit_amount_decimal: "0.0125"`); a float is refused, never rounded. Every field the
use case does not know is a 400 naming it. The rules across fields (a tiered price's tiers, a coupon's
duration) are the domain's: the use case answers them as a 400 too.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

from invoicing.api.requests import Command, DecimalText, Metadata, MinorUnits, NotNull, _currency
from invoicing.domain.catalog import Interval, UsageType
from invoicing.domain.money import MAX_AMOUNT
from invoicing.domain.schema_rules import at_most_one, exactly_one, given
from invoicing.domain.supply import SupplyType, TaxCode

UnitDecimal = DecimalText  # minor units, up to 12 decimals (checked below and by the domain)
CurrencyCode = str
Option = TypeVar("Option")


def _option_codes(options: dict[str, Option]) -> dict[str, Option]:
    """`currency_options` keyed by upper-case ISO 4217 codes (an unknown code is a 400 naming it)."""
    return {str(_currency(code)): option for code, option in options.items()}


def _one_amount(whole: int | None, decimal: Decimal | None, name: str, *, required: bool) -> Decimal | None:
    if whole is not None and decimal is not None:
        raise ValueError(f"give one of {name} or {name}_decimal, not both")
    if whole is None and decimal is None:
        if required:
            raise ValueError(f"give {name} (integer minor units) or {name}_decimal")
        return None
    return Decimal(whole) if whole is not None else decimal


class ProductCreate(Command):
    name: str = Field(min_length=1, max_length=250)
    description: str | None = Field(default=None, max_length=2000)
    active: StrictBool = True
    tax_code: TaxCode = Field(default="standard", description="The default tax code of the product's prices")
    supply_type: SupplyType | None = Field(
        default=None, description="goods, services, electronic_services or professional_services: what its prices' "
                                  "invoice lines supply (default: the account's default_supply_type)")
    unit_label: str | None = Field(default=None, max_length=12, description="Shown after quantities: seat, GB")
    metadata: Metadata = Field(default_factory=dict, max_length=50)


class TierIn(Command):
    model_config = ConfigDict(json_schema_extra={"allOf": [
        at_most_one("unit_amount", "unit_amount_decimal"), at_most_one("flat_amount", "flat_amount_decimal"),
        {"anyOf": [given(name) for name in ("unit_amount", "unit_amount_decimal", "flat_amount",
                                            "flat_amount_decimal")]}]})

    up_to: Annotated[StrictInt, Field(ge=1)] | Literal["inf"] = Field(
        description="The tier's last unit, inclusive (at least 1); \"inf\" for the last tier")
    unit_amount: MinorUnits | None = None
    unit_amount_decimal: UnitDecimal | None = Field(default=None, ge=0, le=10**15, decimal_places=12)
    flat_amount: MinorUnits | None = None
    flat_amount_decimal: UnitDecimal | None = Field(default=None, ge=0, le=10**15, decimal_places=12)

    @model_validator(mode="after")
    def _amounts(self) -> TierIn:
        unit = _one_amount(self.unit_amount, self.unit_amount_decimal, "unit_amount", required=False)
        flat = _one_amount(self.flat_amount, self.flat_amount_decimal, "flat_amount", required=False)
        if unit is None and flat is None:
            raise ValueError("a tier needs unit_amount, flat_amount, or both")
        return self

    def domain(self) -> dict[str, Any]:
        return {"up_to": None if self.up_to == "inf" else self.up_to,
                "unit_amount_decimal": _one_amount(self.unit_amount, self.unit_amount_decimal, "unit_amount",
                                                   required=False),
                "flat_amount_decimal": _one_amount(self.flat_amount, self.flat_amount_decimal, "flat_amount",
                                                   required=False)}


class TransformQuantityIn(Command):
    divide_by: StrictInt = Field(ge=1, le=10**9, description="Bill one unit per this many (a package)")
    round: Literal["up", "down"] = Field(description="up: a started package counts; down: only full ones")


class RecurringIn(Command):
    interval: Interval
    interval_count: StrictInt = Field(default=1, ge=1, le=1095)
    usage_type: UsageType = "licensed"


class CurrencyOptionIn(Command):
    model_config = ConfigDict(json_schema_extra={"allOf": [at_most_one("unit_amount", "unit_amount_decimal")]})

    unit_amount: MinorUnits | None = None
    unit_amount_decimal: UnitDecimal | None = Field(default=None, ge=0, le=10**15, decimal_places=12)
    tiers: list[TierIn] = Field(default_factory=list, max_length=250)

    def domain(self) -> dict[str, Any]:
        return {"unit_amount_decimal": _one_amount(self.unit_amount, self.unit_amount_decimal, "unit_amount",
                                                   required=False),
                "tiers": [t.domain() for t in self.tiers]}


class PriceCreate(Command):
    # A per-unit price (the default) gives its unit amount one way; a tiered one its tiers.
    model_config = ConfigDict(json_schema_extra={"allOf": [
        at_most_one("unit_amount", "unit_amount_decimal"),
        {"if": {"required": ["billing_scheme"], "properties": {"billing_scheme": {"const": "tiered"}}},
         "else": {"anyOf": [given("unit_amount"), given("unit_amount_decimal")]}}]})

    product: str = Field(min_length=1, max_length=64, description="The product's id (prod_...)")
    currency: CurrencyCode
    unit_amount: MinorUnits | None = None
    unit_amount_decimal: UnitDecimal | None = Field(
        default=None, ge=0, le=10**15, decimal_places=12,
        description="Unit price in minor units with up to 12 decimals, as a string (\"0.0125\")")
    billing_scheme: Literal["per_unit", "tiered"] = "per_unit"
    tiers_mode: Literal["graduated", "volume"] | None = None
    tiers: list[TierIn] = Field(default_factory=list, max_length=250)
    transform_quantity: TransformQuantityIn | None = None
    recurring: RecurringIn | None = Field(default=None, description="Absent for a one-time price")
    currency_options: dict[CurrencyCode, CurrencyOptionIn] = Field(
        default_factory=dict, max_length=135, description="The price's amounts in further currencies")
    tax_behavior: Literal["exclusive", "inclusive"] = "exclusive"
    tax_code: TaxCode | None = Field(default=None, description="Defaults to the product's tax code")
    nickname: str | None = Field(default=None, max_length=250)
    lookup_key: str | None = Field(default=None, max_length=200)
    active: StrictBool = True
    metadata: Metadata = Field(default_factory=dict, max_length=50)

    _check_currency = field_validator("currency")(classmethod(lambda cls, v: _currency(v)))

    _check_options = field_validator("currency_options")(classmethod(lambda cls, v: _option_codes(v)))

    @model_validator(mode="after")
    def _unit(self) -> PriceCreate:
        _one_amount(self.unit_amount, self.unit_amount_decimal, "unit_amount",
                    required=self.billing_scheme == "per_unit")
        return self

    def fields(self) -> dict[str, Any]:
        """The price's fields in the domain's words (`product_id`, decimal amounts, `up_to` None for inf)."""
        return {
            "product_id": self.product, "currency": self.currency, "active": self.active,
            "billing_scheme": self.billing_scheme, "tiers_mode": self.tiers_mode,
            "unit_amount_decimal": _one_amount(self.unit_amount, self.unit_amount_decimal, "unit_amount",
                                               required=False),
            "tiers": [t.domain() for t in self.tiers],
            "transform_quantity": self.transform_quantity.model_dump() if self.transform_quantity else None,
            "recurring": self.recurring.model_dump() if self.recurring else None,
            "currency_options": {code: option.domain() for code, option in self.currency_options.items()},
            "tax_behavior": self.tax_behavior, "tax_code": self.tax_code, "nickname": self.nickname,
            "lookup_key": self.lookup_key, "metadata": self.metadata,
        }


IMMUTABLE_PRICE_FIELDS = frozenset(PriceCreate.model_fields) - {"active", "nickname", "metadata"}


class PriceUpdate(Command):
    """Only `active`, `nickname` and `metadata` of a price change (as in Stripe)."""

    active: StrictBool | NotNull = None
    nickname: str | None = Field(default=None, max_length=250)
    metadata: Annotated[Metadata, Field(max_length=50)] | NotNull = None

    @model_validator(mode="before")
    @classmethod
    def _immutable(cls, data: Any) -> Any:
        if isinstance(data, dict):
            fixed = sorted(IMMUTABLE_PRICE_FIELDS & set(data))
            if fixed:
                raise ValueError(f"a price's '{fixed[0]}' cannot change once created: create a new price and "
                                 "deactivate this one")
        return data

    @model_validator(mode="after")
    def _not_null(self) -> PriceUpdate:
        for name in ("active", "metadata"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class CouponAmountIn(Command):
    # Not `MinorUnits = Field(ge=1)`: the alias's own `ge=0` would win, in the check and the document.
    amount_off: StrictInt = Field(ge=1, le=MAX_AMOUNT, description="Integer amount in the currency's minor unit")


class CouponCreate(Command):
    model_config = ConfigDict(json_schema_extra={"allOf": [
        exactly_one("percent_off", "amount_off"), {"if": given("amount_off"), "then": given("currency")},
        {"if": given("percent_off"), "then": {"not": {"anyOf": [given("currency"), {
            "required": ["currency_options"], "properties": {"currency_options": {"minProperties": 1}}}]}}},
        {"if": {"required": ["duration"], "properties": {"duration": {"const": "repeating"}}},
         "then": given("duration_in_months"), "else": {"not": given("duration_in_months")}}]})

    name: str | None = Field(default=None, max_length=40, description="Shown on invoices")
    percent_off: DecimalText | None = Field(default=None, gt=0, le=100, decimal_places=2)
    amount_off: MinorUnits | None = Field(default=None, ge=1)
    currency: CurrencyCode | None = Field(default=None, description="The currency of amount_off")
    currency_options: dict[CurrencyCode, CouponAmountIn] = Field(default_factory=dict, max_length=135)
    duration: Literal["once", "repeating", "forever"] = "once"
    duration_in_months: StrictInt | None = Field(default=None, ge=1, le=120, description="With duration repeating")
    max_redemptions: StrictInt | None = Field(default=None, ge=1)
    redeem_by: datetime | None = Field(default=None, description="The last moment it can be applied (ISO 8601)")
    metadata: Metadata = Field(default_factory=dict, max_length=50)

    _check_currency = field_validator("currency")(classmethod(lambda cls, v: _currency(v)))

    _check_options = field_validator("currency_options")(classmethod(lambda cls, v: _option_codes(v)))

    @field_validator("redeem_by")
    @classmethod
    def _zoned(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry its time zone, e.g. 2026-12-31T23:59:59Z")
        return value

    def fields(self) -> dict[str, Any]:
        return {**self.model_dump(exclude={"currency_options"}),
                "currency_options": {code: o.model_dump() for code, o in self.currency_options.items()}}
