"""The catalog on DynamoDB (moto, tables from template.yaml): items and index keys as
docs/dynamodb-access-patterns.md says, events for the relay, conflicts, and lists that are Queries."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from invoicing.adapters.dynamodb import DynamoUnitOfWork
from invoicing.adapters.dynamodb.keys import SHARDS, price_key, product_key
from invoicing.adapters.outbox import outbox_documents
from invoicing.domain.catalog import Price, Product, Recurring
from invoicing.domain.coupons import Coupon
from invoicing.domain.errors import Conflict, NotFound
from invoicing.domain.party import Account
from invoicing.services.ports import PriceFilter
from tests.integration.adapters.conftest import NOW


def calls(client: Any) -> Counter[str]:
    seen: Counter[str] = Counter()
    client.meta.events.register("before-call.dynamodb", lambda model, **_: seen.update([model.name]))
    return seen


def add_product(uow: DynamoUnitOfWork, seller: Account, product_id: str = "prod_01") -> Product:
    product = Product(id=product_id, account_id=seller.id, name="Seats", created=NOW).record_created(NOW)
    with uow:
        uow.products.add(product)
        uow.commit()
    return product


def add_price(uow: DynamoUnitOfWork, seller: Account, price_id: str, product_id: str = "prod_01") -> Price:
    price = Price(id=price_id, account_id=seller.id, product_id=product_id, currency="EUR", type="recurring",
                  recurring=Recurring(interval="month"), unit_amount_decimal=Decimal("0.0125"),
                  currency_options={"JPY": {"unit_amount_decimal": "2"}}, created=NOW).record_created(NOW)
    with uow:
        uow.prices.add(price)
        uow.commit()
    return price


def item(dynamodb: Any, table: str, key: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    return found


def test_a_price_is_one_item_with_its_index_keys_and_its_event(
    uow: DynamoUnitOfWork, dynamodb: Any, table: str, seller: Account
) -> None:
    add_product(uow, seller)
    seen = calls(dynamodb)
    price = add_price(uow, seller, "price_01")
    assert seen == Counter({"PutItem": 1})  # one item, no transaction
    stored = item(dynamodb, table, price_key(seller.id, price.id))
    assert stored["PK"]["S"] == f"ACCOUNT#{seller.id}#PRICE#price_01"
    assert stored["GSI1PK"]["S"] == f"ACCOUNT#{seller.id}#PRODUCT#prod_01"
    assert stored["GSI1SK"]["S"] == "PRICE#price_01"
    assert stored["GSI2PK"]["S"].startswith(f"ACCOUNT#{seller.id}#PRICES#")
    assert stored["GSI3PK"]["S"].startswith(f"ACCOUNT#{seller.id}#PRICES#active#")
    assert stored["status"]["S"] == "active"
    assert [e["type"] for e in outbox_documents(stored)] == ["price.created"]
    with uow:
        loaded = uow.prices.get(seller.id, price.id)
    assert loaded.unit_amount_decimal == Decimal("0.0125")  # exact through the codec
    assert loaded.amount(Decimal(1240), "EUR") == 16
    assert loaded.amount(Decimal(3), "JPY") == 6


def test_deactivating_a_price_moves_it_between_the_status_index_partitions(
    uow: DynamoUnitOfWork, dynamodb: Any, table: str, seller: Account
) -> None:
    add_product(uow, seller)
    price = add_price(uow, seller, "price_01")
    with uow:
        current = uow.prices.get(seller.id, price.id)
        uow.prices.save(current.changed({"active": False}, NOW))
        uow.commit()
    stored = item(dynamodb, table, price_key(seller.id, price.id))
    assert stored["status"]["S"] == "inactive"
    assert stored["GSI3PK"]["S"].startswith(f"ACCOUNT#{seller.id}#PRICES#inactive#")
    assert [e["type"] for e in outbox_documents(stored)] == ["price.updated"]  # only what this write added
    with uow:
        assert [p.id for p in uow.prices.list(seller.id, PriceFilter(active=False), limit=5,
                                              starting_after=None).data] == ["price_01"]
        assert uow.prices.list(seller.id, PriceFilter(active=True), limit=5, starting_after=None).data == []


def test_a_stale_price_version_conflicts_and_writes_nothing(
    uow: DynamoUnitOfWork, dynamodb: Any, table: str, seller: Account
) -> None:
    add_product(uow, seller)
    price = add_price(uow, seller, "price_01")
    other = DynamoUnitOfWork(dynamodb, table)
    with uow:
        mine = uow.prices.get(seller.id, price.id)
        with other:
            theirs = other.prices.get(seller.id, price.id)
            other.prices.save(theirs.changed({"nickname": "theirs"}, NOW))
            other.commit()
        uow.prices.save(mine.changed({"nickname": "mine"}, NOW))
        with pytest.raises(Conflict, match="changed concurrently"):
            uow.commit()
    with uow:
        assert uow.prices.get(seller.id, price.id).nickname == "theirs"


def test_adding_an_existing_id_conflicts(uow: DynamoUnitOfWork, seller: Account) -> None:
    add_product(uow, seller)
    with pytest.raises(Conflict, match="already exists"):
        add_product(uow, seller)


def test_a_product_s_prices_are_one_query_of_its_partition(
    uow: DynamoUnitOfWork, dynamodb: Any, seller: Account
) -> None:
    add_product(uow, seller)
    add_product(uow, seller, "prod_02")
    for i in range(5):
        add_price(uow, seller, f"price_{i:02d}")
    add_price(uow, seller, "price_99", product_id="prod_02")
    seen = calls(dynamodb)
    with uow:
        page = uow.prices.list(seller.id, PriceFilter(product_id="prod_01"), limit=3, starting_after=None)
        rest = uow.prices.list(seller.id, PriceFilter(product_id="prod_01"), limit=3, starting_after=page.data[-1].id)
    assert [p.id for p in page.data] == ["price_04", "price_03", "price_02"] and page.has_more
    assert [p.id for p in rest.data] == ["price_01", "price_00"] and not rest.has_more
    assert seen == Counter({"Query": 2, "BatchGetItem": 2})


def test_account_wide_lists_read_every_shard_and_never_scan(
    uow: DynamoUnitOfWork, dynamodb: Any, seller: Account
) -> None:
    for i in range(7):
        add_product(uow, seller, f"prod_{i:02d}")
    seen = calls(dynamodb)
    with uow:
        page = uow.products.list(seller.id, limit=4, starting_after=None)
    assert [p.id for p in page.data] == ["prod_06", "prod_05", "prod_04", "prod_03"] and page.has_more
    assert seen == Counter({"Query": SHARDS, "BatchGetItem": 1})


def test_tenants_are_isolated_by_key(uow: DynamoUnitOfWork, dynamodb: Any, table: str, seller: Account) -> None:
    add_product(uow, seller)
    coupon = Coupon(id="coupon_01", account_id=seller.id, percent_off=Decimal(10), duration="forever",
                    created=NOW).record_created(NOW)
    with uow:
        uow.coupons.add(coupon)
        uow.commit()
    with uow:
        assert uow.coupons.get(seller.id, coupon.id).percent_off == Decimal(10)
        with pytest.raises(NotFound):
            uow.coupons.get("acct_other", coupon.id)
        with pytest.raises(NotFound):
            uow.products.get("acct_other", "prod_01")
    assert item(dynamodb, table, product_key(seller.id, "prod_01"))["GSI2SK"]["S"] == "prod_01"
