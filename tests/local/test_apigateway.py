"""HTTP requests through the API emulator: events, authorizer, API Gateway's own answers, containers."""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from local.apigateway import ApiGateway, ApiServer
from local.functions import function_specs, routed_by_api
from local.stack import REPO_ROOT, LocalRuntime
from local.template import StackTemplate, Template
from tests.local.conftest import AUTH, Http


def test_request_becomes_a_rest_proxy_event_and_the_response_comes_back(http: Http) -> None:
    status, headers, payload = http.request(
        "POST",
        "/items?tag=a&tag=b&single=x%20y",
        body=b'{"name": "chair"}',
        headers={**AUTH, "Content-Type": "application/json", "X-Trace": "t-1"},
    )
    body = json.loads(payload)
    event = body["event"]

    assert status == 200
    assert headers["X-Echo"] == "yes"
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    assert event["resource"] == "/items"
    assert event["path"] == "/items"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["X-Trace"] == "t-1"
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["multiValueHeaders"]["X-Trace"] == ["t-1"]
    assert event["queryStringParameters"] == {"tag": "b", "single": "x y"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "single": ["x y"]}
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] == '{"name": "chair"}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "local"
    assert context["resourcePath"] == "/items"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"] and isinstance(context["requestTimeEpoch"], int)
    assert headers["x-amzn-RequestId"] == context["requestId"]


def test_path_parameters_and_greedy_proxy_paths(http: Http) -> None:
    _, item = http.json("GET", "/items/it%C3%A9m-7", headers=AUTH)
    _, files = http.json("DELETE", "/files/reports/2026/q1.csv", headers=AUTH)

    assert item["event"]["resource"] == "/items/{item_id}"
    assert item["event"]["pathParameters"] == {"item_id": "itém-7"}
    assert files["event"]["resource"] == "/files/{proxy+}"
    assert files["event"]["pathParameters"] == {"proxy": "reports/2026/q1.csv"}
    assert files["event"]["httpMethod"] == "DELETE"


def test_binary_bodies_travel_base64_encoded_both_ways(http: Http) -> None:
    _, upload = http.json(
        "PUT", "/files/logo.png", body=b"\x89PNG\x00\xff", headers={**AUTH, "Content-Type": "image/png"}
    )
    status, headers, download = http.request("GET", "/files/logo.png?binary=1", headers=AUTH)

    assert upload["event"]["isBase64Encoded"] is True
    assert base64.b64decode(upload["event"]["body"]) == b"\x89PNG\x00\xff"
    assert status == 200
    assert headers["Content-Type"] == "image/png"
    assert download == b"\x89PNG\r\n\x00\xff"


def test_authorizer_context_reaches_the_handler_as_strings(http: Http) -> None:
    _, body = http.json("GET", "/items", headers=AUTH)

    assert body["event"]["requestContext"]["authorizer"] == {
        "user": "ada",
        "admin": "true",
        "level": "3",
        "principalId": "ada",
        "integrationLatency": 0,
    }


def test_missing_or_refused_identity_is_401(http: Http) -> None:
    assert http.json("GET", "/items") == (401, {"message": "Unauthorized"})
    assert http.json("GET", "/items", headers={"Authorization": "Basic abc"}) == (401, {"message": "Unauthorized"})


def test_deny_policy_is_403(http: Http) -> None:
    forbidden = (403, {"message": "User is not authorized to access this resource"})

    assert http.json("GET", "/items", headers={"Authorization": "Bearer deny"}) == forbidden
    # Allowed for another route only: the policy is evaluated against this request's method ARN.
    assert http.json("GET", "/items", headers={"Authorization": "Bearer other-route"}) == forbidden


def test_malformed_authorizer_context_is_500(http: Http) -> None:
    assert http.json("GET", "/items", headers={"Authorization": "Bearer broken"}) == (500, {"message": None})


def test_route_with_authorizer_none_needs_no_token(http: Http) -> None:
    status, body = http.json("GET", "/public")

    assert status == 200
    assert "authorizer" not in body["event"]["requestContext"]


def test_unknown_route_or_method_is_missing_authentication_token(http: Http) -> None:
    missing = (403, {"message": "Missing Authentication Token"})

    assert http.json("GET", "/nowhere", headers=AUTH) == missing
    assert http.json("DELETE", "/items", headers=AUTH) == missing
    assert http.json("GET", "/files", headers=AUTH) == missing  # {proxy+} needs at least one segment
    # Methods no route can have get the same JSON answer, never http.server's HTML 501 page.
    assert http.json("TRACE", "/items", headers=AUTH) == missing
    assert http.json("QUERY", "/items", headers=AUTH) == missing


def test_a_path_parameter_holding_a_newline_is_allowed_by_a_wildcard_policy(http: Http) -> None:
    status, item = http.json("GET", "/items/a%0Ab", headers=AUTH)  # IAM's `*` matches any character

    assert status == 200
    assert item["event"]["pathParameters"] == {"item_id": "a\nb"}


