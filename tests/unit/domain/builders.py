"""Small builders for domain objects: sellers, buyers, invoices and lines with sensible defaults."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from invoicing.domain.invoice import Invoice, InvoiceLine
from invoicing.domain.party import Account, Address, Customer, TaxId, validated_tax_id
from invoicing.domain.tax import TaxRate
from invoicing.domain.tax_currency import TaxCurrencyRate
from invoicing.domain.totals import Discount, PricedLine

CREATED = datetime(2025, 1, 2, 9, 0, tzinfo=UTC)
NOW = datetime(2025, 3, 14, 10, 30, tzinfo=UTC)

ADDRESSES = {
    "SE": Address(line1="Drottninggatan 1", city="Stockholm", postal_code="111 51", country="SE"),
    "DE": Address(line1="Unter den Linden 5", city="Berlin", postal_code="10117", country="DE"),
    "FI": Address(line1="Mannerheimintie 1", city="Helsinki", postal_code="00100", country="FI"),
    "SK": Address(line1="Hlavna 1", city="Bratislava", postal_code="81101", country="SK"),
    "EE": Address(line1="Viru 1", city="Tallinn", postal_code="10111", country="EE"),
    "GR": Address(line1="Ermou 1", city="Athens", postal_code="10563", country="GR"),
    "US": Address(line1="1 Market St", city="San Francisco", state="CA", postal_code="94105", country="US"),
    "GB": Address(line1="1 High St", city="London", postal_code="EC1A 1AA", country="GB"),
}
SE_VAT = "SE556703748501"
DE_VAT = "DE136695976"


def seller(country: str | None = "SE", **changes: object) -> Account:
    fields: dict[str, object] = {
        "id": "acct_1",
        "name": "Nordic Widgets AB",
        "address": ADDRESSES[country] if country else None,
        "tax_ids": [validated_tax_id("eu_vat", SE_VAT)] if country == "SE" else [],
        "iban": "SE4550000000058398257466",
        "default_currency": "EUR",
        "created": CREATED,
    }
    fields.update(changes)
    return Account(**fields)  # type: ignore[arg-type]


def customer(country: str | None = "SE", *, vat: str | None = None, **changes: object) -> Customer:
    tax_ids: list[TaxId] = [validated_tax_id("eu_vat", vat)] if vat else []
    fields: dict[str, object] = {
        "id": "cus_9f3k",
        "account_id": "acct_1",
        "name": "Acme Buyer",
        "email": "ap@acme.example",
        "address": ADDRESSES[country] if country else None,
        "tax_ids": tax_ids,
        "currency": "EUR",
        "created": CREATED,
    }
    fields.update(changes)
    return Customer(**fields)  # type: ignore[arg-type]


def line(unit_amount: str | int, quantity: str | int = 1, *, id: str = "li_1", **changes: object) -> InvoiceLine:
    return InvoiceLine(
        id=id,
        description=f"Item {id}",
        quantity=Decimal(quantity),
        unit_amount_decimal=Decimal(unit_amount),
        **changes,  # type: ignore[arg-type]
    )


def draft(*lines: InvoiceLine, **changes: object) -> Invoice:
    fields: dict[str, object] = {
        "id": "inv_1",
        "account_id": "acct_1",
        "customer_id": "cus_9f3k",
        "currency": "EUR",
        "lines": tuple(lines),
        "created": CREATED,
    }
    fields.update(changes)
    return Invoice(**fields)  # type: ignore[arg-type]


def vat(percent: str | int, category: str = "S") -> TaxRate:
    return TaxRate(category=category, percent=Decimal(percent))  # type: ignore[arg-type]


def priced_line(unit_amount: str | int, quantity: str | int = 1, tax: TaxRate | None = None,
                discounts: tuple[Discount, ...] = ()) -> PricedLine:
    return PricedLine(quantity=Decimal(quantity), unit_amount=Decimal(unit_amount),
                      tax=tax or vat(25), discounts=discounts)


def pct(percent: str | int) -> Discount:
    return Discount(percent_off=Decimal(percent))


def off(amount: int) -> Discount:
    return Discount(amount_off=amount)


# An EUR invoice of a Swedish seller states its VAT in SEK too (Art. 230): the rate it is stated at.
SEK_RATE = TaxCurrencyRate(currency="SEK", rate=Decimal("11.4523"), source="ECB reference rate",
                           rate_date=date(2026, 3, 13))
