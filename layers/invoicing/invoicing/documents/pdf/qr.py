"""The EPC069-12 payment QR code ("GiroCode") a EUR invoice carries: segno, drawn as inline SVG."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from invoicing.domain.money import to_major
from invoicing.domain.payment_reference import remittance_text

if TYPE_CHECKING:
    from invoicing.domain.invoice import Invoice
    from invoicing.domain.party import Account

# EPC069-12: a SEPA credit transfer of 0.01 to 999 999 999.99 euros.
_EPC_MAX_AMOUNT = Decimal("999999999.99")


def payment_qr_uri(invoice: Invoice, seller: Account) -> str | None:
    """An EPC069-12 ("GiroCode") payment QR code as an SVG data: URI, for what is left to pay on a
    EUR invoice to the seller's IBAN, quoting what the e-invoice's BT-83 says (the seller's own
    remittance text, else the RF reference); None when a SEPA credit transfer cannot pay it (another
    currency, no IBAN, nothing or too much to pay, void)."""
    if invoice.currency != "EUR" or not seller.iban or invoice.status == "void":
        return None
    amount = to_major(invoice.amount_remaining, invoice.currency)
    if not Decimal("0.01") <= amount <= _EPC_MAX_AMOUNT:
        return None
    return _epc_qr_svg_uri(
        seller.name.strip()[:70],
        re.sub(r"\s+", "", seller.iban).upper(),
        amount,
        (seller.bic or "").strip().upper(),
        remittance_text(invoice, seller) or "",
    )


@lru_cache(maxsize=256)
def _epc_qr_svg_uri(name: str, iban: str, amount: Decimal, bic: str, remittance_text: str) -> str:
    # segno is imported here, like WeasyPrint: only the document function pays for it.
    from segno.helpers import make_epc_qr
    from stdnum import iso11649

    # A valid RF creditor reference goes in the structured field, which a bank passes on as
    # such; anything else can only travel as unstructured remittance text.
    reference = re.sub(r"\s+", "", remittance_text).upper()
    if iso11649.is_valid(reference):
        remittance = {"reference": reference}
    else:  # at most 140 characters (EPC069-12; the API's remittance_information has no more)
        remittance = {"text": remittance_text[:140]}
    # UTF-8 (character set 1): every EPC-compliant banking app reads it, and names keep their letters.
    qr = make_epc_qr(name=name, iban=iban, amount=amount, bic=bic or None, encoding="utf-8", **remittance)
    return str(qr.svg_data_uri(scale=1, border=4, omitsize=True, dark="#000", nl=False))




@lru_cache(maxsize=256)
def hosted_qr_uri(url: str) -> str:
    """A QR code of the invoice's hosted page (where it is paid) as an SVG data: URI."""
    import segno

    qr = segno.make_qr(url, error="m")
    return str(qr.svg_data_uri(scale=1, border=4, omitsize=True, dark="#000", nl=False))
