"""What the page prints of a line's item information and references (domain/line_item.py), and of
a corrective invoice (domain/corrective.py), in the customer's language: under the line's
description, one short row each, as given (the e-invoice carries the same terms, BG-31 and BG-32).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from babel import Locale

from invoicing.documents.formatting import labels
from invoicing.domain.line_item import GTIN_SCHEME

if TYPE_CHECKING:
    from invoicing.domain.invoice import InvoiceLine

_MINUS = "−"  # U+2212, as the page's amounts

def line_details(line: InvoiceLine, locale: Locale) -> list[str]:
    """The rows under a line's description: its item description, ids, classification, origin,
    attributes, then its note and references. None for a line that has neither (most lines)."""
    said = labels(locale)  # the one table of the page's words (documents/formatting.py)
    rows: list[str] = []
    item, refs = line.item, line.references
    if item is not None:
        if item.description:
            rows.append(item.description)
        ids = [f"{said['seller_item_id']} {item.seller_item_id}" if item.seller_item_id else "",
               f"{said['buyer_item_id']} {item.buyer_item_id}" if item.buyer_item_id else ""]
        if item.standard_id:
            label = said["gtin"] if item.standard_id.scheme == GTIN_SCHEME else said["standard_id"]
            ids.append(f"{label} {item.standard_id.value}")
        rows += [" · ".join(i for i in ids if i)] if any(ids) else []
        if item.classifications:
            codes = ", ".join(f"{c.list_id} {c.code}" for c in item.classifications)
            rows.append(f"{said['classification']}: {codes}")
        if item.origin_country:
            country = locale.territories.get(item.origin_country, item.origin_country)
            rows.append(f"{said['origin']}: {country}")
        rows += [f"{a.name}: {a.value}" for a in item.attributes]
    if refs is not None:
        if refs.note:
            rows.append(refs.note)
        more = [f"{said['line_identifier']} {refs.line_identifier}" if refs.line_identifier else "",
                f"{said['order_line']} {refs.order_line_reference}" if refs.order_line_reference else "",
                f"{said['object_id']} {refs.object_id.value}" if refs.object_id else "",
                f"{said['accounting']} {refs.accounting_reference}" if refs.accounting_reference else ""]
        rows += [" · ".join(m for m in more if m)] if any(more) else []
    return rows


def signed(quantity_text: str) -> str:
    """A negative quantity (a return) with a real minus sign, as the page's amounts have."""
    return _MINUS + quantity_text[1:] if quantity_text.startswith("-") else quantity_text
