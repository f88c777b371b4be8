"""Billing runs and the review before sending: what a run is, how far it got, and which of its
drafts a person looks at before they are finalized.

A run bills the subscription boundaries due in its scope (the whole deployment for the hourly
schedule, or one account, one segment of its customers, or one customer when started by hand).
Its figures are counted by the commits that resolve its boundaries (services/billing_runs.py), so
they say exactly how many boundaries it listed (`total`), resolved (`done`, of which
`needs_review` wait as drafts) and gave up on (`failed`). It completes once every page of its
scope has been listed and every listed boundary is resolved or failed; completing records
`billing_run.completed` once.

A draft is **held for review** when its run asks for it (`review: true`), when its customer is in a
segment the account holds for review (`Account.review.held_segments`), or when it has a blocking
validation issue. A held draft auto-finalizes `review.auto_finalize_after_minutes` after it was
billed (Stripe's one hour by default), unless it has a blocking issue: then it waits in the review
list until a person fixes the cause and approves it.

**Anomaly flags** on a held draft (warnings, never blocking):

- `amount_unusual`: the customer's last finalized invoices are the reference (the latest
  `AMOUNT_HISTORY`, at least `AMOUNT_MIN_HISTORY` of them); the flag is raised when the draft's total
  differs from their median by more than `AMOUNT_DEVIATION` (50 %) of that median, either way.
- `usage_spike`: a metered item's usage for the period is more than `USAGE_SPIKE_FACTOR` (3) times
  its usage in the period before (which must have had some usage).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from statistics import median
from typing import Any, Literal

from pydantic import Field

from invoicing.domain.errors import Conflict
from invoicing.domain.events import DomainEvent, new_event
from invoicing.domain.party import Model

RunTrigger = Literal["schedule", "manual", "test_clock"]
RunStatus = Literal["running", "completed"]
AMOUNT_HISTORY = 6
AMOUNT_MIN_HISTORY = 2
AMOUNT_DEVIATION = Decimal("0.5")
USAGE_SPIKE_FACTOR = 3


class AlreadyCounted(Conflict):
    """A run's boundary or page was counted by an earlier delivery: nothing is counted again."""

    code = "already_counted"


@dataclass(frozen=True)
class RunCounts:
    """A run's figures, summed over its counter shards."""

    total: int = 0
    done: int = 0
    failed: int = 0
    needs_review: int = 0
    invoiced: int = 0

    def __add__(self, other: RunCounts) -> RunCounts:
        return RunCounts(self.total + other.total, self.done + other.done, self.failed + other.failed,
                         self.needs_review + other.needs_review, self.invoiced + other.invoiced)

    @property
    def settled(self) -> bool:
        return self.done + self.failed >= self.total


class BillingRun(Model):
    id: str
    object: Literal["billing_run"] = "billing_run"
    account_id: str
    trigger: RunTrigger
    segment: str | None = None
    customer_id: str | None = None
    test_clock: str | None = None
    review: bool = False  # leave every invoice of the run as a draft for review
    status: RunStatus = "running"
    created: datetime
    completed_at: datetime | None = None
    version: int = 0
    events: tuple[DomainEvent, ...] = Field(default=(), exclude=True)

    def completed(self, counts: RunCounts, at: datetime) -> BillingRun:
        """The run completed, recording `billing_run.completed` with its final figures (once: a
        second completion is a Conflict, and the repository writes it under the run's version)."""
        if self.status == "completed":
            raise Conflict(f"Billing run '{self.id}' is completed already.", code="billing_run_completed")
        done = self.model_copy(update={"status": "completed", "completed_at": at, "version": self.version + 1})
        event = new_event("billing_run.completed", account_id=self.account_id, aggregate="billing_run",
                          aggregate_id=self.id, version=done.version, at=at, obj=done.summary(counts))
        return done.model_copy(update={"events": (event,)})

    def summary(self, counts: RunCounts) -> dict[str, Any]:
        return {"id": self.id, "object": "billing_run", "trigger": self.trigger, "status": self.status,
                "segment": self.segment, "customer": self.customer_id, "review": self.review,
                "total": counts.total, "done": counts.done, "failed": counts.failed,
                "needs_review": counts.needs_review, "invoiced": counts.invoiced}


class ReviewEntry(Model):
    """A draft of a run held for review: what the review list sorts and filters on."""

    invoice_id: str
    account_id: str
    run_id: str
    customer_id: str
    subscription_id: str
    segments: tuple[str, ...] = ()
    currency: str
    amount: int  # the draft's total, minor units
    previous_amount: int | None = None  # the customer's latest finalized invoice's total
    issues: tuple[str, ...] = ()  # validation issue codes
    blocking: bool = False
    flags: tuple[str, ...] = ()
    auto_finalize_at: datetime | None = None  # None: waits for a person (blocking issues)
    test_clock: str | None = None
    created: datetime

    @property
    def change(self) -> int | None:
        """The change from the customer's last period, minor units (None without one)."""
        return None if self.previous_amount is None else self.amount - self.previous_amount


def amount_unusual(total: int, previous_totals: list[int]) -> bool:
    """The amount rule (module docstring): far from the median of the customer's last invoices."""
    history = previous_totals[:AMOUNT_HISTORY]
    if len(history) < AMOUNT_MIN_HISTORY:
        return False
    usual = Decimal(median(history))
    if usual <= 0:
        return False
    return abs(Decimal(total) - usual) > usual * AMOUNT_DEVIATION


def usage_spike(current: Decimal, previous: Decimal | None) -> bool:
    """The usage rule (module docstring): more than 3x the period before, which had usage."""
    return previous is not None and previous > 0 and current > previous * USAGE_SPIKE_FACTOR
