"""Composition roots of the payment functions: the Stripe webhook (verify and queue), the payment-events
worker (Stripe events -> reconciliation) and the statements worker (uploaded files -> reconciliation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3

from invoicing.config import PaymentEventsSettings, StatementSettings, StripeWebhookSettings

if TYPE_CHECKING:  # imported where used: the webhook function loads none of the reconciliation
    from invoicing.services.payments import PaymentService


def stripe_webhook(settings: StripeWebhookSettings | None = None) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The webhook's resolver. The signing secret is read from SSM through Powertools Parameters
    (decrypted, cached per container for POWERTOOLS_PARAMETERS_MAX_AGE seconds), never from the environment."""
    from aws_lambda_powertools.utilities import parameters

    from invoicing.adapters.sqs import SqsQueue
    from invoicing.adapters.stripe_webhooks import verify_webhook
    from invoicing.api.webhooks import webhook_app

    settings = settings or StripeWebhookSettings.from_env()
    name = settings.webhook_secret_parameter

    def verify(payload: bytes, signature: str | None) -> dict[str, Any]:
        secret = parameters.get_parameter(name, decrypt=True)
        return verify_webhook(payload, signature, str(secret))

    app = webhook_app(verify, SqsQueue(boto3.client("sqs"), settings.payment_events_queue_url))
    return app.resolve


def payment_service(table_name: str) -> PaymentService:
    from invoicing.adapters.clock import current as clock
    from invoicing.adapters.dynamodb import Backoff, DynamoUnitOfWork
    from invoicing.adapters.ids import UlidIds
    from invoicing.services.payments import PaymentService

    # A worker may take longer than the API: contention on an invoice is retried for up to 30 s.
    return PaymentService(DynamoUnitOfWork(boto3.client("dynamodb"), table_name), clock, UlidIds(), Backoff())


def stripe_events(settings: PaymentEventsSettings | None = None) -> Any:
    from invoicing.adapters.stripe_provider import StripeEvents

    settings = settings or PaymentEventsSettings.from_env()
    return StripeEvents(payment_service(settings.table_name))


def statement_processor(settings: StatementSettings | None = None) -> Any:
    from invoicing.adapters.bank_statements import parse_statement
    from invoicing.adapters.clock import current as clock
    from invoicing.adapters.ids import UlidIds
    from invoicing.adapters.s3_statements import S3StatementFiles
    from invoicing.services.statements import StatementService

    settings = settings or StatementSettings.from_env()
    payments = payment_service(settings.table_name)
    return StatementService(payments.uow, clock, UlidIds(), S3StatementFiles(boto3.client("s3"),
                                                                             settings.statements_bucket),
                            payments, parse_statement)
