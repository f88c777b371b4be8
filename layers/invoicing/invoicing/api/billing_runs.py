"""Billing runs and their review, and test clocks (docs/subscriptions.md): request bodies, views and
routes; `build_app` includes the routers.

    POST /billing_runs                       start a run by hand (a segment, a customer, or all), or a dry run
    GET  /billing_runs                       list runs, newest first
    GET  /billing_runs/{id}                  a run's figures and progress
    GET  /billing_runs/{id}/drafts           its drafts in review, sorted and filtered
    POST /billing_runs/{id}/approve          finalize some of them, or all
    POST /test_clocks                        (sandbox) a test clock
    GET  /test_clocks/{id}
    POST /test_clocks/{id}/advance           run what happens until the new time
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from invoicing.api.contract import CHANGE, CREATE, LIST, READ, answers
from invoicing.api.requests import Command
from invoicing.api.views import iso
from invoicing.domain.billing_run import ReviewEntry
from invoicing.domain.errors import InvalidInput
from invoicing.domain.party import Segment
from invoicing.domain.schema_rules import at_most_one, given
from invoicing.domain.test_clock import TestClock
from invoicing.services.billing_runs import Approval, BillingRunService, NewBillingRun, RunPreview, RunView
from invoicing.services.ports import Page, ReviewFilter
from invoicing.services.test_clocks import TestClockService

Id = Annotated[str, Field(min_length=1, max_length=64)]
RunId = Annotated[str, Path(max_length=64)]
ClockId = Annotated[str, Path(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=100, description="Objects per page (1-100)")]
StartingAfter = Annotated[str | None, Query(max_length=64, description="Cursor: the last id of the previous page")]
Amount = Annotated[int | None, Query(ge=-(10**15), le=10**15, description="Minor units")]


class View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# --- requests --------------------------------------------------------------------------------------
class BillingRunCreate(Command):
    model_config = ConfigDict(json_schema_extra={"allOf": [at_most_one("segment", "customer")]})

    segment: Segment | None = Field(default=None, description="Bill only the customers of this segment")
    customer: Id | None = Field(default=None, description="Bill only this customer")
    review: bool = Field(default=False, description="Leave every invoice of the run as a draft for review")
    dry_run: bool = Field(default=False, description="Report what would be billed; write nothing")

    @model_validator(mode="after")
    def _one_scope(self) -> BillingRunCreate:
        if self.segment and self.customer:
            raise ValueError("give segment or customer, not both")
        return self

    def command(self) -> NewBillingRun:
        return NewBillingRun(segment=self.segment, customer_id=self.customer, review=self.review)


class ApproveBody(Command):
    model_config = ConfigDict(json_schema_extra={"oneOf": [
        given("invoices"), {"required": ["all"], "properties": {"all": {"const": True}}}]})

    invoices: list[Id] | None = Field(default=None, min_length=1, max_length=100,
                                      description="The drafts to finalize (else `all`)")
    all: bool = Field(default=False, description="Finalize every draft of the run in review without blocking issues")

    @model_validator(mode="after")
    def _one(self) -> ApproveBody:
        if (self.invoices is None) == (not self.all):
            raise ValueError("give invoices or all: true")
        return self


class TestClockCreate(Command):
    __test__ = False

    frozen_time: AwareDatetime = Field(description="The clock's time at creation")
    name: str | None = Field(default=None, max_length=200)


class TestClockAdvance(Command):
    __test__ = False

    frozen_time: AwareDatetime = Field(description="The time to advance to (later than the clock's)")


# --- views -----------------------------------------------------------------------------------------
class BillingRunObject(View):
    id: str
    object: Literal["billing_run"]
    trigger: Literal["schedule", "manual", "test_clock"]
    status: Literal["running", "completed"]
    segment: str | None
    customer: str | None
    test_clock: str | None
    review: bool
    total: int = Field(description="Subscription boundaries the run listed so far")
    done: int = Field(description="Boundaries resolved: invoiced, held for review, nothing to bill, or billed before")
    failed: int = Field(description="Boundaries given up on (their message went to the dead-letter queue)")
    needs_review: int = Field(description="Drafts of the run waiting in its review list")
    invoiced: int = Field(description="Invoices of the run finalized")
    progress: int = Field(description="Percent of the listed boundaries resolved or failed")
    created: str
    completed_at: str | None


class BillingRunList(View):
    object: Literal["list"]
    url: str
    data: list[BillingRunObject]
    has_more: bool


class PreviewObject(View):
    subscription: str
    customer: str
    boundary: int
    currency: str
    subtotal: int
    tax: int
    total: int
    lines: int


class CurrencyTotals(View):
    invoices: int
    subtotal: int
    tax: int
    total: int


class BillingRunPreviewObject(View):
    object: Literal["billing_run_preview"]
    dry_run: Literal[True]
    segment: str | None
    customer: str | None
    subscriptions: list[PreviewObject]
    totals: dict[str, CurrencyTotals]
    truncated: bool = Field(description="More subscriptions than a dry run examines (200): narrow the scope")


class DraftObject(View):
    invoice: str
    object: Literal["billing_run_draft"]
    billing_run: str
    customer: str
    subscription: str
    segments: list[str]
    currency: str
    amount: int
    previous_amount: int | None
    change: int | None
    validation_issues: list[str]
    blocking: bool
    flags: list[str]
    auto_finalize_at: str | None
    created: str


class DraftList(View):
    object: Literal["list"]
    url: str
    data: list[DraftObject]
    has_more: bool


class FailedApproval(View):
    invoice: str
    code: str
    message: str


class ApprovalObject(View):
    object: Literal["billing_run_approval"]
    billing_run: str
    finalized: list[str]
    failed: list[FailedApproval]
    remaining: bool = Field(description="More drafts wait: approve all again")


class TestClockObject(View):
    __test__ = False

    id: str
    object: Literal["test_clock"]
    name: str | None
    frozen_time: str
    status: Literal["ready", "advancing"]
    subscriptions: list[str]
    created: str


def run_view(view: RunView) -> dict[str, Any]:
    run, counts = view.run, view.counts
    progress = 100 if counts.total == 0 else min(100, (counts.done + counts.failed) * 100 // counts.total)
    return BillingRunObject(
        id=run.id, object="billing_run", trigger=run.trigger, status=run.status, segment=run.segment,
        customer=run.customer_id, test_clock=run.test_clock, review=run.review, total=counts.total, done=counts.done,
        failed=counts.failed, needs_review=counts.needs_review, invoiced=counts.invoiced, progress=progress,
        created=iso(run.created) or "", completed_at=iso(run.completed_at),
    ).model_dump()


def preview_view(preview: RunPreview, cmd: NewBillingRun) -> dict[str, Any]:
    return BillingRunPreviewObject(
        object="billing_run_preview", dry_run=True, segment=cmd.segment, customer=cmd.customer_id,
        subscriptions=[PreviewObject(subscription=p.subscription_id, customer=p.customer_id, boundary=p.boundary,
                                     currency=p.currency, subtotal=p.subtotal, tax=p.tax, total=p.total,
                                     lines=p.lines) for p in preview.lines],
        totals={c: CurrencyTotals(**t) for c, t in preview.totals().items()}, truncated=preview.truncated,
    ).model_dump()


def draft_view(entry: ReviewEntry) -> dict[str, Any]:
    return DraftObject(
        invoice=entry.invoice_id, object="billing_run_draft", billing_run=entry.run_id, customer=entry.customer_id,
        subscription=entry.subscription_id, segments=list(entry.segments), currency=entry.currency,
        amount=entry.amount, previous_amount=entry.previous_amount, change=entry.change,
        validation_issues=list(entry.issues), blocking=entry.blocking, flags=list(entry.flags),
        auto_finalize_at=iso(entry.auto_finalize_at), created=iso(entry.created) or "",
    ).model_dump()


def approval_view(run_id: str, approval: Approval) -> dict[str, Any]:
    return ApprovalObject(
        object="billing_run_approval", billing_run=run_id, finalized=approval.finalized,
        failed=[FailedApproval(invoice=i, code=e.code, message=e.message) for i, e in approval.failed.items()],
        remaining=approval.remaining,
    ).model_dump()


def clock_view(clock: TestClock) -> dict[str, Any]:
    return TestClockObject(id=clock.id, object="test_clock", name=clock.name, frozen_time=iso(clock.frozen_time) or "",
                           status=clock.status, subscriptions=list(clock.subscriptions),
                           created=iso(clock.created) or "").model_dump()


def _ok(body: dict[str, Any], status: int = 200) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def _page(page: Page[Any], render: Callable[[Any], dict[str, Any]], url: str) -> dict[str, Any]:
    return {"object": "list", "url": url, "data": [render(x) for x in page.data], "has_more": page.has_more}


def billing_runs_router(runs: BillingRunService, account_id: Callable[[], str]) -> Router:
    router = Router()

    @router.post("/billing_runs", tags=["billing runs"],
                 summary="Start a billing run by hand (one segment, one customer, or the account), or a dry run",
                 responses=answers(201, BillingRunObject, CREATE, 404, also={200: BillingRunPreviewObject}))
    def create_billing_run(body: Annotated[BillingRunCreate, Body()]):
        account = account_id()
        if body.dry_run:
            return _ok(preview_view(runs.preview(account, body.command()), body.command()))
        run = runs.start(account, body.command())
        return _ok(run_view(runs.get(account, run.id)), 201)

    @router.get("/billing_runs", tags=["billing runs"], summary="List billing runs, newest first",
                responses=answers(200, BillingRunList, LIST))
    def list_billing_runs(limit: Limit = 10, starting_after: StartingAfter = None):
        return _ok(_page(runs.list(account_id(), limit=limit, starting_after=starting_after), run_view,
                         "/billing_runs"))

    @router.get("/billing_runs/<run_id>", tags=["billing runs"],
                summary="A billing run: total, done, failed, needs review, progress",
                responses=answers(200, BillingRunObject, READ))
    def get_billing_run(run_id: RunId):
        return _ok(run_view(runs.get(account_id(), run_id)))

    @router.get("/billing_runs/<run_id>/drafts", tags=["billing runs"],
                summary="The run's drafts waiting for review, sorted (descending) and filtered",
                responses=answers(200, DraftList, LIST))
    def list_drafts(run_id: RunId, limit: Limit = 10, starting_after: StartingAfter = None,
                    sort: Annotated[Literal["created", "amount", "change"], Query()] = "created",
                    customer: Annotated[str | None, Query(max_length=64)] = None,
                    segment: Annotated[str | None, Query(max_length=40)] = None,
                    amount_gte: Amount = None, amount_lte: Amount = None,
                    change_gte: Amount = None, change_lte: Amount = None,
                    blocking: Annotated[bool | None, Query(description="Only drafts with (or without) "
                                                                       "blocking validation issues")] = None,
                    issue: Annotated[str | None, Query(max_length=64, description="A validation issue code")] = None,
                    flag: Annotated[Literal["amount_unusual", "usage_spike"] | None, Query()] = None):
        flt = ReviewFilter(customer_id=customer, segment=segment, amount_gte=amount_gte, amount_lte=amount_lte,
                           change_gte=change_gte, change_lte=change_lte, blocking=blocking, issue=issue, flag=flag)
        page = runs.drafts(account_id(), run_id, flt, sort=sort, limit=limit, starting_after=starting_after)
        return _ok(_page(page, draft_view, f"/billing_runs/{run_id}/drafts"))

    @router.post("/billing_runs/<run_id>/approve", tags=["billing runs"],
                 summary="Finalize drafts of the run in review: some, or all (numbered in batches)",
                 responses=answers(200, ApprovalObject, CHANGE))
    def approve_drafts(run_id: RunId, body: Annotated[ApproveBody, Body()]):
        approval = runs.approve(account_id(), run_id, None if body.all else body.invoices)
        return _ok(approval_view(run_id, approval))

    return router


def test_clocks_router(clocks: TestClockService, account_id: Callable[[], str], sandbox: bool) -> Router:
    router = Router()

    def account() -> str:
        if not sandbox:
            raise InvalidInput("Test clocks exist in sandbox mode only (the deployment's SandboxMode).",
                               param="test_clock", code="sandbox_only")
        return account_id()

    @router.post("/test_clocks", tags=["test clocks"], summary="Create a test clock (sandbox only)",
                 responses=answers(201, TestClockObject, CREATE))
    def create_test_clock(body: Annotated[TestClockCreate, Body()]):
        clock = clocks.create(account(), body.frozen_time.astimezone(UTC), body.name)
        return _ok(clock_view(clock), 201)

    @router.get("/test_clocks/<clock_id>", tags=["test clocks"], summary="Retrieve a test clock",
                responses=answers(200, TestClockObject, READ))
    def get_test_clock(clock_id: ClockId):
        return _ok(clock_view(clocks.get(account(), clock_id)))

    @router.post("/test_clocks/<clock_id>/advance", tags=["test clocks"],
                 summary="Advance a test clock: period ends, billing runs, usage, auto-finalize, in order",
                 responses=answers(200, TestClockObject, CHANGE))
    def advance_test_clock(clock_id: ClockId, body: Annotated[TestClockAdvance, Body()]):
        return _ok(clock_view(clocks.advance(account(), clock_id, body.frozen_time.astimezone(UTC))))

    return router
