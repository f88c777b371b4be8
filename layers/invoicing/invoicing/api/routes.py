"""The REST API: routes map HTTP to one use case each and render the result. No business rule here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import Logger

from invoicing.api.catalog_routes import catalog_router
from invoicing.api.contract import CHANGE, CREATE, LIST, READ, ContractResolver, IsoDate, answers
from invoicing.api.errors import domain_error_response, error_response, validation_error_response
from invoicing.api.requests import (
    AccountUpdate,
    CreditNoteCreate,
    CustomerCreate,
    CustomerUpdate,
    InvoiceCreate,
    InvoiceLinesAdd,
    changes,
    new_credit_note,
    new_customer,
    new_invoice,
    new_lines,
)
from invoicing.api.views import (
    AccountObject,
    CreditNoteList,
    CreditNoteObject,
    CustomerList,
    CustomerObject,
    EventList,
    FileLinkObject,
    InvoiceList,
    InvoiceObject,
    account_view,
    credit_note_view,
    customer_view,
    event_view,
    invoice_view,
    link_view,
    list_view,
)
from invoicing.domain.errors import DomainError, InvalidInput
from invoicing.domain.invoice import InvoiceStatus
from invoicing.domain.party import Segment
from invoicing.services.accounts import AccountService
from invoicing.services.billing import BillingService
from invoicing.services.billing_runs import BillingRunService
from invoicing.services.catalog import CatalogService
from invoicing.services.credit_notes import CreditNoteService
from invoicing.services.customers import CustomerService
from invoicing.services.dunning import DunningService
from invoicing.services.files import FileService
from invoicing.services.invoices import DocumentLink, InvoiceService, InvoiceView
from invoicing.services.payments import PaymentService
from invoicing.services.ports import InvoiceFilter, Page, overdue_filter
from invoicing.services.statements import StatementService
from invoicing.services.subscriptions import SubscriptionService
from invoicing.services.test_clocks import TestClockService
from invoicing.services.usage import UsageService

if TYPE_CHECKING:
    from invoicing.services.hosted import HostedPageService
    from invoicing.services.sending import ReviewService, SendRequests

Limit = Annotated[int, Query(ge=1, le=100, description="Objects per page (1-100)")]
StartingAfter = Annotated[str | None, Query(max_length=64, description="Cursor: the last id of the previous page")]
InvoiceId = Annotated[str, Path(max_length=64)]
CreditNoteId = Annotated[str, Path(max_length=64)]
EInvoiceFormatQuery = Annotated[Literal["ubl", "cii"], Query(description="ubl (Peppol BIS 3.0) or cii (Factur-X)")]
logger = Logger(service="invoicing-api")


@dataclass(frozen=True)
class ApiServices:
    """The use cases the routes call (the composition root builds them: invoicing.bootstrap.api)."""

    accounts: AccountService
    customers: CustomerService
    invoices: InvoiceService
    credit_notes: CreditNoteService
    usage: UsageService
    subscriptions: SubscriptionService
    billing: BillingService
    catalog: CatalogService
    payments: PaymentService
    statements: StatementService
    files: FileService
    billing_runs: BillingRunService
    test_clocks: TestClockService
    sending: SendRequests
    hosted: HostedPageService
    review: ReviewService
    sandbox: bool = False  # test clocks allowed (the deployment's SandboxMode)
    dunning: DunningService | None = None


def build_app(services: ApiServices) -> APIGatewayRestResolver:
    # The OpenAPI document and Swagger UI are served by a function of their own (invoicing.api.docs).
    app = ContractResolver(enable_validation=True)

    def account_id() -> str:
        authorizer = app.current_event.request_context.authorizer
        value = (authorizer or {}).get("account_id") if isinstance(authorizer, dict) else authorizer.get(
            "account_id"
        )
        if not value:
            raise PermissionError("no account in the authorizer context")
        return str(value)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        return validation_error_response(exc.errors())

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response:
        return domain_error_response(exc)

    @app.exception_handler(PermissionError)
    def _unauthenticated(exc: PermissionError) -> Response:
        return error_response(401, "authentication_error", "unauthorized", "A valid API key is required.")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error")  # the stack trace goes to the log, never to the caller
        return error_response(500, "api_error", "internal_error",
                              "Something went wrong on our side. It is safe to retry with the same Idempotency-Key.")

    @app.not_found
    def _not_found(exc: Exception) -> Response:
        return error_response(404, "invalid_request_error", "route_missing",
                              f"No route {app.current_event.http_method} {app.current_event.path}.")

    def ok(body: dict[str, Any], status: int = 200) -> Response:
        import json

        return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))

    def link_ok(link: DocumentLink) -> Response:
        if link.ready:
            return ok(link_view(link))
        import json

        return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=json.dumps(link_view(link)),
                        headers={"Retry-After": str(link.retry_after)})

    def today() -> date:
        return services.invoices.clock.now().date()

    def invoice_ok(view: InvoiceView, status: int = 200) -> Response:
        return ok(invoice_view(view, today()), status)

    # --- account ------------------------------------------------------------------------------
    @app.get("/account", tags=["account"], summary="The seller's account: details, branding, numbering",
             responses=answers(200, AccountObject))
    def get_account():
        return ok(account_view(services.accounts.get(account_id())))

    @app.post("/account", tags=["account"], summary="Update the seller's details, branding and numbering",
             responses=answers(200, AccountObject, CREATE))
    def update_account(body: Annotated[AccountUpdate, Body()]):
        return ok(account_view(services.accounts.update(account_id(), changes(body))))

    # --- customers ----------------------------------------------------------------------------
    @app.post("/customers", tags=["customers"], summary="Create a customer",
             responses=answers(201, CustomerObject, CREATE, 404))  # 404: its `test_clock` names no clock
    def create_customer(body: Annotated[CustomerCreate, Body()]):
        if body.test_clock and not services.sandbox:
            raise InvalidInput("Test clocks exist in sandbox mode only (the deployment's SandboxMode).",
                               param="test_clock", code="sandbox_only")
        return ok(customer_view(services.customers.create(account_id(), new_customer(body))), 201)

    @app.get("/customers", tags=["customers"], summary="List customers, newest first",
             responses=answers(200, CustomerList, LIST))
    def list_customers(limit: Limit = 10, starting_after: StartingAfter = None,
                       segment: Annotated[Segment | None, Query(description="Only the customers of this segment")]
                       = None):
        page = services.customers.list(account_id(), limit=limit, starting_after=starting_after, segment=segment)
        return ok(list_view(page, customer_view, "/customers"))

    @app.get("/customers/<customer_id>", tags=["customers"], summary="Retrieve a customer",
             responses=answers(200, CustomerObject, READ))
    def get_customer(customer_id: Annotated[str, Path(max_length=64)]):
        return ok(customer_view(services.customers.get(account_id(), customer_id)))

    @app.post("/customers/<customer_id>", tags=["customers"], summary="Update a customer",
             responses=answers(200, CustomerObject, CHANGE))
    def update_customer(customer_id: Annotated[str, Path(max_length=64)],
                        body: Annotated[CustomerUpdate, Body()]):
        return ok(customer_view(services.customers.update(account_id(), customer_id, changes(body))))

    # --- invoices -----------------------------------------------------------------------------
    @app.post("/invoices", tags=["invoices"], summary="Create a draft invoice with its lines",
             responses=answers(201, InvoiceObject, CREATE, 404))
    def create_invoice(body: Annotated[InvoiceCreate, Body()]):
        return invoice_ok(services.invoices.create_draft(account_id(), new_invoice(body)), 201)

    @app.get("/invoices", tags=["invoices"], summary="List invoices, newest first",
             responses=answers(200, InvoiceList, LIST))
    def list_invoices(
        limit: Limit = 10,
        starting_after: StartingAfter = None,
        status: Annotated[InvoiceStatus | None, Query()] = None,
        customer: Annotated[str | None, Query(max_length=64)] = None,
        due_date_gte: Annotated[IsoDate | None, Query(description="Due on or after (YYYY-MM-DD)")] = None,
        due_date_lte: Annotated[IsoDate | None, Query(description="Due on or before (YYYY-MM-DD)")] = None,
        overdue: Annotated[bool | None, Query(
            description="true: open invoices past their due date (the only value: a filter, never its negation)",
            json_schema_extra={"enum": [True]})] = None,
    ):
        flt = InvoiceFilter(status=status, customer_id=customer, due_date_gte=due_date_gte, due_date_lte=due_date_lte)
        overdue_only = overdue_filter(flt, overdue, today()) if overdue is not None else flt
        page = services.invoices.list(account_id(), overdue_only, limit=limit, starting_after=starting_after) \
            if overdue_only is not None else Page[Any](data=[], has_more=False)
        return ok(list_view(page, lambda inv: invoice_view(InvoiceView(inv, []), today()), "/invoices"))

    @app.get("/invoices/<invoice_id>", tags=["invoices"], summary="Retrieve an invoice (drafts with validation issues)",
             responses=answers(200, InvoiceObject, READ))
    def get_invoice(invoice_id: InvoiceId):
        return invoice_ok(services.invoices.get(account_id(), invoice_id))

    @app.get("/invoices/<invoice_id>/events", tags=["invoices"],
             summary="The invoice's audit trail: every change as the event the bus carried, oldest first",
             responses=answers(200, EventList, READ))
    def invoice_events(invoice_id: InvoiceId):
        events = services.invoices.events(account_id(), invoice_id)
        return ok({"object": "list", "url": f"/invoices/{invoice_id}/events",
                   "data": [event_view(e) for e in events], "has_more": False})

    @app.post("/invoices/<invoice_id>/lines", tags=["invoices"], summary="Add lines to a draft",
             responses=answers(200, InvoiceObject, CHANGE))
    def add_lines(invoice_id: InvoiceId, body: Annotated[InvoiceLinesAdd, Body()]):
        return invoice_ok(services.invoices.add_lines(account_id(), invoice_id, new_lines(body)))

    @app.delete("/invoices/<invoice_id>/lines/<line_id>", tags=["invoices"], summary="Remove a line from a draft",
             responses=answers(200, InvoiceObject, READ, 409))
    def remove_line(invoice_id: InvoiceId, line_id: Annotated[str, Path(max_length=64)]):
        return invoice_ok(services.invoices.remove_line(account_id(), invoice_id, line_id))

    @app.post("/invoices/<invoice_id>/finalize", tags=["invoices"],
              summary="Finalize: assign the next number, freeze, render the PDF",
             responses=answers(200, InvoiceObject, CHANGE))
    def finalize_invoice(invoice_id: InvoiceId):
        return invoice_ok(services.invoices.finalize(account_id(), invoice_id))

    @app.post("/invoices/<invoice_id>/pay", tags=["invoices"],
              summary="Record a manual payment of what remains (a payment like any other: GET /payments)",
              responses=answers(200, InvoiceObject, CHANGE))
    def pay_invoice(invoice_id: InvoiceId):
        return invoice_ok(services.payments.pay_invoice(account_id(), invoice_id))

    @app.post("/invoices/<invoice_id>/void", tags=["invoices"], summary="Void an open invoice (it keeps its number)",
             responses=answers(200, InvoiceObject, CHANGE))
    def void_invoice(invoice_id: InvoiceId):
        return invoice_ok(services.invoices.void(account_id(), invoice_id))

    @app.post("/invoices/<invoice_id>/mark_uncollectible", tags=["invoices"], summary="Mark an invoice uncollectible",
             responses=answers(200, InvoiceObject, CHANGE))
    def mark_uncollectible(invoice_id: InvoiceId):
        return invoice_ok(services.invoices.mark_uncollectible(account_id(), invoice_id))

    @app.get("/invoices/<invoice_id>/pdf", tags=["invoices"],
             summary="A link to the PDF, valid 15 minutes (202 while it is being rendered)",
             responses=answers(200, FileLinkObject, READ, 409, also={202: FileLinkObject}))
    def invoice_pdf(invoice_id: InvoiceId):
        return link_ok(services.invoices.document_link(account_id(), invoice_id, "pdf"))

    @app.get("/invoices/<invoice_id>/einvoice", tags=["invoices"],
             summary="A link to the EN 16931 e-invoice: UBL 2.1 (Peppol BIS 3.0) or CII (Factur-X), 15 minutes",
             responses=answers(200, FileLinkObject, READ, 409, also={202: FileLinkObject}))
    def invoice_einvoice(invoice_id: InvoiceId, format: EInvoiceFormatQuery = "ubl"):
        return link_ok(services.invoices.document_link(account_id(), invoice_id, format))

    @app.get("/invoices/<invoice_id>/credit_notes", tags=["credit notes"], summary="An invoice's credit notes",
             responses=answers(200, CreditNoteList, READ))
    def invoice_credit_notes(invoice_id: InvoiceId, limit: Limit = 10,
                             starting_after: StartingAfter = None):
        page = services.credit_notes.list_for_invoice(account_id(), invoice_id, limit=limit,
                                                      starting_after=starting_after)
        return ok(list_view(page, credit_note_view, f"/invoices/{invoice_id}/credit_notes"))

    # --- credit notes -------------------------------------------------------------------------
    @app.post("/credit_notes", tags=["credit notes"], summary="Issue a credit note against an open or paid invoice",
             responses=answers(201, CreditNoteObject, CHANGE))
    def create_credit_note(body: Annotated[CreditNoteCreate, Body()]):
        return ok(credit_note_view(services.credit_notes.create(account_id(), new_credit_note(body))), 201)

    @app.post("/credit_notes/preview", tags=["credit notes"],
              summary="Preview a credit note: the lines, tax per rate and totals it would have; nothing is issued",
             responses=answers(200, CreditNoteObject, CHANGE))
    def preview_credit_note(body: Annotated[CreditNoteCreate, Body()]):
        return ok(credit_note_view(services.credit_notes.preview(account_id(), new_credit_note(body)), preview=True))

    @app.get("/credit_notes/<credit_note_id>", tags=["credit notes"], summary="Retrieve a credit note",
             responses=answers(200, CreditNoteObject, READ))
    def get_credit_note(credit_note_id: CreditNoteId):
        return ok(credit_note_view(services.credit_notes.get(account_id(), credit_note_id)))

    @app.get("/credit_notes/<credit_note_id>/pdf", tags=["credit notes"],
             summary="A link to the credit note's PDF, valid 15 minutes (202 while it is being rendered)",
             responses=answers(200, FileLinkObject, READ, 409, also={202: FileLinkObject}))
    def credit_note_pdf(credit_note_id: CreditNoteId):
        return link_ok(services.credit_notes.document_link(account_id(), credit_note_id, "pdf"))

    @app.get("/credit_notes/<credit_note_id>/einvoice", tags=["credit notes"],
             summary="A link to the credit note as an EN 16931 e-invoice (UBL or CII), 15 minutes",
             responses=answers(200, FileLinkObject, READ, 409, also={202: FileLinkObject}))
    def credit_note_einvoice(credit_note_id: CreditNoteId, format: EInvoiceFormatQuery = "ubl"):
        return link_ok(services.credit_notes.document_link(account_id(), credit_note_id, format))

    from invoicing.api.billing_runs import billing_runs_router, test_clocks_router
    from invoicing.api.dunning import dunning_router
    from invoicing.api.subscriptions import subscriptions_router
    from invoicing.api.usage import usage_router

    app.include_router(usage_router(services.usage, account_id))
    app.include_router(subscriptions_router(services.subscriptions, services.billing, account_id,
                                            services.invoices.clock.now))
    app.include_router(catalog_router(services.catalog))  # products, prices, coupons
    from invoicing.api.discount_rules import discount_rules_router
    from invoicing.services.discount_rules import DiscountRuleService

    app.include_router(discount_rules_router(DiscountRuleService(services.catalog.uow, services.catalog.clock,
                                                                 services.catalog.ids), account_id))
    app.include_router(billing_runs_router(services.billing_runs, account_id))
    app.include_router(test_clocks_router(services.test_clocks, account_id, services.sandbox))
    from invoicing.api.payments import payments_router

    app.include_router(payments_router(services.payments, services.statements, account_id))
    from invoicing.api.files import files_router

    app.include_router(files_router(services.files, account_id))
    if services.dunning is not None:
        app.include_router(dunning_router(services.dunning, account_id))
    from invoicing.api.sending_routes import sending_router

    app.include_router(sending_router(services.sending, services.hosted, services.review, account_id))
    return app
