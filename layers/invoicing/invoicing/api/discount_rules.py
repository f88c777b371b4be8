"""Automatic discount rules (docs/subscriptions.md, "Automatic discounts by rule"): request body,
view and routes.

    POST /discount_rules                     create
    GET  /discount_rules                     list, newest first (?active=false: the deactivated ones)
    GET  /discount_rules/{id}                retrieve
    POST /discount_rules/{id}/deactivate     no longer applied to the periods billed from now
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import ConfigDict, Field, field_validator

from invoicing.api.contract import CHANGE, CREATE, LIST, READ, answers
from invoicing.api.requests import Command, DecimalText, Metadata, MinorUnits, _currency
from invoicing.api.views import ListOf, View, iso, list_view
from invoicing.domain.discount_rules import DiscountRule
from invoicing.domain.party import Segment
from invoicing.domain.schema_rules import exactly_one, given
from invoicing.services.discount_rules import DiscountRuleService

RuleId = Annotated[str, Path(max_length=64)]


class DiscountRuleCreate(Command):
    model_config = ConfigDict(json_schema_extra={"allOf": [
        exactly_one("percent_off", "amount_off"),
        {"if": given("amount_off"), "then": given("currency"), "else": {"not": given("currency")}},
        {"anyOf": [given(condition) for condition in ("customer_segment", "min_quantity", "product", "price")]}]})

    name: str = Field(min_length=1, max_length=40, description="Shown as the line's discount")
    customer_segment: Segment | None = Field(default=None, description="Customers in this segment")
    min_quantity: DecimalText | None = Field(default=None, gt=0, le=10**12, decimal_places=12,
                                            description="Lines of at least this quantity")
    product: str | None = Field(default=None, max_length=64, description="Lines of this product")
    price: str | None = Field(default=None, max_length=64, description="Lines of this price")
    percent_off: DecimalText | None = Field(default=None, gt=0, le=100, decimal_places=2)
    amount_off: MinorUnits | None = Field(default=None, ge=1, description="Off each line, in minor units of currency")
    currency: str | None = Field(default=None, max_length=3, description="The currency of amount_off")
    metadata: Metadata = Field(default_factory=dict, max_length=50)

    _check_currency = field_validator("currency")(classmethod(lambda cls, v: _currency(v)))


class DiscountRuleObject(View):
    id: str = Field(examples=["dr_01JD4V6Q3Z0M6V2K3W5N8P9R7T"])
    object: Literal["discount_rule"]
    name: str
    active: bool
    customer_segment: str | None
    min_quantity: str | None
    product: str | None
    price: str | None
    percent_off: str | None
    amount_off: int | None
    currency: str | None
    metadata: dict[str, str]
    created: str


class DiscountRuleList(ListOf[DiscountRuleObject]):
    pass


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def rule_view(rule: DiscountRule) -> dict[str, Any]:
    return {"id": rule.id, "object": "discount_rule", "name": rule.name, "active": rule.active,
            "customer_segment": rule.customer_segment, "min_quantity": _text(rule.min_quantity),
            "product": rule.product, "price": rule.price, "percent_off": _text(rule.percent_off),
            "amount_off": rule.amount_off, "currency": rule.currency, "metadata": rule.metadata,
            "created": iso(rule.created) or ""}


def discount_rules_router(rules: DiscountRuleService, account_id: Callable[[], str]) -> Router:
    router = Router()

    def ok(body: dict[str, Any], status: int = 200) -> Response:
        return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))

    @router.post("/discount_rules", tags=["discount rules"],
                 summary="Create an automatic discount rule (by segment, quantity, product or price)",
                 responses=answers(201, DiscountRuleObject, CREATE))
    def create_discount_rule(body: Annotated[DiscountRuleCreate, Body()]):
        return ok(rule_view(rules.create(account_id(), body.model_dump(exclude_none=True))), 201)

    @router.get("/discount_rules", tags=["discount rules"], summary="List discount rules, newest first",
                responses=answers(200, DiscountRuleList, LIST))
    def list_discount_rules(limit: Annotated[int, Query(ge=1, le=100)] = 10,
                            starting_after: Annotated[str | None, Query(max_length=64)] = None,
                            active: Annotated[bool, Query(description="false: the deactivated rules")] = True):
        page = rules.list(account_id(), active=active, limit=limit, starting_after=starting_after)
        return ok(list_view(page, rule_view, "/discount_rules"))

    @router.get("/discount_rules/<rule_id>", tags=["discount rules"], summary="Retrieve a discount rule",
                responses=answers(200, DiscountRuleObject, READ))
    def get_discount_rule(rule_id: RuleId):
        return ok(rule_view(rules.get(account_id(), rule_id)))

    @router.post("/discount_rules/<rule_id>/deactivate", tags=["discount rules"],
                 summary="Deactivate a discount rule: the periods billed from now are not discounted by it",
                 responses=answers(200, DiscountRuleObject, CHANGE))
    def deactivate_discount_rule(rule_id: RuleId):
        return ok(rule_view(rules.deactivate(account_id(), rule_id)))

    return router
