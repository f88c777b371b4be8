"""Pre-send checks on a draft: what would make the invoice wrong, unpayable or unsendable.

Blocking issues stop finalization (HTTP 409, naming the issue); the others are warnings a
person should look at before sending.
"""

from __future__ import annotations

from statistics import median
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from invoicing.domain.tax import wants_reverse_charge_without_vat_id

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
    if invoice.tax_missing == "seller_address":
        add("seller_address_missing", "The account has no address: VAT depends on the seller's country.",
            "account.address", True)
    if wants_reverse_charge_without_vat_id(seller, customer):
        add("customer_tax_id_missing",
            f"Customer {customer.id} is set to reverse charge but has no valid VAT ID of its own country.",
            "customer.tax_ids", True)
    if invoice.currency != customer.currency:
        add("currency_differs_from_customer",
            f"The invoice is in {invoice.currency} but the customer pays in {customer.currency}.", "currency", False)
    if invoice.collection_method == "charge_automatically" and not customer.default_payment_method:
        add("payment_method_missing",
            f"Customer {customer.id} has no payment method for automatic collection.",
            "customer.default_payment_method", True)
    total = invoice.totals.total if invoice.totals else 0
    if invoice.lines and total <= 0:
        add("total_not_positive", "The invoice's total is zero or less.", "total", True)
    if total > 0 and len(previous_totals) >= 3:
        usual = median(previous_totals)
        if usual > 0 and (total > usual * UNUSUAL_FACTOR or total * UNUSUAL_FACTOR < usual):
            add("total_unusual",
                f"The total ({total}) is far from this customer's usual invoice ({int(usual)}).", "total", False)
    return issues
