"""The send worker: `invoice.rendered`, `invoice.send_requested` and `invoice.question` from the bus (via
the send queue) -> one email each, once (invoicing.services.sending)."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.api.messages import bus_event
from invoicing.bootstrap.sending import sending_service

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
sending = sending_service()


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    event = bus_event(record.body)
    outcome = sending.on_event(event)
    logger.info("send request handled", extra={"event_id": event.id, "event_type": event.type,
                                               "aggregate_id": event.aggregate_id, "outcome": outcome})
    if outcome == "sent":
        metrics.add_metric(name="EmailsSent", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
