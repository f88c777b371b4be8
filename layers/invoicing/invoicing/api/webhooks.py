"""Inbound provider webhooks: their own function and route, without an API key (the provider signs
its requests instead). The route verifies the signature, queues the verified event and answers at
once; the payment-events worker reconciles it (docs/payments.md). A request whose signature does not
verify is a 400 and nothing is queued.

    POST /webhooks/stripe              a Stripe event (Stripe-Signature verified, 300 s tolerance)
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import Logger

from invoicing.api.methods import MethodsResolver

if TYPE_CHECKING:  # the webhook's cold start loads no domain (nor pydantic): it verifies and queues
    from invoicing.services.ports import Queue

# Returns the verified event; raises ValueError (with a message for the sender) when it does not verify.
Verify = Callable[[bytes, str | None], dict[str, Any]]
logger = Logger(service="invoicing-stripe-webhook")


def raw_body(event: Any) -> bytes:
    """The body exactly as Stripe sent it: the signature is over these bytes."""
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")


def webhook_app(verify: Verify, queue: Queue) -> APIGatewayRestResolver:
    app = MethodsResolver()

    def error(status: int, code: str, message: str, param: str | None) -> Response:
        body = {"error": {"type": "invalid_request_error", "code": code, "message": message, "param": param}}
        return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))

    @app.exception_handler(ValueError)
    def _refused(exc: ValueError) -> Response:
        return error(400, "signature_invalid", str(exc), "Stripe-Signature")

    @app.not_found
    def _not_found(exc: Exception) -> Response:
        return error(404, "route_missing", f"No route {app.current_event.http_method} {app.current_event.path}.",
                     None)

    @app.post("/webhooks/stripe")
    def stripe_webhook() -> Response:
        event = verify(raw_body(app.current_event), app.current_event.headers.get("Stripe-Signature")
                       or app.current_event.headers.get("stripe-signature"))
        queue.send_many([{"provider": "stripe", "event": event}])
        logger.info("stripe event queued", extra={"event_id": event.get("id"), "event_type": event.get("type")})
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON,
                        body=json.dumps({"received": True}))

    return app
