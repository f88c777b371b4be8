"""Publishing the outbox: the events each commit wrote reach the event bus, and the business
metrics are counted there, once per event, whoever made the change (the API, a queue worker, a
billing run)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from invoicing.domain.errors import DomainError
from invoicing.domain.events import DomainEvent
from invoicing.services.ports import EventPublisher


class BusinessMetrics(Protocol):
    def count(self, name: str, value: int = 1, *, unit: str = "Count") -> None: ...


def metrics_of(event: DomainEvent) -> list[tuple[str, int, str]]:
    """(metric, value, unit) for an event: the one place that names business metrics."""
    name = "".join(part.title() for part in event.type.replace(".", "_").split("_"))  # InvoiceFinalized
    metrics = [(name, 1, "Count")]
    obj = event.data.get("object", {})
    if event.type == "invoice.finalized":
        # Minor units of mixed currencies do not add up: the amount is counted per currency.
        metrics.append((f"AmountInvoiced{obj.get('currency', '')}", int(obj.get("total", 0)), "Count"))
    return metrics


class PublishFailed(DomainError):
    code = "publish_failed"


@dataclass(frozen=True)
class EventRelay:
    publisher: EventPublisher
    metrics: BusinessMetrics

    def relay(self, events: list[DomainEvent]) -> None:
        """Publish one commit's events; raises when any could not be published, so the stream
        delivers the record again (consumers deduplicate on the event id)."""
        if not events:
            return
        failed = self.publisher.publish(events)
        if failed:
            raise PublishFailed(f"{len(failed)} of {len(events)} events were not published: "
                                + ", ".join(e.id for e in failed))
        for event in events:
            for name, value, unit in metrics_of(event):
                self.metrics.count(name, value, unit=unit)


