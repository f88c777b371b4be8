"""One place that turns typed errors into HTTP responses: `{"error": {type, code, message, param}}`.

Bad input is always a 4xx naming the field, never a 5xx; nothing internal leaks out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from invoicing.domain.errors import Conflict, DomainError, FinalizationBlocked, NotFound


def error_response(status: int, type_: str, code: str, message: str, param: str | None = None,
                   **extra: Any) -> Response:
    body = {"error": {"type": type_, "code": code, "message": message, "param": param, **extra}}
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def domain_error_response(exc: DomainError) -> Response:
    if isinstance(exc, FinalizationBlocked):
        issues = [i.model_dump() for i in exc.issues]
        return error_response(HTTPStatus.CONFLICT, "invalid_request_error", exc.code, exc.message, exc.param,
                              validation_issues=issues)
    if isinstance(exc, NotFound):
        return error_response(HTTPStatus.NOT_FOUND, "invalid_request_error", exc.code, exc.message, exc.param)
    if isinstance(exc, Conflict):
        return error_response(HTTPStatus.CONFLICT, "invalid_request_error", exc.code, exc.message, exc.param)
    return error_response(HTTPStatus.BAD_REQUEST, "invalid_request_error", exc.code, exc.message, exc.param)


def _param(loc: Sequence[Any]) -> str | None:
    """('body', 'lines', 0, 'quantity') -> 'lines[0].quantity'."""
    parts = [p for p in loc[1:] if p not in ("function-after[_one_price(), LineIn]",)]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith(("function-", "decimal", "int", "str", "json-or-python", "literal[", "list[",
                                   "dict[", "bool", "enum[")):
            continue  # pydantic's internal validator names (a union's members) are not fields
        else:
            name = str(part) if len(str(part)) <= 40 else str(part)[:40] + "…"  # never echo a huge key
            text += f".{name}" if text else name
    return text or None


def validation_error_response(errors: Sequence[dict[str, Any]]) -> Response:
    """Powertools' 422 has no message a person can read: name the first bad field and say why."""
    first = errors[0] if errors else {"loc": ("body",), "msg": "Invalid request", "type": "invalid"}
    loc = tuple(first.get("loc", ()))
    kind = first.get("type", "")
    if kind == "json_invalid":
        return error_response(HTTPStatus.BAD_REQUEST, "invalid_request_error", "invalid_json",
                              "The request body is not valid JSON.", None)
    param = _param(loc)
    msg = str(first.get("msg", "is invalid")).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        message = f"Unknown field '{param}'."
        code = "unknown_field"
    elif kind == "missing" and param is None:  # the body itself
        message = "The request needs a JSON object as its body."
        code = "missing_body"
        param = "body"
    elif kind == "missing":
        message = f"Missing required field '{param}'."
        code = "missing_field"
    else:
        where = {"query": "query parameter", "path": "path parameter"}.get(str(loc[0]) if loc else "", "field")
        message = f"Invalid {where} '{param}': {msg}." if param else f"Invalid request: {msg}."
        code = "invalid_field"
    more = len(errors) - 1
    if more > 0:
        message += f" ({more} more problem{'s' if more > 1 else ''} in this request.)"
    return error_response(HTTPStatus.BAD_REQUEST, "invalid_request_error", code, message, param)
