"""Dunning policies, plans and the record's steps (pure domain), and late-payment interest goldens
worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from invoicing.domain.dunning import (
    Dunning,
    DunningPolicy,
    LateFees,
    is_overdue,
    plan,
    policy_for,
    start_dunning,
    validate_policies,
)
from invoicing.domain.errors import InvalidStateTransition
from invoicing.domain.late_payment import days_late, late_interest, reference_rate, statutory_rate
from invoicing.domain.party import Customer
from tests.unit.domain.builders import CREATED, customer, seller

DUE = date(2026, 3, 31)
FINALIZED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STANDARD = DunningPolicy(reminders=(-3, 0, 7, 14), charge_retries=(1, 3, 5, 7), final_action="mark_uncollectible",
                         final_after_days=30)


# --- policies ---------------------------------------------------------------------------------

def test_a_policy_sorts_its_days_and_refuses_repeats_and_days_out_of_range() -> None:
    assert DunningPolicy(reminders=(14, -3, 0)).reminders == (-3, 0, 14)
    for bad in ({"reminders": (7, 7)}, {"reminders": (-61,)}, {"charge_retries": (0,)},
                {"charge_retries": (366,)}):
        with pytest.raises(ValidationError):
            DunningPolicy(**bad)  # type: ignore[arg-type]


def test_a_final_action_needs_its_day_after_every_other_step() -> None:
    with pytest.raises(ValidationError, match="needs final_after_days"):
        DunningPolicy(final_action="mark_uncollectible")
    with pytest.raises(ValidationError, match="must not come before the last step"):
        DunningPolicy(reminders=(14,), final_action="cancel_subscription", final_after_days=10)
    policy = DunningPolicy(reminders=(14,), final_action="cancel_subscription", final_after_days=14)
    assert policy.final_after_days == 14


def test_segments_are_lower_case_words_and_each_has_one_policy() -> None:
    with pytest.raises(ValidationError):
        DunningPolicy(segment="Enterprise Customers")
    with pytest.raises(ValueError, match="one policy"):
        validate_policies([DunningPolicy(segment="smb"), DunningPolicy(segment="smb")])
    with pytest.raises(ValueError, match="one policy"):
        validate_policies([DunningPolicy(), DunningPolicy()])


def test_the_account_and_customer_carry_policies_and_segments_validated() -> None:
    account = seller(dunning_policies=[STANDARD, DunningPolicy(segment="enterprise", reminders=(7,))])
    assert [p.segment for p in account.dunning_policies] == [None, "enterprise"]
    with pytest.raises(ValidationError):
        seller(dunning_policies=[DunningPolicy(segment="a"), DunningPolicy(segment="a")])
    assert customer(segments=["enterprise", "nordics"]).segments == ["enterprise", "nordics"]
    for bad in (["Enterprise"], ["a", "a"], ["x" * 41]):
        with pytest.raises(ValidationError):
            Customer(id="cus_1", account_id="acct_1", name="A", created=CREATED, segments=bad)


def test_the_first_policy_of_a_segment_the_customer_has_applies_else_the_default_else_none() -> None:
    enterprise = DunningPolicy(segment="enterprise", reminders=(14,))
    smb = DunningPolicy(segment="smb", reminders=(3,))
    policies = [enterprise, smb, STANDARD]
    assert policy_for(policies, ["smb", "enterprise"]) == enterprise  # the account's order decides
    assert policy_for(policies, ["smb"]) == smb
    assert policy_for(policies, ["other"]) == STANDARD
    assert policy_for([enterprise], ["other"]) is None


# --- plans --------------------------------------------------------------------------------------

def test_the_plan_orders_steps_by_moment_charge_before_reminder_final_last() -> None:
    steps = plan(STANDARD, due_date=DUE, charge_automatically=True, finalized_at=FINALIZED)
    assert [s.id for s in steps] == ["reminder-3", "reminder+0", "charge+1", "charge+3", "charge+5", "charge+7",
                                     "reminder+7", "reminder+14", "final+30"]
    assert steps[0].at == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    assert steps[-1].at == datetime(2026, 4, 30, 8, 0, tzinfo=UTC)


def test_charges_are_planned_only_for_automatic_collection() -> None:
    steps = plan(STANDARD, due_date=DUE, charge_automatically=False, finalized_at=FINALIZED)
    assert [s.kind for s in steps] == ["reminder"] * 4 + ["final"]


def test_a_step_whose_moment_precedes_finalization_is_not_planned() -> None:
    late_finalized = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # after the -3 reminder's moment
    steps = plan(STANDARD, due_date=DUE, charge_automatically=False, finalized_at=late_finalized)
    assert steps[0].id == "reminder+0"


def test_no_dunning_without_policy_due_date_or_any_step() -> None:
    kwargs = {"account_id": "acct_1", "invoice_id": "in_1", "customer_id": "cus_1", "charge_automatically": False,
              "finalized_at": FINALIZED}
    assert start_dunning(None, due_date=DUE, **kwargs) is None  # type: ignore[arg-type]
    assert start_dunning(STANDARD, due_date=None, **kwargs) is None  # type: ignore[arg-type]
    assert start_dunning(DunningPolicy(), due_date=DUE, **kwargs) is None  # type: ignore[arg-type]


# --- the record ----------------------------------------------------------------------------------

def _record() -> Dunning:
    dunning = start_dunning(STANDARD, account_id="acct_1", invoice_id="in_1", customer_id="cus_1", due_date=DUE,
                            charge_automatically=False, finalized_at=FINALIZED)
    assert dunning is not None
    return dunning


def test_steps_are_claimed_and_completed_in_order_then_the_record_is_completed() -> None:
    dunning = _record()
    assert dunning.due_step(datetime(2026, 3, 28, 7, 59, tzinfo=UTC)) is None
    now = datetime(2026, 6, 1, tzinfo=UTC)  # everything is due
    ids = []
    while (step := dunning.due_step(now)) is not None:
        dunning = dunning.claim(step).complete(step, "sent", now)
        ids.append(step.id)
    assert ids == ["reminder-3", "reminder+0", "reminder+7", "reminder+14", "final+30"]
    assert dunning.status == "completed" and dunning.next_at is None


def test_only_the_next_step_may_be_claimed_and_only_a_claimed_one_completed() -> None:
    dunning = _record()
    first, second = dunning.steps[0], dunning.steps[1]
    with pytest.raises(InvalidStateTransition):
        dunning.claim(second)
    with pytest.raises(InvalidStateTransition):
        dunning.complete(first, "sent", FINALIZED)
    claimed = dunning.claim(first)
    assert claimed.version == dunning.version + 1 and claimed.in_progress == first.id


def test_a_stopped_record_has_no_next_step() -> None:
    stopped = _record().stop("paid")
    assert stopped.next_step is None and stopped.next_at is None and stopped.stopped_reason == "paid"
    assert stopped.stop("void") == stopped


@settings(max_examples=50, deadline=None)
@given(down_from=st.integers(min_value=0, max_value=57 * 24), redeliver=st.lists(st.booleans(), min_size=60 * 24,
                                                                                   max_size=60 * 24))
def test_hourly_ticks_with_downtime_and_redelivery_do_each_step_once_in_order(
        down_from: int, redeliver: list[bool]) -> None:
    """60 days of hourly ticks from finalization; the scheduler is down for 72 hours from `down_from`;
    any tick may be delivered twice. Each step is done once, none skipped, in plan order."""
    dunning = start_dunning(STANDARD, account_id="acct_1", invoice_id="in_1", customer_id="cus_1",
                            due_date=date(2026, 3, 20), charge_automatically=True, finalized_at=FINALIZED)
    assert dunning is not None
    performed: list[str] = []
    for hour in range(60 * 24):
        if down_from <= hour < down_from + 72:
            continue
        now = FINALIZED + timedelta(hours=hour)
        for _ in range(2 if redeliver[hour] else 1):
            while (step := dunning.due_step(now)) is not None:
                dunning = dunning.claim(step)
                performed.append(step.id)
                dunning = dunning.complete(step, "sent", now)
    assert performed == [s.id for s in dunning.steps]


def test_overdue_is_derived_from_status_due_date_and_what_remains() -> None:
    today = date(2026, 4, 1)
    assert is_overdue("open", date(2026, 3, 31), 100, today)
    assert not is_overdue("open", today, 100, today)  # due today is not late yet
    assert not is_overdue("paid", date(2026, 3, 31), 0, today)
    assert not is_overdue("open", None, 100, today)


# --- late-payment interest (Directive 2011/7/EU), worked by hand ----------------------------------

def test_reference_rates_are_the_half_years_ecb_rates_and_the_statutory_rate_adds_eight_points() -> None:
    assert reference_rate(date(2024, 3, 1)) == Decimal("4.50")
    assert reference_rate(date(2024, 7, 1)) == Decimal("4.25")
    assert reference_rate(date(2025, 12, 31)) == Decimal("2.15")
    assert reference_rate(date(2026, 6, 30)) == Decimal("2.15")  # held on 18 December 2025
    assert statutory_rate(date(2025, 2, 10)) == Decimal("11.15")  # 3.15 + 8
    assert reference_rate(date(2030, 1, 1)) is None  # not in the data yet: no statutory rate
    assert statutory_rate(date(2030, 1, 1)) is None


@pytest.mark.parametrize(("principal", "percent", "days", "expected"), [
    # EUR 1,000.00 at 10.15 % for 30 days: 100000 x 0.1015 x 30 / 365 = 834.2465... -> 834 cents
    (100_000, "10.15", 30, 834),
    # EUR 1,234.56 at 12.5 % for 45 days: 123456 x 0.125 = 15432; x 45 = 694440; / 365 = 1902.575... -> 1903
    (123_456, "12.5", 45, 1903),
    # a half exactly: 1825 x 0.10 x 1 / 365 = 0.5 -> 1 (half up; half even would give 0)
    (1825, "10", 1, 1),
    # 2.5 exactly: 9125 x 0.10 x 1 / 365 = 2.5 -> 3 (half up)
    (9125, "10", 1, 3),
    # a year at 11.15 % on EUR 500.00: 50000 x 0.1115 = 5575 exactly
    (50_000, "11.15", 365, 5575),
    (100_000, "10", 0, 0),
])
def test_interest_is_principal_times_rate_times_days_over_365_rounded_once_half_up(
        principal: int, percent: str, days: int, expected: int) -> None:
    assert late_interest(principal, Decimal(percent), days) == expected


def test_days_late_count_from_the_day_after_the_due_date() -> None:
    assert days_late(date(2026, 3, 31), date(2026, 4, 30)) == 30
    assert days_late(date(2026, 3, 31), date(2026, 3, 31)) == 0
    assert days_late(date(2026, 3, 31), date(2026, 3, 1)) == 0
    with pytest.raises(ValueError):
        late_interest(-1, Decimal(8), 1)


def test_late_fees_refuse_nonsense() -> None:
    with pytest.raises(ValidationError):
        LateFees(after_days=0)
    with pytest.raises(ValidationError):
        LateFees(after_days=30, annual_rate_percent=Decimal("-1"))
