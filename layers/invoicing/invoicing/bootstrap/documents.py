"""The document function's composition root."""

from __future__ import annotations

import boto3

from invoicing.adapters.dynamodb import DynamoInvoices
from invoicing.adapters.s3_documents import S3Documents
from invoicing.config import DocumentSettings
from invoicing.services.documents import DocumentService


def document_service(settings: DocumentSettings) -> DocumentService:
    dynamodb = boto3.client("dynamodb")
    return DocumentService(DynamoInvoices(dynamodb, settings.table_name),
                           S3Documents(boto3.client("s3"), settings.documents_bucket))
