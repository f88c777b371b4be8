"""The document function: render requests from the queue -> PDFs in the document bucket."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.bootstrap.documents import document_service
from invoicing.config import DocumentSettings
from invoicing.documents.pdf import warm_up
from invoicing.services.commands import RenderRequest

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
documents = document_service(DocumentSettings.from_env())
warm_up()  # WeasyPrint, fonts and stylesheets load during init: the first invoice renders as fast as the rest


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    request = RenderRequest.model_validate_json(record.body)
    if request.credit_note_id:
        outcome = documents.render_credit_note(request.account_id, request.credit_note_id)
    else:
        outcome = documents.render_invoice(request.account_id, request.invoice_id)
    logger.info("render request handled", extra={"invoice_id": request.invoice_id,
                                                 "credit_note_id": request.credit_note_id, "outcome": outcome})
    if outcome == "rendered":
        metrics.add_metric(name="DocumentsRendered", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
