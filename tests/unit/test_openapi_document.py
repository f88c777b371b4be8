"""The OpenAPI document is the contract: every operation declares what it can answer, with the
schemas of what it answers (docs/api.md, "Adding a route"). A route added without its `responses=`
fails here, by name.

The document is the one `/swagger` serves: built by the docs function's composition root from the
API's own routes (invoicing.bootstrap.docs)."""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any
from unittest import mock

import pytest

from invoicing.api.contract import ALWAYS, DESCRIPTIONS
from invoicing.bootstrap.docs import docs_resolver
from tests.integration.lambdas import LambdaContext, api_event

HOW = "declare it with responses=answers(...) (invoicing.api.contract; docs/api.md, \"Adding a route\")"


@cache
def document() -> dict[str, Any]:
    # The docs function's routes hold clients they never call: any region will do to build them.
    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-west-1")}):
        resolve = docs_resolver()
    response = resolve(api_event("GET", "/swagger", account_id="", query={"format": "json"}), LambdaContext())
    assert response["statusCode"] == 200
    return json.loads(response["body"])


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in document()["paths"].items() for method, op in ops.items()]


def can_answer(method: str, path: str, op: dict[str, Any]) -> set[int]:
    """What an operation can answer whatever its use case does: API Gateway's 401 and 429; 400 where
    anything is validated (a parameter, the body, the Idempotency-Key); 404 where a path names an
    object; on a POST, 409 (the same Idempotency-Key still running) and the body checks' 413 and 415."""
    statuses = set(ALWAYS)
    if op.get("parameters") or op.get("requestBody"):
        statuses.add(400)
    if "{" in path:
        statuses.add(404)
    if method == "POST":
        statuses |= {400, 409, 413, 415}
    return statuses


def ids() -> list[str]:
    return [f"{method} {path}" for method, path, _ in operations()]


@pytest.fixture(params=operations(), ids=ids())
def operation(request: pytest.FixtureRequest) -> tuple[str, str, dict[str, Any]]:
    return request.param


def _ref(content: dict[str, Any]) -> str | None:
    schema = content.get("application/json", {}).get("schema", {})
    return schema.get("$ref")


def test_every_operation_declares_what_it_can_answer(operation: tuple[str, str, dict[str, Any]]) -> None:
    method, path, op = operation
    declared = {int(code) for code in op["responses"]}
    missing = can_answer(method, path, op) - declared
    assert not missing, f"{method} {path} does not declare {sorted(missing)}: {HOW}"
    assert any(200 <= code < 300 for code in declared), f"{method} {path} declares no success: {HOW}"
    assert set(declared) <= set(DESCRIPTIONS), f"{method} {path} declares {sorted(set(declared) - set(DESCRIPTIONS))}"


def test_no_operation_declares_422_which_the_api_never_answers(operation: tuple[str, str, dict[str, Any]]) -> None:
    method, path, op = operation
    assert "422" not in op["responses"], f"{method} {path}"


def test_every_success_has_the_schema_of_its_object(operation: tuple[str, str, dict[str, Any]]) -> None:
    method, path, op = operation
    schemas = document()["components"]["schemas"]
    for code, response in op["responses"].items():
        if not code.startswith("2"):
            continue
        ref = _ref(response.get("content", {}))
        assert ref, f"{method} {path} {code} has no response schema: {HOW}"
        name = ref.rsplit("/", 1)[-1]
        assert name != "ErrorBody"
        assert schemas[name].get("properties"), f"{method} {path} {code}: {name} is an empty schema"


def test_every_error_has_the_error_object(operation: tuple[str, str, dict[str, Any]]) -> None:
    method, path, op = operation
    for code, response in op["responses"].items():
        if code.startswith(("4", "5")):
            assert _ref(response.get("content", {})) == "#/components/schemas/ErrorBody", f"{method} {path} {code}"


def test_every_post_takes_an_idempotency_key(operation: tuple[str, str, dict[str, Any]]) -> None:
    method, path, op = operation
    headers = [p for p in op.get("parameters", []) if p["in"] == "header" and p["name"] == "Idempotency-Key"]
    if method == "POST":
        assert len(headers) == 1, f"{method} {path}"
        assert headers[0]["schema"]["maxLength"] == 255 and headers[0]["required"] is False
        for code, response in op["responses"].items():
            if code.startswith("2"):
                assert "Idempotent-Replayed" in response["headers"]
    else:
        assert not headers


def test_the_error_object_is_one_component_of_the_api_s_shape() -> None:
    schemas = document()["components"]["schemas"]
    detail = schemas["ErrorDetail"]
    assert set(detail["required"]) == {"type", "code", "message", "param"}
    assert schemas["ErrorBody"]["required"] == ["error"]
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & set(schemas)


def test_every_reference_resolves() -> None:
    text = json.dumps(document())
    schemas = document()["components"]["schemas"]
    refs = {part.split('"', 1)[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}
    assert refs and refs <= set(schemas), sorted(refs - set(schemas))


def test_a_202_says_when_to_ask_again() -> None:
    for method, path, op in operations():
        for code in ("202", "429"):
            if code in op["responses"]:
                assert "Retry-After" in op["responses"][code]["headers"], f"{method} {path} {code}"
