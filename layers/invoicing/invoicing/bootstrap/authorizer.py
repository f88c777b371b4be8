"""The authorizer's composition root: one DynamoDB client and the key store on it. Nothing of the
invoice domain, the services or pydantic is imported here: the authorizer runs before every API
request whose key is not in API Gateway's cache, so its cold start adds to the API's."""

from __future__ import annotations

import boto3

from invoicing.adapters.api_keys import DynamoApiKeys
from invoicing.api.authorization import BearerAuthorizer
from invoicing.config import AuthorizerSettings


def bearer_authorizer(settings: AuthorizerSettings | None = None) -> BearerAuthorizer:
    """Built once per container; the settings come from the environment unless given."""
    settings = settings or AuthorizerSettings.from_env()
    return BearerAuthorizer(DynamoApiKeys(boto3.client("dynamodb"), settings.table_name))
