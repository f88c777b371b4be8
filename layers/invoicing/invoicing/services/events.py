"""Publishing the outbox: the events each commit wrote reach the event bus, and the business
metrics are counted there, once per event, whoever made the change (the API, a queue worker, a
billing run).

The events arrive as the JSON documents the commit stored (validated then, as
`invoicing.domain.events.DomainEvent`); this module forwards them and imports nothing heavier
than the standard library, because the relay function runs it on every write of the table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Event = Mapping[str, Any]  # a DomainEvent's JSON document: id, type, account_id, …, data


class EventPublisher(Protocol):
    def publish(self, events: list[Event]) -> list[Event]:
        """Publish to the bus; returns the events that could not be published."""
        ...


class BusinessMetrics(Protocol):
    def count(self, name: str, value: int = 1, *, unit: str = "Count") -> None: ...


def metrics_of(event: Event) -> list[tuple[str, int, str]]:
    """(metric, value, unit) for an event: the one place that names business metrics."""
    name = "".join(part.title() for part in str(event["type"]).replace(".", "_").split("_"))  # InvoiceFinalized
    metrics = [(name, 1, "Count")]
    obj = event.get("data", {}).get("object", {})
    if event["type"] == "invoice.finalized":
        # Minor units of mixed currencies do not add up: the amount is counted per currency.
        metrics.append((f"AmountInvoiced{obj.get('currency', '')}", int(obj.get("total", 0)), "Count"))
    return metrics


class PublishFailed(Exception):
    """Some events did not reach the bus: the stream delivers the record again."""


@dataclass(frozen=True)
class EventRelay:
    publisher: EventPublisher
    metrics: BusinessMetrics

    def relay(self, events: Sequence[Event]) -> None:
        """Publish one commit's events; raises when any could not be published, so the stream
        delivers the record again (consumers deduplicate on the event id)."""
        if not events:
            return
        failed = self.publisher.publish(list(events))
        if failed:
            raise PublishFailed(f"{len(failed)} of {len(events)} events were not published: "
                                + ", ".join(str(e["id"]) for e in failed))
        for event in events:
            for name, value, unit in metrics_of(event):
                self.metrics.count(name, value, unit=unit)
