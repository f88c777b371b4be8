"""Dunning: what is done, and when, about an invoice that stays unpaid.

A policy (one per customer segment, on the account) lists the steps, as days relative to the due
date: reminders before, on and after it (-3, 0, +7, +14); charge retries for invoices collected
automatically (+1, +3, +5, +7); optionally a late-fee invoice (statutory interest and compensation,
`domain.late_payment`); and a final action (mark uncollectible, cancel the subscription, or leave
the invoice open). When an invoice is finalized its policy is resolved into a plan: every step with
the moment it falls due, in the order they are performed. The plan is frozen with the invoice's
dunning record, so a later change of policy applies to invoices finalized after it.

The record remembers which steps are done. The next step is always the first planned step not done:
so steps happen in order, each once, and none is skipped. A step is first claimed (the record says
it is in progress, under its version), then performed, then completed; a redelivered message finds
it done and does nothing; a message redelivered after a crash between claim and completion finds it
in progress and performs it again (the charge carries an idempotency key, so the provider charges
once).

A step whose moment passed while the scheduler was stopped is still performed when it runs again,
in order, one after the other: a reminder is a notice the policy promises the customer (and the
one a later step, a late fee or a final action, may rely on having been given), so skipping it
would make the later steps unfair. Steps whose moment was already past when the invoice was
finalized (a -3 reminder on an invoice due in two days) are not planned at all: they never fell due.

The record of a customer living on a test clock (sandbox) names the clock: its steps fall due on the
clock's time, when the clock is advanced, never on the real-time schedule.

Nothing here reads the clock or storage: times are passed in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from invoicing.domain.errors import InvalidStateTransition

StepKind = Literal["charge", "reminder", "late_fees", "final"]
FinalAction = Literal["mark_uncollectible", "cancel_subscription", "leave_open"]
DunningStatus = Literal["active", "stopped", "completed"]
# On a day with several steps: a charge first (if it succeeds nothing else is needed), then the
# reminder, then late fees, and the final action last.
KIND_ORDER: dict[str, int] = {"charge": 0, "reminder": 1, "late_fees": 2, "final": 3}
MAX_POLICIES = 20
MAX_STEPS = 20
SEGMENT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LateFees(_Model):
    """A late-fee invoice `after_days` past the due date: statutory interest on what remains and
    the fixed compensation (Directive 2011/7/EU; B2B only)."""

    after_days: int = Field(ge=1, le=365, description="Days after the due date the late-fee invoice is issued")
    interest: bool = Field(default=True,
                           description="Charge interest: the reference rate + 8 points, or annual_rate_percent")
    annual_rate_percent: Decimal | None = Field(
        default=None, ge=0, le=100, decimal_places=4,
        description="The annual interest rate to use instead of the ECB reference rate + 8 (a national rule)")
    compensation: bool = Field(default=True, description="Charge the fixed compensation (EUR 40 per invoice)")
    compensation_amount: int | None = Field(
        default=None, ge=0, le=1_000_000,
        description="The fixed compensation in the invoice currency's minor units (default: 4000 for EUR only)")


class DunningPolicy(_Model):
    """The steps for the invoices of one customer segment (`segment: null` is the default policy)."""

    segment: str | None = Field(default=None, pattern=SEGMENT_PATTERN,
                                description="Customers with this segment follow this policy; null: all others")
    reminders: tuple[Annotated[int, Field(ge=-60, le=365)], ...] = Field(
        default=(), max_length=MAX_STEPS, json_schema_extra={"uniqueItems": True},
        description="Days relative to the due date (-60 to 365, each once), e.g. [-3, 0, 7, 14]")
    charge_retries: tuple[Annotated[int, Field(ge=1, le=365)], ...] = Field(
        default=(), max_length=MAX_STEPS, json_schema_extra={"uniqueItems": True},
        description="Days after the due date to charge again (1 to 365, each once; charge_automatically "
                    "invoices), e.g. [1, 3, 5, 7]")
    late_fees: LateFees | None = None
    final_action: FinalAction = "leave_open"
    final_after_days: int | None = Field(default=None, ge=0, le=365,
                                         description="Days after the due date the final action is taken")
    hour_utc: int = Field(default=8, ge=0, le=23, description="The hour of the day (UTC) steps fall due")

    @field_validator("reminders", "charge_retries")
    @classmethod
    def _days(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(days)) != len(days):
            raise ValueError("each day may appear once")
        return tuple(sorted(days))

    @model_validator(mode="after")
    def _final(self) -> DunningPolicy:
        if self.final_action != "leave_open" and self.final_after_days is None:
            raise ValueError(f"final_action {self.final_action} needs final_after_days")
        last = max((*self.reminders, *self.charge_retries, self.late_fees.after_days if self.late_fees else 0,
                    0))
        if self.final_after_days is not None and self.final_after_days < last:
            raise ValueError(f"final_after_days ({self.final_after_days}) must not come before the last step "
                             f"(day {last})")
        return self


def validate_policies(policies: list[DunningPolicy]) -> list[DunningPolicy]:
    """An account's policies: at most one per segment, and at most one default."""
    if len(policies) > MAX_POLICIES:
        raise ValueError(f"at most {MAX_POLICIES} dunning policies")
    segments = [p.segment for p in policies]
    if len(set(segments)) != len(segments):
        raise ValueError("each segment (and the default, segment null) may have one policy")
    return policies


