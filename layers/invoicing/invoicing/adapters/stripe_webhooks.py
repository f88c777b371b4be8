"""Stripe webhook signatures, through the official library: `stripe.Webhook.construct_event` checks the
`Stripe-Signature` HMAC over the raw body with the endpoint's secret and a timestamp at most 300 s old.

A module of its own, importing only `stripe`: the webhook function verifies and queues, and its cold
start carries neither pydantic nor the domain (the reconciliation runs in the payment-events worker).
"""

from __future__ import annotations

from typing import Any

import stripe

TOLERANCE_SECONDS = 300


class WebhookRejected(ValueError):
    """A webhook whose signature does not verify (tampered, stale, another endpoint's): a 400."""


def verify_webhook(payload: bytes, signature: str | None, secret: str) -> dict[str, Any]:
    """The event, if `signature` is Stripe's over exactly `payload` within the last 300 s."""
    if not signature:
        raise WebhookRejected("The Stripe-Signature header is missing.")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as error:
        raise WebhookRejected("The Stripe-Signature does not verify (tampered, too old, or another endpoint's).") \
            from error
    except ValueError as error:  # the payload is not JSON
        raise WebhookRejected("The webhook body is not a Stripe event.") from error
    data: dict[str, Any] = event.to_dict()
    return data
