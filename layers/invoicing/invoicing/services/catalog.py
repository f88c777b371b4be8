"""Use cases for the catalog: products, their prices, and coupons.

Rules: a price belongs to an existing product of the account and takes the product's tax code
unless it names its own; once created, a price changes only in `active`, `nickname` and `metadata`
(its amounts never change under an invoice that used them); each creation or change is one commit
with its event (`product.created`, `price.created`, `price.updated`, `coupon.created`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from invoicing.domain.catalog import Price, Product
from invoicing.domain.coupons import Coupon
from invoicing.domain.errors import InvalidInput, invalid_input
from invoicing.services.ports import Clock, Ids, Page, PriceFilter, UnitOfWork

M = TypeVar("M", bound=BaseModel)


def aggregate_from(model: type[M], fields: Mapping[str, Any]) -> M:
    """The aggregate (a catalog object: product, price, coupon, discount rule) built from a request's
    checked fields; a field the model refuses is a 400 naming it, and what only the whole can refuse (a
    rule across fields) a 400 saying which rule."""
    try:
        return model.model_validate(dict(fields))
    except ValidationError as error:
        first = error.errors()[0]
        if first.get("loc"):
            raise invalid_input(error) from None
        # A rule across fields (tiers and their mode, currency options…): the message says which.
        raise InvalidInput(str(first.get("msg", "is invalid")).removeprefix("Value error, ") + ".") from None


@dataclass(frozen=True)
class CatalogService:
    uow: UnitOfWork
    clock: Clock
    ids: Ids

    def _create(self, account_id: str, prefix: str, model: type[M], fields: Mapping[str, Any],
                add: Callable[[M], None]) -> M:
        now = self.clock.now()
        created = aggregate_from(model, {**fields, "id": self.ids.new(prefix), "account_id": account_id,
                                         "created": now})
        recorded: M = created.record_created(now)  # type: ignore[attr-defined]
        add(recorded)
        self.uow.commit()
        return recorded

    # --- products ----------------------------------------------------------------------------------

    def create_product(self, account_id: str, fields: Mapping[str, Any]) -> Product:
        with self.uow:
            return self._create(account_id, "prod", Product, fields, self.uow.products.add)

    def get_product(self, account_id: str, product_id: str) -> Product:
        with self.uow:
            return self.uow.products.get(account_id, product_id)

    def list_products(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[Product]:
        with self.uow:
            return self.uow.products.list(account_id, limit=limit, starting_after=starting_after)

    # --- prices ------------------------------------------------------------------------------------

    def create_price(self, account_id: str, fields: Mapping[str, Any]) -> Price:
        """A price of an existing product (`product_id`), in its tax code unless it names one, and of its
        supply type (what the product is: goods, services, ...)."""
        with self.uow:
            product = self.uow.products.get(account_id, str(fields["product_id"]))
            values = {**fields, "tax_code": fields.get("tax_code") or product.tax_code,
                      "supply_type": product.supply_type,
                      "type": "recurring" if fields.get("recurring") else "one_time"}
            return self._create(account_id, "price", Price, values, self.uow.prices.add)

    def update_price(self, account_id: str, price_id: str, changes: Mapping[str, Any]) -> Price:
        """Only `active`, `nickname` and `metadata` change (`price_immutable` for anything else)."""
        with self.uow:
            current = self.uow.prices.get(account_id, price_id)
            updated = current.changed(dict(changes), self.clock.now())
            self.uow.prices.save(updated)
            self.uow.commit()
            return updated

    def get_price(self, account_id: str, price_id: str) -> Price:
        with self.uow:
            return self.uow.prices.get(account_id, price_id)

    def list_prices(self, account_id: str, flt: PriceFilter, *, limit: int,
                    starting_after: str | None) -> Page[Price]:
        with self.uow:
            if flt.product_id is not None:
                self.uow.products.get(account_id, flt.product_id)  # a 404 for a product that does not exist
            return self.uow.prices.list(account_id, flt, limit=limit, starting_after=starting_after)

    # --- coupons -----------------------------------------------------------------------------------

    def create_coupon(self, account_id: str, fields: Mapping[str, Any]) -> Coupon:
        with self.uow:
            return self._create(account_id, "coupon", Coupon, fields, self.uow.coupons.add)

    def get_coupon(self, account_id: str, coupon_id: str) -> Coupon:
        with self.uow:
            return self.uow.coupons.get(account_id, coupon_id)

    def coupon_valid(self, coupon: Coupon) -> bool:
        """Whether the coupon can still be applied now (Stripe's `valid`): before its `redeem_by`."""
        return coupon.redeemable(self.clock.now())
