"""Automatic discount rules over the fakes: applied when a period is billed, named on the line, exact
to the minor unit, before the coupon (tests/integration/adapters/test_subscription_items_on_dynamodb.py
runs them again on DynamoDB)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from invoicing.domain.coupons import Coupon
from invoicing.domain.errors import InvalidInput
from invoicing.services.discount_rules import DiscountRuleService
from tests.unit.domain.builders import customer
from tests.unit.services.fakes import FakeIds, FakeUnitOfWork
from tests.unit.services.test_subscription_items import JAN_1, NOV_1, Items, lines, make_env


@pytest.fixture
def env() -> Items:
    return make_env(FakeUnitOfWork())


SCHEMAS = Path(__file__).resolve().parents[3] / "docs" / "events"


_IDS = FakeIds()


def rules(env: Items) -> DiscountRuleService:
    return DiscountRuleService(env.uow, env.clock, _IDS)  # one id source: rules of a test never share an id


def segmented(env: Items, customer_id: str, *segments: str, currency: str = "EUR") -> None:
    with env.uow:
        env.uow.customers.add(customer("SE", id=customer_id, currency=currency, segments=list(segments)))
        env.uow.commit()


def test_a_segment_rule_discounts_the_line_and_the_coupon_takes_its_share_of_the_rest(env: Items) -> None:
    segmented(env, "cus_np", "nonprofit")
    rule = rules(env).create("acct_1", {"name": "Nonprofit 20 %", "customer_segment": "nonprofit",
                                        "percent_off": Decimal(20)})
    seats = env.price("seats", 1000)
    sub = env.subscribe((seats, 3), customer_id="cus_np")
    with env.uow:  # and a coupon of 10 % forever
        current = env.uow.subscriptions.get("acct_1", sub.id)
        env.uow.subscriptions.save(current.model_copy(update={"coupon": Coupon(
            id="coupon_10", account_id="acct_1", name="Ten", percent_off=Decimal(10), duration="forever",
            created=NOV_1)}))
        env.uow.commit()
    renewal = env.renewal()
    assert lines(renewal) == [("seats × 3", 3000, 600, 2400)]
    assert renewal.lines[0].discounts[0].description == rule.name == "Nonprofit 20 %"
    assert renewal.totals is not None
    # Rule first (on the line), then the coupon on what the lines come to, then tax.
    assert (renewal.totals.subtotal, renewal.totals.discount_amount, renewal.totals.tax, renewal.totals.total) == (
        2400, 240, 540, 2700)


def test_a_quantity_rule_applies_from_its_minimum(env: Items) -> None:
    rules(env).create("acct_1", {"name": "Volume", "min_quantity": Decimal(10), "amount_off": 1500,
                                 "currency": "eur"})
    seats = env.price("seats", 1000)
    env.subscribe((seats, 12))
    assert lines(env.renewal()) == [("seats × 12", 12_000, 1500, 10_500)]
    env.subscribe((seats, 9), sub_id="sub_9")
    assert lines(env.renewal("sub_9")) == [("seats × 9", 9000, 0, 9000)]


def test_in_yen_a_percentage_rounds_once_half_up_and_an_amount_in_euro_never_applies(env: Items) -> None:
    segmented(env, "cus_jp", "partners", currency="JPY")
    rules(env).create("acct_1", {"name": "Partners", "customer_segment": "partners", "percent_off": Decimal(15)})
    rules(env).create("acct_1", {"name": "Euro off", "customer_segment": "partners", "amount_off": 100_000,
                                 "currency": "EUR"})
    plan = env.price("plan", 1999, "JPY")
    env.subscribe((plan, 1), anchor=JAN_1, customer_id="cus_jp", currency="JPY")
    assert lines(env.renewal()) == [("plan × 1", 1999, 300, 1699)]  # 15 % of 1,999 yen = 299.85


def test_the_rule_that_takes_most_applies_alone_and_only_to_its_product(env: Items) -> None:
    rules(env).create("acct_1", {"name": "Ten off", "min_quantity": Decimal(1), "percent_off": Decimal(10)})
    rules(env).create("acct_1", {"name": "Five euro", "min_quantity": Decimal(1), "amount_off": 500,
                                 "currency": "EUR"})
    rules(env).create("acct_1", {"name": "Support half", "product": "prod_support", "percent_off": Decimal(50)})
    seats, support = env.price("seats", 1000), env.price("support", 1999, product_id="prod_support")
    env.subscribe((seats, 3), (support, 1))
    renewal = env.renewal()
    assert lines(renewal) == [("seats × 3", 3000, 500, 2500), ("support × 1", 1999, 1000, 999)]  # 999.5 half up
    assert [line.discounts[0].description for line in renewal.lines] == ["Five euro", "Support half"]


def test_a_deactivated_rule_no_longer_applies_and_prorations_carry_the_rule_of_their_period(env: Items) -> None:
    # Stripe (docs.stripe.com/billing/subscriptions/prorations, "Prorations and discounts"): proration
    # items are not discountable — an invoice's discounts apply to its other lines — and the discounts the
    # subscription had that affect a proration are reflected in its amount. Here the rule took 50 % off
    # November (basic: 10.00 billed 5.00), so the unused half is worth 2.50 and the remaining half on pro
    # 20.00 × 50 % × 1/2 = 5.00, whatever happens to the rule afterwards.
    service = rules(env)
    rule = service.create("acct_1", {"name": "Everyone", "min_quantity": Decimal(1), "percent_off": Decimal(50)})
    env.price("pro", 2000)
    env.subscribe((env.price("basic", 1000), 1))
    env.clock.current = NOV_1 + timedelta(days=15)
    env.items.update("acct_1", "sub_1", "si_basic", price_id="pro")
    assert service.deactivate("acct_1", rule.id).active is False
    assert service.deactivate("acct_1", rule.id).version == 1  # again: nothing changes
    assert lines(env.renewal()) == [("pro × 1", 2000, 0, 2000),
                                    ("Unused time on 1 × basic, less Everyone", -250, 0, -250),
                                    ("Remaining time on 1 × pro, less Everyone", 500, 0, 500)]
    assert [r.id for r in service.list("acct_1", active=False, limit=10, starting_after=None).data] == [rule.id]
    assert service.list("acct_1", active=True, limit=10, starting_after=None).data == []


def test_a_quantity_rule_counts_for_each_side_of_the_change_by_its_own_quantity(env: Items) -> None:
    rules(env).create("acct_1", {"name": "Volume", "min_quantity": Decimal(10), "amount_off": 1500,
                                 "currency": "EUR"})
    env.subscribe((env.price("seats", 1000), 8))
    env.clock.current = NOV_1 + timedelta(days=15)
    changed = env.items.update("acct_1", "sub_1", "si_seats", quantity=12).subscription
    # 8 seats met no rule: 80.00 × 1/2 = -40.00. 12 seats meet it: (120.00 - 15.00) × 1/2 = +52.50.
    assert [(p.amount, p.description) for p in changed.pending_lines] == [
        (-4000, "Unused time on 8 × seats"), (5250, "Remaining time on 12 × seats, less Volume")]
    # The renewal: the rule on the seats' line; the prorations as they are (not discounted again).
    assert lines(env.renewal()) == [("seats × 12", 12_000, 1500, 10_500),
                                    ("Unused time on 8 × seats", -4000, 0, -4000),
                                    ("Remaining time on 12 × seats, less Volume", 5250, 0, 5250)]


def coupon_of(env: Items, **fields: Any) -> None:
    with env.uow:
        current = env.uow.subscriptions.get("acct_1", "sub_1")
        env.uow.subscriptions.save(current.model_copy(update={"coupon": Coupon(
            id="coupon_1", account_id="acct_1", duration="forever", created=NOV_1, **fields)}))
        env.uow.commit()


def test_a_percent_coupon_is_reflected_in_the_prorations_and_discounts_only_the_other_lines(env: Items) -> None:
    env.price("pro", 2000)
    env.subscribe((env.price("basic", 1000), 1))
    coupon_of(env, name="Ten", percent_off=Decimal(10))
    env.clock.current = NOV_1 + timedelta(days=15)
    changed = env.items.update("acct_1", "sub_1", "si_basic", price_id="pro").subscription
    # 10 % forever: -10.00 × 90 % × 1/2 = -4.50; +20.00 × 90 % × 1/2 = +9.00.
    assert [p.amount for p in changed.pending_lines] == [-450, 900]
    renewal = env.renewal()
    assert lines(renewal)[1:] == [("Unused time on 1 × basic, less Ten", -450, 0, -450),
                                  ("Remaining time on 1 × pro, less Ten", 900, 0, 900)]
    assert renewal.totals is not None
    # The invoice's coupon: 10 % of the pro line alone (20.00 → 2.00), not of the 24.50 the lines come to.
    # 24.50 - 2.00 = 22.50; VAT 25 % = 5.625 → 5.63; total 28.13.
    assert (renewal.totals.subtotal, renewal.totals.discount_amount, renewal.totals.tax, renewal.totals.total) == (
        2450, 200, 563, 2813)


def test_an_amount_off_coupon_is_not_prorated_and_takes_nothing_off_the_prorations(env: Items) -> None:
    env.price("pro", 2000)
    env.subscribe((env.price("basic", 1000), 1))
    coupon_of(env, name="Five off", amount_off=500, currency="EUR")
    env.clock.current = NOV_1 + timedelta(days=15)
    env.items.update("acct_1", "sub_1", "si_basic", price_id="pro")
    renewal = env.renewal()
    assert [line.net_amount for line in renewal.lines] == [2000, -500, 1000]  # the prices' own prorations
    assert renewal.totals is not None and renewal.totals.discount_amount == 500  # 5.00 off the pro line


def test_discount_rule_events_are_what_their_schemas_say(env: Items) -> None:
    service = rules(env)
    rule = service.create("acct_1", {"name": "Everyone", "min_quantity": Decimal(1), "amount_off": 5,
                                     "currency": "EUR"})
    service.deactivate("acct_1", rule.id)
    events = [e for e in env.uow.store.outbox if e.aggregate == "discount_rule"]
    assert [e.type for e in events] == ["discount_rule.created", "discount_rule.updated"]
    for event in events:
        schema: Any = json.loads((SCHEMAS / f"{event.type}.json").read_text())
        jsonschema.validate(event.model_dump(mode="json"), schema)


@pytest.mark.parametrize("fields", [
    {"name": "No condition", "percent_off": Decimal(10)},
    {"name": "Both", "min_quantity": Decimal(1), "percent_off": Decimal(10), "amount_off": 5, "currency": "EUR"},
    {"name": "No currency", "min_quantity": Decimal(1), "amount_off": 5},
    {"name": "", "min_quantity": Decimal(1), "percent_off": Decimal(10)},
])
def test_a_rule_must_say_what_and_when(env: Items, fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        rules(env).create("acct_1", fields)


class _NoQueue:
    def send_many(self, messages: list[dict[str, Any]]) -> None:
        raise AssertionError("a worker batch sends nothing")


def test_a_worker_batch_reads_an_accounts_rules_once_not_once_per_boundary(env: Items, monkeypatch: Any) -> None:
    from invoicing.services.billing_runs import BillingRunService

    rules(env).create("acct_1", {"name": "Volume", "min_quantity": Decimal(10), "percent_off": Decimal(10)})
    seats = env.price("seats", 1000)
    for n in range(3):
        env.subscribe((seats, 10 + n), sub_id=f"sub_{n}")
    reads: list[str] = []
    active = env.uow.discount_rules.active
    monkeypatch.setattr(env.uow.discount_rules, "active", lambda account_id: reads.append(account_id) or active(
        account_id))
    runs = BillingRunService(env.uow, env.clock, _IDS, env.billing, env.billing.invoices, _NoQueue(), _NoQueue(),
                             shards=1)
    batch = runs.new_batch()
    env.clock.current = env.sub("sub_0").boundary(1)
    outcomes = [runs.work_on({"account_id": "acct_1", "subscription_id": f"sub_{n}", "boundary": 1}, batch,
                             f"m{n}", False) for n in range(3)]
    assert outcomes == ["invoiced"] * 3 and reads == ["acct_1"]  # one read for the batch's three boundaries
    invoices = [env.invoice(env.sub(f"sub_{n}").latest_invoice) for n in range(3)]
    assert [lines(i)[0][2] for i in invoices] == [1000, 1100, 1200]  # 10 % off each: the rule applied
    batch.clear()
    runs.work_on({"account_id": "acct_1", "subscription_id": "sub_0", "boundary": 2}, batch, "m4", False)
    assert reads == ["acct_1", "acct_1"]  # the next batch reads them again
