"""The send worker's and the feedback worker's composition roots."""

from __future__ import annotations

import boto3

from invoicing.adapters.clock import current as clock
from invoicing.adapters.dynamodb import DynamoUnitOfWork
from invoicing.adapters.mail import CopyingMailer, EmlDirectoryMailer, SesMailer
from invoicing.adapters.s3_documents import S3Documents
from invoicing.config import ApiClockDunningSettings, CustomerMailSettings, FeedbackSettings, SendingSettings
from invoicing.services.ports import Mailer
from invoicing.services.sending import FeedbackService, SendingService


def mailer(settings: SendingSettings | CustomerMailSettings | ApiClockDunningSettings) -> Mailer:
    """SES; with MAIL_COPY_DIR (the local runtime sets it) every mail is also kept as an `.eml` file."""
    ses: Mailer = SesMailer(boto3.client("sesv2"), configuration_set=settings.configuration_set)
    if settings.mail_copy_dir:
        return CopyingMailer(ses, EmlDirectoryMailer(settings.mail_copy_dir))
    return ses


def sending_service(settings: SendingSettings | None = None) -> SendingService:
    settings = settings or SendingSettings.from_env()
    return SendingService(DynamoUnitOfWork(boto3.client("dynamodb"), settings.table_name), clock,
                          S3Documents(boto3.client("s3"), settings.documents_bucket), mailer(settings),
                          base_url=settings.public_base_url, sender=settings.sender_email)


def feedback_service(settings: FeedbackSettings | None = None) -> FeedbackService:
    settings = settings or FeedbackSettings.from_env()
    return FeedbackService(DynamoUnitOfWork(boto3.client("dynamodb"), settings.table_name))
