"""The catalog's routes (products, prices, coupons): a Powertools `Router` that `build_app` includes.

Each route maps HTTP to one use case of `CatalogService` and renders the result; it declares its
answers (`responses=`) with the models of `invoicing.api.catalog_views`, so the OpenAPI document is
the contract. Errors are the app's: its exception handlers map every typed error in one place.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from invoicing.api.catalog_requests import CouponCreate, PriceCreate, PriceUpdate, ProductCreate
from invoicing.api.catalog_views import (
    CouponObject,
    PriceList,
    PriceObject,
    ProductList,
    ProductObject,
    coupon_view,
    page_view,
    price_view,
    product_view,
)
from invoicing.api.contract import CHANGE, CREATE, LIST, READ, answers
from invoicing.services.catalog import CatalogService
from invoicing.services.ports import PriceFilter

Limit = Annotated[int, Query(ge=1, le=100, description="Objects per page (1-100)")]
StartingAfter = Annotated[str | None, Query(max_length=64, description="Cursor: the last id of the previous page")]
Id = Annotated[str, Path(max_length=64)]
TAGS = {"products": ["products"], "prices": ["prices"], "coupons": ["coupons"]}


def _ok(body: dict[str, Any], status: int = 200):
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def catalog_router(catalog: CatalogService) -> APIGatewayRouter:
    """The routes over the catalog's use cases."""
    router = APIGatewayRouter()

    def account_id() -> str:
        authorizer = router.current_event.request_context.authorizer
        value = authorizer.get("account_id") if authorizer is not None else None
        if not value:
            raise PermissionError("no account in the authorizer context")
        return str(value)

    # --- products ----------------------------------------------------------------------------------
    @router.post("/products", tags=TAGS["products"], summary="Create a product",
                 responses=answers(201, ProductObject, CREATE))
    def create_product(body: Annotated[ProductCreate, Body()]):
        return _ok(product_view(catalog.create_product(account_id(), body.model_dump())), 201)

    @router.get("/products", tags=TAGS["products"], summary="List products, newest first",
                responses=answers(200, ProductList, LIST))
    def list_products(limit: Limit = 10, starting_after: StartingAfter = None):
        page = catalog.list_products(account_id(), limit=limit, starting_after=starting_after)
        return _ok(page_view(page, product_view, "/products"))

    @router.get("/products/<product_id>", tags=TAGS["products"], summary="Retrieve a product",
                responses=answers(200, ProductObject, READ))
    def get_product(product_id: Id):
        return _ok(product_view(catalog.get_product(account_id(), product_id)))

    # --- prices ------------------------------------------------------------------------------------
    @router.post("/prices", tags=TAGS["prices"],
                 summary="Create a price: per unit, package or tiered; one-time or recurring; in several currencies",
                 responses=answers(201, PriceObject, CREATE, 404))
    def create_price(body: Annotated[PriceCreate, Body()]):
        return _ok(price_view(catalog.create_price(account_id(), body.fields())), 201)

    @router.get("/prices", tags=TAGS["prices"], summary="List prices, newest first (of one product, active or not)",
                responses=answers(200, PriceList, READ))
    def list_prices(limit: Limit = 10, starting_after: StartingAfter = None,
                    product: Annotated[str | None, Query(max_length=64, description="Only this product's")] = None,
                    active: Annotated[bool | None, Query(description="Only active (true) or inactive")] = None,
                    ):
        page = catalog.list_prices(account_id(), PriceFilter(product_id=product, active=active), limit=limit,
                                   starting_after=starting_after)
        return _ok(page_view(page, price_view, "/prices"))

    @router.get("/prices/<price_id>", tags=TAGS["prices"], summary="Retrieve a price",
                responses=answers(200, PriceObject, READ))
    def get_price(price_id: Id):
        return _ok(price_view(catalog.get_price(account_id(), price_id)))

    @router.post("/prices/<price_id>", tags=TAGS["prices"],
                 summary="Update a price's active flag, nickname or metadata (its amounts never change)",
                 responses=answers(200, PriceObject, CHANGE))
    def update_price(price_id: Id, body: Annotated[PriceUpdate, Body()]):
        return _ok(price_view(catalog.update_price(account_id(), price_id, body.changes())))

    # --- coupons -----------------------------------------------------------------------------------
    @router.post("/coupons", tags=TAGS["coupons"],
                 summary="Create a coupon: percent or amount off, once, for N months, or forever",
                 responses=answers(201, CouponObject, CREATE))
    def create_coupon(body: Annotated[CouponCreate, Body()]):
        coupon = catalog.create_coupon(account_id(), body.fields())
        return _ok(coupon_view(coupon, valid=catalog.coupon_valid(coupon)), 201)

    @router.get("/coupons/<coupon_id>", tags=TAGS["coupons"], summary="Retrieve a coupon",
                responses=answers(200, CouponObject, READ))
    def get_coupon(coupon_id: Id):
        coupon = catalog.get_coupon(account_id(), coupon_id)
        return _ok(coupon_view(coupon, valid=catalog.coupon_valid(coupon)))

    return router
