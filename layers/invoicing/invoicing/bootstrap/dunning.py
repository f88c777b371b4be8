"""The dunning functions' composition root: the run (schedule -> pages of the next-step index ->
due invoices) and the subscriber of invoice events (the record follows the invoice; payment notices).
Both mail the customer through the send worker's mailer (SES; `.eml` copies locally); the run charges
through the configured payment provider (bootstrap/providers.py)."""

from __future__ import annotations

from typing import Any

import boto3

from invoicing.adapters.clock import current as clock
from invoicing.adapters.dynamodb import Backoff, DynamoUnitOfWork
from invoicing.adapters.dynamodb.keys import SHARDS
from invoicing.adapters.ids import UlidIds
from invoicing.adapters.s3_documents import S3Documents
from invoicing.adapters.sqs import SqsQueue
from invoicing.bootstrap.providers import payment_provider
from invoicing.bootstrap.sending import mailer
from invoicing.config import DunningEventsSettings, DunningSettings
from invoicing.services.collection import EmailNotifier, ProviderCharger, StepsRunElsewhere
from invoicing.services.dunning import DunningAt, DunningRuns, DunningService
from invoicing.services.invoices import InvoiceService
from invoicing.services.ports import Clock, Documents, Ids, InvoiceCharger, Mailer
from invoicing.services.sending import SendingService
from invoicing.services.subscriptions import SubscriptionService


def dunning_at(uow: DynamoUnitOfWork, ids: Ids, documents: Documents, mail: Mailer, *, base_url: str, sender: str,
               charger: InvoiceCharger, retry_budget: float = 30.0) -> DunningAt:
    """The dunning service (and the invoices and subscriptions it acts through) standing at a given
    clock: the process clock here, a test clock's moment in its advance (bootstrap/api.py). Its mail
    goes on the process clock in both: a mail is sent now (its Date, `invoice.sent`), and a send's claim
    lease (domain/sending.py) is a wall-clock time, which a test clock standing still would never pass."""
    retry = Backoff(budget=retry_budget)
    notifier = EmailNotifier(SendingService(uow, clock, documents, mail, base_url=base_url, sender=sender))

    def at(time: Clock) -> DunningService:
        invoices = InvoiceService(uow, time, ids, retry, documents)
        return DunningService(uow, time, ids, notifier, charger, invoices, SubscriptionService(uow, time, ids))

    return at


def dunning_service(settings: DunningSettings | DunningEventsSettings | None = None) -> DunningService:
    settings = settings or DunningEventsSettings.from_env()
    uow = DynamoUnitOfWork(boto3.client("dynamodb"), settings.table_name)
    documents = S3Documents(boto3.client("s3"), settings.documents_bucket)
    # The run charges; the subscriber only schedules, stops and tells (a charge there would be a wiring bug).
    charger = ProviderCharger(uow, payment_provider(settings.payment_provider, settings.stripe_api_key_parameter)) \
        if isinstance(settings, DunningSettings) else StepsRunElsewhere()
    return dunning_at(uow, UlidIds(), documents, mailer(settings), base_url=settings.public_base_url,
                      sender=settings.sender_email, charger=charger)(clock)


def dunning_runs(settings: DunningSettings | None = None) -> DunningRuns:
    settings = settings or DunningSettings.from_env()
    return DunningRuns(dunning_service(settings), SqsQueue(boto3.client("sqs"), settings.dunning_queue_url),
                       shards=SHARDS, lookback_hours=int(settings.lookback_hours))


def bus_event(body: str) -> dict[str, Any]:
    """The domain event in an SQS message from an EventBridge rule (its `detail`), parsed and checked."""
    from invoicing.api.messages import BusMessage

    return BusMessage.model_validate_json(body).detail.model_dump(mode="json")
