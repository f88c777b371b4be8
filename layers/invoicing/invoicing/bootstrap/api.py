"""The API function's composition root: adapters built once per container and handed to the use cases."""

from __future__ import annotations

from dataclasses import dataclass

import boto3

from invoicing.adapters.clock import current as clock
from invoicing.adapters.dynamodb import Backoff, DynamoAccounts, DynamoCustomers, DynamoInvoices
from invoicing.adapters.s3_documents import S3Documents
from invoicing.adapters.sqs_render_requests import SqsRenderRequests
from invoicing.config import ApiSettings
from invoicing.services.accounts import AccountService
from invoicing.services.customers import CustomerService
from invoicing.services.invoices import CreditNoteService, InvoiceService


@dataclass(frozen=True)
class ApiServices:
    accounts: AccountService
    customers: CustomerService
    invoices: InvoiceService
    credit_notes: CreditNoteService


def api_services(settings: ApiSettings) -> ApiServices:
    dynamodb = boto3.client("dynamodb")
    accounts = DynamoAccounts(dynamodb, settings.table_name)
    customers = DynamoCustomers(dynamodb, settings.table_name)
    # Retry a contended series for at most 15 s: the API answers within API Gateway's 29 s.
    invoices = DynamoInvoices(dynamodb, settings.table_name, backoff=Backoff(budget=15.0))
    documents = S3Documents(boto3.client("s3"), settings.documents_bucket)
    render_requests = SqsRenderRequests(boto3.client("sqs"), settings.render_queue_url)
    return ApiServices(
        accounts=AccountService(accounts),
        customers=CustomerService(customers, clock),
        invoices=InvoiceService(accounts, customers, invoices, documents, render_requests, clock),
        credit_notes=CreditNoteService(accounts, customers, invoices, documents, render_requests, clock),
    )

