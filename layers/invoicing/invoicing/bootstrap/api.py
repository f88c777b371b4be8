"""The API function's composition root: adapters built once per container and handed to the use cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from invoicing.adapters.checkout import BankTransferOnly
from invoicing.adapters.clock import current as clock
from invoicing.adapters.dynamodb import Backoff, DynamoUnitOfWork
from invoicing.adapters.ids import UlidIds
from invoicing.adapters.s3_documents import S3Documents
from invoicing.api.edge import checked_bodies
from invoicing.api.idempotency import idempotent_resolver
from invoicing.api.routes import ApiServices, build_app
from invoicing.config import ApiSettings
from invoicing.services.accounts import AccountService
from invoicing.services.billing import BillingService
from invoicing.services.catalog import CatalogService
from invoicing.services.credit_notes import CreditNoteService
from invoicing.services.customers import CustomerService
from invoicing.services.hosted import HostedPageService
from invoicing.services.invoices import InvoiceService
from invoicing.services.sending import ReviewService, SendRequests
from invoicing.services.subscriptions import SubscriptionService
from invoicing.services.usage import UsageService


def api_services(settings: ApiSettings | None = None, *, dynamodb: Any = None) -> ApiServices:
    settings = settings or ApiSettings.from_env()
    uow = DynamoUnitOfWork(dynamodb or boto3.client("dynamodb"), settings.table_name)
    documents = S3Documents(boto3.client("s3"), settings.documents_bucket)
    ids = UlidIds()
    # Retry a contended series for at most 15 s: the API answers within API Gateway's 29 s.
    retry = Backoff(budget=15.0)
    invoices = InvoiceService(uow, clock, ids, retry, documents)
    usage = UsageService(uow, clock, ids)
    return ApiServices(
        accounts=AccountService(uow),
        customers=CustomerService(uow, clock, ids),
        invoices=invoices,
        credit_notes=CreditNoteService(uow, clock, ids, retry, documents),
        usage=usage,
        subscriptions=SubscriptionService(uow, clock, ids),
        billing=BillingService(uow, clock, ids, usage, invoices),
        catalog=CatalogService(uow, clock, ids),
        sending=SendRequests(uow, clock),
        # The API only rotates links here: the page itself is the hosted function's.
        hosted=HostedPageService(uow, clock, ids, documents, BankTransferOnly(), settings.public_base_url,
                                 online_payments=False),
        review=ReviewService(uow),
    )


def api_resolver(settings: ApiSettings | None = None) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The routes over the use cases, behind `Idempotency-Key` handling, behind the body checks:
    what the handler calls."""
    settings = settings or ApiSettings.from_env()
    dynamodb = boto3.client("dynamodb")  # one client for the table and the idempotency records
    app = build_app(api_services(settings, dynamodb=dynamodb))
    return checked_bodies(idempotent_resolver(app.resolve, settings.idempotency_table_name, client=dynamodb))
