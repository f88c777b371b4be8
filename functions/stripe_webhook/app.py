"""The Stripe webhook: verify Stripe-Signature, queue the event, answer 200 (no API key: the route is
outside the authorizer). A signature that does not verify is a 400 and nothing is queued."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.bootstrap.webhooks import stripe_webhook

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
resolve = stripe_webhook()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return resolve(event, context)
