"""The billing functions' composition root: the run (schedule -> pages of the renewal index) and the
worker (one due boundary -> one invoice)."""

from __future__ import annotations

from typing import Any

import boto3

from invoicing.adapters.clock import current as clock
from invoicing.adapters.dynamodb import Backoff, DynamoUnitOfWork
from invoicing.adapters.dynamodb.billing_runs import TestClockTime
from invoicing.adapters.dynamodb.keys import SHARDS
from invoicing.adapters.ids import UlidIds
from invoicing.adapters.s3_documents import S3Documents
from invoicing.adapters.sqs import SqsQueue
from invoicing.config import BillingRunSettings, BillingSettings
from invoicing.services.billing import BillingService
from invoicing.services.billing_runs import BillingRunService
from invoicing.services.invoices import InvoiceService
from invoicing.services.usage import UsageService


def billing_run_service(settings: BillingSettings | BillingRunSettings, *, dynamodb: Any = None,
                        lookback_hours: int = 48) -> BillingRunService:
    """The billing run's use cases over DynamoDB, S3 and the two billing queues (also the API's)."""
    client = dynamodb or boto3.client("dynamodb")
    uow = DynamoUnitOfWork(client, settings.table_name)
    ids = UlidIds()
    clocks = TestClockTime(clock, client, settings.table_name)
    invoices = InvoiceService(uow, clock, ids, Backoff(budget=60.0),
                              S3Documents(boto3.client("s3"), settings.documents_bucket), clocks=clocks)
    billing = BillingService(uow, clock, ids, UsageService(uow, clock, ids), invoices, clocks=clocks)
    sqs = boto3.client("sqs")
    return BillingRunService(uow, clock, ids, billing, invoices, pages=SqsQueue(sqs, settings.billing_run_queue_url),
                             work=SqsQueue(sqs, settings.billing_queue_url), shards=SHARDS,
                             lookback_hours=lookback_hours)


def billing_worker(settings: BillingSettings | None = None) -> BillingRunService:
    return billing_run_service(settings or BillingSettings.from_env())


def max_receives(settings: BillingSettings | None = None) -> int:
    """The billing queue's maxReceiveCount: the delivery after which a failing boundary counts failed."""
    return int((settings or BillingSettings.from_env()).max_receives)


def billing_runs(settings: BillingRunSettings | None = None) -> BillingRunService:
    settings = settings or BillingRunSettings.from_env()
    return billing_run_service(settings, lookback_hours=int(settings.lookback_hours))
