"""The API's OpenAPI document and Swagger UI (`GET /swagger`), apart from the API function so that
its cold start does not carry them."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.bootstrap.docs import docs_resolver

logger = Logger()
resolve = docs_resolver()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return resolve(event, context)
