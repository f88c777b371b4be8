"""The outbox relay: the table's stream (aggregate writes that carry events) -> the event bus."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.bootstrap.relay import outbox_relay

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
relay = outbox_relay(metrics)


def record_handler(record: DynamoDBRecord) -> None:
    published = relay.relay_image(record.dynamodb.new_image if record.dynamodb else {})
    logger.debug("stream record relayed", extra={"sequence_number": record.dynamodb.sequence_number
                                                 if record.dynamodb else None, "events": published})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
