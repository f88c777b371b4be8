"""The catalog's items (docs/dynamodb-access-patterns.md):

- product `ACCOUNT#{acct}#PRODUCT#{id}` / `PRODUCT`; all products through GSI2
  (`ACCOUNT#{acct}#PRODUCTS#{shard}` / id);
- price `ACCOUNT#{acct}#PRICE#{id}` / `PRICE`, with `status` (`active` / `inactive`); a product's
  prices through GSI1 (`ACCOUNT#{acct}#PRODUCT#{product}` / `PRICE#{id}`, `status` projected for the
  `active` filter); all prices through GSI2 (`ACCOUNT#{acct}#PRICES#{shard}` / id); active or
  inactive prices through GSI3 (`ACCOUNT#{acct}#PRICES#{active|inactive}#{shard}` / id);
- coupon `ACCOUNT#{acct}#COUPON#{id}` / `COUPON`.

Each item keeps the events of its last change (`outbox_count` of them new), as customers do: the
relay publishes them from the stream.
"""

from __future__ import annotations

import builtins  # `list` is also a method here
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from invoicing.adapters.dynamodb.codec import load
from invoicing.adapters.dynamodb.common import batch_get, query_page, sharded_page
from invoicing.adapters.dynamodb.events import with_events
from invoicing.adapters.dynamodb.keys import (
    GSI1,
    GSI2,
    GSI3,
    SHARDS,
    Item,
    children_pk,
    collection_pk,
    coupon_key,
    n,
    price_key,
    price_status_pk,
    product_key,
    s,
    shard,
)
from invoicing.domain.catalog import Price, Product
from invoicing.domain.coupons import Coupon
from invoicing.domain.errors import Conflict, NotFound
from invoicing.services.ports import Page, PriceFilter

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork

M = TypeVar("M", bound=BaseModel)


def _exists(kind: str, document_id: str) -> Callable[[], Exception]:
    return lambda: Conflict(f"{kind.capitalize()} '{document_id}' already exists.", param="id",
                            code="resource_already_exists")


def _get(uow: DynamoUnitOfWork, key: Item, model: type[M], missing: NotFound) -> M:
    item = uow.client.get_item(TableName=uow.table, Key=key, ConsistentRead=True).get("Item")
    if item is None:
        raise missing
    return load(item, model)


def _collection(uow: DynamoUnitOfWork, pks: builtins.list[str], *, limit: int, starting_after: str | None,
                model: type[M], index: str = GSI2) -> Page[M]:
    """Newest first (ids sort by creation time), merged from the shards of a keys-only index."""
    condition = f"{index}PK = :pk" + (f" AND {index}SK < :after" if starting_after else "")
    requests = [{"TableName": uow.table, "IndexName": index, "KeyConditionExpression": condition,
                 "ExpressionAttributeValues": {":pk": s(pk)}} for pk in pks]
    return sharded_page(uow.client, requests, sort_key=f"{index}SK", limit=limit, after=starting_after,
                        fetch=lambda keys: [load(i, model) for i in batch_get(uow.client, uow.table, keys)])


