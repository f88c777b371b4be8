"""The API function's composition root: adapters built once per container and handed to the use cases."""

from __future__ import annotations

from dataclasses import dataclass

import boto3

from invoicing.adapters.clock import current as clock
from invoicing.adapters.dynamodb import Backoff, DynamoUnitOfWork
from invoicing.adapters.ids import UlidIds
from invoicing.adapters.s3_documents import S3Documents
from invoicing.config import ApiSettings
from invoicing.services.accounts import AccountService
from invoicing.services.credit_notes import CreditNoteService
from invoicing.services.customers import CustomerService
from invoicing.services.invoices import InvoiceService


@dataclass(frozen=True)
class ApiServices:
    accounts: AccountService
    customers: CustomerService
    invoices: InvoiceService
    credit_notes: CreditNoteService


def api_services(settings: ApiSettings) -> ApiServices:
    uow = DynamoUnitOfWork(boto3.client("dynamodb"), settings.table_name)
    documents = S3Documents(boto3.client("s3"), settings.documents_bucket)
    ids = UlidIds()
    # Retry a contended series for at most 15 s: the API answers within API Gateway's 29 s.
    retry = Backoff(budget=15.0)
    return ApiServices(
        accounts=AccountService(uow),
        customers=CustomerService(uow, clock, ids),
        invoices=InvoiceService(uow, clock, ids, retry, documents),
        credit_notes=CreditNoteService(uow, clock, ids, retry, documents),
    )
