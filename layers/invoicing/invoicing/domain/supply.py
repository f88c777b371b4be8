"""The words tax decisions are made in: EU member states, what is supplied, and tax codes.

Kept apart from `tax` so that the parties (`party`) can name them without importing the decisions.
"""

from __future__ import annotations

from typing import Literal

EU_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)

# What a line supplies, as the VAT Directive's place-of-supply rules tell them apart (docs/tax.md):
#   goods                 Art. 32-33 (dispatch), 138 (intra-EU to a business), 146 (export)
#   services              the general rules: Art. 44 (to a business), Art. 45 (to a private person)
#   electronic_services   telecommunications, broadcasting, electronically supplied services (Art. 58,
#                         Art. 59(i)-(k)): taxed where a private customer lives
#   professional_services the services Art. 59(a)-(h) lists (licences, advertising, consultancy, lawyers,
#                         accountants, data processing, financial services, staff, hire of movables):
#                         like `services`, except to a private person outside the EU (Art. 59)
SupplyType = Literal["goods", "services", "electronic_services", "professional_services"]
SUPPLY_TYPES: tuple[SupplyType, ...] = ("goods", "services", "electronic_services", "professional_services")

# A line's tax code: a rate tier looked up in the dated rate file (data/eu_vat_rates.json) in the
# country whose VAT applies, or a category that needs no rate (zero-rated Z, exempt E), or a domestic
# reverse charge (AE: the buyer accounts for the VAT, Art. 199/199a; Swedish construction services).
TaxCode = Literal["standard", "reduced", "second_reduced", "super_reduced", "parking", "zero_rated", "exempt",
                  "reverse_charge"]
RATE_CODES = frozenset({"standard", "reduced", "second_reduced", "super_reduced", "parking"})

CustomerType = Literal["business", "individual"]
