"""The API function's composition root: adapters built once per container and handed to the use cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from invoicing.adapters.bank_statements import parse_statement  # lxml / mt-940 load only when parsing
from invoicing.adapters.checkout import BankTransferOnly
from invoicing.adapters.clock import current as clock
from invoicing.adapters.dynamodb import Backoff, DynamoUnitOfWork
from invoicing.adapters.dynamodb.billing_runs import TestClockTime
from invoicing.adapters.dynamodb.keys import SHARDS
from invoicing.adapters.ids import UlidIds
from invoicing.adapters.s3_documents import S3Documents
from invoicing.adapters.s3_files import S3FileStore
from invoicing.adapters.s3_statements import S3StatementFiles
from invoicing.adapters.sqs import SqsQueue
from invoicing.api.edge import checked_bodies
from invoicing.api.idempotency import idempotent_resolver
from invoicing.api.routes import ApiServices, build_app
from invoicing.config import ApiClockDunningSettings, ApiRunSettings, ApiSettings
from invoicing.services.accounts import AccountService
from invoicing.services.billing import BillingService
from invoicing.services.billing_runs import BillingRunService
from invoicing.services.catalog import CatalogService
from invoicing.services.collection import ProviderCharger, StepsRunElsewhere
from invoicing.services.credit_notes import CreditNoteService
from invoicing.services.customers import CustomerService
from invoicing.services.dunning import DunningAt, DunningService
from invoicing.services.files import FileService
from invoicing.services.hosted import HostedPageService
from invoicing.services.invoices import InvoiceService
from invoicing.services.payments import PaymentService
from invoicing.services.sending import ReviewService, SendRequests
from invoicing.services.statements import StatementService
from invoicing.services.subscriptions import SubscriptionService
from invoicing.services.test_clocks import TestClockService
from invoicing.services.usage import UsageService


def api_services(settings: ApiSettings | None = None, *, dynamodb: Any = None,
                 run_settings: ApiRunSettings | None = None) -> ApiServices:
    settings = settings or ApiSettings.from_env()
    uow = DynamoUnitOfWork(dynamodb or boto3.client("dynamodb"), settings.table_name)
    documents = S3Documents(boto3.client("s3"), settings.documents_bucket)
    ids = UlidIds()
    # Retry a contended series for at most 15 s: the API answers within API Gateway's 29 s.
    retry = Backoff(budget=15.0)
    clocks = TestClockTime(clock, uow.client, settings.table_name)
    files = FileService(uow, clock, ids, S3FileStore(boto3.client("s3"), settings.files_bucket))
    invoices = InvoiceService(uow, clock, ids, retry, documents, clocks=clocks, files=files)
    usage = UsageService(uow, clock, ids, clocks=clocks)
    runs_settings = run_settings or ApiRunSettings.from_env()
    billing = BillingService(uow, clock, ids, usage, invoices, clocks=clocks)
    queue = SqsQueue(boto3.client("sqs"), runs_settings.billing_run_queue_url)
    # The API starts runs (their pages on the run queue); it never sends to the workers' queue itself.
    runs = BillingRunService(uow, clock, ids, billing, invoices, pages=queue, work=queue, shards=SHARDS)
    payments = PaymentService(uow, clock, ids, retry)
    statements = StatementService(uow, clock, ids, S3StatementFiles(boto3.client("s3"), settings.statements_bucket),
                                  payments, parse_statement)
    subscriptions = SubscriptionService(uow, clock, ids)
    return ApiServices(
        accounts=AccountService(uow),
        customers=CustomerService(uow, clock, ids),
        invoices=invoices,
        credit_notes=CreditNoteService(uow, clock, ids, retry, documents, clocks=clocks),
        usage=usage,
        subscriptions=subscriptions,
        billing=billing,
        catalog=CatalogService(uow, clock, ids),
        billing_runs=runs,
        test_clocks=TestClockService(uow, clock, ids, runs, clock_dunning(uow, ids, documents, settings)
                                     if runs_settings.sandbox else None),
        sandbox=runs_settings.sandbox,
        payments=payments,
        statements=statements,
        files=files,
        # Reads the dunning history only: the run and the subscriber perform steps (bootstrap/dunning.py).
        dunning=DunningService(uow, clock, ids, StepsRunElsewhere(), StepsRunElsewhere(), invoices, subscriptions),
        sending=SendRequests(uow, clock),
        # The API only rotates links here: the page itself is the hosted function's.
        hosted=HostedPageService(uow, clock, ids, documents, BankTransferOnly(), settings.public_base_url,
                                 online_payments=False),
        review=ReviewService(uow),
    )


def clock_dunning(uow: DynamoUnitOfWork, ids: UlidIds, documents: S3Documents, settings: ApiSettings) -> DunningAt:
    """A sandbox's test clocks run their invoices' dunning as they advance: reminders mailed and charges
    retried as the dunning function does them, standing at the clock's moments."""
    from invoicing.bootstrap.dunning import dunning_at
    from invoicing.bootstrap.providers import payment_provider
    from invoicing.bootstrap.sending import mailer

    mail = ApiClockDunningSettings.from_env()
    charger = ProviderCharger(uow, payment_provider(mail.payment_provider, mail.stripe_api_key_parameter))
    return dunning_at(uow, ids, documents, mailer(mail), base_url=settings.public_base_url, sender=mail.sender_email,
                      charger=charger, retry_budget=15.0)


def api_resolver(settings: ApiSettings | None = None) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The routes over the use cases, behind `Idempotency-Key` handling, behind the body checks:
    what the handler calls."""
    settings = settings or ApiSettings.from_env()
    dynamodb = boto3.client("dynamodb")  # one client for the table and the idempotency records
    app = build_app(api_services(settings, dynamodb=dynamodb))
    return checked_bodies(idempotent_resolver(app.resolve, settings.idempotency_table_name, client=dynamodb))
