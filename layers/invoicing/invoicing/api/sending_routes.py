"""Sending and the review list (docs/sending.md): a Powertools `Router` that `build_app` includes.

    POST /invoices/{id}/send                  email the invoice to its customer (202: the send worker does it)
    POST /invoices/{id}/hosted_link/rotate    a new link to the hosted page; the old one is a 404 from now on
    GET  /review                              what a person should look at: failing addresses, questions
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from invoicing.api.contract import CHANGE, LIST, answers
from invoicing.api.views import InvoiceObject, ListOf, View, invoice_view, iso, list_view
from invoicing.domain.sending import ReviewItem, ReviewReason
from invoicing.services.hosted import HostedPageService
from invoicing.services.invoices import InvoiceView
from invoicing.services.sending import ReviewService, SendRequests

InvoiceId = Annotated[str, Path(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=100, description="Objects per page (1-100)")]
StartingAfter = Annotated[str | None, Query(max_length=64, description="Cursor: the last id of the previous page")]


class HostedLinkObject(View):
    object: Literal["hosted_link"]
    invoice: str
    url: str


class ReviewItemObject(View):
    id: str
    object: Literal["review_item"]
    reason: ReviewReason
    invoice: str | None
    customer: str | None
    detail: str | None
    created: datetime


class ReviewItemList(ListOf[ReviewItemObject]):
    pass


def review_item_view(item: ReviewItem) -> dict[str, Any]:
    return {"id": item.id, "object": "review_item", "reason": item.reason, "invoice": item.invoice_id,
            "customer": item.customer_id, "detail": item.detail, "created": iso(item.created)}


def hosted_base(event: Any, configured: str) -> str:
    """Where hosted pages are: the configured public URL, else the URL this request came to (the stage's
    execute-api URL); see docs/sending.md."""
    if configured:
        return configured.rstrip("/")
    context = event.request_context
    return f"https://{context.domain_name}/{context.stage}"


def sending_router(sending: SendRequests, hosted: HostedPageService, review: ReviewService,
                   account_id: Callable[[], str]) -> APIGatewayRouter:
    router = APIGatewayRouter()

    def ok(body: dict[str, Any], status: int = 200) -> Response:
        return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))

    @router.post("/invoices/<invoice_id>/send", tags=["invoices"],
                 summary="Email the invoice to its customer (its PDF or chosen e-invoice, and the hosted page's link)",
                 responses=answers(202, InvoiceObject, CHANGE))
    def send_invoice(invoice_id: InvoiceId):
        return ok(invoice_view(InvoiceView(sending.request_send(account_id(), invoice_id), [])), 202)

    @router.post("/invoices/<invoice_id>/hosted_link/rotate", tags=["invoices"],
                 summary="A new link to the invoice's hosted page; the old link answers 404 from now on",
                 responses=answers(200, HostedLinkObject, CHANGE))
    def rotate_hosted_link(invoice_id: InvoiceId):
        token = hosted.rotate(account_id(), invoice_id)
        url = f"{hosted_base(router.current_event, hosted.base_url)}/i/{token}"
        return ok({"object": "hosted_link", "invoice": invoice_id, "url": url})

    @router.get("/review", tags=["review"],
                summary="The review list, newest first: failing customer addresses and customers' questions",
                responses=answers(200, ReviewItemList, LIST))
    def list_review(limit: Limit = 10, starting_after: StartingAfter = None):
        page = review.list(account_id(), limit=limit, starting_after=starting_after)
        return ok(list_view(page, review_item_view, "/review"))

    return router