def test_handler_exception_or_malformed_response_is_502(http: Http) -> None:
    internal = (502, {"message": "Internal server error"})

    assert http.json("GET", "/boom") == internal
    assert http.json("GET", "/items?malformed=1", headers=AUTH) == internal


def test_concurrent_requests_get_their_own_containers(http: Http) -> None:
    # A public route: the authorizer has other variables, and functions with other variables take turns.
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: http.json("GET", "/public?sleep=0.3")[1], range(4)))

    assert len({result["container"] for result in results}) == 4
    assert not any(result["overlapped"] for result in results)  # a container never serves two at once
    _, warm = http.json("GET", "/items", headers=AUTH)
    assert warm["container"] in {result["container"] for result in results}  # warm containers are reused


def test_a_powertools_event_handler_runs_one_invocation_at_a_time_and_answers_its_own_request(
        http: Http) -> None:
    # Its resolver keeps the current event on a class (once per process): run side by side, a route
    # would read the event of whichever request started last.
    names = [f"r{n}" for n in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda name: http.json("GET", f"/router/{name}")[1], names))

    assert [(a["name"], a["path"]) for a in answers] == [(name, f"/router/{name}") for name in names]
    spans = sorted((a["started"], a["ended"]) for a in answers)
    assert all(ended <= next_start for (_, ended), (next_start, _) in itertools.pairwise(spans))


def test_the_project_stack_runs_every_function_api_gateway_routes_to_one_at_a_time(stack: LocalRuntime) -> None:
    # The fixture stack names its own; a stack's default is every function with an Api event, which
    # for the project's template is each of its Powertools event handlers.
    assert stack.functions.one_at_a_time == {"RouterFunction"}
    project = StackTemplate(Template.load(REPO_ROOT / "template.yaml"), stack_name="invoicing-local",
                            region="eu-north-1", account_id="123456789012", endpoint_url="http://127.0.0.1:1",
                            parameters={"SandboxMode": "true"})
    assert set(routed_by_api(function_specs(project))) == {
        "ApiFunction", "DocsFunction", "HostedPageFunction", "StripeWebhookFunction"}


def test_handler_gets_a_lambda_context(http: Http) -> None:
    _, body = http.json("GET", "/items", headers=AUTH)
    context = body["context"]

    assert context["function_name"] == "fixture-local-EchoFunction"
    assert context["memory_limit_in_mb"] == 256
    assert context["invoked_function_arn"].endswith(":function:fixture-local-EchoFunction")
    assert 0 < context["remaining_ms"] <= 10_000
    assert body["greeting"] == "hello, tester"  # the layer is importable, with the function's environment


def test_direct_invocation_returns_the_handler_result(stack: LocalRuntime) -> None:
    result = stack.invoke("AuthorizerFunction", {"authorizationToken": "Bearer allow-bo", "methodArn": "a/b"})

    assert result["principalId"] == "bo"


def test_two_authorization_headers_are_an_ambiguous_identity_and_refused(stack: LocalRuntime) -> None:
    address = urlsplit(stack.api_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.putrequest("GET", "/items")
    connection.putheader("Authorization", "Bearer allow-ada")
    connection.putheader("authorization", "Bearer allow-bo")
    connection.endheaders()
    response = connection.getresponse()

    assert (response.status, json.loads(response.read())) == (401, {"message": "Unauthorized"})
    connection.close()


def test_sixty_connections_at_once_all_get_an_answer(stack: LocalRuntime) -> None:
    address = urlsplit(stack.api_url)
    start = threading.Barrier(60)

    def status_line(_: int) -> bytes:
        start.wait()
        # The kernel completes a handshake at once while the backlog has room; a SYN dropped for a full
        # backlog is only retried after a second, so a connection that takes that long was refused.
        with socket.create_connection((address.hostname, address.port), timeout=0.9) as connection:
            connection.settimeout(30)
            connection.sendall(b"GET /public HTTP/1.1\r\nHost: local\r\nConnection: close\r\n\r\n")
            return connection.makefile("rb").readline()

    with ThreadPoolExecutor(max_workers=60) as pool:
        answers = list(pool.map(status_line, range(60)))

    assert answers == [b"HTTP/1.1 200 OK\r\n"] * 60


def test_a_body_shorter_than_its_content_length_times_out_with_408() -> None:
    server = ApiServer(ApiGateway([], lambda *_: None, region="eu-west-1", account_id="1"), body_timeout=0.3)
    server.start()
    try:
        address = urlsplit(server.url)
        with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
            started = time.monotonic()
            connection.sendall(b"POST /items HTTP/1.1\r\nHost: local\r\nContent-Length: 100\r\n\r\nonly ten b")
            reply = connection.makefile("rb")
            status = reply.readline()
            elapsed = time.monotonic() - started
    finally:
        server.stop()

    assert status == b"HTTP/1.1 408 Request Timeout\r\n"
    assert 0.3 <= elapsed < 5
