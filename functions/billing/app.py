"""The billing worker: due subscription boundaries (the billing queue) -> one invoice each, numbered
in batches.

Each message bills one boundary once (a redelivery finds it billed). The drafts of a batch are then
finalized together, one number-series update per batch; a draft with a blocking validation issue
stays a draft for review. If finalizing fails, the batch's messages of that account are reported
failed: their redelivery finds the boundaries billed and finalizes the drafts then.
"""

import json

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.bootstrap.billing import billing_service

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
billing = billing_service()
_to_finalize: dict[str, dict[str, str]] = {}  # account -> invoice id -> message id, for this batch


def record_handler(record: SQSRecord) -> None:
    message = json.loads(record.body)
    billed = billing.bill(message["account_id"], message["subscription_id"], int(message["boundary"]))
    logger.info("boundary billed", extra={"subscription_id": message["subscription_id"],
                                          "boundary": message["boundary"], "outcome": billed.outcome})
    metrics.add_metric(name=f"Billing_{billed.outcome}", unit=MetricUnit.Count, value=1)
    if billed.invoice_id and billed.outcome in ("invoiced", "already_billed"):
        _to_finalize.setdefault(message["account_id"], {})[billed.invoice_id] = record.message_id


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    _to_finalize.clear()
    response = process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    failures = list(response.get("batchItemFailures", []))
    for account_id, invoices in _to_finalize.items():
        try:
            outcome = billing.finalize(account_id, list(invoices))
        except Exception:
            logger.exception("finalizing a batch failed; its messages are retried")
            failures += [{"itemIdentifier": message_id} for message_id in invoices.values()]
            continue
        metrics.add_metric(name="InvoicesFinalizedByBilling", unit=MetricUnit.Count, value=len(outcome.finalized))
        held = [i for i, error in outcome.failed.items() if getattr(error, "code", "") != "invoice_not_draft"]
        if held:
            logger.info("drafts held for review", extra={"invoices": held})
    return {"batchItemFailures": failures}
