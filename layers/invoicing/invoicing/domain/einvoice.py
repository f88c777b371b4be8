"""Whether EN 16931 can express an invoice, and if not, why: decided here, once.

The e-invoice writers (`invoicing.documents.einvoice`) refuse what these functions refuse, with the
same reason; a draft shows the reason as a warning (`validation_issues`), and the e-invoice link of
a finalized invoice answers 409 with it. A reason is stable (`currency_decimals`, …): the API's
code is `einvoice_<reason>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from invoicing.domain.money import exponent

if TYPE_CHECKING:
    from invoicing.domain.invoice import Invoice
    from invoicing.domain.party import Account, Customer
    from invoicing.domain.tax import TaxRate

MAX_AMOUNT_DECIMALS = 2  # BR-DEC-*: every amount has at most two decimals
VAT_CATEGORIES = frozenset({"S", "Z", "E", "AE", "G", "O", "K"})  # UNCL 5305, as EN 16931 uses it
# Tax ID types whose value is a VAT identifier (BT-31 / BT-48), and the country prefix that
# python-stdnum's compact form strips from it (an EU and a Swiss number keep theirs).
VAT_ID_PREFIXES: dict[str, str] = {"eu_vat": "", "gb_vat": "GB", "no_vat": "NO", "ch_vat": ""}
VAT_ID_TYPES = frozenset(VAT_ID_PREFIXES)


@dataclass(frozen=True)
class EInvoiceObstacle:
    """Why no EN 16931 e-invoice can be made: a stable reason, a message naming the rule, and the
    field to change."""

    reason: str
    message: str
    field: str

    @property
    def code(self) -> str:
        return f"einvoice_{self.reason}"


def currency_obstacle(currency: str) -> EInvoiceObstacle | None:
    digits = exponent(currency)
    if digits > MAX_AMOUNT_DECIMALS:
        return EInvoiceObstacle(
            "currency_decimals",
            f"{currency} has {digits} decimals, and EN 16931 allows at most {MAX_AMOUNT_DECIMALS} in an amount "
            "(BR-DEC-*): no e-invoice can state these amounts exactly.",
            "currency",
        )
    return None


def vat_category_obstacle(code: str, percent: Decimal | None) -> EInvoiceObstacle | None:
    """What EN 16931 asks of a VAT category and its rate (BR-S/Z/E/AE/G/O/IC-05)."""
    rate = percent or Decimal(0)
    if code == "S":
        if rate <= 0:
            return EInvoiceObstacle("standard_rate_missing",
                                    "A standard-rated (S) line needs a VAT rate above 0 % (BR-S-05); use the "
                                    "zero-rated tax code for 0 %.", "lines.tax_rate")
        return None
    if code not in VAT_CATEGORIES:
        return EInvoiceObstacle("vat_category_unsupported",
                                f"VAT category {code!r} is not supported in e-invoices.", "lines.tax_rate")
    if rate != 0:
        rule = "IC" if code == "K" else code
        return EInvoiceObstacle("vat_category_rate",
                                f"VAT category {code} must have a rate of 0 % (BR-{rule}-05).", "lines.tax_rate")
    return None


def tax_kind_obstacle(line_taxes: Iterable[Sequence[TaxRate]]) -> EInvoiceObstacle | None:
    """EN 16931 knows one tax, VAT: its breakdown (BG-23) and each line's category and rate (BG-30,
    exactly one per line) are VAT's, and the syntaxes fix the tax scheme to "VAT". A tax of another
    kind (GST, QST, US sales tax) has no place in it, nor has a second tax on a line: such an invoice
    has no e-invoice (docs/einvoicing.md, "Stacked and non-VAT taxes")."""
    for taxes in line_taxes:
        other = next((t for t in taxes if t.tax_type != "vat"), None)
        if other is not None:
            return EInvoiceObstacle(
                "non_vat_tax",
                f"{other.name} is a {other.tax_type} tax, not VAT: EN 16931 carries only VAT (BG-23, BG-30; "
                "tax scheme 'VAT') and has no place for other taxes.", "lines.tax_rates")
        if len(taxes) > 1:
            return EInvoiceObstacle(
                "stacked_taxes",
                "A line carries several taxes: EN 16931 gives each line exactly one VAT category and rate "
                "(BG-30, BT-151, BT-152).", "lines.tax_rates")
    return None


def party_obstacle(seller: Account, customer: Customer, categories: set[str]) -> EInvoiceObstacle | None:
    """The parties' addresses and identifiers that the VAT categories on the document require."""
    if seller.address is None:
        return EInvoiceObstacle("seller_address_missing",
                                "The account needs an address for an e-invoice (BR-08).", "account.address")
    if customer.address is None:
        return EInvoiceObstacle("customer_address_missing",
                                f"Customer {customer.id} needs an address for an e-invoice (BR-10).",
                                "customer.address")
    has_vat_id = any(t.type in VAT_ID_TYPES for t in seller.tax_ids)
    has_tax_registration = any(t.type not in VAT_ID_TYPES for t in seller.tax_ids)
    # BR-CO-26: without a VAT id (BT-31) the seller is identified by its legal registration id (BT-30)
    # or a seller identifier (BT-29, the account's `identifiers`): either will do.
    identified = bool((seller.legal_registration_id or "").strip()) or bool(seller.identifiers)
    if "O" in categories:
        if len(categories) > 1:  # BR-O-11 .. BR-O-14
            return EInvoiceObstacle("outside_scope_mixed",
                                    "An invoice not subject to VAT (category O) cannot also carry other VAT "
                                    "categories (BR-O-11).", "lines.tax_rate")
        if not identified:  # BR-O-02 names no VAT number, so BR-CO-26 wants BT-30 or BT-29
            return EInvoiceObstacle("seller_legal_registration_id_missing",
                                    "An invoice not subject to VAT names no VAT number, so the account needs its "
                                    "legal registration id or an identifier (BR-CO-26).",
                                    "account.legal_registration_id")
    elif not has_vat_id and (not has_tax_registration or not identified or categories & {"G", "K"}):
        # BR-S/Z/E/AE-02 accept a tax registration id (BT-32) instead, BR-G/IC-02 only the VAT id, and
        # without a VAT id BR-CO-26 wants the legal registration id (BT-30) or an identifier (BT-29).
        return EInvoiceObstacle("seller_vat_id_missing",
                                "The account needs a VAT number (eu_vat, gb_vat, no_vat or ch_vat) for an "
                                "e-invoice (BR-S-02, BR-CO-26).", "account.tax_ids")
    if categories & {"AE", "K"} and not any(t.type in VAT_ID_TYPES for t in customer.tax_ids):
        rule = "BR-AE-02" if "AE" in categories else "BR-IC-02"
        return EInvoiceObstacle("customer_vat_id_missing",
                                f"Customer {customer.id} needs a VAT number for a reverse-charge or "
                                f"intra-community invoice ({rule}).", "customer.tax_ids")
    return None


