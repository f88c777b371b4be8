"""The structured creditor reference (ISO 11649, "RF") a payer quotes so a payment finds its invoice.

Derived from the invoice number at finalization, so it is unique per invoice and stable; the
check digits (ISO 7064 mod 97-10) come from python-stdnum.
"""

from __future__ import annotations

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10


def creditor_reference(invoice_number: str) -> str:
    """`INV-000042` -> `RF71INV000042`: RF, two check digits, the number's letters and digits."""
    body = "".join(ch for ch in invoice_number.upper() if ch.isalnum())
    if not 1 <= len(body) <= 21:
        raise ValueError(f"'{invoice_number}' cannot make a creditor reference (1-21 letters or digits)")
    reference = f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"
    assert iso11649.is_valid(reference)
    return reference
