"""The API emulator's decisions without HTTP: route precedence, authorizers, gateway responses."""

from __future__ import annotations

import json
from typing import Any

from local.apigateway import ApiConfig, ApiGateway, GatewayResponse, HttpRequest, _route
from local.authorizer import AuthorizerSpec

TOKEN = AuthorizerSpec("Token", "AuthFn", "TOKEN", ttl_seconds=300)
REQUEST = AuthorizerSpec("Request", "AuthFn", "REQUEST", identity_headers=("X-Key",), identity_query=("tenant",))


class Functions:
    """Stands in for the function runtime: records invocations, answers like the fixture functions."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def invoke(self, function: str, event: Any) -> Any:
        self.calls.append((function, event))
        if function == "AuthFn":
            statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}
            return {"principalId": "p", "policyDocument": {"Statement": statement}, "context": {"n": 1}}
        return {"statusCode": 200, "body": json.dumps({"function": function, "resource": event["resource"]})}

    def authorizer_calls(self) -> list[Any]:
        return [event for function, event in self.calls if function == "AuthFn"]


def _gateway(
    *routes: tuple[str, str, str], api: ApiConfig | None = None, authorizer: Any = None
) -> tuple[ApiGateway, Functions]:
    api = api or ApiConfig("Api", "abc123")
    functions = Functions()
    built = [_route(method, path, function, api, authorizer) for method, path, function in routes]
    return ApiGateway(built, functions.invoke, region="eu-west-1", account_id="123456789012"), functions


def _get(gateway: ApiGateway, path: str, method: str = "GET", **headers: str) -> tuple[int, Any]:
    query = path.partition("?")[2]
    response = gateway.handle(HttpRequest(method, path.partition("?")[0], query, list(headers.items()), b"", "1.2.3.4"))
    return response.status, json.loads(response.body)


def test_literal_beats_parameter_beats_greedy_and_a_method_beats_any() -> None:
    gateway, _ = _gateway(
        ("ANY", "/{proxy+}", "Greedy"),
        ("GET", "/items/{id}", "Param"),
        ("GET", "/items/special", "Literal"),
        ("ANY", "/items/special", "AnyLiteral"),
    )

    assert _get(gateway, "/items/special")[1]["function"] == "Literal"
    assert _get(gateway, "/items/special", "POST")[1]["function"] == "AnyLiteral"
    assert _get(gateway, "/items/7")[1]["function"] == "Param"
    assert _get(gateway, "/items/7/parts")[1]["function"] == "Greedy"
    assert _get(gateway, "/items/7/")[1]["function"] == "Param"  # a trailing slash is the same resource


def test_the_resource_is_chosen_before_the_method_and_any_covers_api_gateways_methods() -> None:
    gateway, _ = _gateway(
        ("GET", "/notes/{id}", "Read"),
        ("ANY", "/notes/{id}", "Other"),
        ("POST", "/notes/preview", "Preview"),
    )
    missing = (403, {"message": "Missing Authentication Token"})

    assert _get(gateway, "/notes/7")[1]["function"] == "Read"  # the resource's own method before its ANY
    assert _get(gateway, "/notes/7", "DELETE")[1]["function"] == "Other"
    assert _get(gateway, "/notes/7", "OPTIONS")[1]["function"] == "Other"
    # /notes/preview is the resource, and it has no GET: not GET /notes/{id} with id "preview".
    assert _get(gateway, "/notes/preview") == missing
    assert _get(gateway, "/notes/preview", "POST")[1]["function"] == "Preview"
    # ANY is DELETE, GET, HEAD, OPTIONS, PATCH, POST and PUT, the methods a REST API method can have.
    assert _get(gateway, "/notes/7", "TRACE") == missing


def test_a_url_with_the_stage_in_front_reaches_the_same_route() -> None:
    gateway, _ = _gateway(("GET", "/items/{id}", "Param"))

    status, body = _get(gateway, "/local/items/7")

    assert (status, body["resource"]) == (200, "/items/{id}")


def test_token_authorizer_results_are_cached_per_token() -> None:
    gateway, functions = _gateway(("GET", "/a", "Fn"), ("GET", "/b", "Fn"), authorizer=TOKEN)

    assert _get(gateway, "/a", Authorization="t1")[0] == 200
    assert _get(gateway, "/a", Authorization="t1")[0] == 200
    assert _get(gateway, "/a", Authorization="t2")[0] == 200
    # The cached policy only allowed /a's method ARN: it is evaluated again for /b, as API Gateway does.
    assert _get(gateway, "/b", Authorization="t1")[0] == 403

    assert [event["authorizationToken"] for event in functions.authorizer_calls()] == ["t1", "t2"]
    assert functions.authorizer_calls()[0] == {
        "type": "TOKEN",
        "authorizationToken": "t1",
        "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:abc123/local/GET/a",
    }


def test_request_authorizer_needs_every_identity_source_and_gets_the_request() -> None:
    gateway, functions = _gateway(("GET", "/things/{id}", "Fn"), authorizer=REQUEST)

    assert _get(gateway, "/things/1?tenant=t")[0] == 401
    assert _get(gateway, "/things/1", **{"X-Key": "k"})[0] == 401
    status, _ = _get(gateway, "/things/1?tenant=t", **{"X-Key": "k"})

    assert status == 200
    (event,) = functions.authorizer_calls()
    assert event["type"] == "REQUEST"
    assert event["methodArn"].endswith("/local/GET/things/1")
    assert event["pathParameters"] == {"id": "1"}
    assert event["headers"]["X-Key"] == "k"
    assert event["queryStringParameters"] == {"tenant": "t"}
    handler_event = functions.calls[-1][1]
    assert handler_event["requestContext"]["authorizer"] == {"n": "1", "principalId": "p", "integrationLatency": 0}


def test_gateway_responses_replace_api_gateways_own_answers() -> None:
    api = ApiConfig(
        "Api",
        "abc123",
        gateway_responses={
            "MISSING_AUTHENTICATION_TOKEN": GatewayResponse(404, '{"error": "no route"}'),
            "DEFAULT_4XX": GatewayResponse(None, '{"error": $context.error.messageString}', {"X-Custom": "yes"}),
        },
    )
    gateway, _ = _gateway(("GET", "/a", "Fn"), api=api, authorizer=TOKEN)

    assert _get(gateway, "/nowhere") == (404, {"error": "no route"})
    response = gateway.handle(HttpRequest("GET", "/a", "", [], b"", "1.2.3.4"))
    assert (response.status, json.loads(response.body)) == (401, {"error": "Unauthorized"})
    assert ("X-Custom", "yes") in response.headers
