"""Discount rules (docs/dynamodb-access-patterns.md): one partition per account,
`ACCOUNT#{acct}#DISCOUNT_RULES`, the rule's document under `ACTIVE#{id}` while it is active and
`INACTIVE#{id}` after it is deactivated (the move is one commit: delete and put). Billing a boundary
reads the active rules with one Query of `begins_with(SK, "ACTIVE#")`, whose cost is bounded by the
account's active rules (at most `MAX_ACTIVE_RULES`), never by the rules it ever had. The partition is
read, like the account's own item, at every billed boundary, and written only when a rule is created
or deactivated.
"""

from __future__ import annotations

import builtins  # `list` is also a method here
from typing import TYPE_CHECKING, Any

from invoicing.adapters.dynamodb.codec import load
from invoicing.adapters.dynamodb.common import query_page
from invoicing.adapters.dynamodb.events import with_events
from invoicing.adapters.dynamodb.keys import Item, n, s
from invoicing.domain.discount_rules import MAX_ACTIVE_RULES, DiscountRule
from invoicing.domain.errors import Conflict, NotFound
from invoicing.services.ports import Page

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork


def _pk(account_id: str) -> str:
    return f"ACCOUNT#{account_id}#DISCOUNT_RULES"


def _key(account_id: str, rule_id: str, active: bool) -> Item:
    return {"PK": s(_pk(account_id)), "SK": s(f"{'ACTIVE' if active else 'INACTIVE'}#{rule_id}")}


def _state(active: bool) -> str:
    return "ACTIVE#" if active else "INACTIVE#"


class DynamoDiscountRules:
    """The `DiscountRules` repository."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow
        self._versions: dict[str, int] = {}

    def forget(self) -> None:
        self._versions = {}

    def add(self, rule: DiscountRule) -> None:
        item: Item = {**_key(rule.account_id, rule.id, rule.active), "version": n(rule.version),
                      **with_events(rule, [], rule.events)}
        self._uow.put(item, lambda: Conflict(f"Discount rule '{rule.id}' already exists.", param="id",
                                             code="resource_already_exists"), "attribute_not_exists(PK)")

    def get(self, account_id: str, rule_id: str) -> DiscountRule:
        for active in (True, False):
            item = self._uow.client.get_item(TableName=self._uow.table, Key=_key(account_id, rule_id, active),
                                             ConsistentRead=True).get("Item")
            if item is not None:
                rule = load(item, DiscountRule)
                self._versions[rule.id] = rule.version
                return rule
        raise NotFound(f"No such discount rule: '{rule_id}'.", param="discount_rule")

    def save(self, rule: DiscountRule) -> None:
        """A deactivation: the active item goes (if its version is still the one read), the inactive one comes."""
        if rule.id not in self._versions:
            raise ValueError("save a discount rule read in this unit of work")
        if rule.active:
            raise ValueError("a discount rule changes only by being deactivated")
        changed = lambda: Conflict(f"Discount rule '{rule.id}' was changed concurrently; reload it and try "  # noqa: E731
                                   "again.", param="discount_rule")
        self._uow.delete(_key(rule.account_id, rule.id, True), changed, "#version = :loaded",
                         ExpressionAttributeNames={"#version": "version"},
                         ExpressionAttributeValues={":loaded": n(self._versions[rule.id])})
        self.add(rule)

    def active(self, account_id: str) -> builtins.list[DiscountRule]:
        return self.list(account_id, active=True, limit=MAX_ACTIVE_RULES, starting_after=None).data

    def list(self, account_id: str, *, active: bool, limit: int, starting_after: str | None) -> Page[DiscountRule]:
        """Newest first (ids sort by creation time), the active or the inactive ones."""
        request: dict[str, Any] = {
            "TableName": self._uow.table, "ScanIndexForward": False,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :state)",
            "ExpressionAttributeValues": {":pk": s(_pk(account_id)), ":state": s(_state(active))},
        }
        if starting_after:
            request["ExclusiveStartKey"] = _key(account_id, starting_after, active)
        return query_page(self._uow.client, request, limit=limit, decode=lambda item: load(item, DiscountRule))
