"""Rendering an invoice's PDF into the document bucket (the document function's use case)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from invoicing.services.invoices import pdf_key
from invoicing.services.ports import Documents, Invoices


@dataclass(frozen=True)
class DocumentService:
    invoices: Invoices
    documents: Documents

    def render_invoice(self, account_id: str, invoice_id: str) -> Literal["rendered", "exists", "draft"]:
        """Render the finalized invoice once. A finalized document never changes, so a redelivered
        request finds the PDF already there and does nothing (idempotent by the object key)."""
        invoice = self.invoices.get(account_id, invoice_id)
        if invoice.status == "draft":
            return "draft"
        key = pdf_key(invoice)
        if self.documents.exists(key):
            return "exists"
        from invoicing.documents.pdf import render_invoice_pdf  # only the document function loads WeasyPrint

        self.documents.put(key, render_invoice_pdf(invoice), "application/pdf")
        return "rendered"
