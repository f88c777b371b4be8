"""An API Gateway (REST API, Lambda proxy integration) emulator, like `sam local start-api` without Docker.

Routes come from the functions' `Api` events in the template. A request becomes the same v1 proxy event
API Gateway sends (headers and multiValueHeaders, query strings, path parameters, requestContext with
the authorizer's context), the route's Lambda authorizer runs first, and the function's proxy response
becomes the HTTP response. API Gateway's own answers are reproduced: 403 "Missing Authentication Token"
for an unknown route, 401/403 from the authorizer, 502 when the function raises or answers malformed,
each customisable with the API's `GatewayResponses` as in AWS.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from local.authorizer import Authorizers, AuthorizerSpec, authorizer_function
from local.functions import FunctionSpec
from local.intrinsics import TemplateError
from local.template import IMPLICIT_API, StackTemplate

STAGE = "local"
ALL_METHODS = "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"  # what a REST API method can be; ANY means these
BODY_TIMEOUT_SECONDS = 5.0  # how long a request body may take to arrive in full
_TEXT_TYPES = ("json", "xml", "javascript", "x-www-form-urlencoded", "yaml", "csv", "graphql")


@dataclass(frozen=True)
class GatewayResponse:
    """A `GatewayResponses` entry: API Gateway's own error answers, customised by the template."""

    status: int | None = None
    template: str | None = None  # the application/json response template
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_template(cls, props: Mapping[str, Any]) -> GatewayResponse:
        templates = props.get("ResponseTemplates") or {}
        headers = (props.get("ResponseParameters") or {}).get("Headers") or {}
        return cls(
            status=int(props["StatusCode"]) if "StatusCode" in props else None,
            template=templates.get("application/json"),
            headers={name: str(value).strip("'") for name, value in headers.items()},
        )


@dataclass(frozen=True)
class ApiConfig:
    """What the emulator needs from one `AWS::Serverless::Api` (merged over Globals.Api)."""

    logical_id: str
    api_id: str
    authorizers: Mapping[str, AuthorizerSpec] = field(default_factory=dict)
    default_authorizer: str | None = None
    binary_media_types: tuple[str, ...] = ()
    cors: Mapping[str, str] | None = None
    gateway_responses: Mapping[str, GatewayResponse] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or ANY
    resource: str  # the template path, e.g. /invoices/{invoice_id}
    function: str
    api: ApiConfig
    authorizer: AuthorizerSpec | None
    pattern: re.Pattern[str]
    parameters: tuple[str, ...]
    rank: tuple[int, ...]  # per segment: literal 2, {param} 1, {greedy+} 0 — higher wins, as in API Gateway

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        if found is None:
            return None
        return {name: unquote(found.group(f"p{i}")) for i, name in enumerate(self.parameters)}


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    server_port: int = 443


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


DevRoute = Callable[[dict[str, Any]], tuple[int, Any]]


def load_routes(stack: StackTemplate, specs: Mapping[str, FunctionSpec]) -> list[Route]:
    """Every `Type: Api` event of every function, bound to its API's configuration."""
    apis = _api_configs(stack, specs)
    routes = []
    for spec in specs.values():
        for event_name, event in spec.events.items():
            if event.get("Type") != "Api":
                continue
            props = event.get("Properties") or {}
            api_ref = props.get("RestApiId")
            api_id = api_ref["Ref"] if isinstance(api_ref, dict) and "Ref" in api_ref else IMPLICIT_API
            if api_id not in apis:
                raise TemplateError(f"{spec.logical_id}.{event_name}: RestApiId must be !Ref to an API")
            api = apis[api_id]
            routes.append(
                _route(
                    method=str(props.get("Method", "any")),
                    resource=str(stack.resolve(props["Path"])),
                    function=spec.logical_id,
                    api=api,
                    authorizer=_route_authorizer(api, props.get("Auth") or {}, f"{spec.logical_id}.{event_name}"),
                )
            )
    return routes


