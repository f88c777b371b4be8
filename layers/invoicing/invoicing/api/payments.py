"""The payments part of the API (docs/payments.md): manual payments, the review queue, applying an
unmatched payment, and bank statement uploads. Request bodies, views and routes of one capability;
`build_app` includes the router.

    POST /payments                     record a payment a person saw arrive (matched like any other)
    GET  /payments                     list payments, newest first (?status=unmatched: the review queue)
    GET  /payments/{id}                retrieve a payment (unmatched: with ranked suggestions)
    POST /payments/{id}/apply          a person applies an unmatched payment to invoices
    POST /bank_statements              a presigned URL to upload a camt.053/.054 or MT940 file
    GET  /bank_statements/{id}         the upload's status: reconciled (with counts) or rejected (why)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import Field, StrictInt

from invoicing.api.contract import CHANGE, CREATE, LIST, READ, answers
from invoicing.api.requests import Command
from invoicing.api.views import ListOf, View, iso, list_view
from invoicing.domain.errors import UnknownCurrency
from invoicing.domain.money import MAX_AMOUNT, normalize_currency
from invoicing.domain.payment import Payment, PaymentMethod, PaymentSource, PaymentStatus
from invoicing.domain.statement_import import StatementCounts, StatementError, StatementImport
from invoicing.services.payments import PaymentService, Recorded
from invoicing.services.statements import StatementService, Upload

PaymentId = Annotated[str, Path(max_length=64)]
StatementId = Annotated[str, Path(max_length=64)]
PaymentStatusQuery = Annotated[PaymentStatus | None, Query(description="unmatched: the review queue")]



class PaymentCreate(Command):
    """Money a person saw arrive (a cheque, a transfer outside the statement files)."""

    amount: StrictInt = Field(gt=0, le=MAX_AMOUNT, description="Integer amount in the currency's minor unit")
    currency: str = Field(min_length=3, max_length=3)
    reference: str | None = Field(default=None, max_length=140,
                                  description="What the payer quoted: an RF reference, an OCR number, or text")
    invoice: str | None = Field(default=None, max_length=64, description="The invoice it pays, when known")
    payer_name: str | None = Field(default=None, max_length=140)
    method: PaymentMethod | None = None

    def normalized_currency(self) -> str:
        try:
            return normalize_currency(self.currency)
        except UnknownCurrency as error:
            error.param = "currency"
            raise


class PaymentApply(Command):
    invoices: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=95, json_schema_extra={"uniqueItems": True},
        description="The invoices, each once, paid in this order; the rest is the customer's credit")


class BankStatementCreate(Command):
    filename: str | None = Field(default=None, max_length=200, description="For people: the file's name")


# --- views --------------------------------------------------------------------------------------

class ApplicationObject(View):
    invoice: str
    amount: int


class SuggestionObject(View):
    invoice: str
    number: str | None
    customer: str | None
    score: float = Field(description="How well it fits, 0..1 (a ranking, not money)")
    reasons: list[str]


class PaymentObject(View):
    id: str
    object: Literal["payment"]
    status: PaymentStatus
    source: PaymentSource
    method: PaymentMethod | None
    amount: int
    currency: str
    received_on: date | None
    reference: str | None = Field(description="The structured reference (RF, OCR) the payer quoted")
    remittance_text: str | None
    payer_name: str | None
    payer_iban: str | None
    invoice: str | None
    customer: str | None
    rule: str | None = Field(description="How it was matched (manual: by a person)")
    applications: list[ApplicationObject]
    credit: int = Field(description="What became the customer's credit")
    amount_unapplied: int
    amount_refunded: int
    credit_shortfall: int
    bank_statement: str | None
    provider_reference: str | None
    failure_message: str | None
    suggestions: list[SuggestionObject] = Field(description="Ranked, while it is unmatched")
    created: datetime


class PaymentList(ListOf[PaymentObject]):
    pass


class UploadObject(View):
    url: str
    method: Literal["PUT"]
    expires_in: int


class BankStatementObject(View):
    id: str
    object: Literal["bank_statement"]
    status: str
    filename: str | None
    format: str | None
    format_version: str | None
    statement_id: str | None
    bank_account: str | None
    size: int | None
    counts: StatementCounts
    error: StatementError | None
    created: datetime
    completed_at: datetime | None
    upload: UploadObject | None = Field(default=None, description="Where to PUT the file (on creation)")


def payment_view(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id, "object": "payment", "status": payment.status, "source": payment.source,
        "method": payment.method, "amount": payment.amount, "currency": payment.currency,
        "received_on": payment.received_on.isoformat() if payment.received_on else None,
        "reference": payment.structured_reference, "remittance_text": payment.remittance_text,
        "payer_name": payment.payer_name, "payer_iban": payment.payer_iban,
        "invoice": payment.invoice_id, "customer": payment.customer_id, "rule": payment.rule,
        "applications": [{"invoice": a.invoice_id, "amount": a.amount} for a in payment.allocation.applications],
        "credit": payment.allocation.credit, "amount_unapplied": payment.amount_unapplied,
        "amount_refunded": payment.amount_refunded, "credit_shortfall": payment.credit_shortfall,
        "bank_statement": payment.statement_id, "provider_reference": payment.provider_reference,
        "failure_message": payment.failure_message,
        "suggestions": [{"invoice": s.invoice_id, "number": s.number, "customer": s.customer_id, "score": s.score,
                         "reasons": list(s.reasons)} for s in payment.suggestions],
        "created": iso(payment.created),
    }


def statement_view(statement: StatementImport, upload: Upload | None = None) -> dict[str, Any]:
    data = {
        "id": statement.id, "object": "bank_statement", "status": statement.status, "filename": statement.filename,
        "format": statement.format, "format_version": statement.version_of_format,
        "statement_id": statement.statement_id, "bank_account": statement.bank_account, "size": statement.size,
        "counts": statement.counts.model_dump(),
        "error": statement.error.model_dump() if statement.error else None,
        "created": iso(statement.created), "completed_at": iso(statement.completed_at),
    }
    if upload is not None:
        data["upload"] = {"url": upload.upload_url, "method": "PUT", "expires_in": upload.expires_in}
    return data


# --- routes -------------------------------------------------------------------------------------

def payments_router(payments: PaymentService, statements: StatementService, account_id: Callable[[], str]) -> Router:
    router = Router()

    def ok(body: dict[str, Any], status: int = 200) -> Response:
        return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))

    def recorded_ok(recorded: Recorded) -> Response:
        return ok(payment_view(recorded.payment), 200 if recorded.duplicate else 201)

    @router.post("/payments", tags=["payments"], summary="Record a payment received outside the provider and "
                 "the statement files; matched like any other (invoice, then reference), else it waits for review",
                 responses=answers(201, PaymentObject, CREATE, 404, also={200: PaymentObject}))
    def create_payment(body: Annotated[PaymentCreate, Body()]):
        recorded = payments.record_manual(account_id(), amount=body.amount, currency=body.normalized_currency(),
                                          reference=body.reference, invoice_id=body.invoice,
                                          payer_name=body.payer_name, method=body.method)
        return recorded_ok(recorded)

    @router.get("/payments", tags=["payments"], summary="List payments, newest first (status=unmatched: the "
                "review queue)", responses=answers(200, PaymentList, LIST))
    def list_payments(status: PaymentStatusQuery = None,
                      limit: Annotated[int, Query(ge=1, le=100)] = 10,
                      starting_after: Annotated[str | None, Query(max_length=64)] = None):
        page = payments.list(account_id(), status=status, limit=limit, starting_after=starting_after)
        return ok(list_view(page, payment_view, "/payments"))

    @router.get("/payments/<payment_id>", tags=["payments"],
                summary="Retrieve a payment (unmatched: with suggestions ranked afresh)",
                responses=answers(200, PaymentObject, READ))
    def get_payment(payment_id: PaymentId):
        return ok(payment_view(payments.get(account_id(), payment_id).payment))

    @router.post("/payments/<payment_id>/apply", tags=["payments"],
                 summary="Apply an unmatched payment to invoices, in the order given; the rest is the customer's "
                         "credit", responses=answers(200, PaymentObject, CHANGE))
    def apply_payment(payment_id: PaymentId, body: Annotated[PaymentApply, Body()]):
        return ok(payment_view(payments.apply(account_id(), payment_id, body.invoices)))

    @router.post("/bank_statements", tags=["payments"],
                 summary="A presigned URL (PUT, 15 minutes) to upload a camt.053/.054 or MT940 file; it is "
                         "reconciled when it arrives", responses=answers(201, BankStatementObject, CREATE))
    def create_bank_statement(body: Annotated[BankStatementCreate, Body()]):
        upload = statements.create_upload(account_id(), body.filename)
        return ok(statement_view(upload.statement, upload), 201)

    @router.get("/bank_statements/<statement_id>", tags=["payments"],
                summary="An uploaded statement: reconciled (with counts) or rejected (and why)",
                responses=answers(200, BankStatementObject, READ))
    def get_bank_statement(statement_id: StatementId):
        return ok(statement_view(statements.get(account_id(), statement_id)))

    return router
