"""The API's Lambda authorizer: `Authorization: Bearer <api key>` -> the key's account.

The scheme is case-insensitive (RFC 7235); keys are stored as SHA-256 hashes; the presented key
is never logged.
"""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
    APIGatewayAuthorizerTokenEvent,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.bootstrap.authorizer import bearer_authorizer

logger = Logger()
authorizer = bearer_authorizer()


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    token_event = APIGatewayAuthorizerTokenEvent(event)
    account_id = authorizer.account_for(token_event.authorization_token)
    if account_id is None:
        logger.info("api key refused")
        raise Exception("Unauthorized")  # API Gateway answers 401
    arn = token_event.parsed_arn
    policy = APIGatewayAuthorizerResponse(
        principal_id=account_id, region=arn.region, aws_account_id=arn.aws_account_id,
        api_id=arn.api_id, stage=arn.stage, context={"account_id": account_id},
    )
    policy.allow_all_routes()  # one cached decision serves every route of this key
    return policy.asdict()
