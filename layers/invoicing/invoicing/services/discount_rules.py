"""Use cases for automatic discount rules: create, retrieve, list and deactivate (the rules
themselves: domain/discount_rules.py; billing applies the active ones: services/billing.py).

A rule never changes what it gives once created (an invoice that used it keeps meaning the same);
it is deactivated, and a new rule made instead. Each creation or deactivation is one commit with its
event (`discount_rule.created`, `discount_rule.updated`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from invoicing.domain.discount_rules import MAX_ACTIVE_RULES, DiscountRule
from invoicing.domain.errors import Conflict
from invoicing.services.catalog import aggregate_from
from invoicing.services.ports import Clock, Ids, Page, UnitOfWork


@dataclass(frozen=True)
class DiscountRuleService:
    uow: UnitOfWork
    clock: Clock
    ids: Ids

    def create(self, account_id: str, fields: Mapping[str, Any]) -> DiscountRule:
        now = self.clock.now()
        rule = aggregate_from(DiscountRule, {**fields, "id": self.ids.new("dr"), "account_id": account_id,
                                             "created": now})
        with self.uow:
            if len(self.uow.discount_rules.active(account_id)) >= MAX_ACTIVE_RULES:
                raise Conflict(f"An account has at most {MAX_ACTIVE_RULES} active discount rules: deactivate one "
                               "first.", param="discount_rule", code="too_many_discount_rules")
            recorded = rule.record_created(now)
            self.uow.discount_rules.add(recorded)
            self.uow.commit()
        return recorded

    def get(self, account_id: str, rule_id: str) -> DiscountRule:
        with self.uow:
            return self.uow.discount_rules.get(account_id, rule_id)

    def list(self, account_id: str, *, active: bool, limit: int, starting_after: str | None) -> Page[DiscountRule]:
        with self.uow:
            return self.uow.discount_rules.list(account_id, active=active, limit=limit,
                                                starting_after=starting_after)

    def deactivate(self, account_id: str, rule_id: str) -> DiscountRule:
        """From now on the rule discounts no boundary billed; invoices it discounted keep their discount.
        Deactivating an inactive rule changes nothing (a retry answers the same)."""
        with self.uow:
            rule = self.uow.discount_rules.get(account_id, rule_id)
            if not rule.active:
                return rule
            changed = rule.deactivated(self.clock.now())
            self.uow.discount_rules.save(changed)
            self.uow.commit()
            return changed
