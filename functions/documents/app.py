"""The document function: finalizing events from the bus (via the render queue) -> documents in S3."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.bootstrap.documents import document_service, event_of, warm_up

logger = Logger()
# Only boto3's calls get X-Ray subsegments: patching every library X-Ray supports costs ~30 ms of
# cold start (bench/README.md, "Cold starts").
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
documents = document_service()
warm_up()


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    event = event_of(record.body)
    outcome = documents.on_event(event)
    logger.info("render request handled", extra={"event_id": event.id, "event_type": event.type,
                                                 "aggregate_id": event.aggregate_id, "outcome": outcome})
    if outcome == "rendered":
        metrics.add_metric(name="DocumentsRendered", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
