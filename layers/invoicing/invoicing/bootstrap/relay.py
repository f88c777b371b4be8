"""The relay function's composition root: the table's stream -> the event bus."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from aws_lambda_powertools.metrics import Metrics

from invoicing.adapters.eventbridge import EventBridgePublisher
from invoicing.adapters.metrics import PowertoolsMetrics
from invoicing.adapters.outbox import outbox_documents
from invoicing.config import RelaySettings
from invoicing.services.events import EventRelay


class OutboxRelay:
    def __init__(self, relay: EventRelay) -> None:
        self._relay = relay

    def relay_image(self, new_image: Mapping[str, Any]) -> int:
        """Publish the events a stream record's new image carries; how many."""
        events = outbox_documents(new_image)
        self._relay.relay(events)
        return len(events)


def outbox_relay(metrics: Metrics, settings: RelaySettings | None = None) -> OutboxRelay:
    settings = settings or RelaySettings.from_env()
    publisher = EventBridgePublisher(boto3.client("events"), settings.event_bus_name)
    return OutboxRelay(EventRelay(publisher, PowertoolsMetrics(metrics)))
