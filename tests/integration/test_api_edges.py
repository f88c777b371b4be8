"""Input no route should see gets a 4xx that says why, and nothing is written: a body that is not
JSON, not UTF-8, too deep, with absurd numbers; nulls on fields that always have a value; metadata
over Stripe's limits."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.integration.conftest import HandlerStack
from tests.integration.lambdas import LambdaContext, api_event


def send(stack: HandlerStack, path: str, body: str, *, content_type: str = "application/json",
         base64_encoded: bool = False) -> tuple[int, dict[str, Any]]:
    event = api_event("POST", path, account_id=stack.account_id, raw_body=body)
    event["headers"]["Content-Type"] = content_type
    event["multiValueHeaders"]["Content-Type"] = [content_type]
    event["isBase64Encoded"] = base64_encoded
    response = stack.api.lambda_handler(event, LambdaContext())
    return int(response["statusCode"]), json.loads(response["body"])


def customers(stack: HandlerStack) -> int:
    return len(stack.ok("GET", "/customers", query={"limit": "100"})["data"])


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_is_415(stack: HandlerStack, content_type: str) -> None:
    status, body = send(stack, "/customers", '{"name": "A"}', content_type=content_type)
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")
    assert customers(stack) == 0
    assert send(stack, "/customers", '{"name": "A"}', content_type="application/json; charset=utf-8")[0] == 201


@pytest.mark.parametrize("raw", [
    '{"name": "Å"}'.encode("utf-16"),
    b'{"name": "\xe9t\xe9"}',  # Latin-1
    b'\xef\xbb\xbf{"name": "A"}',  # a UTF-8 byte order mark
])
def test_a_body_that_is_not_utf8_is_400(stack: HandlerStack, raw: bytes) -> None:
    status, body = send(stack, "/customers", base64.b64encode(raw).decode(), base64_encoded=True)
    assert (status, body["error"]["code"]) in ((400, "invalid_encoding"), (400, "invalid_json"))
    assert customers(stack) == 0


def test_deep_nesting_and_huge_numbers_are_400(stack: HandlerStack) -> None:
    status, body = send(stack, "/customers", "[" * 100_000 + "]" * 100_000)
    assert (status, body["error"]["code"]) == (400, "invalid_json")
    status, body = send(stack, "/customers", '{"name": "A", "metadata": {"n": ' + "9" * 5000 + "}}")
    assert (status, body["error"]["code"]) == (400, "invalid_json")
    status, _ = send(stack, "/customers", json.dumps({"name": "[[[[ 9999 ]]]]" * 20 + "9" * 5000}))
    assert status == 400  # brackets and digits inside a string are text: the name is just too long
    assert customers(stack) == 0


def test_a_body_over_the_limit_is_413(stack: HandlerStack) -> None:
    status, body = send(stack, "/customers", json.dumps({"name": "A", "pad": "x" * 1_100_000}))
    assert (status, body["error"]["code"]) == (413, "body_too_large")


def test_null_clears_what_may_be_empty_and_is_refused_where_a_value_is_needed(stack: HandlerStack) -> None:
    customer = stack.ok("POST", "/customers", {"name": "Kund AB", "email": "a@kund.example",
                                               "address": {"line1": "Gatan 1", "city": "Lund", "country": "SE"}})
    cleared = stack.ok("POST", f"/customers/{customer['id']}", {"email": None, "address": None})
    assert (cleared["email"], cleared["address"]) == (None, None)
    for field in ("name", "currency", "locale", "tax_exempt", "einvoice_format"):
        status, body = stack.call("POST", f"/customers/{customer['id']}", {field: None})
        assert status == 400 and body["error"]["param"] == field, (field, body)
    for field in ("name", "branding", "numbering", "default_currency", "days_until_due"):
        status, body = stack.call("POST", "/account", {field: None})
        assert status == 400 and body["error"]["param"] == field, (field, body)
    assert stack.ok("GET", f"/customers/{customer['id']}")["name"] == "Kund AB"


def test_metadata_keeps_to_stripes_limits(stack: HandlerStack) -> None:
    status, body = stack.call("POST", "/customers", {"name": "A", "metadata": {"k" * 450_000: "v"}})
    assert status == 400 and len(body["error"]["param"]) < 60  # the key is not echoed back
    status, _ = stack.call("POST", "/customers", {"name": "A", "metadata": {f"k{i}": "v" for i in range(51)}})
    assert status == 400
    assert stack.ok("POST", "/customers", {"name": "A", "metadata": {"k" * 40: "v" * 500}})["metadata"]