def _api_configs(stack: StackTemplate, specs: Mapping[str, FunctionSpec]) -> dict[str, ApiConfig]:
    defaults = stack.template.globals("Api")
    definitions = {
        lid: definition.get("Properties") or {}
        for lid, definition in stack.template.of_type("AWS::Serverless::Api").items()
        if stack.is_enabled(lid)
    }
    implicit = any(
        event.get("Type") == "Api" and "RestApiId" not in (event.get("Properties") or {})
        for spec in specs.values()
        for event in spec.events.values()
    )
    if implicit:
        definitions[IMPLICIT_API] = {}  # SAM creates it for Api events without a RestApiId

    def function_by_arn(arn: str) -> str:
        return next(lid for lid, spec in specs.items() if spec.arn == arn)

    configs = {}
    for logical_id, own in definitions.items():
        props = {**defaults, **own, "Auth": {**(defaults.get("Auth") or {}), **(own.get("Auth") or {})}}
        auth = props["Auth"]
        authorizers = {}
        for name, definition in (auth.get("Authorizers") or {}).items():
            if "FunctionArn" not in definition:
                raise TemplateError(f"authorizer {name}: only Lambda authorizers are supported locally")
            function = authorizer_function(name, definition, function_by_arn)
            authorizers[name] = AuthorizerSpec.from_template(name, definition, function)
        binary = stack.resolve(props.get("BinaryMediaTypes") or [])
        configs[logical_id] = ApiConfig(
            logical_id=logical_id,
            api_id=stack.resource(logical_id).ref,
            authorizers=authorizers,
            default_authorizer=auth.get("DefaultAuthorizer"),
            binary_media_types=tuple(str(media).replace("~1", "/") for media in binary),
            cors=_cors_headers(stack.resolve(props.get("Cors"))),
            gateway_responses={
                kind: GatewayResponse.from_template(response)
                for kind, response in (stack.resolve(props.get("GatewayResponses")) or {}).items()
            },
        )
    return configs


def _route_authorizer(api: ApiConfig, auth: Mapping[str, Any], where: str) -> AuthorizerSpec | None:
    name = auth.get("Authorizer", api.default_authorizer)
    if name in (None, "NONE"):
        return None
    if name not in api.authorizers:
        raise TemplateError(f"{where}: authorizer {name!r} is not defined on API {api.logical_id}")
    return api.authorizers[name]


def _cors_headers(cors: Any) -> dict[str, str] | None:
    """SAM's Cors setting as preflight response headers (SAM wants its values in single quotes)."""
    if not cors:
        return None
    settings = {"AllowOrigin": cors} if isinstance(cors, str) else dict(cors)

    def unquote_sam(value: Any) -> str:
        return str(value).strip("'")

    headers = {
        "Access-Control-Allow-Origin": unquote_sam(settings.get("AllowOrigin", "*")),
        "Access-Control-Allow-Methods": unquote_sam(settings.get("AllowMethods", ALL_METHODS)),
    }
    if "AllowHeaders" in settings:
        headers["Access-Control-Allow-Headers"] = unquote_sam(settings["AllowHeaders"])
    if "MaxAge" in settings:
        headers["Access-Control-Max-Age"] = unquote_sam(settings["MaxAge"])
    if str(settings.get("AllowCredentials", "")).lower() == "true":
        headers["Access-Control-Allow-Credentials"] = "true"
    return headers


def _route(method: str, resource: str, function: str, api: ApiConfig, authorizer: AuthorizerSpec | None) -> Route:
    resource = "/" + resource.strip("/")
    regex = ""
    names: list[str] = []
    rank: list[int] = []
    for segment in [s for s in resource.split("/") if s]:
        greedy = re.fullmatch(r"\{(\w+)\+\}", segment)
        parameter = re.fullmatch(r"\{(\w+)\}", segment)
        if greedy:
            regex += rf"/(?P<p{len(names)}>.+)"
            names.append(greedy.group(1))
            rank.append(0)
        elif parameter:
            regex += rf"/(?P<p{len(names)}>[^/]+)"
            names.append(parameter.group(1))
            rank.append(1)
        else:
            regex += "/" + re.escape(segment)
            rank.append(2)
    return Route(
        method=method.upper(),
        resource=resource,
        function=function,
        api=api,
        authorizer=authorizer,
        pattern=re.compile(regex or "/"),
        parameters=tuple(names),
        rank=tuple(rank),
    )


