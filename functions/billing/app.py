"""The billing worker: due subscription boundaries (the billing queue) -> one invoice each, numbered
in batches; and held drafts whose review window has passed -> finalized.

Each message bills one boundary once (a redelivery finds it billed), counted once for its run. The
drafts of a batch that are not held for review are then finalized together, one number-series
update per batch. If finalizing fails, the batch's messages of that account are reported failed:
their redelivery finds the boundaries billed and finalizes the drafts then. After the batch, each
run it touched completes if it is done (`billing_run.completed`, once).
"""

import json

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.bootstrap.billing import billing_worker, max_receives

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
runs = billing_worker()
LAST_ATTEMPT = max_receives()
batch = runs.new_batch()


def record_handler(record: SQSRecord) -> None:
    message = json.loads(record.body)
    last = int(record.attributes.get("ApproximateReceiveCount") or 1) >= LAST_ATTEMPT
    outcome = runs.work_on(message, batch, record.message_id, last)
    logger.info("billing message done", extra={"subscription_id": message.get("subscription_id"),
                                               "boundary": message.get("boundary"), "outcome": outcome})
    metrics.add_metric(name=f"Billing_{outcome}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    batch.clear()
    response = process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    failures = list(response.get("batchItemFailures", []))
    finalized, failed = runs.settle(batch)
    metrics.add_metric(name="InvoicesFinalizedByBilling", unit=MetricUnit.Count, value=finalized)
    if failed:
        logger.warning("finalizing a batch failed; its messages are retried", extra={"messages": len(failed)})
    return {"batchItemFailures": failures + [{"itemIdentifier": message_id} for message_id in failed]}
