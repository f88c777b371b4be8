"""The hosted invoice page (`GET /i/{token}`, no API key): what it shows, its PDF download, its pay
button, the customer's question, and rotating its link.

The token is the only credential: `{locator}.{secret}` (domain/sending.py), the secret 256 random
bits from `secrets.token_urlsafe`, held on the invoice and compared in constant time. Any token that
does not name an issued invoice with that secret is the same plain 404, whatever part is wrong.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from invoicing.domain.direct_debit import debited_under
from invoicing.domain.errors import InvalidInput, NotFound
from invoicing.domain.invoice import Invoice
from invoicing.domain.payment_card import charged_to
from invoicing.domain.sending import (
    QUESTION_MAX_CHARS,
    InvoiceCorrespondence,
    Question,
    form_token,
    form_token_valid,
    hosted_token,
    parse_hosted_token,
    secrets_match,
)
from invoicing.services.document_keys import invoice_key
from invoicing.services.ports import CheckoutLinks, Clock, Documents, Ids, UnitOfWork
from invoicing.services.sending import hosted_url, question_review

SECRET_BYTES = 32  # 256 bits (the brief: at least 128)
PDF_LINK_SECONDS = 300


def new_hosted_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


class PageNotFound(NotFound):
    code = "page_missing"


def _missing() -> PageNotFound:
    return PageNotFound("No such page.")


@dataclass(frozen=True)
class HostedPage:
    """What the page renders."""

    invoice: Invoice
    url: str
    pdf_ready: bool
    can_pay_online: bool
    form_token: str


@dataclass(frozen=True)
class HostedPageService:
    uow: UnitOfWork
    clock: Clock
    ids: Ids
    documents: Documents
    payments: CheckoutLinks
    base_url: str
    online_payments: bool  # a provider is configured: the page offers its pay button

    def _invoice(self, token: str) -> tuple[Invoice, str]:
        parsed = parse_hosted_token(token)
        if parsed is None:
            raise _missing()
        account_id, invoice_id, secret = parsed
        with self.uow:
            try:
                invoice = self.uow.invoices.get(account_id, invoice_id)
            except NotFound:
                raise _missing() from None
        if invoice.status == "draft" or not secrets_match(secret, invoice.hosted_secret):
            raise _missing()
        return invoice, secret

    def page(self, token: str) -> HostedPage:
        invoice, secret = self._invoice(token)
        url = hosted_url(self.base_url, invoice) or ""
        payable = (self.online_payments and invoice.status in ("open", "uncollectible")
                   and invoice.amount_remaining > 0 and not _debited(invoice) and not _charged(invoice))
        return HostedPage(invoice=invoice, url=url, pdf_ready=self.documents.exists(invoice_key(invoice, "pdf")),
                          can_pay_online=payable, form_token=form_token(secret, self._now_seconds()))

    def _now_seconds(self) -> int:
        return int(self.clock.now().timestamp())

    def pdf_url(self, token: str) -> str:
        """A short-lived link to the PDF that downloads it under the invoice's number."""
        invoice, _ = self._invoice(token)
        key = invoice_key(invoice, "pdf")
        if not self.documents.exists(key):
            raise _missing()
        return self.documents.presigned_url(key, expires_in=PDF_LINK_SECONDS,
                                            download_name=f"{invoice.number or invoice.id}.pdf")

    def _check_form(self, secret: str, token: str) -> None:
        if not form_token_valid(secret, token, self._now_seconds()):
            raise InvalidInput("This form has expired; reload the page and send it again.", param="form_token",
                               code="form_expired")

    def checkout(self, token: str) -> str:
        """The provider's checkout for what remains: created when the pay button is followed, never per
        view of the page."""
        invoice, _ = self._invoice(token)
        if invoice.status not in ("open", "uncollectible") or invoice.amount_remaining <= 0:
            raise InvalidInput("Nothing remains to pay on this invoice.", param="invoice", code="nothing_to_pay")
        if _debited(invoice):
            raise InvalidInput("This invoice is collected by SEPA direct debit under the customer's mandate: there is "
                               "nothing to pay here.", param="invoice", code="collected_by_direct_debit")
        if _charged(invoice):
            raise InvalidInput("This invoice is charged to the customer's card: there is nothing to pay here.",
                               param="invoice", code="collected_by_card")
        url = self.payments.checkout_link(invoice)
        if url is None:
            raise InvalidInput("Online payment is not available; pay by bank transfer.", param="invoice",
                               code="online_payment_unavailable")
        return url

    def ask(self, token: str, form: str, text: str, email: str | None) -> InvoiceCorrespondence:
        """A question about the invoice: kept on it, `invoice.question` (the send worker emails the
        seller), and a review item, in one commit."""
        invoice, secret = self._invoice(token)
        self._check_form(secret, form)
        text = text.strip()
        if not text:
            raise InvalidInput("Write your question first.", param="question", code="question_missing")
        if len(text) > QUESTION_MAX_CHARS:
            raise InvalidInput(f"A question holds at most {QUESTION_MAX_CHARS} characters.", param="question",
                               code="question_too_long")
        email = (email or "").strip() or None
        if email is not None and ("@" not in email or len(email) > 254 or any(c.isspace() for c in email)):
            raise InvalidInput("That does not look like an email address.", param="email", code="email_invalid")
        question = Question(id=self.ids.new("q"), text=text, email=email, asked_at=self.clock.now())
        with self.uow:
            correspondence = self.uow.correspondence.get(invoice.account_id, invoice.id)
            asked = correspondence.ask(invoice, question)
            self.uow.correspondence.save(asked)
            self.uow.review_items.add(question_review(invoice, question))
            self.uow.commit()
        return asked

    def rotate(self, account_id: str, invoice_id: str) -> str:
        """`POST /invoices/{id}/hosted_link/rotate`: a new link (its token); the old one is a 404 from now
        on (a PDF already rendered keeps printing the old one: send the invoice again for the new link)."""
        with self.uow:
            invoice = self.uow.invoices.get(account_id, invoice_id)
            rotated = invoice.rotate_hosted_secret(new_hosted_secret(), self.clock.now())
            self.uow.invoices.save(rotated)
            self.uow.commit()
        assert rotated.hosted_secret is not None
        return hosted_token(rotated.account_id, rotated.id, rotated.hosted_secret)


def _debited(invoice: Invoice) -> bool:
    """Collected by SEPA direct debit (domain/direct_debit.py): the seller debits it, nobody pays it here."""
    customer = invoice.customer_snapshot
    return customer is not None and debited_under(invoice, customer) is not None


def _charged(invoice: Invoice) -> bool:
    """Charged to the customer's card (domain/payment_card.py): nobody pays it here."""
    customer = invoice.customer_snapshot
    return customer is not None and charged_to(invoice, customer) is not None
