"""The document function's composition root."""

from __future__ import annotations

import boto3

from invoicing.adapters.dynamodb import DynamoUnitOfWork
from invoicing.adapters.ids import UlidIds
from invoicing.adapters.s3_documents import S3Documents
from invoicing.adapters.s3_files import S3FileStore
from invoicing.config import DocumentSettings
from invoicing.domain.events import DomainEvent
from invoicing.services.documents import DocumentService
from invoicing.services.files import FileService


def document_service(settings: DocumentSettings | None = None) -> DocumentService:
    settings = settings or DocumentSettings.from_env()
    from invoicing.adapters.clock import current as clock

    uow = DynamoUnitOfWork(boto3.client("dynamodb"), settings.table_name)
    s3 = boto3.client("s3")
    files = FileService(uow, clock, UlidIds(), S3FileStore(s3, settings.files_bucket))
    return DocumentService(uow, S3Documents(s3, settings.documents_bucket),
                           clock=clock, base_url=settings.public_base_url, files=files)


def warm_up() -> None:
    """WeasyPrint, fonts and stylesheets load during init: the first invoice renders as fast as the rest."""
    from invoicing.documents.pdf import warm_up as warm_up_renderer

    warm_up_renderer()


def event_of(body: str) -> DomainEvent:
    """The domain event in an SQS message from an EventBridge rule (the event is its `detail`)."""
    from invoicing.api.messages import BusMessage

    return BusMessage.model_validate_json(body).detail