class DynamoProducts:
    """The `Products` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow

    def forget(self) -> None:
        pass

    def add(self, product: Product) -> None:
        item: Item = {
            **product_key(product.account_id, product.id),
            "version": n(product.version),
            "GSI2PK": s(collection_pk(product.account_id, "PRODUCT", shard(product.id))),
            "GSI2SK": s(product.id),
            **with_events(product, [], product.events),
        }
        self._uow.put(item, _exists("product", product.id), "attribute_not_exists(PK)")

    def get(self, account_id: str, product_id: str) -> Product:
        return _get(self._uow, product_key(account_id, product_id), Product,
                    NotFound(f"No such product: '{product_id}'.", param="product"))

    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[Product]:
        pks = [collection_pk(account_id, "PRODUCT", i) for i in range(SHARDS)]
        return _collection(self._uow, pks, limit=limit, starting_after=starting_after, model=Product)


def _status(price: Price) -> str:
    return "active" if price.active else "inactive"


class DynamoPrices:
    """The `Prices` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow
        self._versions: dict[str, int] = {}

    def forget(self) -> None:
        self._versions = {}

    def add(self, price: Price) -> None:
        item: Item = {
            **price_key(price.account_id, price.id),
            "version": n(price.version),
            "status": s(_status(price)),
            "GSI1PK": s(children_pk(price.account_id, "PRODUCT", price.product_id)),
            "GSI1SK": s(f"PRICE#{price.id}"),
            "GSI2PK": s(collection_pk(price.account_id, "PRICE", shard(price.id))),
            "GSI2SK": s(price.id),
            "GSI3PK": s(price_status_pk(price.account_id, price.active, shard(price.id))),
            "GSI3SK": s(price.id),
            **with_events(price, [], price.events),
        }
        self._uow.put(item, _exists("price", price.id), "attribute_not_exists(PK)")

    def get(self, account_id: str, price_id: str) -> Price:
        price = _get(self._uow, price_key(account_id, price_id), Price,
                     NotFound(f"No such price: '{price_id}'.", param="price"))
        self._versions[price.id] = price.version
        return price

    def save(self, price: Price) -> None:
        """Its document, events and status (and so its place in GSI3), if its version is still the one read."""
        if price.id not in self._versions:
            raise ValueError("save a price read in this unit of work")
        self._uow.update(
            price_key(price.account_id, price.id),
            "SET #doc = :doc, #version = :version, outbox_count = :count, #status = :status, GSI3PK = :gsi3",
            lambda: Conflict(f"Price '{price.id}' was changed concurrently; reload it and try again.", param="price"),
            "#version = :loaded",
            ExpressionAttributeNames={"#doc": "doc", "#version": "version", "#status": "status"},
            ExpressionAttributeValues={":doc": with_events(price, [], price.events)["doc"],
                                       ":version": n(price.version), ":loaded": n(self._versions[price.id]),
                                       ":count": n(len(price.events)), ":status": s(_status(price)),
                                       ":gsi3": s(price_status_pk(price.account_id, price.active, shard(price.id)))},
        )

    def list(self, account_id: str, flt: PriceFilter, *, limit: int, starting_after: str | None) -> Page[Price]:
        """A product's prices: its GSI1 partition (bounded by that product's prices), `active` filtered on
        the projected status. Otherwise the account's: GSI2, or GSI3 for active / inactive ones."""
        if flt.product_id is None:
            if flt.active is None:
                pks = [collection_pk(account_id, "PRICE", i) for i in range(SHARDS)]
                return _collection(self._uow, pks, limit=limit, starting_after=starting_after, model=Price)
            pks = [price_status_pk(account_id, flt.active, i) for i in range(SHARDS)]
            return _collection(self._uow, pks, limit=limit, starting_after=starting_after, model=Price, index=GSI3)
        pk = s(children_pk(account_id, "PRODUCT", flt.product_id))
        request: dict[str, Any] = {
            "TableName": self._uow.table, "IndexName": GSI1,
            "KeyConditionExpression": "GSI1PK = :pk AND begins_with(GSI1SK, :prefix)",
            "ExpressionAttributeValues": {":pk": pk, ":prefix": s("PRICE#")},
            "ScanIndexForward": False,
        }
        if flt.active is not None:
            request["FilterExpression"] = "#status = :status"
            request["ExpressionAttributeNames"] = {"#status": "status"}
            request["ExpressionAttributeValues"][":status"] = s("active" if flt.active else "inactive")
        if starting_after:
            request["ExclusiveStartKey"] = {**price_key(account_id, starting_after), "GSI1PK": pk,
                                            "GSI1SK": s(f"PRICE#{starting_after}")}
        page = query_page(self._uow.client, request, limit=limit, decode=lambda item: item,
                          filtered=flt.active is not None)
        prices = [load(item, Price) for item in batch_get(self._uow.client, self._uow.table, page.data)]
        return Page[Price](data=prices, has_more=page.has_more)


class DynamoCoupons:
    """The `Coupons` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow

    def forget(self) -> None:
        pass

    def add(self, coupon: Coupon) -> None:
        item: Item = {**coupon_key(coupon.account_id, coupon.id), "version": n(coupon.version),
                      **with_events(coupon, [], coupon.events)}
        self._uow.put(item, _exists("coupon", coupon.id), "attribute_not_exists(PK)")

    def get(self, account_id: str, coupon_id: str) -> Coupon:
        return _get(self._uow, coupon_key(account_id, coupon_id), Coupon,
                    NotFound(f"No such coupon: '{coupon_id}'.", param="coupon"))
