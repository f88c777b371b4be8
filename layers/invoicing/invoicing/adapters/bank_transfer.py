"""The bank-transfer provider: nothing is charged; the customer is told where to send the money and
which reference to quote, and the payment arrives on a bank statement (services/statements.py),
where the reference matches it to the invoice."""

from __future__ import annotations

from invoicing.domain.errors import Conflict
from invoicing.domain.invoice import Invoice
from invoicing.services.ports import Charge, CheckoutLink, Refund


class BankTransferProvider:
    """The `PaymentProvider` port for payments by bank transfer (SEPA credit transfer, Bankgiro, ...)."""

    name = "bank_transfer"

    def charge(self, invoice: Invoice, *, payment_method: str, customer_reference: str | None,
               idempotency_key: str) -> Charge:
        raise Conflict("A bank transfer is sent by the customer; it cannot be charged.", param="payment_method",
                       code="provider_cannot_charge")

    def checkout_link(self, invoice: Invoice, *, success_url: str, cancel_url: str,
                      idempotency_key: str) -> CheckoutLink:
        """No page: the instructions (the seller's account, the amount, the reference to quote)."""
        seller = invoice.seller_snapshot
        if seller is None or not (seller.iban or seller.bankgiro or seller.plusgiro):
            raise Conflict("The seller has no IBAN, Bankgiro or Plusgiro number: bank transfers cannot be offered.",
                           param="iban", code="bank_details_missing")
        # The OCR number where the seller is Swedish (Bankgirot), else the RF reference, in print groups of four.
        rf = invoice.payment_reference
        reference = invoice.ocr_reference or (" ".join(rf[i:i + 4] for i in range(0, len(rf), 4)) if rf
                                              else invoice.number)
        return CheckoutLink(url=None, reference=None, instructions={
            "beneficiary": seller.name, "iban": seller.iban, "bic": seller.bic, "bankgiro": seller.bankgiro,
            "plusgiro": seller.plusgiro, "amount": invoice.amount_remaining,
            "currency": invoice.currency, "reference": reference, "invoice_number": invoice.number,
        })

    def refund(self, reference: str, *, amount: int | None, idempotency_key: str) -> Refund:
        raise Conflict("A bank transfer is refunded by a transfer back from the seller's bank.", param="payment",
                       code="provider_cannot_refund")
