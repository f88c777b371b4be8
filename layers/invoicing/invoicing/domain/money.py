"""Money: integer minor units of an ISO 4217 currency, and the one place amounts are rounded.

Currency exponents come from CLDR via babel (JPY 0, EUR 2, KWD 3), never from a table of ours.
Inside a calculation amounts may be `Decimal`; they become integers only through `round_minor`,
half up, which is the commercial rounding EN 16931 expects.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

from invoicing.domain.errors import UnknownCurrency

_ONE = Decimal(1)
# The largest amount anything on an invoice may come to, in minor units: a unit price, a line, a
# total (docs/api.md, "Limits"). 10^14 - 1 is 999 999 999 999.99 in a two-decimal currency and
# ¥99 999 999 999 999 in yen: beyond any real invoice, far inside EN 16931's 19 digits and
# JavaScript's exact integers (2^53, about 9 x 10^15) even when many such totals are added up.
MAX_AMOUNT = 10**14 - 1


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def normalize_currency(code: str) -> str:
    """The upper-case ISO 4217 code, or `UnknownCurrency`."""
    upper = code.strip().upper()
    if len(upper) != 3 or upper not in _known_currencies():
        raise UnknownCurrency(f"'{code}' is not an ISO 4217 currency code.", param="currency")
    return upper


@cache
def exponent(currency: str) -> int:
    """Digits after the decimal point of the currency's minor unit (ISO 4217, via CLDR)."""
    return int(get_currency_precision(normalize_currency(currency)))


def round_minor(value: Decimal) -> int:
    """Round an amount already expressed in minor units to a whole minor unit, half up."""
    return int(value.quantize(_ONE, rounding=ROUND_HALF_UP))


def to_major(amount: int, currency: str) -> Decimal:
    """Integer minor units as a Decimal in major units (1999 EUR -> 19.99), exact."""
    return Decimal(amount).scaleb(-exponent(currency))


def from_major(value: Decimal, currency: str) -> int:
    """A major-unit Decimal as integer minor units, rounded half up at the currency's place."""
    return round_minor(value.scaleb(exponent(currency)))


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights` so the parts add up exactly (largest remainder).

    Used wherever one rounded amount must be spread over several (an invoice discount over tax
    groups, a credit note over the invoice's tax groups): the parts always sum to the whole.
    """
    if not weights:
        return []
    base = sum(weights)
    if base == 0:
        parts = [0] * len(weights)
        parts[0] = total
        return parts
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    exact = [Decimal(magnitude) * w / base for w in weights]
    # Floor, not truncation: with weights of both signs (a return line among its rate's lines) every part
    # then loses less than one unit and what is left to hand out lies in [0, len(weights)).
    parts = [math.floor(x) for x in exact]
    rest = magnitude - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (exact[i] - parts[i], -i), reverse=True)
    for i in by_remainder[:rest]:
        parts[i] += 1
    return [sign * p for p in parts]
