"""The statements worker: the statements bucket's object-created notifications (via the statements
queue) -> parse the file, reconcile every entry once (`StatementService.process`).

A file that does not parse is kept `rejected` with its reason (GET /bank_statements/{id}); that is a
handled outcome, not a failure. A record fails (and comes back, then reaches the DLQ) only when the
processing itself failed; processing again applies nothing twice.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.api.statements import uploaded_statements
from invoicing.bootstrap.webhooks import statement_processor

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
statements = statement_processor()


def record_handler(record: SQSRecord) -> None:
    for account_id, statement_id in uploaded_statements(record.body):
        done = statements.process_notified(account_id, statement_id)
        status = done.status if done else "unknown"  # a key no upload was handed out for: skipped
        logger.info("statement processed", extra={"statement": statement_id, "status": status})
        metrics.add_metric(name=f"Statements{status.capitalize()}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
