"""A method that a resource lacks is a 405 with `Allow`, OPTIONS a 204 with `Allow`, HEAD a GET without
its body (invoicing.api.methods; docs/api.md, "Methods"). On AWS that takes an `ANY` method on every
resource, routed to the function that serves the resource's other methods: the template is checked
here, and the API function's route table against it."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any
from unittest import mock

from aws_lambda_powertools.event_handler import Response

from invoicing.api.methods import MethodsResolver, resource_of
from local.template import Template

ROOT = Path(__file__).resolve().parents[2]


def template_methods() -> dict[str, dict[str, set[str]]]:
    """resource -> function -> the methods of its `Api` events in template.yaml."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for function, definition in Template.load(ROOT / "template.yaml").of_type("AWS::Serverless::Function").items():
        for event in ((definition.get("Properties") or {}).get("Events") or {}).values():
            if event.get("Type") == "Api":
                props = event["Properties"]
                found[props["Path"]][function].add(str(props.get("Method", "any")).upper())
    return found


def test_every_resource_has_an_any_method_on_the_function_of_its_other_methods() -> None:
    for resource, functions in template_methods().items():
        assert len(functions) == 1, f"{resource} is served by {sorted(functions)}: one function answers its methods"
        (methods,) = functions.values()
        assert "ANY" in methods, f"{resource} has no ANY event: a method it lacks would be API Gateway's 404"
        assert methods - {"ANY"}, f"{resource} has only ANY"


def test_the_api_functions_route_table_is_the_templates() -> None:
    from invoicing.api.routes import build_app
    from invoicing.bootstrap.api import api_services
    from invoicing.bootstrap.docs import NO_QUEUE, NO_STORAGE

    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-west-1")}):
        app = build_app(api_services(NO_STORAGE, run_settings=NO_QUEUE))
    declared = {resource: functions["ApiFunction"] - {"ANY"}
                for resource, functions in template_methods().items() if "ApiFunction" in functions}

    assert {resource: set(methods) for resource, methods in app.resources().items()} == declared


def _app() -> MethodsResolver:
    app = MethodsResolver()

    @app.get("/notes/<note_id>")
    def read(note_id: str) -> Response:
        return Response(200, "application/json", json.dumps({"read": note_id}))

    @app.post("/notes/preview")
    def preview() -> Response:
        return Response(200, "application/json", json.dumps({"preview": True}))

    return app


def _event(method: str, path: str, resource: str) -> dict[str, Any]:
    return {"httpMethod": method, "path": path, "resource": resource, "headers": {}, "body": None,
            "requestContext": {"stage": "v1", "path": f"/v1{path}", "httpMethod": method}}


def test_a_method_the_resource_lacks_is_405_with_allow_even_where_another_route_fits_the_path() -> None:
    app = _app()

    answer = app.resolve(_event("GET", "/notes/preview", "/notes/preview"), None)

    assert answer["statusCode"] == 405
    assert answer["headers"]["Allow"] == "OPTIONS, POST"
    assert json.loads(answer["body"])["error"]["code"] == "method_not_allowed"
    deleted = app.resolve(_event("DELETE", "/notes/7", "/notes/{note_id}"), None)
    assert (deleted["statusCode"], deleted["headers"]["Allow"]) == (405, "GET, HEAD, OPTIONS")


def test_options_is_204_with_allow_and_head_is_the_get_without_its_body() -> None:
    app = _app()

    options = app.resolve(_event("OPTIONS", "/notes/7", "/notes/{note_id}"), None)
    head = app.resolve(_event("HEAD", "/notes/7", "/notes/{note_id}"), None)
    get = app.resolve(_event("GET", "/notes/7", "/notes/{note_id}"), None)

    assert (options["statusCode"], options["headers"]["Allow"], options["body"]) == (204, "GET, HEAD, OPTIONS", "")
    assert (get["statusCode"], json.loads(get["body"])) == (200, {"read": "7"})
    assert (head["statusCode"], head["body"]) == (200, "")
    assert head["multiValueHeaders"]["Content-Type"] == get["multiValueHeaders"]["Content-Type"]


def test_a_resource_the_app_does_not_have_is_left_to_its_not_found() -> None:
    app = _app()

    assert app.resolve(_event("PUT", "/elsewhere", "/elsewhere"), None)["statusCode"] == 404
    assert app.resolve(_event("GET", "/notes/7", "/notes/{note_id}"), None)["statusCode"] == 200


def test_a_rule_is_named_as_api_gateway_names_the_resource() -> None:
    assert resource_of("/invoices/<invoice_id>/lines/<line_id>") == "/invoices/{invoice_id}/lines/{line_id}"
    assert resource_of("/account/") == "/account"
