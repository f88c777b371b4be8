"""The dunning part of the API (docs/dunning.md): an invoice's dunning history. The policies are
configured on the account (`POST /account`, field `dunning_policies`).

    GET /invoices/{id}/dunning     the steps done (when, outcome), the step in progress, the next step
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, ConfigDict

from invoicing.api.contract import READ, answers
from invoicing.api.views import iso
from invoicing.domain.dunning import Dunning, PlannedStep
from invoicing.services.dunning import DunningService

InvoiceId = Annotated[str, Path(max_length=64)]


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class StepView(_View):
    id: str
    kind: Literal["charge", "reminder", "late_fees", "final"]
    day: int
    due_at: str


class DoneStepView(StepView):
    performed_at: str
    outcome: str
    detail: str | None


class DunningObject(_View):
    object: Literal["dunning"]
    invoice: str
    status: Literal["active", "stopped", "completed", "none"]
    stopped_reason: str | None
    segment: str | None
    final_action: str | None
    late_fee_invoice: str | None
    steps_done: list[DoneStepView]
    in_progress: str | None
    next_step: StepView | None
    planned: list[StepView]


def _step(step: PlannedStep) -> dict[str, Any]:
    return {"id": step.id, "kind": step.kind, "day": step.day, "due_at": iso(step.at)}


def dunning_view(invoice_id: str, dunning: Dunning | None) -> dict[str, Any]:
    if dunning is None:  # no policy applied: said plainly rather than a 404 for an invoice that exists
        return DunningObject(object="dunning", invoice=invoice_id, status="none", stopped_reason=None, segment=None,
                             final_action=None, late_fee_invoice=None, steps_done=[], in_progress=None,
                             next_step=None, planned=[]).model_dump(mode="json")
    done = [DoneStepView(id=d.step_id, kind=d.kind, day=d.day, due_at=iso(d.due_at), performed_at=iso(d.performed_at),
                         outcome=d.outcome, detail=d.detail) for d in dunning.done]
    next_step = dunning.next_step
    return DunningObject(
        object="dunning", invoice=invoice_id, status=dunning.status, stopped_reason=dunning.stopped_reason,
        segment=dunning.segment, final_action=dunning.final_action, late_fee_invoice=dunning.late_fee_invoice,
        steps_done=done, in_progress=dunning.in_progress,
        next_step=StepView.model_validate(_step(next_step)) if next_step else None,
        planned=[StepView.model_validate(_step(s)) for s in dunning.steps],
    ).model_dump(mode="json")


def dunning_router(dunning: DunningService, account_id: Callable[[], str]) -> APIGatewayRouter:
    router = APIGatewayRouter()

    @router.get("/invoices/<invoice_id>/dunning", tags=["invoices"],
                summary="An invoice's dunning: steps done (when, outcome), the step in progress, the next step",
                responses=answers(200, DunningObject, READ))
    def invoice_dunning(invoice_id: InvoiceId):
        body = dunning_view(invoice_id, dunning.history(account_id(), invoice_id))
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))

    return router
