"""The words of the lines a subscription bills, in the customer's language (domain/line_texts.py):
"Unused time on 1 × Basic, less Partners" / "Outnyttjad tid för 1 × Basic, avdrag: Partners" /
"Nicht genutzte Zeit für 1 × Basic, abzüglich Partners", from the document labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from invoicing.documents.formatting import LocaleLike, format_period, format_quantity, labels, resolve_locale


@dataclass(frozen=True)
class LocalizedLineTexts:
    """`LineTexts` in one locale's language (English for a language we have no labels for)."""

    locale: LocaleLike

    def quantity(self, value: Decimal) -> str:
        return format_quantity(value, self.locale)

    def prorated(self, kind: Literal["credit", "charge"], item: str, discounts: Sequence[str | None]) -> str:
        words = labels(self.locale)
        text = words["proration_credit" if kind == "credit" else "proration_charge"].format(item=item)
        if discounts:
            names = ", ".join(name or words["unnamed_discount"] for name in discounts)
            text += words["proration_less"].format(discounts=names)
        return text

    def reported_late(self, item: str, start: date, last_day: date) -> str:
        period = format_period(start, last_day, self.locale)
        return labels(self.locale)["usage_reported_late"].format(item=item, period=period)


def line_texts(locale: LocaleLike) -> LocalizedLineTexts:
    """The subscription line texts for a customer's locale (`Customer.locale`, None: English)."""
    return LocalizedLineTexts(resolve_locale(locale))
