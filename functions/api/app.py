"""The REST API function: API Gateway proxy events -> routes -> use cases."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.api.idempotency import idempotent_resolver
from invoicing.api.routes import build_app
from invoicing.bootstrap.api import api_services
from invoicing.config import ApiSettings

logger = Logger()
# Only boto3's calls get X-Ray subsegments: patching every library X-Ray supports costs ~30 ms of
# cold start (bench/README.md, "Cold starts").
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
settings = ApiSettings.from_env()
app = build_app(api_services(settings))
resolve = idempotent_resolver(app.resolve, settings.idempotency_table_name)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return resolve(event, context)
