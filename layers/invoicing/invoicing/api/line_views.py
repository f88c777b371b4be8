"""How a line's item information and references, and a corrective invoice's preceding invoice,
look in the API (domain/line_item.py, domain/corrective.py): the same names as the request bodies
(api/line_requests.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from invoicing.domain.corrective import PrecedingInvoice
from invoicing.domain.line_item import LineItem, LineReferences


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class StandardIdObject(_View):
    value: str
    scheme: str


class ClassificationObject(_View):
    code: str
    list_id: str
    list_version: str | None


class AttributeObject(_View):
    name: str
    value: str


class ObjectIdObject(_View):
    value: str
    scheme: str | None


class ItemObject(_View):
    description: str | None
    seller_item_id: str | None
    buyer_item_id: str | None
    standard_id: StandardIdObject | None
    classifications: list[ClassificationObject]
    origin_country: str | None
    attributes: list[AttributeObject]


class PrecedingInvoiceObject(_View):
    number: str
    issue_date: date | None


def item_view(item: LineItem | None) -> dict[str, Any] | None:
    return item.model_dump(mode="json") if item is not None else None


def references_view(refs: LineReferences | None) -> dict[str, Any]:
    """The line's note, order line, object id and accounting reference (null each when not given)."""
    return {"line_identifier": refs.line_identifier if refs else None,
            "note": refs.note if refs else None,
            "order_line_reference": refs.order_line_reference if refs else None,
            "object_id": refs.object_id.model_dump(mode="json") if refs and refs.object_id else None,
            "accounting_reference": refs.accounting_reference if refs else None}


def preceding_invoice_view(preceding: PrecedingInvoice | None) -> dict[str, Any] | None:
    return preceding.model_dump(mode="json") if preceding is not None else None
