"""Lambda authorizers as API Gateway (REST) runs them: identity check, policy, context, cache.

API Gateway answers 401 when the identity source is missing or the authorizer raises
`Exception("Unauthorized")`, 403 when the returned policy does not allow the method ARN, and 500
when the authorizer fails or returns something malformed. An allowed call carries the returned
`context` (values as strings) and `principalId` into `requestContext.authorizer`. Results are cached
per identity for `ReauthorizeEvery` seconds (300 by default), and a cached policy is evaluated
against each new method ARN, as API Gateway does. The cache keeps time on the runtime's clock, so
advancing the clock past `ReauthorizeEvery` expires it, as the same wait would on AWS (a revoked key
is accepted from the cache until then, and refused after).
"""

from __future__ import annotations

import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from local.intrinsics import TemplateError

DEFAULT_TTL_SECONDS = 300


@dataclass(frozen=True)
class AuthorizerSpec:
    """One entry of an API's `Auth.Authorizers`, backed by a function of the template."""

    name: str
    function: str
    kind: str  # "TOKEN" or "REQUEST"
    header: str = "Authorization"
    validation: str | None = None
    identity_headers: tuple[str, ...] = ()
    identity_query: tuple[str, ...] = ()
    ttl_seconds: int = DEFAULT_TTL_SECONDS

    @classmethod
    def from_template(cls, name: str, props: Mapping[str, Any], function: str) -> AuthorizerSpec:
        identity = props.get("Identity") or {}
        ttl = int(identity.get("ReauthorizeEvery", DEFAULT_TTL_SECONDS))
        if str(props.get("FunctionPayloadType", "TOKEN")).upper() == "REQUEST":
            return cls(
                name,
                function,
                "REQUEST",
                identity_headers=tuple(identity.get("Headers") or ()),
                identity_query=tuple(identity.get("QueryStrings") or ()),
                ttl_seconds=ttl,
            )
        return cls(
            name,
            function,
            "TOKEN",
            header=identity.get("Header", "Authorization"),
            validation=identity.get("ValidationExpression"),
            ttl_seconds=ttl,
        )


@dataclass(frozen=True)
class AuthResult:
    """Either `authorizer` (the requestContext entry) or an error: status, message, gateway response type."""

    status: int = 200
    message: str | None = None
    response_type: str | None = None
    authorizer: dict[str, Any] | None = None

    @property
    def allowed(self) -> bool:
        return self.status == 200


UNAUTHORIZED = AuthResult(401, "Unauthorized", "UNAUTHORIZED")
FORBIDDEN = AuthResult(403, "User is not authorized to access this resource", "ACCESS_DENIED")
AUTHORIZER_FAILED = AuthResult(500, None, "AUTHORIZER_FAILURE")
AUTHORIZER_MISCONFIGURED = AuthResult(500, None, "AUTHORIZER_CONFIGURATION_ERROR")


class AuthorizerConfigError(Exception):
    """The authorizer answered something API Gateway rejects (AuthorizerConfigurationException)."""


