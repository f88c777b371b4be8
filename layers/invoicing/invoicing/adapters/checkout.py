"""Payment providers' checkout links for the hosted page (the `CheckoutLinks` port)."""

from __future__ import annotations

from invoicing.domain.invoice import Invoice


class BankTransferOnly:
    """No payment provider is configured: the page offers bank transfer (its reference and QR code)
    and no pay button. A provider's adapter (Stripe's Checkout, say) implements the same port."""

    def checkout_link(self, invoice: Invoice) -> str | None:
        return None
