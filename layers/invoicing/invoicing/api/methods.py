"""A method that a resource does not have is a 405 with `Allow` (RFC 9110), not a missing route.

On AWS, API Gateway answers such a request itself, before any function runs, as it answers an unknown
route. So every resource of the API also has an `ANY` method, routed to the function that serves its
other methods (template.yaml, the `Other…` events): API Gateway sends a method the resource declares
to that method and every other one to `ANY` (its documented precedence), and the function answers it
here, from its own route table, before Powertools routes anything. That matters: Powertools matches a
path against every route of a method, so `GET /credit_notes/preview` would otherwise reach
`GET /credit_notes/{credit_note_id}`; API Gateway has already chosen the resource (`event.resource`).

- a method the resource lacks: 405, `Allow` listing the resource's methods, the error object;
- `OPTIONS`: 204 with `Allow` (the API sends no CORS headers: it is called with a secret key, never
  from a browser page of another origin);
- `HEAD` on a resource with `GET`: the `GET` answer without its body (RFC 9110 §9.3.2).

The `ANY` methods are the template's, not routes of the app, so the OpenAPI document does not list them.
Light on purpose (the Stripe webhook's function loads no domain): Powertools' resolver and the standard
library only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

_PARAMETER = re.compile(r"<(\w+)>")


def resource_of(rule: str) -> str:
    """A Powertools rule as API Gateway names the resource: `/invoices/<invoice_id>` → `/invoices/{invoice_id}`."""
    return _PARAMETER.sub(r"{\1}", rule.rstrip("/")) or "/"


class MethodsResolver(APIGatewayRestResolver):
    """Powertools' REST resolver that also answers the methods its resources lack (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._methods: dict[str, set[str]] = {}

    def route(self, rule: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        # Every route goes through here: app.get/post/…, and include_router for a Router's routes.
        methods = (method,) if isinstance(method, str) else tuple(method)
        self._methods.setdefault(resource_of(rule), set()).update(m.upper() for m in methods)
        return super().route(rule, method, *args, **kwargs)

    def resources(self) -> dict[str, frozenset[str]]:
        """Each resource of the app's routes (as API Gateway names it) with the methods of its routes."""
        return {resource: frozenset(methods) for resource, methods in self._methods.items()}

    def allowed_methods(self, resource: str) -> tuple[str, ...]:
        """What a request to `resource` may use, as `Allow` lists it; () for a resource this app lacks."""
        methods = self._methods.get(resource)
        if not methods:
            return ()
        implicit = {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())
        return tuple(sorted(methods | implicit))

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        method = str(event.get("httpMethod") or "").upper()
        allowed = self.allowed_methods(str(event.get("resource") or ""))
        if not allowed or method in self._methods.get(str(event.get("resource")), ()):
            return super().resolve(event, context)
        allow = {"Allow": ", ".join(allowed)}
        if method == "HEAD" and "HEAD" in allowed:
            answer = super().resolve({**event, "httpMethod": "GET"}, context)
            return {**answer, "body": "", "isBase64Encoded": False}
        if method == "OPTIONS":
            return {"statusCode": 204, "headers": allow, "body": "", "isBase64Encoded": False}
        message = f"{method} is not a method of {event.get('resource')}: use {allow['Allow']}."
        body = {"error": {"type": "invalid_request_error", "code": "method_not_allowed", "message": message,
                          "param": None}}
        return {"statusCode": 405, "headers": {"Content-Type": "application/json", **allow},
                "body": json.dumps(body), "isBase64Encoded": False}
