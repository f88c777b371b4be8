"""Pre-send checks on a draft: what would make the invoice wrong, unpayable or unsendable, on
the customer's side and on the seller's.

Blocking issues stop finalization (HTTP 409, naming the issue): what would make the invoice wrong
in law (no seller address, VAT charged without the seller's VAT number, …) or impossible to
collect as asked. The others are warnings a person should look at before sending: the invoice is
valid, but something may be off (no bank details to pay to, no e-invoice possible, …).
"""

from __future__ import annotations

from datetime import date
from statistics import median
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from invoicing.domain.corrective import CORRECTIVE_INVOICE
from invoicing.domain.direct_debit import creditor_id_missing, debited_under
from invoicing.domain.einvoice import VAT_ID_TYPES, einvoice_obstacle
from invoicing.domain.supply import EU_COUNTRIES
from invoicing.domain.tax import is_domestic_reverse_charge_wanted, wants_reverse_charge_without_vat_id
from invoicing.domain.tax_currency import national_currency
from invoicing.domain.xrechnung import xrechnung_violations

if TYPE_CHECKING:
    from invoicing.domain.invoice import Invoice
    from invoicing.domain.party import Account, Customer

UNUSUAL_FACTOR = 3  # a total more than 3x above or below the customer's usual one is flagged


