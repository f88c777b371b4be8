"""The payment references a payer quotes so a payment finds its invoice.

Every invoice has a structured creditor reference (ISO 11649, "RF"); an invoice of a Swedish seller
also has an OCR number (Bankgirot's "OCR-referens"), the reference Swedish payers and banks use.
Both are derived from the invoice number at finalization, so they are stable and each identifies
one invoice; the check digits come from python-stdnum (ISO 7064 mod 97-10, Luhn).

Bankgirot's rules for an OCR number (Bankgirot, "OCR-referenskontroll" and the technical manual of
Bankgiro Inbetalningar, section "Avtal om OCR-kontroll"):
- digits only, 2 to 25 of them;
- the last digit is a check digit by the 10-modulus (Luhn) over all the digits before it;
- optionally (the seller's agreement with its bank says so: "variabel längd med längdkontroll"), the
  digit before the check digit is a length digit: the number of digits of the whole reference,
  check and length digits included, modulo 10 (a 12-digit reference has length digit 2);
- under the "hard" control levels an internet bank refuses a payment whose reference fails these
  checks; under the "soft" level it warns the payer. A reference made here passes both.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from stdnum import iso11649, luhn
from stdnum.iso7064 import mod_97_10

if TYPE_CHECKING:
    from invoicing.domain.invoice import Invoice
    from invoicing.domain.party import Account

OCR_MIN_DIGITS = 2
OCR_MAX_DIGITS = 25
# The countries whose invoices carry an OCR number besides the RF reference.
OCR_COUNTRIES = frozenset({"SE"})


def creditor_reference(invoice_number: str) -> str:
    """`INV-000042` -> `RF71INV000042`: RF, two check digits, the number's letters and digits."""
    body = "".join(ch for ch in invoice_number.upper() if ch.isalnum())
    if not 1 <= len(body) <= 21:
        raise ValueError(f"'{invoice_number}' cannot make a creditor reference (1-21 letters or digits)")
    reference = f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"
    assert iso11649.is_valid(reference)
    return reference


def ocr_body(invoice_number: str) -> str:
    """The invoice number in digits: its digits as they are, each letter as its ISO 7064 value
    (A=10 ... Z=35, the way the RF check reads letters), other characters dropped.
    `2026-000042` -> `2026000042`, `INV-000042` -> `182331000042`."""
    return "".join(str(int(ch, 36)) for ch in invoice_number.upper() if ch.isascii() and ch.isalnum())


def ocr_reference(invoice_number: str, *, length_digit: bool = True) -> str | None:
    """The Swedish OCR number of an invoice: its number in digits (`ocr_body`), then the length
    digit (unless `length_digit=False`), then the Luhn check digit. `2026-000042` ->
    `202600004222`. None when the number makes more digits than Bankgirot allows (25): such an
    invoice is paid with its RF reference, which every Swedish bank also takes."""
    body = ocr_body(invoice_number)
    if not body:
        return None
    if length_digit:
        body += str((len(body) + 2) % 10)
    if not OCR_MIN_DIGITS <= len(body) + 1 <= OCR_MAX_DIGITS:
        return None
    reference = body + luhn.calc_check_digit(body)
    assert is_valid_ocr(reference, length_digit=length_digit)
    return reference


def lookup_digits(reference: str) -> list[str]:
    """The digits of the invoice number (`ocr_body`) that a reference a payer quoted can be of: an RF
    reference's body, or an OCR number without its check digit and with or without a length digit
    before it. An invoice is found by `ocr_body(number)` (the reference index): one lookup key for
    both kinds of reference. A key may be shared by two numbers (`ocr_body` reads a letter as two
    digits), so what is found is compared with the reference itself."""
    compact = re.sub(r"[\s\-]", "", reference).upper()
    if compact.startswith("RF") and is_valid_creditor_reference(compact):
        return [ocr_body(compact[4:])] if compact[4:] else []
    if is_valid_ocr(compact):
        return [d for d in dict.fromkeys((compact[:-2], compact[:-1])) if d]
    return []


def is_valid_ocr(reference: str, *, length_digit: bool = False) -> bool:
    """Whether `reference` is an OCR number by Bankgirot's rules: 2-25 digits with a valid Luhn
    check digit and, when `length_digit`, a correct length digit before it. Spaces are ignored."""
    compact = re.sub(r"\s+", "", reference)
    if not compact.isascii() or not compact.isdigit() or not OCR_MIN_DIGITS <= len(compact) <= OCR_MAX_DIGITS:
        return False
    if not luhn.is_valid(compact):
        return False
    if length_digit:
        return len(compact) >= 3 and compact[-2] == str(len(compact) % 10)
    return True


def is_valid_creditor_reference(reference: str) -> bool:
    """Whether `reference` is an ISO 11649 RF creditor reference (spaces ignored)."""
    return bool(iso11649.is_valid(reference))


def ocr_applies(seller_country: str | None) -> bool:
    """Whether an invoice of a seller in `seller_country` gets an OCR number."""
    return seller_country in OCR_COUNTRIES


def remittance_text(invoice: Invoice, seller: Account) -> str | None:
    """What the payer quotes with the payment (EN 16931 BT-83), on the e-invoice and in the payment QR
    code alike: the invoice's own remittance information as the seller gave it; else the OCR number
    where the account chose it (and the invoice has one); else the RF creditor reference; else the
    invoice number."""
    if invoice.remittance_information and invoice.remittance_information.strip():
        return invoice.remittance_information.strip()
    if seller.remittance_reference == "ocr" and invoice.ocr_reference:
        return invoice.ocr_reference
    return (invoice.payment_reference or "").strip() or invoice.number
