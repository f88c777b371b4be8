"""Which invoices may come to less than zero: an invoice that corrects another.

Returns, deposits taken back and corrections are lines of their own with a negative quantity, each
at its own VAT rate (domain/totals.py). An invoice whose lines come to a negative total is no claim
on the buyer; it is a correction, and EN 16931 says what it corrects: a corrective invoice (UNTDID
1001 code 384) names the invoice it corrects in its preceding invoice reference (BG-3: BT-25 the
number, BT-26 the issue date). So a negative total is refused unless the invoice is one. (A credit
note, the other correction, is its own document: domain/credit_note.py.)
"""

from __future__ import annotations

from datetime import date
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from invoicing.domain.errors import InvalidInput

# BT-3, UNTDID 1001: 380 commercial invoice, 384 corrected invoice.
InvoiceTypeCode = Literal["380", "384"]
COMMERCIAL_INVOICE: Final[InvoiceTypeCode] = "380"
CORRECTIVE_INVOICE: Final[InvoiceTypeCode] = "384"


class PrecedingInvoice(BaseModel):
    """BG-3: the invoice this one corrects, as the seller issued it (here or in a system before)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: str  # BT-25
    issue_date: date | None = None  # BT-26


class NegativeTotal(InvalidInput):
    code = "negative_total"


def require_allowed_total(total: int, type_code: str, preceding: PrecedingInvoice | None) -> None:
    """A total below zero only on a corrective invoice (384) that names the invoice it corrects."""
    if total >= 0 or (type_code == CORRECTIVE_INVOICE and preceding is not None):
        return
    raise NegativeTotal(
        f"The invoice comes to {total}, less than zero: only a corrective invoice (type_code \"384\" with the "
        "preceding_invoice it corrects) may; otherwise issue a credit note for the invoice being corrected.",
        param="lines")
