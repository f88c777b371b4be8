"""What a route declares it answers, so that the OpenAPI document is the contract (docs/api.md,
"Adding a route"). One line per route:

    @app.post("/customers", ..., responses=answers(201, CustomerObject, CREATE))
    @app.get("/invoices/<invoice_id>", ..., responses=answers(200, InvoiceObject, READ))

`answers` declares the success with the model its view returns, every error status with the error
object (`ErrorBody`), and the statuses every route can answer (401 from the authorizer, 429 from the
throttle). `ContractResolver` is the app's resolver: it leaves Powertools' 422 out of the document
(this API answers a request that fails validation with 400 and the error object, never 422) and
declares on every POST the `Idempotency-Key` header that `invoicing.api.idempotency` reads, and the
headers of a replayed answer.

Light on purpose: the API function imports this at init; Powertools' OpenAPI models are loaded only
when the document is built (by the docs function, invoicing.api.docs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from invoicing.api.methods import MethodsResolver

# The statuses that every route may answer, whatever it does: API Gateway's own (a missing or refused
# API key, the stage's or the per-key throttle).
ALWAYS = (401, 429)
# The usual sets, by what a route does. 400: bad input (a query or path parameter, the body, the
# Idempotency-Key); 404: no such object in the account; 409: a state conflict, or the same
# Idempotency-Key with another request or still running; 413/415: a body too large or not JSON (invoicing.api.edge).
LIST = (400, 404)  # 404: a `starting_after` that names no object
READ = (400, 404)
CREATE = (400, 409, 413, 415)
CHANGE = (400, 404, 409, 413, 415)

DESCRIPTIONS = {
    200: "The object",
    201: "Created: the object",
    202: "Accepted: not ready yet; retry after `Retry-After` seconds",
    400: "Bad input: `param` names the field (or the query parameter, or `Idempotency-Key`)",
    401: "No valid API key: send `Authorization: Bearer <api key>`",
    404: "No such object in this account (`resource_missing`)",
    409: "A state conflict (`code` says which), or the same `Idempotency-Key` with another request or still running",
    413: "The body is larger than 1 MiB (`body_too_large`)",
    415: "The body is not `application/json` (`unsupported_media_type`)",
    429: "Too many requests (`rate_limited`): retry after `Retry-After` seconds",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before asking again", "schema": {"type": "integer"}}}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "A retry with the same key returns the first answer instead of running again (kept 24 h); "
                   "the same key with another request is a 409 (`idempotency_key_reused`), and so is a "
                   "retry while the first still runs (`idempotency_key_in_use`)",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
REPLAY_HEADERS = {
    "Idempotent-Replayed": {"description": "`true`: the answer of an earlier request with this Idempotency-Key",
                            "schema": {"type": "string", "enum": ["true"]}},
    "Idempotent-Replayed-Changed": {"description": "`true`: replayed, and the object has changed since",
                                    "schema": {"type": "string", "enum": ["true"]}},
}
# Powertools' 422 answer (request validation) and its response validation error, which this API never answers.
VALIDATION_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
                        r"([Zz]|[+-][0-9]{2}:?[0-9]{2})?")


def _text_of(pattern: re.Pattern[str], kind: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, str) and not pattern.fullmatch(value):
            raise ValueError(f"must be an ISO 8601 {kind}")
        return value
    return BeforeValidator(check)


# Query parameters of the formats the document declares (`date`, `date-time`): pydantic alone would
# also take a number there as a Unix time ("0" as 1970-01-01).
IsoDate = Annotated[date, _text_of(_DATE, "date (YYYY-MM-DD)")]
IsoDateTime = Annotated[datetime, _text_of(_DATE_TIME, "date and time (2026-11-30T00:00:00Z)")]


class ValidationIssueObject(BaseModel):
    """A blocking or warning issue of a draft: in its `validation_issues`, and in the 409
    `finalization_blocked` that a blocking one causes."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    code: str = Field(examples=["customer_address_missing"])
    message: str
    field: str | None
    blocking: bool


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    type: str = Field(description="invalid_request_error, authentication_error, idempotency_error, "
                                  "rate_limit_error or api_error", examples=["invalid_request_error"])
    code: str = Field(examples=["missing_field"])
    message: str = Field(examples=["Missing required field 'name'."])
    param: str | None = Field(description="The field, query parameter or header at fault", examples=["name"])
    validation_issues: list[ValidationIssueObject] | None = Field(
        default=None, description="With `finalization_blocked`: the draft's issues")


class ErrorBody(BaseModel):
    """Every 4xx (and 5xx) answer of the API: `{"error": {type, code, message, param}}`."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    error: ErrorDetail


def _flat(statuses: Iterable[int | Iterable[int]]) -> set[int]:
    flat: set[int] = set()
    for status in statuses:
        flat.update([status] if isinstance(status, int) else status)
    return flat


def answers(status: int, model: type[BaseModel], *errors: int | Iterable[int],
            also: dict[int, type[BaseModel]] | None = None) -> dict[int, OpenAPIResponse]:
    """The `responses=` of a route: its success `status` with the `model` its view returns (and
    `also` other successes, e.g. `{202: FileLinkObject}`), each of the `errors` (statuses or sets of
    them: `READ`, `CHANGE`, …) with `ErrorBody`, and `ALWAYS`."""
    declared: dict[int, OpenAPIResponse] = {}
    for code, body in {status: model, **(also or {})}.items():
        declared[code] = {"description": DESCRIPTIONS.get(code, "Success"),
                          "content": {"application/json": {"model": body}}}
        if code == 202:
            declared[code]["headers"] = dict(RETRY_AFTER)  # type: ignore[arg-type]
    for code in sorted(_flat(errors) | set(ALWAYS)):
        declared[code] = {"description": DESCRIPTIONS[code], "content": {"application/json": {"model": ErrorBody}}}
        if code == 429:
            declared[code]["headers"] = dict(RETRY_AFTER)  # type: ignore[arg-type]
    return declared


def contract(document: dict[str, Any]) -> dict[str, Any]:
    """The document Powertools generated, made exact: no 422 (and none of its schemas), and on every
    POST the `Idempotency-Key` header and the headers of a replayed success."""
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            if method != "post":
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("in") == "header" and p.get("name", "").lower() == "idempotency-key"
                       for p in parameters):
                parameters.append(dict(IDEMPOTENCY_KEY))
            for code, response in responses.items():
                if str(code).startswith("2"):
                    response["headers"] = {**response.get("headers", {}), **REPLAY_HEADERS}
    from invoicing.api.request_schemas import exact_requests

    exact_requests(document)
    schemas = document.get("components", {}).get("schemas", {})
    for name in VALIDATION_ERROR_SCHEMAS:
        schemas.pop(name, None)
    return document


class ContractResolver(MethodsResolver):
    """The API's resolver. Its OpenAPI document (what `/swagger` serves) is Powertools', through
    `contract`; a method a resource lacks is a 405 (invoicing.api.methods)."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

        generated = super().get_openapi_schema(**kwargs)
        document = generated.model_dump(mode="json", by_alias=True, exclude_none=True)
        return OpenAPI.model_validate(contract(document))