class Authorizers:
    """Runs authorizer functions for the API emulator, with API Gateway's per-identity cache."""

    def __init__(self, invoke: Callable[[str, Any], Any], now: Callable[[], float] = time.monotonic) -> None:
        self._invoke = invoke
        self._now = now  # seconds
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def authorize(self, spec: AuthorizerSpec, request_event: Mapping[str, Any], method_arn: str) -> AuthResult:
        identity = self._identity(spec, request_event)
        if identity is None:
            return UNAUTHORIZED
        if spec.kind == "TOKEN" and spec.validation and not re.fullmatch(spec.validation, identity[0]):
            return UNAUTHORIZED
        response = self._cached(spec, identity)
        if response is None:
            try:
                response = self._invoke(spec.function, self._event(spec, identity, request_event, method_arn))
            except Exception as error:
                if str(error) == "Unauthorized":
                    return UNAUTHORIZED
                traceback.print_exc(file=sys.stderr)
                return AUTHORIZER_FAILED
            self._store(spec, identity, response)
        try:
            return _decide(response, method_arn)
        except AuthorizerConfigError as error:
            print(f"[local] authorizer {spec.name}: {error}", file=sys.stderr)
            return AUTHORIZER_MISCONFIGURED

    def _identity(self, spec: AuthorizerSpec, event: Mapping[str, Any]) -> tuple[str, ...] | None:
        """The identity source values, or None when one is missing or sent twice (both are a 401).

        A header sent twice is an ambiguous identity: API Gateway does not pick one of the values.
        """
        headers: dict[str, list[str]] = {}
        for key, values in (event.get("multiValueHeaders") or {}).items():
            headers.setdefault(key.lower(), []).extend(values)
        query = event.get("queryStringParameters") or {}

        def header(name: str) -> str | None:
            values = headers.get(name.lower()) or []
            return values[0] if len(values) == 1 else None

        if spec.kind == "TOKEN":
            token = header(spec.header)
            return (token,) if token else None
        values = [header(name) for name in spec.identity_headers]
        values += [query.get(name) for name in spec.identity_query]
        if not all(values):
            return None
        return tuple(str(value) for value in values)

    def _event(
        self, spec: AuthorizerSpec, identity: tuple[str, ...], request: Mapping[str, Any], method_arn: str
    ) -> dict[str, Any]:
        if spec.kind == "TOKEN":
            return {"type": "TOKEN", "authorizationToken": identity[0], "methodArn": method_arn}
        keys = (
            "resource",
            "path",
            "httpMethod",
            "headers",
            "multiValueHeaders",
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "pathParameters",
            "stageVariables",
            "requestContext",
        )
        return {"type": "REQUEST", "methodArn": method_arn, **{key: request.get(key) for key in keys}}

    def _cached(self, spec: AuthorizerSpec, identity: tuple[str, ...]) -> dict[str, Any] | None:
        if not self._cacheable(spec):
            return None
        with self._lock:
            entry = self._cache.get((spec.name, identity))
        if entry is None or entry[0] < self._now():
            return None
        return entry[1]

    def _store(self, spec: AuthorizerSpec, identity: tuple[str, ...], response: Any) -> None:
        if self._cacheable(spec) and isinstance(response, dict):
            with self._lock:
                self._cache[(spec.name, identity)] = (self._now() + spec.ttl_seconds, response)

    @staticmethod
    def _cacheable(spec: AuthorizerSpec) -> bool:
        has_identity = spec.kind == "TOKEN" or spec.identity_headers or spec.identity_query
        return bool(has_identity) and spec.ttl_seconds > 0

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()


def _decide(response: Any, method_arn: str) -> AuthResult:
    if not isinstance(response, dict) or "principalId" not in response or "policyDocument" not in response:
        raise AuthorizerConfigError("the response needs principalId and policyDocument")
    if not _policy_allows(response["policyDocument"], method_arn):
        return FORBIDDEN
    context = {key: _context_value(key, value) for key, value in (response.get("context") or {}).items()}
    return AuthResult(authorizer={**context, "principalId": str(response["principalId"]), "integrationLatency": 0})


def _context_value(key: str, value: Any) -> str:
    """API Gateway accepts only scalars in the context, and hands them on as strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise AuthorizerConfigError(f"context[{key!r}] must be a string, number or boolean, not {value!r}")


def _policy_allows(policy: Any, method_arn: str) -> bool:
    """IAM evaluation for execute-api:Invoke: an explicit Deny wins, otherwise an Allow is needed."""
    if not isinstance(policy, dict):
        raise AuthorizerConfigError("policyDocument must be an object")
    statements = policy.get("Statement") or []
    allowed = False
    for statement in [statements] if isinstance(statements, dict) else statements:
        actions = _as_list(statement.get("Action"))
        if not any(_matches(action, "execute-api:Invoke", ignore_case=True) for action in actions):
            continue
        if not any(_matches(resource, method_arn) for resource in _as_list(statement.get("Resource"))):
            continue
        effect = str(statement.get("Effect", "")).capitalize()
        if effect == "Deny":
            return False
        if effect == "Allow":
            allowed = True
        elif effect:
            raise AuthorizerConfigError(f"unknown policy Effect {statement.get('Effect')!r}")
    return allowed


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def _matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcards: `*` matches any run of characters (slashes included), `?` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)  # a path may hold any character, a newline too
    return re.fullmatch(regex, value, flags=flags) is not None


def authorizer_function(name: str, props: Mapping[str, Any], function_by_arn: Callable[[str], str]) -> str:
    """The logical id of the function behind an authorizer's `FunctionArn`."""
    arn = props.get("FunctionArn")
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        target = arn["Fn::GetAtt"]
        return target.partition(".")[0] if isinstance(target, str) else target[0]
    if isinstance(arn, str):
        return function_by_arn(arn)
    raise TemplateError(f"authorizer {name}: FunctionArn must be !GetAtt <Function>.Arn")