def policy_for(policies: list[DunningPolicy], segments: list[str]) -> DunningPolicy | None:
    """The policy of the first of the account's policies whose segment the customer has, else the
    default one, else none (no dunning)."""
    for policy in policies:
        if policy.segment is not None and policy.segment in segments:
            return policy
    return next((p for p in policies if p.segment is None), None)


class PlannedStep(_Model):
    id: str  # "reminder-3", "reminder+0", "charge+1", "late_fees+30", "final+45": unique within a plan
    kind: StepKind
    day: int  # relative to the due date
    at: datetime


def step_id(kind: str, day: int) -> str:
    return f"{kind}{day:+d}"


def plan(policy: DunningPolicy, *, due_date: date, charge_automatically: bool,
         finalized_at: datetime) -> tuple[PlannedStep, ...]:
    """Every step of the policy with its moment, in the order they are performed; those whose moment
    precedes the invoice's finalization are left out (they never fell due)."""
    wanted: list[tuple[StepKind, int]] = [("reminder", d) for d in policy.reminders]
    if charge_automatically:
        wanted += [("charge", d) for d in policy.charge_retries]
    if policy.late_fees is not None:
        wanted.append(("late_fees", policy.late_fees.after_days))
    if policy.final_action != "leave_open" and policy.final_after_days is not None:
        wanted.append(("final", policy.final_after_days))
    steps = [PlannedStep(id=step_id(kind, day), kind=kind, day=day, at=step_moment(due_date, day, policy.hour_utc))
             for kind, day in wanted]
    steps = [s for s in steps if s.at >= finalized_at]
    return tuple(sorted(steps, key=lambda s: (s.at, KIND_ORDER[s.kind])))


def step_moment(due_date: date, day: int, hour_utc: int) -> datetime:
    return datetime.combine(due_date + timedelta(days=day), time(hour_utc), tzinfo=UTC)


StepOutcome = Literal["sent", "not_sent", "charged", "charge_failed", "invoiced", "not_invoiced",
                      "marked_uncollectible", "subscription_canceled", "left_open"]


class StepDone(_Model):
    step_id: str
    kind: StepKind
    day: int
    due_at: datetime
    performed_at: datetime
    outcome: StepOutcome
    detail: str | None = None  # e.g. the late-fee invoice's id, or why a charge failed (no personal data)


