"""Which tax applies to a line: EU VAT by the place of supply, or a manual rate.

Categories are EN 16931's (UNCL5305): S standard, Z zero-rated, E exempt, AE reverse charge,
K intra-community supply, G export outside the EU, O outside the scope of VAT. The decision rests on
the seller's and buyer's countries, whether the buyer is a business, what the line supplies (goods,
services, ...: `invoicing.domain.supply`) and its tax code; docs/tax.md tables every case with the
article of Council Directive 2006/112/EC it follows.

Two data files hold what an accountant reviews: the dated rates by country and tax code
(data/eu_vat_rates.json; the invoice date picks the rate in force) and the legal notes with their
category, VATEX code, legal basis and texts per language (data/vat_legal_notes.json).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from invoicing.domain.errors import InvalidInput
from invoicing.domain.party import Account, Customer
from invoicing.domain.supply import EU_COUNTRIES, RATE_CODES, SupplyType, TaxCode

__all__ = [
    "EU_COUNTRIES", "EXEMPT_NOTE", "EXPORT_NOTE", "INTRA_COMMUNITY_NOTE", "OUTSIDE_SCOPE_NOTE",
    "REVERSE_CHARGE_NOTE", "LegalNote", "SupplyType", "TaxCategory", "TaxCode", "TaxDecision", "TaxRate",
    "buyer_has_valid_eu_vat_id", "buyer_is_business", "decide_tax", "eu_rate", "eu_standard_rate",
    "exemption_reason_code", "is_domestic_reverse_charge_wanted", "legal_note",
    "legal_note_by_text", "wants_reverse_charge_without_vat_id",
]

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
NOTE_LANGUAGES = ("en", "sv", "de")


# --- the legal notes (data/vat_legal_notes.json) --------------------------------------------------


@dataclass(frozen=True)
class LegalNote:
    """One legal situation's note: its category, VATEX code (BT-121) and text per language."""

    id: str
    category: str
    vatex: str | None
    texts: dict[str, str]
    legal_basis: tuple[str, ...]

    def text(self, language: str) -> str:
        """The note in `language`, or in English where it has no text of that language."""
        return self.texts.get(language) or self.texts["en"]


@cache
def _legal_notes() -> dict[str, LegalNote]:
    raw = json.loads(resources.files("invoicing.domain").joinpath("data/vat_legal_notes.json").read_text())
    notes: dict[str, LegalNote] = {}
    for note_id, entry in raw["notes"].items():
        texts = dict(entry["text"])
        missing = [lang for lang in NOTE_LANGUAGES if not texts.get(lang)]
        if missing:  # a data error, caught by the tests that load every note
            raise ValueError(f"vat_legal_notes.json: note {note_id} has no text in {', '.join(missing)}")
        notes[note_id] = LegalNote(id=note_id, category=entry["category"], vatex=entry["vatex"], texts=texts,
                                   legal_basis=tuple(entry["legal_basis"]))
    return notes


def legal_note(note_id: str) -> LegalNote:
    return _legal_notes()[note_id]


def legal_note_by_text(english: str | None) -> LegalNote | None:
    """The note whose English text this is: a stored tax group from before groups kept their note's id."""
    return next((n for n in _legal_notes().values() if english and n.texts["en"] == english), None)


# The English texts, as stored on tax rates and groups and written in e-invoices.
REVERSE_CHARGE_NOTE = legal_note("reverse_charge_services").texts["en"]
INTRA_COMMUNITY_NOTE = legal_note("intra_community_goods").texts["en"]
EXPORT_NOTE = legal_note("export_goods").texts["en"]
EXEMPT_NOTE = legal_note("exempt").texts["en"]
OUTSIDE_SCOPE_NOTE = legal_note("seller_outside_eu").texts["en"]


# --- the rate value -------------------------------------------------------------------------------


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
    # Set by `decide_tax`: the legal note's id in data/vat_legal_notes.json (its text in each language
    # and its VATEX code), and the member state whose VAT this is (the customer's under the OSS).
    legal_note: str | None = Field(default=None, max_length=60)
    country: str | None = Field(default=None, min_length=2, max_length=2)
    # A manual rate's VATEX code (BT-121) as its issuer gives it (checked at the edge against the
    # code list and the category: vatex_category); None: the legal note's or the category's.
    exemption_code: str | None = Field(default=None, max_length=40)

    @property
    def group_key(self) -> TaxKey:
        """One totals group per key: rates equal in category, percentage, kind, jurisdiction and
        compounding are the same tax, whatever their display names."""
        return (self.category, self.percent.normalize(), self.tax_type, self.jurisdiction, self.compound)

    @property
    def is_vat(self) -> bool:
        return self.tax_type == "vat"

    @property
    def exemption_reason_code(self) -> str | None:
        """The VATEX code (BT-121) of the rate (`exemption_reason_code`)."""
        return exemption_reason_code(self.category, self.legal_note, self.exemption_code)


