"""`Idempotency-Key` on every POST: a retry with the same key returns the first result.

Built on Powertools idempotency (records in DynamoDB, 24 h). The key is scoped to the account,
and the request's method, path and body are part of the record: the same key with another
request is refused (400), as is a retry while the first is still running (409).

Only a success is remembered (2xx): every use case commits once, at its end, so an answer of 4xx
or 5xx means nothing was written, and a retry, after the address was fixed or the fault mended,
runs again (Stripe saves a result only once the endpoint started executing). A replayed answer
carries `Idempotent-Replayed: true`.

What a record keeps is a reference to the answer, not the answer: its status code, the object's
kind and id, and a SHA-256 digest of the body. Every POST answers with one object (an invoice, a
customer, a credit note, the account, a subscription, a meter, a product, a price, a coupon), which
its GET route renders the same way, so a replay
rebuilds the answer by reading the object. While the object is as it was, the rebuilt body has the
first answer's digest and is that answer, byte for byte. Stripe replays a saved response even after
the object changed; this record holds no copy of it (no customer data, no invoice lines, however
big the answer), so when the object has changed since (a later request, or for a draft a change to
what its validation issues depend on), the replay answers the same status with the object as it is
now, marked `Idempotent-Replayed-Changed: true` (docs/api.md). A record is well under 1 KB: one
write unit for the in-progress put and one for the answer, however big the answer. An answer that
is not an object the API can read back (a recorded usage event) is kept whole, compressed.
"""

from __future__ import annotations

import base64
import copy
import hashlib
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

Resolve = Callable[[dict[str, Any], Any], dict[str, Any]]

HEADER = "idempotency-key"
TTL_SECONDS = 24 * 3600
KEY_PREFIX = "api"  # the record's id is `api#{hash(account, key)}` (Powertools' default names the Python function)
# Where each kind of object is read back: the GET route that renders it as the POST routes do.
READ_BACK = {
    "invoice": "/invoices/{id}",
    "customer": "/customers/{id}",
    "credit_note": "/credit_notes/{id}",
    "account": "/account",
    "meter": "/meters/{id}",
    "subscription": "/subscriptions/{id}",
    "product": "/products/{id}",
    "price": "/prices/{id}",
    "coupon": "/coupons/{id}",
    "discount_rule": "/discount_rules/{id}",
    "billing_run": "/billing_runs/{id}",
    "test_clock": "/test_clocks/{id}",
}
REPLAYED = "Idempotent-Replayed"
CHANGED = "Idempotent-Replayed-Changed"


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


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


def _remembered(response: dict[str, Any]) -> dict[str, Any]:
    """What the record keeps of a success: a reference to its object, or else the whole answer."""
    body = response.get("body") or ""
    obj = _object(body) if not response.get("isBase64Encoded") else None
    if obj is not None:
        return {"statusCode": int(response["statusCode"]), "object": obj[0], "id": obj[1], "sha256": _digest(body)}
    return _packed(response)


def _object(body: str) -> tuple[str, str] | None:
    """(kind, id) of an answer that is one object the API can read back."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if not isinstance(value, dict) or value.get("object") not in READ_BACK or not isinstance(value.get("id"), str):
        return None
    return value["object"], value["id"]


def _packed(response: dict[str, Any]) -> dict[str, Any]:
    body = response.get("body") or ""
    binary = bool(response.get("isBase64Encoded"))
    data = base64.b64decode(body) if binary else body.encode()
    kept = {k: v for k, v in response.items() if k not in ("body", "isBase64Encoded")}
    return {**kept, "body_zlib": base64.b64encode(zlib.compress(data, 6)).decode(), "binary": binary}


def _unpacked(record: dict[str, Any]) -> dict[str, Any]:
    data = zlib.decompress(base64.b64decode(record["body_zlib"]))
    response = {k: v for k, v in record.items() if k not in ("body_zlib", "binary")}
    response["body"] = base64.b64encode(data).decode() if record["binary"] else data.decode()
    response["isBase64Encoded"] = record["binary"]
    return response


def _read_back(record: dict[str, Any], event: dict[str, Any], context: Any, resolve: Resolve) -> dict[str, Any]:
    """The answer a reference stands for, read through the object's GET route with the caller's
    own request context (its account): the first answer while the object is unchanged."""
    path = READ_BACK[record["object"]].format(id=record["id"])
    read = copy.copy(event)
    read.update(httpMethod="GET", path=path, resource=path, body=None, isBase64Encoded=False, pathParameters=None,
                queryStringParameters=None, multiValueQueryStringParameters=None)
    response = resolve(read, context)
    if not 200 <= int(response.get("statusCode", 500)) < 300:
        return response  # it cannot be read now (a fault of ours): said as it is, nothing runs again
    response = {**response, "statusCode": record["statusCode"]}
    if _digest(response.get("body") or "") != record["sha256"]:
        response = _with_header(response, CHANGED, "true")
    return response


def _replayed(record: dict[str, Any], event: dict[str, Any], context: Any, resolve: Resolve) -> dict[str, Any]:
    response = _read_back(record, event, context, resolve) if "sha256" in record else _unpacked(record)
    return _with_header(response, REPLAYED, "true")


def _with_header(response: dict[str, Any], name: str, value: str) -> dict[str, Any]:
    response = {**response, "headers": {**(response.get("headers") or {}), name: value}}
    if response.get("multiValueHeaders"):
        response["multiValueHeaders"] = {**response["multiValueHeaders"], name: [value]}
    return response


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def idempotent_resolver(resolve: Resolve, table_name: str, *, client: Any) -> Resolve:
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
        if event.get("httpMethod") != "POST" or key is None:
            return resolve(event, context)
        if not key.strip():  # asked for, but no key to remember the answer under: never run unprotected
            return _as_dict(error_response(400, "idempotency_error", "idempotency_key_empty",
                                           "Idempotency-Key may not be empty.", "Idempotency-Key"))
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

        first: list[dict[str, Any]] = []  # the answer, when it runs now

        @idempotent_function(data_keyword_argument="request", config=config, persistence_store=persistence,
                             key_prefix=KEY_PREFIX)
        def run_once(request: dict[str, Any]) -> dict[str, Any]:
            response = resolve(event, context)
            if not 200 <= int(response.get("statusCode", 500)) < 300:
                raise _NotRemembered(response)  # nothing was committed: a retry runs again
            first.append(response)
            return _remembered(response)

        try:
            record = run_once(request=request)
            return first[0] if first else _replayed(record, event, context, resolve)
        except _NotRemembered as failed:
            return failed.response
        except IdempotencyValidationError:
            # 409: the request fits the document; the state of its key (used before) is what refuses it.
            return _as_dict(error_response(
                409, "idempotency_error", "idempotency_key_reused",
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
