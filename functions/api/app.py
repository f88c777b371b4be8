"""The REST API function: API Gateway proxy events -> routes -> use cases."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.bootstrap.api import api_resolver

logger = Logger()
# Only boto3's calls get X-Ray subsegments: patching every library X-Ray supports costs ~30 ms of
# cold start (bench/README.md, "Cold starts").
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
resolve = api_resolver()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return resolve(event, context)
