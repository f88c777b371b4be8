"""The usage function: usage events from the usage queue (the integration path) -> recorded once each.

A message's body is the body of `POST /usage_events`; its `account_id` message attribute names the
account (whoever may send to the queue acts for its accounts: IAM decides who that is). Without an
`identifier` in the body, the message id stands in, so a redelivered message counts once. A message
that is not a valid event fails alone (partial batch response) and reaches the dead-letter queue
after its last receive, where an alarm counts it.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.api.usage_requests import incoming_usage
from invoicing.bootstrap.usage import usage_service

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
usage = usage_service()


def record_handler(record: SQSRecord) -> None:
    attributes = record.message_attributes
    account_id = attributes["account_id"].string_value if "account_id" in attributes else None
    if not account_id:
        raise ValueError("the message has no account_id message attribute")
    recorded = usage.record(account_id, incoming_usage(record.body, default_identifier=record.message_id))
    metrics.add_metric(name="UsageEventsDuplicate" if recorded.duplicate else "UsageEventsRecorded",
                       unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
