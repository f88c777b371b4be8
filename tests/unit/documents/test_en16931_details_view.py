"""Issue 12's details on the page, in the customer's language; an everyday invoice shows none of them."""

from __future__ import annotations

import pytest

from invoicing.documents.pdf.view import invoice_view
from tests.unit.einvoice.cases import case
from tests.unit.einvoice.test_en16931_details import detailed_customer, detailed_invoice


@pytest.mark.parametrize(("locale", "deliver_to", "attention", "contract"), [
    ("en", "Deliver to", "Attn. Maria Lindqvist", "Contract"),
    ("sv", "Leveransadress", "Att. Maria Lindqvist", "Avtal"),
    ("de", "Lieferanschrift", "z. Hd. Maria Lindqvist", "Vertrag"),
])
def test_details_read_in_the_customers_language(locale: str, deliver_to: str, attention: str, contract: str) -> None:
    view = invoice_view(detailed_invoice(customer=detailed_customer(locale=locale)))

    assert view["L"]["deliver_to"] == deliver_to
    assert view["delivery"]["lines"][0] == "Lindqvist lager"
    assert any(item["text"].startswith(attention) for item in view["buyer"]["details"])
    assert (contract, "AGR-2025-014") in view["facts"]
    assert {"kind": "legal-info", "text": "Godkänd för F-skatt"} in view["seller"]["details"]
    assert view["supporting_documents"][0] == "TS-2026-03 – Timesheet March – timesheet.pdf"


def test_an_everyday_invoice_shows_none_of_them() -> None:
    view = invoice_view(case("domestic-se-25").invoice)

    assert view["delivery"] is None and view["supporting_documents"] == []
    assert view["seller"]["details"] == [] and view["buyer"]["details"] == []
