"""Email headers as a mail client reads them back: a subject of any length, in any of the template
languages, unfolds to exactly what was composed (no doubled space where it was folded, no leading
space), and every line stays within RFC 5322's limit."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

import pytest

from invoicing.documents.email import invoice_email
from tests.unit.documents.samples import NOW, swedish_customer, swedish_invoice, swedish_seller

SELLERS = ["Test Seller AB ist am 03.11.2026 fällig", "Åkesson & Öberg Byggnads AB"]
WORDS = {"en": "Invoice {number} from {seller}", "sv": "Faktura {number} från {seller}",
         "de": "Rechnung {number} von {seller}"}


def read_back(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize("locale", sorted(WORDS))
@pytest.mark.parametrize("seller_name", SELLERS)
def test_a_subject_of_any_length_unfolds_to_what_was_composed(locale: str, seller_name: str) -> None:
    customer = swedish_customer(locale=locale)
    for width in range(0, 50):  # the subject grows one character at a time: every place a fold could fall
        name = f"{'Lång ' * (width // 5)}{'x' * (width % 5)} {seller_name}".strip()
        seller = swedish_seller(name=name)
        invoice = swedish_invoice().model_copy(update={"seller_snapshot": seller})
        raw = invoice_email(invoice, seller, customer, sender="invoices@billing.example", to="ap@kund.example",
                            hosted_url=None, attachments=[("a.pdf", "application/pdf", b"%PDF-1.7" * 200)],
                            message_key="in_1", sent_at=NOW)
        expected = WORDS[locale].format(number=invoice.number, seller=name)
        assert read_back(raw)["Subject"] == expected, raw.split(b"\nMIME")[0]
        assert max(len(line) for line in raw.splitlines()) <= 998


@pytest.mark.parametrize("name, said", [
    ("direct-debit-59", "€2,490.00 will be debited from your account •••• 3000 under SEPA direct debit mandate "
                        "MNDT-2026-0042 on or after Apr 14, 2026: you need not transfer anything."),
    ("card-54", "€2,490.00 will be charged to your card ending in 4242: you need not transfer anything."),
])
def test_a_debited_or_card_paid_invoice_s_email_says_so_instead_of_a_reference(name: str, said: str) -> None:
    from tests.unit.einvoice.cases import case

    invoice = case(name).invoice
    assert invoice.seller_snapshot is not None and invoice.customer_snapshot is not None
    raw = invoice_email(invoice, invoice.seller_snapshot, invoice.customer_snapshot, sender="invoices@billing.example",
                        to="ap@brandt.example", hosted_url=None, attachments=[], message_key="in_1", sent_at=NOW)
    message = read_back(raw)
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert said in " ".join(text.split()) and said in " ".join(html.split())
    assert "bank transfer" not in text and "RF69" not in text