class Dunning(_Model):
    """An invoice's dunning record: its plan, what is done, and what is in progress."""

    account_id: str
    invoice_id: str
    customer_id: str
    test_clock: str | None = None  # the customer's test clock: steps fall due on its time (sandbox)
    segment: str | None = None  # the policy's segment the plan came from
    final_action: FinalAction = "leave_open"
    late_fees: LateFees | None = None
    steps: tuple[PlannedStep, ...] = ()
    done: tuple[StepDone, ...] = ()
    in_progress: str | None = None  # the id of the claimed step, until it is completed
    late_fee_invoice: str | None = None  # the late-fee invoice, drafted when its step is claimed
    status: DunningStatus = "active"
    stopped_reason: str | None = None  # "paid", "void", "uncollectible", "credited"
    created: datetime
    version: int = 0

    @property
    def next_step(self) -> PlannedStep | None:
        """The first planned step not done: the only one that may be performed next."""
        if self.status != "active":
            return None
        done = {d.step_id for d in self.done}
        return next((s for s in self.steps if s.id not in done), None)

    def due_step(self, now: datetime) -> PlannedStep | None:
        step = self.next_step
        return step if step is not None and step.at <= now else None

    @property
    def next_at(self) -> datetime | None:
        """When the next step falls due: the dunning index's key (None: out of the index)."""
        step = self.next_step
        return step.at if step is not None else None

    def claim(self, step: PlannedStep, late_fee_invoice: str | None = None) -> Dunning:
        """The step is in progress (a new version, so two workers cannot both claim it)."""
        if self.next_step != step:
            raise InvalidStateTransition(f"Dunning step {step.id} of {self.invoice_id} is not the next one.",
                                         param="step")
        changes: dict[str, object] = {"in_progress": step.id, "version": self.version + 1}
        if late_fee_invoice is not None:
            changes["late_fee_invoice"] = late_fee_invoice
        return self.model_copy(update=changes)

    def complete(self, step: PlannedStep, outcome: StepOutcome, at: datetime, detail: str | None = None) -> Dunning:
        if self.in_progress != step.id:
            raise InvalidStateTransition(f"Dunning step {step.id} of {self.invoice_id} was not claimed.",
                                         param="step")
        done = StepDone(step_id=step.id, kind=step.kind, day=step.day, due_at=step.at, performed_at=at,
                        outcome=outcome, detail=detail)
        updated = self.model_copy(update={"done": (*self.done, done), "in_progress": None,
                                          "version": self.version + 1})
        if updated.next_step is None:
            updated = updated.model_copy(update={"status": "completed"})
        return updated

    def stop(self, reason: str) -> Dunning:
        """No further step: the invoice was paid, voided, marked uncollectible or credited in full."""
        if self.status == "stopped":
            return self
        return self.model_copy(update={"status": "stopped", "stopped_reason": reason, "in_progress": None,
                                       "version": self.version + 1})


def start_dunning(policy: DunningPolicy | None, *, account_id: str, invoice_id: str, customer_id: str,
                  due_date: date | None, charge_automatically: bool, finalized_at: datetime,
                  test_clock: str | None = None) -> Dunning | None:
    """The dunning record of a newly finalized invoice, or None when no policy or no step applies."""
    if policy is None or due_date is None:
        return None
    steps = plan(policy, due_date=due_date, charge_automatically=charge_automatically, finalized_at=finalized_at)
    if not steps:
        return None
    return Dunning(account_id=account_id, invoice_id=invoice_id, customer_id=customer_id, test_clock=test_clock,
                   segment=policy.segment,
                   final_action=policy.final_action, late_fees=policy.late_fees, steps=steps, created=finalized_at)


def is_overdue(status: str, due_date: date | None, amount_remaining: int, today: date) -> bool:
    """Derived, never stored: an open invoice with something left to pay whose due date is before
    `today` (an uncollectible one has its own status)."""
    return status == "open" and due_date is not None and due_date < today and amount_remaining > 0