# A category's VATEX code where no legal note names one (manual rates). E has none: which Article 132-135
# exemption applies is not modelled, and a wrong code would be worse than none.
_CATEGORY_VATEX = {"AE": "VATEX-EU-AE", "G": "VATEX-EU-G", "K": "VATEX-EU-IC", "O": "VATEX-EU-O"}


# VATEX codes that belong to one category each (the CEF VATEX list: "only use with VAT category code
# AE / G / K / O"); every other code of the list is an exemption's (E): Articles 132 to 151 and 309,
# the margin schemes D, F, I and J, and the French codes but VATEX-FR-AE.
_VATEX_OWN_CATEGORY = {code: category for category, code in _CATEGORY_VATEX.items()} | {"VATEX-FR-AE": "AE"}


def vatex_category(code: str) -> str:
    """The VAT category a VATEX code (BT-121) may be stated with."""
    return _VATEX_OWN_CATEGORY.get(code, "E")


def exemption_reason_code(category: str, note_id: str | None, given: str | None = None) -> str | None:
    """BT-121 of a rate or tax group: the manual rate's own code as given (`TaxRate.exemption_code`,
    checked at the edge), else its legal note's VATEX code, else its category's (none for S, Z, E)."""
    if given is not None:
        return given
    note = legal_note(note_id) if note_id else None
    if note is not None and note.category == category:
        return note.vatex
    return _CATEGORY_VATEX.get(category)


def _noted(note_id: str) -> TaxRate:
    note = legal_note(note_id)
    reason = None if note.category == "S" else note.texts["en"]  # BR-S-10: no exemption reason for S
    return TaxRate(category=note.category, percent=Decimal(0), exemption_reason=reason,
                   legal_note=note_id)


# --- the dated rates (data/eu_vat_rates.json) -----------------------------------------------------


@cache
def _rates() -> dict[str, dict[str, list[tuple[date, Decimal | None]]]]:
    raw: dict[str, Any] = json.loads(
        resources.files("invoicing.domain").joinpath("data/eu_vat_rates.json").read_text())
    table: dict[str, dict[str, list[tuple[date, Decimal | None]]]] = {}
    for country, codes in raw["rates"].items():
        unknown = set(codes) - RATE_CODES
        if unknown:
            raise ValueError(f"eu_vat_rates.json: {country} has unknown tax codes {sorted(unknown)}")
        table[country] = {
            code: sorted((date.fromisoformat(p["valid_from"]), None if p["rate"] is None else Decimal(p["rate"]))
                         for p in periods)
            for code, periods in codes.items()
        }
    return table


def eu_rate(country: str, on: date, code: str = "standard") -> Decimal:
    """The VAT rate of tax code `code` (standard, reduced, second_reduced, super_reduced, parking) of an
    EU country in force on a date: 400-style `InvalidInput` where the country has none then."""
    codes = _rates().get(country)
    if not codes:
        raise InvalidInput(f"No EU VAT rate is known for country '{country}'.", param="address.country")
    periods = codes.get(code)
    in_force = [rate for valid_from, rate in periods or () if valid_from <= on]
    if code == "standard" and not in_force:
        raise InvalidInput(f"No VAT rate for {country} is known on {on.isoformat()}.", param="address.country")
    if not in_force or in_force[-1] is None:
        raise InvalidInput(f"{country} has no {code.replace('_', ' ')} VAT rate on {on.isoformat()} (or none is "
                           "known): use another tax_code or a manual tax_rate.",
                           param="lines.tax_code", code="tax_code_unavailable")
    return in_force[-1]


def eu_standard_rate(country: str, on: date) -> Decimal:
    """The standard VAT rate of an EU country in force on a date."""
    return eu_rate(country, on, "standard")


def _vat(country: str, on: date, code: TaxCode, note_id: str | None = None) -> TaxRate:
    return TaxRate(category="S", percent=eu_rate(country, on, code), country=country, legal_note=note_id)


# --- the decision ---------------------------------------------------------------------------------


class TaxDecision(BaseModel):
    """The automatic tax for a seller/buyer pair, or why it cannot be decided yet."""

    model_config = ConfigDict(frozen=True)

    rate: TaxRate | None
    missing: Literal["seller_address", "customer_address", None] = None