class ApiGateway:
    """Turns HTTP requests into proxy events for the routed functions, and their answers back."""

    def __init__(
        self,
        routes: list[Route],
        invoke: Callable[[str, Any], Any],
        *,
        region: str,
        account_id: str,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        dev_routes: Mapping[tuple[str, str], DevRoute] | None = None,
        on_invoke: Callable[[], None] | None = None,
    ) -> None:
        self.routes = routes
        self._invoke = invoke
        self.authorizers = Authorizers(invoke, now=lambda: now().timestamp())
        self._region = region
        self._account_id = account_id
        self._now = now
        self._dev_routes = dict(dev_routes or {})
        self._on_invoke = on_invoke or (lambda: None)

    def handle(self, request: HttpRequest) -> HttpResponse:
        path = "/" + request.path.strip("/") if request.path.strip("/") else "/"
        dev_route = self._dev_routes.get((request.method, path))
        if dev_route is not None:
            return self._dev(dev_route, request)
        matched = self._match(request.method, path)
        if matched is None and (path + "/").startswith(f"/{STAGE}/"):
            # A URL built the AWS way (https://{domain}/{stage}/...) works locally too.
            path = path[len(STAGE) + 1 :] or "/"
            matched = self._match(request.method, path)
        if matched is None:
            preflight = self._preflight(request.method, path)
            if preflight is not None:
                return preflight
            api = self.routes[0].api if self.routes else None
            return _gateway_error(api, "MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token")
        route, parameters = matched
        event = self._proxy_event(route, request, path, parameters)
        if route.authorizer is not None:
            method_arn = (
                f"arn:aws:execute-api:{self._region}:{self._account_id}:{route.api.api_id}/"
                f"{STAGE}/{request.method}{path}"
            )
            decision = self.authorizers.authorize(route.authorizer, event, method_arn)
            if not decision.allowed:
                kind = decision.response_type or "DEFAULT_4XX"
                return _gateway_error(route.api, kind, decision.status, decision.message)
            event["requestContext"]["authorizer"] = decision.authorizer
        try:
            result = self._invoke(route.function, event)
        except Exception:
            print(f"[local] {route.function} raised on {request.method} {path}:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            return _internal_error()
        finally:
            self._on_invoke()
        return _proxy_response(route.function, result, event["requestContext"]["requestId"])

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """As API Gateway routes: first the resource (the most specific one the path fits), then on it
        the request's own method, else the resource's ANY (which covers API Gateway's methods only).
        A resource that has neither is a missing route, even where a less specific one would fit."""
        fitting = [(route, parameters) for route in self.routes if (parameters := route.match(path)) is not None]
        if not fitting:
            return None
        best = max(route.rank for route, _ in fitting)
        on_resource = [(route, parameters) for route, parameters in fitting if route.rank == best]
        for wanted in (method, "ANY" if method in ALL_METHODS.split(",") else None):
            for route, parameters in on_resource:
                if route.method == wanted:
                    return route, parameters
        return None

    def _preflight(self, method: str, path: str) -> HttpResponse | None:
        if method != "OPTIONS":
            return None
        for route in self.routes:
            if route.api.cors and route.match(path) is not None:
                return HttpResponse(200, [*route.api.cors.items(), ("Content-Type", "application/json")], b"{}")
        return None

    def _dev(self, dev_route: DevRoute, request: HttpRequest) -> HttpResponse:
        try:
            payload = json.loads(request.body or b"{}")
            status, body = dev_route(payload if isinstance(payload, dict) else {})
        except (ValueError, TypeError) as error:
            status, body = 400, {"message": str(error)}
        return HttpResponse(status, [("Content-Type", "application/json")], json.dumps(body).encode())

    def _proxy_event(self, route: Route, request: HttpRequest, path: str, parameters: dict[str, str]) -> dict[str, Any]:
        multi_headers: dict[str, list[str]] = {}
        for name, value in request.headers:
            multi_headers.setdefault(name, []).append(value)
        present = {name.lower() for name in multi_headers}
        for name, value in (
            ("X-Forwarded-For", request.source_ip),
            ("X-Forwarded-Proto", "http"),
            ("X-Forwarded-Port", str(request.server_port)),
        ):
            if name.lower() not in present:  # API Gateway adds these; an app may build its URLs from them
                multi_headers[name] = [value]
        multi_query: dict[str, list[str]] = {}
        for name, value in parse_qsl(request.query, keep_blank_values=True):
            multi_query.setdefault(name, []).append(value)
        headers = {name: values[-1] for name, values in multi_headers.items()}
        lower = {name.lower(): value for name, value in headers.items()}
        host = lower.get("host", "127.0.0.1")
        now = self._now()
        request_id = str(uuid.uuid4())
        body, is_base64 = _event_body(route.api, lower.get("content-type", ""), request.body)
        return {
            "resource": route.resource,
            "path": path,
            "httpMethod": request.method,
            "headers": headers or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": {name: values[-1] for name, values in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": parameters or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": self._account_id,
                "apiId": route.api.api_id,
                "domainName": host,
                "domainPrefix": host.split(".")[0],
                "extendedRequestId": request_id,
                "httpMethod": request.method,
                "identity": {
                    "sourceIp": request.source_ip,
                    "userAgent": lower.get("user-agent"),
                    "accessKey": None,
                    "accountId": None,
                    "apiKey": None,
                    "apiKeyId": None,
                    "caller": None,
                    "clientCert": None,
                    "cognitoAuthenticationProvider": None,
                    "cognitoAuthenticationType": None,
                    "cognitoIdentityId": None,
                    "cognitoIdentityPoolId": None,
                    "principalOrgId": None,
                    "user": None,
                    "userArn": None,
                },
                "path": f"/{STAGE}{path}",
                "protocol": "HTTP/1.1",
                "requestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "resourceId": hashlib.sha256(route.resource.encode()).hexdigest()[:6],
                "resourcePath": route.resource,
                "stage": STAGE,
            },
            "body": body,
            "isBase64Encoded": is_base64,
        }


