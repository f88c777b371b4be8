"""Where each document lives in the bucket: one deterministic key per document and format, so a
redelivered render request finds its work done and never writes a second copy."""

from __future__ import annotations

from typing import Literal

from invoicing.domain.credit_note import CreditNote
from invoicing.domain.invoice import Invoice

EInvoiceFormat = Literal["ubl", "cii"]


def invoice_key(invoice: Invoice, kind: Literal["pdf", "ubl", "cii"]) -> str:
    base = f"{invoice.account_id}/invoices/{invoice.id}/{invoice.number}"
    return f"{base}.pdf" if kind == "pdf" else f"{base}-{kind}.xml"


def credit_note_key(note: CreditNote, kind: Literal["pdf", "ubl", "cii"]) -> str:
    base = f"{note.account_id}/credit_notes/{note.id}/{note.number}"
    return f"{base}.pdf" if kind == "pdf" else f"{base}-{kind}.xml"
