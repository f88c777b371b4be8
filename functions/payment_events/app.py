"""The payment-events worker: verified Stripe events from the payment-events queue -> the reconciliation.

Each record is one event (`{"provider": "stripe", "event": {...}}`, queued by the webhook). Every
payment is applied once (keyed on its PaymentIntent), so a redelivered record changes nothing. A record
that fails (a refund overtaking its payment, contention) fails alone and comes back; after 5 receives
it waits in the dead-letter queue, where an alarm counts it.
"""

import json

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.bootstrap.webhooks import stripe_events

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
events = stripe_events()


def record_handler(record: SQSRecord) -> None:
    message = json.loads(record.body)
    outcome = events.handle(message["event"])
    logger.info("stripe event handled", extra={"event_id": message["event"].get("id"), "outcome": outcome})
    metrics.add_metric(name=f"StripeEvents{outcome.capitalize()}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