def _event_body(api: ApiConfig, content_type: str, body: bytes) -> tuple[str | None, bool]:
    """Text stays text; binary media types (and bytes that are not UTF-8) travel base64-encoded."""
    if not body:
        return None, False
    media = content_type.split(";")[0].strip().lower()
    binary = any(re.fullmatch(pattern.replace("*", ".*"), media) for pattern in api.binary_media_types)
    texty = not media or media.startswith("text/") or any(kind in media for kind in _TEXT_TYPES)
    if not binary and texty:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def _proxy_response(function: str, result: Any, request_id: str) -> HttpResponse:
    try:
        if not isinstance(result, dict):
            raise TypeError(f"expected a dict, got {type(result).__name__}")
        status = int(result["statusCode"])
        body = result.get("body")
        if body is not None and not isinstance(body, str):
            raise TypeError("body must be a string")
        payload = b"" if body is None else base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        multi = {name: [str(v) for v in values] for name, values in (result.get("multiValueHeaders") or {}).items()}
        single = {name: str(value) for name, value in (result.get("headers") or {}).items()}
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        print(f"[local] {function} returned a malformed proxy response: {error}", file=sys.stderr)
        return _internal_error()
    taken = {name.lower() for name in multi}
    headers = [(name, value) for name, values in multi.items() for value in values]
    headers += [(name, value) for name, value in single.items() if name.lower() not in taken]
    headers = [(n, v) for n, v in headers if n.lower() not in ("content-length", "transfer-encoding")]
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    headers.append(("x-amzn-RequestId", request_id))
    return HttpResponse(status, headers, payload)