class ValidationIssue(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    field: str | None
    blocking: bool


def validation_issues(
    invoice: Invoice, seller: Account, customer: Customer, previous_totals: list[int]
) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []

    def add(code: str, message: str, field: str | None, blocking: bool) -> None:
        issues.append(ValidationIssue(code=code, message=message, field=field, blocking=blocking))

    if not invoice.lines:
        add("no_lines", "The invoice has no lines.", "lines", True)
    if not customer.email:
        add("customer_email_missing", f"Customer {customer.id} has no email address to send the invoice to.",
            "customer.email", invoice.collection_method == "send_invoice")
    if invoice.tax_missing == "customer_address":
        add("customer_address_missing",
            f"Customer {customer.id} has no address: VAT depends on the customer's country.", "customer.address", True)
    if seller.address is None:
        add("seller_address_missing", "The account has no address: an invoice states the seller's full address "
            "(Directive 2006/112/EC Art. 226(5)), and VAT depends on the seller's country.", "account.address", True)
    if _charges_vat(invoice) and not any(t.type in VAT_ID_TYPES for t in seller.tax_ids):
        add("seller_tax_id_missing", "The invoice charges VAT (or reverses it to the buyer) but the account has "
            "no VAT number (Directive 2006/112/EC Art. 226(3)).", "account.tax_ids", True)
    debited = debited_under(invoice, customer) is not None  # collected by SEPA direct debit
    if creditor_id_missing(invoice, seller, customer):
        add("direct_debit_creditor_id_missing", f"Customer {customer.id} pays by SEPA direct debit (its direct_debit "
            "mandate), and the account has no sepa_creditor_id (BT-90) to collect it under.",
            "account.sepa_creditor_id", True)
    if invoice.collection_method == "send_invoice" and not debited and not (
            seller.iban or seller.bankgiro or seller.plusgiro):
        add("seller_payment_details_missing", "The account has no bank details (iban, bankgiro or plusgiro): the "
            "invoice states no way to pay it.", "account.iban", False)
    if wants_reverse_charge_without_vat_id(seller, customer):
        add("customer_tax_id_missing",
            f"Customer {customer.id} is set to reverse charge but has no valid VAT ID of its own country.",
            "customer.tax_ids", True)
    if invoice.currency != customer.currency:
        add("currency_differs_from_customer",
            f"The invoice is in {invoice.currency} but the customer pays in {customer.currency}.", "currency", False)
    # A SEPA direct debit mandate is a way to collect automatically: the seller's bank debits it.
    if invoice.collection_method == "charge_automatically" and not customer.default_payment_method and not debited:
        add("payment_method_missing",
            f"Customer {customer.id} has no payment method for automatic collection.",
            "customer.default_payment_method", True)
    for line in invoice.lines:
        if not _within_period(line.supply_date or line.period_start, line.supply_date or line.period_end,
                              invoice.period_start, invoice.period_end):
            add("line_period_outside_invoice_period",
                f"Line {line.id} is supplied outside the invoice's period.", "lines.period", True)
    issues += payment_and_vat_issues(invoice, seller, customer)
    if invoice.tax_missing is None and invoice.lines:
        obstacle = einvoice_obstacle(invoice, seller, customer)
        if obstacle is not None and not any(i.blocking and i.field == obstacle.field for i in issues):
            # A customer who asked for UBL e-invoices would get none: that stops the invoice, while a
            # Factur-X or PDF customer receives a plain PDF.
            wants_xml = customer.einvoice_format in ("ubl", "cii") or customer.einvoice_profile == "xrechnung"
            add(obstacle.code, f"No e-invoice possible: {obstacle.message}"
                + (f" Customer {customer.id} receives {_wanted(customer)} e-invoices." if wants_xml else ""),
                obstacle.field, wants_xml)
    if customer.einvoice_profile == "xrechnung" and invoice.lines:
        # The customer receives XRechnung: a rule it would break stops the invoice (domain/xrechnung.py).
        for violation in xrechnung_violations(invoice, seller, customer):
            add(violation.code, violation.message, violation.field, True)
    total = invoice.totals.total if invoice.totals else 0
    # A corrective invoice (domain/corrective.py) may come to less than zero: it names what it corrects.
    corrective = invoice.type_code == CORRECTIVE_INVOICE and invoice.preceding_invoice is not None and total < 0
    if invoice.lines and total <= 0 and not corrective:
        add("total_not_positive", "The invoice's total is zero or less.", "total", True)
    if invoice.prepaid_amount > max(total, 0):
        add("prepaid_exceeds_total", f"The prepayments deducted ({invoice.prepaid_amount}) exceed the invoice's total "
            f"({total}): deduct less of them.", "prepayments", True)
    if total > 0 and len(previous_totals) >= 3:
        usual = median(previous_totals)
        if usual > 0 and (total > usual * UNUSUAL_FACTOR or total * UNUSUAL_FACTOR < usual):
            add("total_unusual",
                f"The total ({total}) is far from this customer's usual invoice ({int(usual)}).", "total", False)
    return issues


def _wanted(customer: Customer) -> str:
    return "XRechnung" if customer.einvoice_profile == "xrechnung" else customer.einvoice_format.upper()


def _charges_vat(invoice: Invoice) -> bool:
    """VAT is charged (a rate above 0 %) or reversed to the buyer (AE, K): either way the seller's
    VAT number must be on the invoice. Other taxes (a manual "GST" or "Sales tax") are not VAT."""
    groups = invoice.totals.tax_groups if invoice.totals else ()
    return any((g.name == "VAT" and g.tax_type == "vat" and g.percent > 0) or g.category in ("AE", "K") for g in groups)


def _within_period(start: date | None, end: date | None, period_start: date | None,
                   period_end: date | None) -> bool:
    """A line's date or period lies within the invoice's period (when both are given)."""
    if period_start is None or period_end is None:
        return True
    return all(period_start <= day <= period_end for day in (start, end) if day is not None)


# --- payment and VAT details (docs/tax.md "Domestic reverse charge", "VAT in the national currency") ---


def payment_and_vat_issues(invoice: Invoice, seller: Account, customer: Customer) -> list[ValidationIssue]:
    """A reverse charge asked for that the law does not give, a domestic reverse charge without the
    buyer's VAT number (Art. 226(4); BR-AE-02), and VAT not stated in the national currency (Art. 230)."""
    issues: list[ValidationIssue] = []
    codes = [line.tax_code for line in invoice.lines]
    taxes = [t for line in invoice.lines for t in line.applied_taxes]
    domestic = [t for t in taxes if t.legal_note == "domestic_reverse_charge"]
    if is_domestic_reverse_charge_wanted(seller, customer, codes) and not domestic and customer.customer_type \
            == "individual":
        issues.append(ValidationIssue(
            code="reverse_charge_private_buyer", field="customer.customer_type", blocking=False,
            message=f"Customer {customer.id} is a private person: a domestic reverse charge applies only to "
                    "business buyers, so VAT is charged."))
    elif "reverse_charge" in codes and not domestic and not any(t.category == "AE" for t in taxes):
        issues.append(ValidationIssue(
            code="reverse_charge_not_applicable", field="lines.tax_code", blocking=False,
            message="A line has tax code reverse_charge, but the sale is not within the seller's own member "
                    "state, so the place-of-supply rules decided its VAT."))
    if domestic and not any(t.type == "eu_vat" and t.country == customer.country for t in customer.tax_ids):
        issues.append(ValidationIssue(
            code="customer_tax_id_missing", field="customer.tax_ids", blocking=True,
            message=f"Customer {customer.id} accounts for the VAT (domestic reverse charge) but has no VAT number "
                    "of its country: the invoice must state it (Directive 2006/112/EC Art. 226(4))."))
    national = national_currency(seller.country, invoice.issue_date or invoice.created.date())
    tax = invoice.totals.tax if invoice.totals else 0
    if seller.country in EU_COUNTRIES and national and invoice.currency != national and tax \
            and invoice.tax_currency_rate is None:
        issues.append(ValidationIssue(
            code="tax_currency_rate_missing", field="tax_currency_rate", blocking=False,
            message=f"The invoice is in {invoice.currency}: its VAT must also be stated in {national} "
                    "(Directive 2006/112/EC Art. 230). Give tax_currency_rate."))
    return issues
