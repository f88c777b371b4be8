"""Domain events onto the EventBridge bus (`PutEvents`, ten entries a request): source
`invoicing`, detail-type the event type, detail the event as the JSON Schemas in docs/events/ say."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

SOURCE = "invoicing"
ENTRIES_PER_REQUEST = 10


class EventBridgePublisher:
    """The `EventPublisher` port (events as their JSON documents)."""

    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus = bus_name

    def publish(self, events: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        failed: list[Mapping[str, Any]] = []
        for start in range(0, len(events), ENTRIES_PER_REQUEST):
            chunk = events[start:start + ENTRIES_PER_REQUEST]
            response = self._client.put_events(Entries=[
                {"Source": SOURCE, "DetailType": event["type"], "Detail": json.dumps(event, separators=(",", ":")),
                 "EventBusName": self._bus, "Time": datetime.fromisoformat(event["created"])}
                for event in chunk
            ])
            if response.get("FailedEntryCount"):
                failed.extend(event for event, entry in zip(chunk, response["Entries"], strict=True)
                              if entry.get("ErrorCode"))
        return failed
