"""The billing run: the hourly schedule starts it; its queue carries pages of what it reads.

A scheduled invocation starts a run (its plan: one page per hour of the lookback window and index
shard); a run started by hand (POST /billing_runs) queues its own pages. Each page lists due
subscription boundaries onto the billing queue (the workers), once, and queues the next page. No
invocation enumerates more than a page (docs/subscriptions.md, "Billing runs"). The auto-finalize
schedule queues held drafts whose review window has passed.
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
    if event.get("step") == "auto_finalize":  # the auto-finalize schedule's input
        queued = runs.auto_finalize_due()
        logger.info("held drafts due to finalize queued", extra={"drafts": queued})
        return {"drafts": queued}
    pages = runs.start_scheduled()  # the hourly schedule
    logger.info("billing run started", extra={"pages": pages})
    return {"pages": pages}