def supply_obstacle(categories: set[str], supply_date: date | None, period_start: date | None,
                    period_end: date | None) -> EInvoiceObstacle | None:
    """An intra-community supply (K) states when it was made (BR-IC-11): nothing is assumed."""
    if "K" in categories and supply_date is None and period_start is None and period_end is None:
        return EInvoiceObstacle("supply_date_missing",
                                "An intra-community supply (category K) needs the invoice's supply_date or "
                                "period (BR-IC-11).", "supply_date")
    return None


def einvoice_obstacle(invoice: Invoice, seller: Account, customer: Customer) -> EInvoiceObstacle | None:
    """The first reason the invoice (priced draft or finalized) cannot be an EN 16931 e-invoice, or None."""
    found = currency_obstacle(invoice.currency) or tax_kind_obstacle(line.applied_taxes for line in invoice.lines)
    rates: list[tuple[str, Decimal]] = [(line.tax.category, line.tax.percent) for line in invoice.lines
                                        if line.tax is not None]
    if invoice.totals is not None:
        rates += [(group.category, group.percent) for group in invoice.totals.tax_groups]
    found = found or _first(vat_category_obstacle(code, percent) for code, percent in dict.fromkeys(rates))
    categories = {code for code, _ in rates}
    found = found or party_obstacle(seller, customer, categories)
    return found or supply_obstacle(categories, invoice.supply_date, invoice.period_start, invoice.period_end)


def _first(obstacles: Iterable[EInvoiceObstacle | None]) -> EInvoiceObstacle | None:
    return next((o for o in obstacles if o is not None), None)
