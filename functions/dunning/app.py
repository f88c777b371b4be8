"""The dunning run: the hourly schedule starts it; its queue carries pages of the next-step index and
the invoices found due on them.

A scheduled invocation queues one message per (hour of the lookback window, index shard); a page
message lists one page of invoices whose next step is due, one message each, and queues the next
page; an invoice message performs that invoice's due steps, in order, each once (docs/dunning.md).
"""

import json

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.bootstrap.dunning import dunning_runs

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
runs = dunning_runs()


def record_handler(record: SQSRecord) -> None:
    message = json.loads(record.body)
    count = runs.handle(message)
    metrics.add_metric(name="DunningInvoicesQueued" if "hour" in message else "DunningSteps",
                       unit=MetricUnit.Count, value=count)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    if "Records" in event:
        return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    pages = runs.start()  # the schedule (or a run started by hand)
    logger.info("dunning run started", extra={"pages": pages})
    return {"pages": pages}