_ERROR_TYPES = {
    "MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
    "UNAUTHORIZED": "UnauthorizedException",
    "ACCESS_DENIED": "AccessDeniedException",
    "AUTHORIZER_FAILURE": "AuthorizerFailureException",
    "AUTHORIZER_CONFIGURATION_ERROR": "AuthorizerConfigurationException",
}


def _gateway_error(api: ApiConfig | None, kind: str, status: int, message: str | None) -> HttpResponse:
    """API Gateway's own error answer, or the API's GatewayResponses override (then DEFAULT_4XX/5XX)."""
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", _ERROR_TYPES.get(kind, kind))]
    responses = api.gateway_responses if api else {}
    custom = responses.get(kind) or responses.get("DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX")
    if custom is None:
        return HttpResponse(status, headers, json.dumps({"message": message}).encode())
    body = json.dumps({"message": message})
    if custom.template is not None:
        body = (
            custom.template.replace("$context.error.messageString", json.dumps(message))
            .replace("$context.error.message", message or "")
            .replace("$context.error.responseType", kind)
        )
    return HttpResponse(custom.status or status, headers + list(custom.headers.items()), body.encode())


def _request_timeout() -> HttpResponse:
    headers = [("Content-Type", "application/json"), ("Connection", "close")]
    return HttpResponse(408, headers, json.dumps({"message": "Request Timeout"}).encode())


def _internal_error() -> HttpResponse:
    """What API Gateway answers when a proxy integration raises or returns something malformed."""
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", "InternalServerErrorException")]
    return HttpResponse(502, headers, json.dumps({"message": "Internal server error"}).encode())


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ApiHttpServer

    def _serve(self) -> None:
        started = time.monotonic()
        target = urlsplit(self.path)
        try:
            body = self._read_body()
        except TimeoutError:
            # A body shorter than its Content-Length: answer, rather than hold a thread until the client gives up.
            self.close_connection = True
            response = _request_timeout()
        else:
            request = HttpRequest(
                method=self.command,
                path=unquote(target.path),
                query=target.query,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
                server_port=self.server.server_address[1],
            )
            response = self.server.gateway.handle(request)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        if self.server.access_log:
            elapsed = (time.monotonic() - started) * 1000
            print(f"[api] {self.command} {self.path} → {response.status} ({elapsed:.0f} ms)", file=sys.stderr)

    def _read_body(self) -> bytes:
        """The request body; TimeoutError if it does not arrive within the server's body timeout."""
        self.connection.settimeout(self.server.body_timeout)
        try:
            return self._read_body_bytes()
        finally:
            self.connection.settimeout(None)  # an idle keep-alive connection may wait for its next request

    def _read_body_bytes(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():
                pass  # trailers
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def __getattr__(self, name: str) -> Any:
        # Every other method (TRACE, QUERY, …) reaches the gateway too, which answers it as API
        # Gateway does (no route has it), never with http.server's own 501 page.
        if name.startswith("do_") and name[3:].isupper():
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the access log above says what matters, when asked for


class _ApiHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    # The listen backlog: the serving thread accepts one connection per loop, so a burst of clients
    # (50 concurrent finalizations) overflows the default of 5 and gets connections reset.
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], gateway: ApiGateway, access_log: bool, body_timeout: float
    ) -> None:
        self.gateway = gateway
        self.access_log = access_log
        self.body_timeout = body_timeout
        super().__init__(address, _RequestHandler)


class ApiServer:
    """The emulator on 127.0.0.1:`port` (0 picks a free port), served from a background thread."""

    def __init__(
        self,
        gateway: ApiGateway,
        host: str = "127.0.0.1",
        port: int = 0,
        access_log: bool = False,
        body_timeout: float = BODY_TIMEOUT_SECONDS,
    ) -> None:
        self._server = _ApiHttpServer((host, port), gateway, access_log, body_timeout)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="api-gateway", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
