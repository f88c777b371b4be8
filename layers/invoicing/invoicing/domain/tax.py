"""Which tax applies to a line: EU VAT by the seller's and buyer's location, or a manual rate.

Categories are EN 16931's (UNCL5305): S standard, Z zero-rated, E exempt, AE reverse charge,
G export outside the EU, O outside the scope of VAT. Standard rates come from a dated data file
(data/eu_vat_standard_rates.json); the invoice date picks the rate in force.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from invoicing.domain.errors import InvalidInput
from invoicing.domain.party import Account, Customer

TaxCategory = Literal["S", "Z", "E", "AE", "G", "O", "K"]
# What kind of tax a rate is, in Stripe's words (TaxRate.tax_type). Only "vat" is a value added tax
# in EN 16931's sense; the others (Canadian GST/HST/QST/PST, US sales tax, ...) are printed and
# totalled like it, but no e-invoice can carry them (domain/einvoice.py, docs/einvoicing.md).
TaxType = Literal[
    "vat", "gst", "hst", "qst", "pst", "rst", "sales_tax", "jct", "igst", "cgst", "sgst",
    "lease_tax", "amusement_tax", "communications_tax", "service_tax", "retail_delivery_fee",
]
# How a tax is told apart from the others on an invoice: its totals group (domain/totals.py).
TaxKey = tuple[str, Decimal, str, str | None, bool]

EU_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
REVERSE_CHARGE_NOTE = (
    "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)."
)
EXPORT_NOTE = "Export outside the EU: not subject to EU VAT (Article 146, Council Directive 2006/112/EC)."
EXEMPT_NOTE = "Exempt from VAT."
OUTSIDE_SCOPE_NOTE = "Not subject to VAT."


class TaxRate(BaseModel):
    """A tax applied to a line: category, percentage, a name for people, and why it is zero."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: TaxCategory = "S"
    percent: Decimal = Field(ge=0, le=100, max_digits=7, decimal_places=4)
    name: str = Field(default="VAT", max_length=40)
    exemption_reason: str | None = Field(default=None, max_length=300)
    # Stacked taxes (several on one line, domain/totals.py): what kind of tax, where it is levied
    # ("CA-QC", "US-WA-King County"), and whether it is computed on the line's net plus the line's
    # other, non-compound taxes (Quebec's QST before 2013, Prince Edward Island's PST).
    tax_type: TaxType = "vat"
    jurisdiction: str | None = Field(default=None, max_length=60)
    compound: bool = False

    @property
    def group_key(self) -> TaxKey:
        """One totals group per key: rates equal in category, percentage, kind, jurisdiction and
        compounding are the same tax, whatever their display names."""
        return (self.category, self.percent.normalize(), self.tax_type, self.jurisdiction, self.compound)

    @property
    def is_vat(self) -> bool:
        return self.tax_type == "vat"


@cache
def _standard_rates() -> dict[str, list[tuple[date, Decimal]]]:
    raw = json.loads(resources.files("invoicing.domain").joinpath("data/eu_vat_standard_rates.json").read_text())
    table: dict[str, list[tuple[date, Decimal]]] = {}
    for country, periods in raw["rates"].items():
        table[country] = sorted((date.fromisoformat(p["valid_from"]), Decimal(p["rate"])) for p in periods)
    return table


def eu_standard_rate(country: str, on: date) -> Decimal:
    """The standard VAT rate of an EU country in force on a date."""
    periods = _standard_rates().get(country)
    if not periods:
        raise InvalidInput(f"No EU VAT rate is known for country '{country}'.", param="address.country")
    in_force = [rate for valid_from, rate in periods if valid_from <= on]
    if not in_force:
        raise InvalidInput(f"No VAT rate for {country} is known on {on.isoformat()}.", param="address.country")
    return in_force[-1]


class TaxDecision(BaseModel):
    """The automatic tax for a seller/buyer pair, or why it cannot be decided yet."""

    model_config = ConfigDict(frozen=True)

    rate: TaxRate | None
    missing: Literal["seller_address", "customer_address", None] = None


def decide_tax(seller: Account, buyer: Customer, on: date) -> TaxDecision:
    """EU VAT by location: domestic rate; reverse charge for B2B across EU borders with a valid
    VAT ID; export (0 %, G) outside the EU. Sellers outside the EU get no automatic tax (O)
    unless lines carry a manual rate."""
    if buyer.tax_exempt == "exempt":
        return TaxDecision(rate=TaxRate(category="E", percent=Decimal(0), exemption_reason=EXEMPT_NOTE))
    seller_country = seller.country
    if seller_country is None:
        return TaxDecision(rate=None, missing="seller_address")
    if seller_country not in EU_COUNTRIES:
        return TaxDecision(rate=TaxRate(category="O", percent=Decimal(0), exemption_reason=OUTSIDE_SCOPE_NOTE))
    buyer_country = buyer.country
    if buyer_country is None:
        return TaxDecision(rate=None, missing="customer_address")
    if buyer_country == seller_country:
        return TaxDecision(rate=TaxRate(category="S", percent=eu_standard_rate(seller_country, on)))
    if buyer_country not in EU_COUNTRIES:
        return TaxDecision(rate=TaxRate(category="G", percent=Decimal(0), exemption_reason=EXPORT_NOTE))
    if buyer_has_valid_eu_vat_id(buyer):
        return TaxDecision(rate=TaxRate(category="AE", percent=Decimal(0), exemption_reason=REVERSE_CHARGE_NOTE))
    # B2C across EU borders: the seller's rate (the OSS destination rate is not modelled yet).
    return TaxDecision(rate=TaxRate(category="S", percent=eu_standard_rate(seller_country, on)))


def buyer_has_valid_eu_vat_id(buyer: Customer) -> bool:
    """A VAT ID of the buyer's own EU country (tax IDs are checked when they are saved)."""
    vat = buyer.vat_id
    return vat is not None and vat.country == buyer.country


def wants_reverse_charge_without_vat_id(seller: Account, buyer: Customer) -> bool:
    """A buyer marked for reverse charge in another EU country whose VAT ID is missing."""
    return (
        buyer.tax_exempt == "reverse"
        and seller.country in EU_COUNTRIES
        and buyer.country in EU_COUNTRIES
        and buyer.country != seller.country
        and not buyer_has_valid_eu_vat_id(buyer)
    )
