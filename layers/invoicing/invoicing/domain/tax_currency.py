"""VAT in the seller's national currency, for an invoice in another currency (EN 16931 BT-6, BT-111).

Council Directive 2006/112/EC Art. 230: an invoice may be in any currency, provided the VAT payable
is also expressed in the national currency of the member state, converted as Art. 91(2) says: at
the latest selling rate of the most representative exchange market of that state, or the European
Central Bank's latest rate, at the time VAT becomes chargeable. The rate is the seller's to give
(with its source and date, printed beside the amount): this code fetches none and ships none.

One rule, one place: `tax_in_tax_currency` converts the invoice's VAT total (BT-110, in minor
units) at the rate and rounds once, half up, to the national currency's minor unit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, localcontext

from babel.numbers import get_territory_currencies
from pydantic import BaseModel, ConfigDict, Field, field_validator

from invoicing.domain.errors import UnknownCurrency
from invoicing.domain.money import from_major, normalize_currency, to_major


class TaxCurrencyRate(BaseModel):
    """The rate an invoice states its VAT at in the seller's national currency (BT-6)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: str = Field(description="The VAT accounting currency (BT-6): the seller's national currency")
    rate: Decimal = Field(gt=0, le=10**9, max_digits=24, decimal_places=12,
                          description="Units of `currency` for one unit of the invoice's currency")
    source: str | None = Field(default=None, max_length=100,
                               description="Where the rate is from, e.g. \"ECB euro reference rate\"")
    rate_date: date | None = Field(default=None, description="The date the rate was published for")

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        try:
            return normalize_currency(value)
        except UnknownCurrency as exc:
            raise ValueError(exc.message) from None


def national_currency(country: str | None, on: date) -> str | None:
    """The legal tender of `country` on `on` (CLDR through babel): SE -> SEK, DE -> EUR."""
    if not country:
        return None
    currencies = get_territory_currencies(country, start_date=on, tender=True)
    return str(currencies[0]) if currencies else None


def tax_in_tax_currency(tax: int, invoice_currency: str, rate: TaxCurrencyRate) -> int:
    """The VAT total in the tax currency's minor units: BT-110 x rate, rounded once, half up."""
    with localcontext(prec=60):
        converted = to_major(tax, invoice_currency) * rate.rate
    return from_major(converted, rate.currency)
