"""The OpenAPI document and Swagger UI come from a function of their own (DocsFunction), generated
from the API function's routes; the API function does not load what only the document needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from local.template import Template
from tests.integration.conftest import HandlerStack
from tests.integration.lambdas import ROOT, LambdaContext, api_event, load_function


def api_routes() -> set[tuple[str, str]]:
    events = Template.load(ROOT / "template.yaml").resources["ApiFunction"]["Properties"]["Events"]
    # Each resource's ANY method is no operation: it routes the methods the resource lacks to their 405.
    return {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events.values()
            if e["Type"] == "Api" and e["Properties"]["Method"] != "any"}


def test_the_document_describes_every_route_of_the_api_function(stack: HandlerStack) -> None:
    docs = load_function("docs")
    event = api_event("GET", "/swagger", account_id="", query={"format": "json"})
    response = docs.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 200
    document = json.loads(response["body"])
    described = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert described == api_routes()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    page = docs.lambda_handler(api_event("GET", "/swagger", account_id=""), LambdaContext())
    assert page["statusCode"] == 200 and "SwaggerUIBundle" in page["body"]


def test_the_api_function_answers_no_swagger_route(stack: HandlerStack) -> None:
    status, payload = stack.call("GET", "/swagger")
    assert (status, payload["error"]["code"]) == (404, "route_missing")


def test_the_api_function_does_not_load_the_openapi_models_at_init() -> None:
    code = ("import sys; sys.path[:0] = sys.argv[1:]; import app; "
            "print(','.join(m for m in sys.modules if m.startswith('aws_lambda_powertools.event_handler.openapi')))")
    env = {**os.environ, "TABLE_NAME": "t", "IDEMPOTENCY_TABLE_NAME": "i", "DOCUMENTS_BUCKET": "b",
           "STATEMENTS_BUCKET": "s", "FILES_BUCKET": "f",
           "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "POWERTOOLS_TRACE_DISABLED": "true", "BILLING_RUN_QUEUE_URL": "q", "SANDBOX_MODE": "false"}
    loaded = subprocess.run([sys.executable, "-c", code, str(ROOT / "functions" / "api"),
                             str(ROOT / "layers" / "invoicing")], env=env, capture_output=True, text=True, check=True)
    modules = loaded.stdout.strip().split(",")
    assert "aws_lambda_powertools.event_handler.openapi.params" in modules  # request validation stays
    assert "aws_lambda_powertools.event_handler.openapi.models" not in modules
