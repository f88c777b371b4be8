"""Messages that reach functions from the bus: an EventBridge event whose detail is a domain event."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from invoicing.domain.events import DomainEvent


class BusMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    source: str
    detail_type: str = Field(alias="detail-type")
    detail: DomainEvent
