"""What the lines a subscription bills say, in words the domain does not choose.

An item's line ("API calls × 51,378"), a proration line ("Unused time on 1 × Basic") and a late-usage
line ("Seats × 3, reported late for Nov 1 – 30, 2026") are stored as the words the customer reads on
the invoice, so they are written when the line is made, in the customer's language: the use cases hand
the domain a `LineTexts` for the customer's locale (invoicing/documents/line_texts.py writes them from
the document labels)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol


class LineTexts(Protocol):
    def quantity(self, value: Decimal) -> str:
        """A quantity as the customer's locale writes it: "51,378", "51 378", "51.378"; "1,5"."""
        ...

    def prorated(self, kind: Literal["credit", "charge"], item: str, discounts: Sequence[str | None]) -> str:
        """A proration line: the unused time on `item` (the credit) or the remaining time on it (the
        charge), less its discounts (their names; None for one without a name)."""
        ...

    def reported_late(self, item: str, start: date, last_day: date) -> str:
        """Usage of `item` reported after its period (`start` to `last_day`, both included) was billed."""
        ...
