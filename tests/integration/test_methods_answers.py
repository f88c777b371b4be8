"""The API function answers a method that a resource lacks as docs/api.md ("Methods") says: 405 with
`Allow`, OPTIONS 204 with `Allow`, HEAD the GET without its body. API Gateway hands it such a request
through the resource's `ANY` method, with `resource` naming the resource it chose."""

from __future__ import annotations

import json

from tests.integration.conftest import HandlerStack
from tests.integration.lambdas import LambdaContext, api_event


def _answer(stack: HandlerStack, method: str, path: str, resource: str) -> dict:
    event = api_event(method, path, account_id=stack.account_id, resource=resource)
    return stack.api.lambda_handler(event, LambdaContext())


def test_get_on_the_preview_of_credit_notes_is_405_not_a_credit_note_called_preview(stack: HandlerStack) -> None:
    answer = _answer(stack, "GET", "/credit_notes/preview", "/credit_notes/preview")

    assert answer["statusCode"] == 405
    assert answer["headers"]["Allow"] == "OPTIONS, POST"
    assert json.loads(answer["body"])["error"]["code"] == "method_not_allowed"


def test_put_on_invoices_is_405_and_options_lists_the_methods(stack: HandlerStack) -> None:
    put = _answer(stack, "PUT", "/invoices", "/invoices")
    options = _answer(stack, "OPTIONS", "/invoices", "/invoices")

    assert (put["statusCode"], put["headers"]["Allow"]) == (405, "GET, HEAD, OPTIONS, POST")
    assert (options["statusCode"], options["body"]) == (204, "")
    assert options["headers"]["Allow"] == "GET, HEAD, OPTIONS, POST"


def test_head_is_the_get_without_its_body(stack: HandlerStack) -> None:
    customer = stack.ok("POST", "/customers", {"name": "Fjord Analytics AS", "email": "ap@fjord.example"})
    path = f"/customers/{customer['id']}"

    head = _answer(stack, "HEAD", path, "/customers/{customer_id}")
    get = _answer(stack, "GET", path, "/customers/{customer_id}")
    missing = _answer(stack, "HEAD", "/customers/cus_nothing", "/customers/{customer_id}")

    assert (get["statusCode"], json.loads(get["body"])["id"]) == (200, customer["id"])
    assert (head["statusCode"], head["body"]) == (200, "")
    assert (missing["statusCode"], missing["body"]) == (404, "")