def decide_tax(
    seller: Account, buyer: Customer, on: date, supply: SupplyType = "services", code: TaxCode = "standard",
) -> TaxDecision:
    """EU VAT by the place of supply (docs/tax.md has the table with each article):

    - zero-rated and exempt tax codes, and exempt customers: Z and E wherever the buyer is;
    - a domestic reverse charge (tax code `reverse_charge`, or a customer marked `reverse`, in the seller's
      own member state, a business): AE (Art. 199, 199a; `_domestic_reverse_charge`);
    - a seller outside the EU: no automatic tax (O), unless lines carry a manual rate;
    - the same country: its rate of the line's tax code;
    - a business in another member state (its own VAT ID): goods K (Art. 138), services AE (Art. 44, 196);
    - a private person in another member state: the seller's rate, except goods (Art. 33) and electronic
      services (Art. 58) from a seller registered for the OSS, which take the customer's country's rate;
    - outside the EU: goods G (Art. 146); services to a business O (Art. 44); electronic and
      professional services to a private person O (Art. 59); other services to one the seller's rate
      (Art. 45)."""
    if code == "zero_rated":
        return TaxDecision(rate=TaxRate(category="Z", percent=Decimal(0)))
    domestic_reverse = _domestic_reverse_charge(seller, buyer, code)
    if domestic_reverse is not None:
        return domestic_reverse
    if code == "reverse_charge":
        # Not a domestic reverse charge: the place-of-supply rules decide, at the standard rate where
        # they charge VAT (a warning says so: domain/validation.py, reverse_charge_not_applicable).
        code = "standard"
    if code == "exempt" or buyer.tax_exempt == "exempt":
        return TaxDecision(rate=_noted("exempt"))
    seller_country = seller.country
    if seller_country is None:
        return TaxDecision(rate=None, missing="seller_address")
    if seller_country not in EU_COUNTRIES:
        return TaxDecision(rate=_noted("seller_outside_eu"))
    buyer_country = buyer.country
    if buyer_country is None:
        return TaxDecision(rate=None, missing="customer_address")
    if buyer_country == seller_country:
        return TaxDecision(rate=_vat(seller_country, on, code))
    if buyer_country in EU_COUNTRIES:
        if buyer.customer_type != "individual" and buyer_has_valid_eu_vat_id(buyer):
            return TaxDecision(rate=_noted("intra_community_goods" if supply == "goods" else "reverse_charge_services"))
        if seller.oss_registered and supply == "goods":
            return TaxDecision(rate=_vat(buyer_country, on, code, "oss_distance_sales_goods"))
        if seller.oss_registered and supply == "electronic_services":
            return TaxDecision(rate=_vat(buyer_country, on, code, "oss_electronic_services"))
        return TaxDecision(rate=_vat(seller_country, on, code))
    if supply == "goods":
        return TaxDecision(rate=_noted("export_goods"))
    if buyer_is_business(buyer):
        return TaxDecision(rate=_noted("services_outside_eu_business"))
    if supply in ("electronic_services", "professional_services"):
        return TaxDecision(rate=_noted("services_outside_eu_consumer"))
    return TaxDecision(rate=_vat(seller_country, on, code))  # Art. 45: where the supplier is established


# --- domestic reverse charge ----------------------------------------------------------------------


def _domestic_reverse_charge(seller: Account, buyer: Customer, code: TaxCode) -> TaxDecision | None:
    """A reverse charge within the seller's own EU member state (Art. 199 and 199a: construction work,
    scrap, emission allowances, ...; in Sweden ML 16 kap., "omvänd betalningsskyldighet"): category AE
    with its legal note, for a line with tax code `reverse_charge` or any line of a customer marked
    `tax_exempt: reverse`, when the business buyer is in the seller's country. A private person never
    accounts for VAT: such a buyer is charged the rate (and warned about: domain/validation.py)."""
    if code != "reverse_charge" and buyer.tax_exempt != "reverse":
        return None
    country = seller.country
    if country is None or country not in EU_COUNTRIES or buyer.country != country:
        return None
    if buyer.customer_type == "individual":
        return None
    return TaxDecision(rate=_noted("domestic_reverse_charge"))


def is_domestic_reverse_charge_wanted(seller: Account, buyer: Customer, codes: list[TaxCode]) -> bool:
    """A reverse charge is asked for (tax code or customer) on a sale within one member state."""
    wanted = buyer.tax_exempt == "reverse" or "reverse_charge" in codes
    return wanted and seller.country in EU_COUNTRIES and buyer.country == seller.country


def buyer_has_valid_eu_vat_id(buyer: Customer) -> bool:
    """A VAT ID of the buyer's own EU country (tax IDs are checked when they are saved)."""
    vat = buyer.vat_id
    return vat is not None and vat.country == buyer.country


def buyer_is_business(buyer: Customer) -> bool:
    """Whether the buyer buys as a business: as its `customer_type` says; when it says nothing, a buyer
    with a tax ID (or set to reverse charge) is one (Implementing Regulation 282/2011 Art. 18). In another
    EU member state only its own VAT ID makes a reverse charge (`buyer_has_valid_eu_vat_id`)."""
    if buyer.customer_type is not None:
        return buyer.customer_type == "business"
    return bool(buyer.tax_ids) or buyer.tax_exempt == "reverse"


def wants_reverse_charge_without_vat_id(seller: Account, buyer: Customer) -> bool:
    """A buyer marked for reverse charge in another EU country whose VAT ID is missing."""
    return (
        buyer.tax_exempt == "reverse"
        and seller.country in EU_COUNTRIES
        and buyer.country in EU_COUNTRIES
        and buyer.country != seller.country
        and not buyer_has_valid_eu_vat_id(buyer)
    )
