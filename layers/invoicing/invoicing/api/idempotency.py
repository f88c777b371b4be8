"""`Idempotency-Key` on every POST: a retry with the same key returns the first result.

Built on Powertools idempotency (records in DynamoDB, 24 h). The key is scoped to the account,
and the request's method, path and body are part of the record: the same key with another
request is refused (400), as is a retry while the first is still running (409).

Only a success is remembered (2xx): every use case commits once, at its end, so an answer of 4xx
or 5xx means nothing was written, and a retry, after the address was fixed or the fault mended,
runs again (Stripe saves a result only once the endpoint started executing). A replayed answer
carries `Idempotent-Replayed: true`. The record keeps the answer compressed: a large invoice still
fits the record, so a retry never runs a committed write again.
"""

from __future__ import annotations

import base64
import json
import zlib
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


class _NotRemembered(Exception):
    """An answer that is not a success: returned to the caller, not saved under the key."""

    def __init__(self, response: dict[str, Any]) -> None:
        self.response = response


def _canonical(body: str) -> str:
    """The same JSON with other whitespace or key order is the same request."""
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return body


def _packed(response: dict[str, Any]) -> dict[str, Any]:
    body = response.get("body") or ""
    binary = bool(response.get("isBase64Encoded"))
    data = base64.b64decode(body) if binary else body.encode()
    kept = {k: v for k, v in response.items() if k not in ("body", "isBase64Encoded")}
    return {**kept, "body_zlib": base64.b64encode(zlib.compress(data, 6)).decode(), "binary": binary}


def _unpacked(record: dict[str, Any], *, replayed: bool) -> dict[str, Any]:
    data = zlib.decompress(base64.b64decode(record["body_zlib"]))
    response = {k: v for k, v in record.items() if k not in ("body_zlib", "binary")}
    response["body"] = base64.b64encode(data).decode() if record["binary"] else data.decode()
    response["isBase64Encoded"] = record["binary"]
    if replayed:
        response["headers"] = {**(response.get("headers") or {}), "Idempotent-Replayed": "true"}
        if response.get("multiValueHeaders"):
            response["multiValueHeaders"] = {**response["multiValueHeaders"], "Idempotent-Replayed": ["true"]}
    return response


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
            "body": _canonical(event.get("body") or ""),
        }

        ran: list[bool] = []

        @idempotent_function(data_keyword_argument="request", config=config, persistence_store=persistence)
        def run_once(request: dict[str, Any]) -> dict[str, Any]:
            ran.append(True)
            response = resolve(event, context)
            if not 200 <= int(response.get("statusCode", 500)) < 300:
                raise _NotRemembered(response)  # nothing was committed: a retry runs again
            return _packed(response)

        try:
            return _unpacked(run_once(request=request), replayed=not ran)
        except _NotRemembered as failed:
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
