"""The billing functions' composition root: the run (schedule -> pages of the renewal index) and the
worker (one due boundary -> one invoice)."""

from __future__ import annotations

import boto3

from invoicing.adapters.clock import current as clock
from invoicing.adapters.dynamodb import Backoff, DynamoUnitOfWork
from invoicing.adapters.dynamodb.keys import SHARDS
from invoicing.adapters.ids import UlidIds
from invoicing.adapters.s3_documents import S3Documents
from invoicing.adapters.sqs import SqsQueue
from invoicing.config import BillingRunSettings, BillingSettings
from invoicing.services.billing import BillingRuns, BillingService
from invoicing.services.invoices import InvoiceService
from invoicing.services.usage import UsageService


def billing_service(settings: BillingSettings | BillingRunSettings | None = None) -> BillingService:
    settings = settings or BillingSettings.from_env()
    uow = DynamoUnitOfWork(boto3.client("dynamodb"), settings.table_name)
    ids = UlidIds()
    invoices = InvoiceService(uow, clock, ids, Backoff(budget=60.0), S3Documents(boto3.client("s3"),
                                                                                  settings.documents_bucket))
    return BillingService(uow, clock, ids, UsageService(uow, clock, ids), invoices)


def billing_runs(settings: BillingRunSettings | None = None) -> BillingRuns:
    settings = settings or BillingRunSettings.from_env()
    sqs = boto3.client("sqs")
    return BillingRuns(billing_service(settings), pages=SqsQueue(sqs, settings.billing_run_queue_url),
                       work=SqsQueue(sqs, settings.billing_queue_url), shards=SHARDS,
                       lookback_hours=int(settings.lookback_hours))
