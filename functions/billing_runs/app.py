"""The billing run: the hourly schedule starts it; its queue carries pages of the renewal index.

A scheduled invocation queues one message per (hour of the lookback window, index shard); each of
those lists one page of due subscription boundaries onto the billing queue (the workers), and queues
the next page. No invocation enumerates more than a page (docs/billing.md, "Billing runs").
"""

import json

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.bootstrap.billing import billing_runs

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
runs = billing_runs()


def record_handler(record: SQSRecord) -> None:
    queued = runs.page(json.loads(record.body))
    metrics.add_metric(name="BillingBoundariesQueued", unit=MetricUnit.Count, value=queued)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    if "Records" in event:
        return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    pages = runs.start()  # the schedule (or a run started by hand)
    logger.info("billing run started", extra={"pages": pages})
    return {"pages": pages}
