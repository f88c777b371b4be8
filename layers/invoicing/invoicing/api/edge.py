"""What every request body must be before a route sees it: JSON (415 otherwise), UTF-8, at most
`MAX_BODY_BYTES` (413), nested at most `MAX_DEPTH` deep and with no number longer than
`MAX_NUMBER_DIGITS` digits (400). Python's JSON parser would otherwise fail on such input with a
RecursionError or a ValueError, which are faults of ours, not answers (docs/api.md, "Limits").

A number written with a fraction or an exponent whose value is a whole number (`537.0`, `5.37e2`) is
that integer, as JSON Schema counts it (`"type": "integer"` takes it): the body reaches the routes with
it written as one, read exactly (as a decimal, never through a float). Any other fraction stays as
it was, and a field that takes no float refuses it."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from invoicing.api.errors import error_response

MAX_BODY_BYTES = 1_048_576
MAX_DEPTH = 32
MAX_NUMBER_DIGITS = 40
JSON_TYPES = ("application/json",)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_DIGITS = re.compile(rf"\d{{{MAX_NUMBER_DIGITS + 1},}}")
_FRACTION = re.compile(r"[0-9][.eE]")
# Whole numbers up to here are exact in every JSON reader (2^53); beyond, one stays as written.
_EXACT = 2**53

Resolve = Callable[[dict[str, Any], Any], dict[str, Any]]


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


Problem = tuple[int, str, str, str]  # status, type, code, message


def body_problem(event: dict[str, Any]) -> tuple[Problem | None, str]:
    """(status, type, code, message) when the body cannot reach a route, else None; and the body's
    structure and numbers without its strings' contents (read once, for `with_whole_numbers` too)."""
    body = event.get("body")
    if body in (None, ""):
        return None, ""
    media = (_header(event, "content-type") or "").split(";")[0].strip().lower()
    if media not in JSON_TYPES:
        return (415, "invalid_request_error", "unsupported_media_type",
                f"Send the body as JSON with Content-Type: application/json (got {media or 'none'})."), ""
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
            body = raw.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return (400, "invalid_request_error", "invalid_encoding",
                    "The request body must be UTF-8 encoded JSON."), ""
    size = len(body.encode("utf-8", "surrogatepass"))
    if size > MAX_BODY_BYTES:
        return (413, "invalid_request_error", "body_too_large",
                f"A request body holds at most {MAX_BODY_BYTES} bytes."), ""
    if body.startswith(("\ufeff", "\ufffe")) or "\x00" in body:
        return (400, "invalid_request_error", "invalid_encoding",
                "The request body must be UTF-8 encoded JSON."), ""
    outside = _STRING.sub('""', body)  # structure and numbers, without the strings' contents
    depth = deepest = 0
    for char in outside:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        return (400, "invalid_request_error", "invalid_json",
                f"JSON may be nested at most {MAX_DEPTH} levels deep."), outside
    if _DIGITS.search(outside):
        return (400, "invalid_request_error", "invalid_json",
                f"A number in the request has more than {MAX_NUMBER_DIGITS} digits."), outside
    return None, outside


def _whole(value: Any) -> Any:
    if isinstance(value, Decimal):
        whole = value == value.to_integral_value() and abs(value) <= _EXACT
        return int(value) if whole else float(value)
    if isinstance(value, dict):
        return {key: _whole(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole(item) for item in value]
    return value


def with_whole_numbers(event: dict[str, Any], outside: str) -> dict[str, Any]:
    """The event with its body's whole numbers written as integers (`537.0` → `537`), when it has
    any number written with a fraction or an exponent (`outside` its strings, as `body_problem` read
    it); else the event itself. Only for a body that `body_problem` let through."""
    body = event.get("body")
    if not body or not _FRACTION.search(outside):
        return event
    text = base64.b64decode(body).decode("utf-8") if event.get("isBase64Encoded") else str(body)
    try:
        parsed = json.loads(text, parse_float=Decimal)
    except ValueError:
        return event  # not JSON: the route's own parsing answers it
    return {**event, "body": json.dumps(_whole(parsed)), "isBase64Encoded": False}


def checked_bodies(resolve: Resolve) -> Resolve:
    """Answer bodies that cannot reach a route before anything else runs (nothing is remembered
    under an Idempotency-Key for them, and nothing is written)."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        problem, outside = body_problem(event)
        if problem is None:
            return resolve(with_whole_numbers(event, outside), context)
        status, type_, code, message = problem
        response = error_response(status, type_, code, message, "body")
        return {"statusCode": status, "headers": {"Content-Type": "application/json"},
                "body": response.body if isinstance(response.body, str) else json.dumps(response.body),
                "isBase64Encoded": False}

    return handle
