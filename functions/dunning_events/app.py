"""The dunning subscriber: invoice events from the bus (via its queue). A finalized invoice gets its
dunning record; a paid, voided, uncollectible or credited one leaves the index; the customer is told
of each payment-status change (invoice.paid, invoice.partially_paid, invoice.payment_failed) once."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.bootstrap.dunning import bus_event, dunning_service

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
dunning = dunning_service()


def record_handler(record: SQSRecord) -> None:
    event = bus_event(record.body)
    outcome = dunning.handle_event(event)
    logger.info("invoice event handled", extra={"event_id": event["id"], "event_type": event["type"],
                                               "outcome": outcome})
    metrics.add_metric(name="DunningEventsHandled", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
