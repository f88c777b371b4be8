"""`Idempotency-Key` on every POST: a retry with the same key returns the first result.

Built on Powertools idempotency (records in DynamoDB, 24 h). The key is scoped to the account,
and the request's method, path and body are part of the record: the same key with another
request is refused (400), as is a retry while the first is still running (409). Server errors
are not remembered, so a retry after one runs again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from invoicing.api.errors import error_response

HEADER = "idempotency-key"
TTL_SECONDS = 24 * 3600


class _ServerError(Exception):
    def __init__(self, response: dict[str, Any]) -> None:
        self.response = response


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def idempotent_resolver(
    resolve: Callable[[dict[str, Any], Any], dict[str, Any]], table_name: str, *, client: Any
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Wrap `app.resolve` so POSTs carrying an Idempotency-Key run at most once per key.

    `client` is the function's `boto3.client("dynamodb")` (the composition root's): left to itself the
    persistence layer opens a Session of its own, which loads botocore's data again (~60 ms of cold
    start)."""
    persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)
    config = IdempotencyConfig(
        event_key_jmespath="[account_id, key]",
        payload_validation_jmespath="[method, path, body]",
        expires_after_seconds=TTL_SECONDS,
        raise_on_no_idempotency_key=True,
    )

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        key = _header(event, HEADER)
        if event.get("httpMethod") != "POST" or not key:
            return resolve(event, context)
        if len(key) > 255:
            return _as_dict(error_response(400, "idempotency_error", "idempotency_key_too_long",
                                           "Idempotency-Key must be at most 255 characters.", "Idempotency-Key"))
        config.register_lambda_context(context)
        authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
        request = {
            "account_id": authorizer.get("account_id"),
            "key": key,
            "method": event["httpMethod"],
            "path": event.get("path"),
            "body": event.get("body") or "",
        }

        @idempotent_function(data_keyword_argument="request", config=config, persistence_store=persistence)
        def run_once(request: dict[str, Any]) -> dict[str, Any]:
            response = resolve(event, context)
            if int(response.get("statusCode", 500)) >= 500:
                raise _ServerError(response)  # not remembered: a retry runs again
            return response

        try:
            return run_once(request=request)
        except _ServerError as failed:
            return failed.response
        except IdempotencyValidationError:
            return _as_dict(error_response(
                400, "idempotency_error", "idempotency_key_reused",
                "This Idempotency-Key was already used with a different request.", "Idempotency-Key"))
        except IdempotencyAlreadyInProgressError:
            return _as_dict(error_response(
                409, "idempotency_error", "idempotency_key_in_use",
                "A request with this Idempotency-Key is still in progress; retry shortly.", "Idempotency-Key"))

    return handle


def _as_dict(response: Any) -> dict[str, Any]:
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": "application/json"},
        "body": response.body if isinstance(response.body, str) else json.dumps(response.body),
        "isBase64Encoded": False,
    }
