"""The feedback worker: SES bounce and complaint notifications (SNS -> the feedback queue) mark the
customer's address as failing and put it in the review list, once per notification."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.api.messages import mail_feedback
from invoicing.bootstrap.sending import feedback_service

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
feedback = feedback_service()


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    notice = mail_feedback(record.body)
    if notice is None:
        logger.info("notification ignored (not a bounce or complaint)")
        return
    outcome = feedback.on_feedback(notice)
    logger.info("mail feedback handled", extra={"kind": notice.kind, "feedback_id": notice.feedback_id,
                                                "customer_id": notice.customer_id, "outcome": outcome})
    if outcome == "marked":
        metrics.add_metric(name="EmailAddressesFailing", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
