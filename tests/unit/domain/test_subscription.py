"""Subscriptions: periods from the anchor, what each boundary bills, and its state changes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from invoicing.documents.line_texts import line_texts
from invoicing.domain.catalog import Price, Recurring
from invoicing.domain.coupons import Coupon
from invoicing.domain.errors import Conflict, InvalidStateTransition
from invoicing.domain.pricing import CurrencyNotOffered, Tier
from invoicing.domain.subscription import Subscription, SubscriptionItem
from invoicing.domain.usage import Adjustment, Period, PeriodUsage

JAN_31 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
EN = line_texts("en")  # the words of an English-speaking customer's invoice
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def price(unit: int | None = 1000, price_id: str = "price_seat", **fields: object) -> Price:
    recurring = fields.pop("recurring", Recurring(interval="month"))
    return Price(**{"id": price_id, "account_id": "acct_1", "product_id": "prod_1", "currency": "EUR",
                    "type": "recurring", "recurring": recurring, "created": NOW, "nickname": price_id,
                    "unit_amount_decimal": None if unit is None else Decimal(unit), **fields})


API_CALLS = price(None, "price_calls", recurring=Recurring(interval="month", usage_type="metered"),
                  billing_scheme="tiered", tiers_mode="graduated",
                  tiers=(Tier(up_to=1000, unit_amount_decimal=Decimal(0)),
                         Tier(up_to=None, unit_amount_decimal=Decimal("0.5"))))


def subscription(**fields: object) -> Subscription:
    items = fields.pop("items", (SubscriptionItem(id="si_seats", price=price(), quantity=3),
                                 SubscriptionItem(id="si_calls", price=API_CALLS, meter="api_calls")))
    return Subscription(**{"id": "sub_1", "account_id": "acct_1", "customer_id": "cus_1", "currency": "EUR",
                           "items": items, "billing_cycle_anchor": JAN_31, "days_until_due": 30,
                           "created": JAN_31, **fields})


def test_monthly_periods_from_the_31st_come_back_to_the_31st() -> None:
    sub = subscription()
    assert [sub.boundary(k).date().isoformat() for k in range(4)] == [
        "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]
    assert sub.index_at(datetime(2026, 3, 15, tzinfo=UTC)) == 1
    assert sub.period_at(datetime(2026, 3, 31, 9, 0, tzinfo=UTC)) == sub.period(2)


def test_the_first_boundary_bills_seats_in_advance_and_no_usage() -> None:
    lines = subscription().lines_at(0, {}, texts=EN)
    assert [(line.item_id, line.quantity, line.unit_amount_decimal, line.period) for line in lines] == [
        ("si_seats", 3, Decimal(1000), subscription().period(0))]


def test_a_renewal_bills_the_next_period_in_advance_and_the_last_ones_usage_in_arrears() -> None:
    sub = subscription(billed_through=0)
    earlier = Period(sub.boundary(0) - (sub.boundary(1) - sub.boundary(0)), sub.boundary(0))
    late = [Adjustment(period=earlier, quantity=Decimal(20), events=2, billed=Decimal(990))]
    seats, calls, late_line = sub.lines_at(1, {"si_calls": PeriodUsage(sub.period(0), Decimal(1500), 7, tuple(late))},
                                          texts=EN)
    assert (seats.period, calls.period, late_line.period) == (sub.period(1), sub.period(0), earlier)
    # Graduated: the first 1,000 calls free, 500 more at 0.5 cent: 250 cents, one line.
    assert (calls.quantity, calls.unit_amount_decimal) == (Decimal(1), Decimal(250))
    # 990 calls were billed for the earlier period: of 20 late ones, 10 are still free and 10 cost 0.5.
    assert "reported late for" in late_line.description and late_line.unit_amount_decimal == 5


def test_billing_a_boundary_twice_is_refused() -> None:
    sub = subscription()
    billed = sub.billed(0, "in_1", JAN_31)
    assert (billed.billed_through, billed.latest_invoice, billed.version) == (0, "in_1", 1)
    with pytest.raises(Conflict):
        billed.billed(0, "in_2", JAN_31)
    with pytest.raises(Conflict):
        sub.billed(1, "in_2", JAN_31)


def test_cancel_at_period_end_bills_the_usage_then_ends() -> None:
    sub = subscription(billed_through=0).cancel(at_period_end=True, at=datetime(2026, 2, 10, tzinfo=UTC))
    assert sub.cancel_at_period_end and sub.status == "active"
    lines = sub.lines_at(1, {"si_calls": PeriodUsage(sub.period(0), Decimal(1200), 3, ())}, texts=EN)
    assert [line.item_id for line in lines] == ["si_calls"]  # no seats for a period it will not have
    ended = sub.billed(1, "in_last", datetime(2026, 2, 28, 10, tzinfo=UTC))
    assert (ended.status, ended.ended_at, ended.finished) == ("canceled", sub.boundary(1), True)
    assert ended.events[-1].type == "subscription.deleted"


def test_pause_and_resume() -> None:
    sub = subscription(billed_through=0).pause(JAN_31)
    assert sub.status == "paused"
    with pytest.raises(InvalidStateTransition):
        sub.pause(JAN_31)
    assert sub.resume(JAN_31).status == "active"
    with pytest.raises(InvalidStateTransition):
        subscription().resume(JAN_31)


def test_a_trial_bills_nothing_before_it_ends_and_activates_at_its_end() -> None:
    trial_end = datetime(2026, 2, 14, tzinfo=UTC)
    sub = subscription(billing_cycle_anchor=trial_end, trial_end=trial_end, status="trialing")
    assert sub.index_at(datetime(2026, 2, 1, tzinfo=UTC)) == -1
    assert sub.due_at(0) == trial_end
    assert sub.billed(0, "in_1", trial_end).status == "active"


def test_usage_waits_for_the_meters_grace_period() -> None:
    sub = subscription(usage_grace_seconds=3600)
    assert sub.due_at(0) == sub.boundary(0)  # nothing metered to wait for
    assert (sub.due_at(1) - sub.boundary(1)).total_seconds() == 3600


def test_a_change_mid_period_waits_as_two_lines_a_credit_and_a_charge() -> None:
    sub = subscription(billed_through=0)
    halfway = sub.period(0).start + (sub.period(0).end - sub.period(0).start) / 2
    upgraded, effect = sub.update_item("si_seats", texts=EN, quantity=5, at=halfway)
    # 3 -> 5 seats at 10.00 halfway: -15.00 for the unused time on 3, +25.00 for the remaining time on 5.
    assert effect.invoice_now == ()
    assert [(p.kind, p.amount, p.description) for p in upgraded.pending_lines] == [
        ("credit", -1500, "Unused time on 3 × price_seat"), ("charge", 2500, "Remaining time on 5 × price_seat")]
    assert {(p.period_start, p.period_end) for p in upgraded.pending_lines} == {(halfway, sub.period(0).end)}
    # On the next invoice, after the period's item lines: the credit a quantity of -1 at 15.00, the charge +1.
    credit, charge = upgraded.lines_at(1, {}, texts=EN)[-2:]
    assert (credit.quantity, credit.unit_amount_decimal, credit.proration, credit.discounts) == (-1, 1500, True, ())
    assert (charge.quantity, charge.unit_amount_decimal, charge.proration) == (1, 2500, True)
    assert (credit.period, charge.period) == (Period(halfway, sub.period(0).end),) * 2
    # A downgrade is the same two lines, the credit larger: still both pending, no balance moved here.
    downgraded, _ = sub.update_item("si_seats", texts=EN, quantity=1, at=halfway)
    assert [p.amount for p in downgraded.pending_lines] == [-1500, 500]
    assert upgraded.billed(1, "in_2", halfway).pending_lines == ()
    kept = upgraded.billed(1, "in_2", halfway, carried=upgraded.pending_lines)
    assert kept.pending_lines == upgraded.pending_lines  # no invoice could take them: they wait


def test_always_invoice_takes_every_pending_proration_now() -> None:
    sub = subscription(billed_through=0)
    halfway = sub.period(0).start + (sub.period(0).end - sub.period(0).start) / 2
    first, _ = sub.update_item("si_seats", texts=EN, quantity=4, at=halfway)
    second, effect = first.update_item("si_seats", texts=EN, quantity=6, at=halfway, behavior="always_invoice")
    assert second.pending_lines == ()
    assert [p.amount for p in effect.invoice_now] == [-1500, 2000, -2000, 3000]


def test_coupon_durations() -> None:
    def coupon(duration: str, months: int | None = None) -> Coupon:
        return Coupon(id="co_1", account_id="acct_1", percent_off=Decimal(10), duration=duration,
                      duration_in_months=months, created=NOW)

    assert [subscription(coupon=coupon("once")).coupon_applies(k) for k in range(3)] == [True, False, False]
    assert [subscription(coupon=coupon("repeating", 2)).coupon_applies(k) for k in range(4)] == [
        True, True, False, False]
    assert all(subscription(coupon=coupon("forever")).coupon_applies(k) for k in range(24))


def test_items_must_share_an_interval_and_the_currency() -> None:
    yearly = price(10_000, "price_year", recurring=Recurring(interval="year"))
    with pytest.raises(ValueError, match="same interval"):
        subscription(items=(SubscriptionItem(id="a", price=price()), SubscriptionItem(id="b", price=yearly)))
    with pytest.raises(CurrencyNotOffered):  # billed in the customer's currency, never converted
        subscription(currency="SEK")
    with pytest.raises(ValueError, match="meter"):
        SubscriptionItem(id="c", price=API_CALLS)


def test_period_is_half_open() -> None:
    p = subscription().period(0)
    assert isinstance(p, Period) and p.start in p and p.end not in p


def test_every_subscription_event_is_what_its_schema_says() -> None:
    import json
    from pathlib import Path

    import jsonschema

    schemas = Path(__file__).resolve().parents[3] / "docs" / "events"
    sub = subscription().record_created(JAN_31).billed(0, "in_1", JAN_31)
    sub = sub.update_item("si_seats", texts=EN, quantity=4, at=JAN_31 + (sub.boundary(1) - JAN_31) / 2)[0]
    sub = sub.pause(JAN_31).resume(JAN_31).cancel(at_period_end=False, at=JAN_31)
    types = [e.type for e in sub.events]
    assert types == ["subscription.created", "subscription.renewed", "subscription.updated", "subscription.paused",
                     "subscription.resumed", "subscription.deleted"]
    for event in sub.events:
        jsonschema.validate(event.model_dump(mode="json"), json.loads((schemas / f"{event.type}.json").read_text()))
    assert len({e.id for e in sub.events}) == len(sub.events)
