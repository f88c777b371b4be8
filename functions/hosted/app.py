"""The hosted invoice page: `GET /i/{token}` and its form, PDF and pay links, without an API key."""

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.bootstrap.hosted import hosted_resolver

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
resolve = hosted_resolver()


# No correlation id from the path: it holds the page's token, which must not reach the logs.
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return resolve(event, context)
