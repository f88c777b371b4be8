"""Swedish giro numbers: Bankgiro and Plusgiro, the accounts most Swedish sellers are paid to.

Neither is an IBAN: a Bankgiro number is 7 or 8 digits (written `NNN-NNNN` or `NNNN-NNNN`), a
Plusgiro number 2 to 8 digits (written with the last digit after a hyphen, the others in pairs
from the right: `90 01 22-3`). Both end in a check digit by the 10-modulus (Luhn) over the whole
number (Bankgirot, "Bankgironummer: kontrollsiffra"; Plusgirot, "Kontrollsiffra för PlusGiro-
nummer"); python-stdnum has no module for either, so its `luhn` checks the digit.

The e-invoice writes them as Swedish Peppol practice does (Peppol BIS Billing 3.0, national rules
SE-R-007 to SE-R-010): payment means 30 (credit transfer), the bare digits as the account id
(BT-84), and `SE:BANKGIRO` or `SE:PLUSGIRO` as the financial institution (BT-86).
"""

from __future__ import annotations

import re
from typing import Literal

from stdnum import luhn

GiroType = Literal["bankgiro", "plusgiro"]
# BT-86 of a giro account: the "financial institution" Swedish receivers route the payment by.
INSTITUTION: dict[GiroType, str] = {"bankgiro": "SE:BANKGIRO", "plusgiro": "SE:PLUSGIRO"}
_DIGITS: dict[GiroType, tuple[int, int]] = {"bankgiro": (7, 8), "plusgiro": (2, 8)}
_SEPARATORS = re.compile(r"[\s-]")


def compact_giro(kind: GiroType, value: str) -> str:
    """The giro number as bare digits, or ValueError naming what is wrong (length, characters, check digit)."""
    digits = _SEPARATORS.sub("", value)
    low, high = _DIGITS[kind]
    name = "A Bankgiro" if kind == "bankgiro" else "A Plusgiro"
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"{name} number has digits only (with an optional hyphen), e.g. "
                         f"{'5402-9681' if kind == 'bankgiro' else '90 01 22-3'}")
    if not low <= len(digits) <= high:
        raise ValueError(f"{name} number has {low} to {high} digits, not {len(digits)}")
    if not luhn.is_valid(digits):
        raise ValueError(f"{name} number's last digit is its check digit (10-modulus), and it does not match")
    return digits


def format_giro(kind: GiroType, digits: str) -> str:
    """As Swedes write it: Bankgiro `991-2346` / `5402-9681`, Plusgiro `90 01 22-3`."""
    if kind == "bankgiro":
        return f"{digits[:-4]}-{digits[-4:]}"
    body, check = digits[:-1], digits[-1]
    pairs: list[str] = []
    while body:
        pairs.insert(0, body[-2:])
        body = body[:-2]
    return f"{' '.join(pairs)}-{check}"
