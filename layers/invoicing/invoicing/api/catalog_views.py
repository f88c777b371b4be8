"""How products, prices and coupons look in the API (Stripe's shapes): each view builds its response
model, and the routes declare the same models, so the OpenAPI document is what a view returns.

Amounts: `unit_amount` is the integer minor units when the amount is whole (else null), and
`unit_amount_decimal` always carries it exactly as a decimal string, as in Stripe.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from invoicing.api.views import decimal_text, iso
from invoicing.domain.catalog import Interval, Price, Product, UsageType
from invoicing.domain.coupons import Coupon
from invoicing.domain.pricing import Tier
from invoicing.domain.supply import SupplyType, TaxCode
from invoicing.services.ports import Page

T = TypeVar("T")


class View(BaseModel):
    # Built on the first catalog answer, not at the API's init (bench/README.md, "Cold starts").
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ProductObject(View):
    id: str = Field(examples=["prod_01JD4V6Q3Z0M6V2K3W5N8P9R7T"])
    object: Literal["product"]
    name: str
    description: str | None
    active: bool
    tax_code: TaxCode
    supply_type: SupplyType | None
    unit_label: str | None
    metadata: dict[str, str]
    created: str


class TierObject(View):
    up_to: int | None = Field(description="null: the open-ended last tier")
    unit_amount: int | None
    unit_amount_decimal: str | None
    flat_amount: int | None
    flat_amount_decimal: str | None


class RecurringObject(View):
    interval: Interval
    interval_count: int
    usage_type: UsageType


class TransformQuantityObject(View):
    divide_by: int
    round: Literal["up", "down"]


class CurrencyOptionObject(View):
    unit_amount: int | None
    unit_amount_decimal: str | None
    tiers: list[TierObject] | None


class PriceObject(View):
    id: str = Field(examples=["price_01JD4V6Q3Z0M6V2K3W5N8P9R7T"])
    object: Literal["price"]
    active: bool
    product: str
    currency: str
    type: Literal["one_time", "recurring"]
    recurring: RecurringObject | None
    billing_scheme: Literal["per_unit", "tiered"]
    unit_amount: int | None
    unit_amount_decimal: str | None = Field(examples=["0.0125"])
    tiers_mode: Literal["graduated", "volume"] | None
    tiers: list[TierObject] | None
    transform_quantity: TransformQuantityObject | None
    currency_options: dict[str, CurrencyOptionObject]
    tax_behavior: Literal["exclusive", "inclusive"]
    tax_code: TaxCode
    supply_type: SupplyType | None
    nickname: str | None
    lookup_key: str | None
    metadata: dict[str, str]
    created: str


class CouponAmountObject(View):
    amount_off: int


class CouponObject(View):
    id: str = Field(examples=["coupon_01JD4V6Q3Z0M6V2K3W5N8P9R7T"])
    object: Literal["coupon"]
    name: str | None
    percent_off: str | None = Field(examples=["25"])
    amount_off: int | None
    currency: str | None
    currency_options: dict[str, CouponAmountObject]
    duration: Literal["once", "repeating", "forever"]
    duration_in_months: int | None
    max_redemptions: int | None
    redeem_by: str | None
    valid: bool
    metadata: dict[str, str]
    created: str


class ListObject(View, Generic[T]):
    object: Literal["list"]
    url: str
    data: list[T]
    has_more: bool


class ProductList(ListObject[ProductObject]):
    pass


class PriceList(ListObject[PriceObject]):
    pass


def _whole(value: Decimal | None) -> int | None:
    return int(value) if value is not None and value == value.to_integral_value() else None


def _tier(tier: Tier) -> TierObject:
    return TierObject(up_to=tier.up_to, unit_amount=_whole(tier.unit_amount_decimal),
                      unit_amount_decimal=decimal_text(tier.unit_amount_decimal),
                      flat_amount=_whole(tier.flat_amount_decimal),
                      flat_amount_decimal=decimal_text(tier.flat_amount_decimal))


def product_view(product: Product) -> dict[str, Any]:
    return ProductObject(id=product.id, object="product", name=product.name, description=product.description,
                         active=product.active, tax_code=product.tax_code, supply_type=product.supply_type,
                         unit_label=product.unit_label,
                         metadata=product.metadata, created=iso(product.created) or "").model_dump(mode="json")


def price_view(price: Price) -> dict[str, Any]:
    tiered = price.billing_scheme == "tiered"
    return PriceObject(
        id=price.id, object="price", active=price.active, product=price.product_id, currency=price.currency,
        type=price.type,
        recurring=RecurringObject(**price.recurring.model_dump()) if price.recurring else None,
        billing_scheme=price.billing_scheme, unit_amount=_whole(price.unit_amount_decimal),
        unit_amount_decimal=decimal_text(price.unit_amount_decimal), tiers_mode=price.tiers_mode,
        tiers=[_tier(t) for t in price.tiers] if tiered else None,
        transform_quantity=TransformQuantityObject(**price.transform_quantity.model_dump())
        if price.transform_quantity else None,
        currency_options={code: CurrencyOptionObject(
            unit_amount=_whole(o.unit_amount_decimal), unit_amount_decimal=decimal_text(o.unit_amount_decimal),
            tiers=[_tier(t) for t in o.tiers] if tiered else None) for code, o in price.currency_options.items()},
        tax_behavior=price.tax_behavior, tax_code=price.tax_code, supply_type=price.supply_type,
        nickname=price.nickname,
        lookup_key=price.lookup_key, metadata=price.metadata, created=iso(price.created) or "",
    ).model_dump(mode="json")


def coupon_view(coupon: Coupon, *, valid: bool) -> dict[str, Any]:
    return CouponObject(
        id=coupon.id, object="coupon", name=coupon.name, percent_off=decimal_text(coupon.percent_off),
        amount_off=coupon.amount_off, currency=coupon.currency,
        currency_options={code: CouponAmountObject(amount_off=o.amount_off)
                          for code, o in coupon.currency_options.items()},
        duration=coupon.duration, duration_in_months=coupon.duration_in_months,
        max_redemptions=coupon.max_redemptions, redeem_by=iso(coupon.redeem_by), valid=valid,
        metadata=coupon.metadata, created=iso(coupon.created) or "",
    ).model_dump(mode="json")


def page_view(page: Page[Any], render: Callable[[Any], dict[str, Any]], url: str) -> dict[str, Any]:
    return {"object": "list", "url": url, "data": [render(item) for item in page.data], "has_more": page.has_more}
