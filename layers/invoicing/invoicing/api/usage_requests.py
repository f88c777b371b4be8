"""The body of a usage event, `POST /usage_events` and the usage queue's messages alike
(docs/usage.md). A module of its own so that the usage worker parses its messages without
importing the API's routes and every other body."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, Field, StrictInt, StrictStr, field_validator

from invoicing.api.command import Command
from invoicing.domain.errors import InvalidInput
from invoicing.domain.usage import EVENT_NAME, PAYLOAD_KEY
from invoicing.services.usage import IncomingUsage

PayloadKey = Annotated[str, Field(pattern=PAYLOAD_KEY)]
PayloadValue = StrictStr | StrictInt


class UsageEventCreate(Command):
    """Stripe's meter event: `payload` holds the customer and the value under the meter's keys."""

    event_name: str = Field(pattern=EVENT_NAME)
    payload: dict[PayloadKey, Annotated[PayloadValue, Field()]] = Field(max_length=20)
    identifier: str | None = Field(default=None, min_length=1, max_length=100,
                                   description="Makes the event count once however often it is sent")
    timestamp: AwareDatetime | StrictInt | None = Field(
        default=None, description="When it happened: ISO 8601 with a zone, or Unix seconds (default: now)")

    @field_validator("payload")
    @classmethod
    def _values(cls, payload: dict[str, Any]) -> dict[str, Any]:
        for key, value in payload.items():
            if isinstance(value, str) and len(value) > 500:
                raise ValueError(f"payload.{key} may be at most 500 characters")
        return payload

    def incoming(self) -> IncomingUsage:
        when = self.timestamp
        if isinstance(when, int):
            if not 0 < when < 10**11:
                raise InvalidInput("timestamp is not a Unix time in seconds.", param="timestamp")
            when = datetime.fromtimestamp(when, UTC)
        return IncomingUsage(event_name=self.event_name, payload=dict(self.payload), identifier=self.identifier,
                             timestamp=when)


def incoming_usage(body: str | bytes, *, default_identifier: str) -> IncomingUsage:
    """A usage event from a message of the usage queue (the same body as `POST /usage_events`);
    without an identifier, the message's id stands in, so a redelivered message counts once."""
    event = UsageEventCreate.model_validate_json(body)
    incoming = event.incoming()
    if incoming.identifier is None:
        incoming = IncomingUsage(incoming.event_name, incoming.payload, default_identifier, incoming.timestamp)
    return incoming
