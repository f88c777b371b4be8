"""The relay's use case: publish one commit's events, count the business metrics once per event."""

from __future__ import annotations

from typing import Any

import pytest

from invoicing.services.events import EventRelay, PublishFailed, metrics_of
from tests.unit.domain.builders import NOW, customer, draft, line, seller


class Bus:
    def __init__(self, refuse: set[str] | None = None) -> None:
        self.refuse = refuse or set()
        self.published: list[Any] = []

    def publish(self, events: list[Any]) -> list[Any]:
        self.published += [e for e in events if e["type"] not in self.refuse]
        return [e for e in events if e["type"] in self.refuse]


class Counts:
    def __init__(self) -> None:
        self.counted: list[tuple[str, int]] = []

    def count(self, name: str, value: int = 1, *, unit: str = "Count") -> None:
        self.counted.append((name, value))


def finalized_events() -> list[dict[str, Any]]:
    """As the relay gets them: the JSON documents the commit stored."""
    invoice = draft(line(10_000)).priced(seller("SE"), customer("SE"), NOW.date())
    finalized = invoice.finalize(seller=seller("SE"), customer=customer("SE"), number="INV-000001", now=NOW,
                                 previous_totals=[])
    return [e.model_dump(mode="json") for e in finalized.events]


def test_events_are_published_and_counted_once_each() -> None:
    bus, counts = Bus(), Counts()
    events = list(finalized_events())
    EventRelay(bus, counts).relay(events)
    assert [e["type"] for e in bus.published] == ["invoice.finalized"]
    assert counts.counted == [("InvoiceFinalized", 1), ("AmountInvoicedEUR", 12_500)]


def test_an_event_the_bus_refused_fails_the_record_and_counts_nothing() -> None:
    bus, counts = Bus(refuse={"invoice.finalized"}), Counts()
    with pytest.raises(PublishFailed):
        EventRelay(bus, counts).relay(list(finalized_events()))
    assert counts.counted == []


def test_metric_names_follow_the_event_type() -> None:
    created = customer("SE").record_created(NOW).events[0].model_dump(mode="json")
    assert metrics_of(created) == [("CustomerCreated", 1, "Count")]
