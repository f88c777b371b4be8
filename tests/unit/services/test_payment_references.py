"""Finalizing freezes the payment references: the RF reference always, the OCR number for a Swedish seller."""

from __future__ import annotations

from decimal import Decimal

from invoicing.domain.payment_reference import is_valid_ocr
from invoicing.services.commands import NewInvoice, NewLine
from tests.unit.domain.builders import ADDRESSES
from tests.unit.services.conftest import Services


def finalize_one(s: Services) -> dict[str, object]:
    lines = (NewLine(description="Item", quantity=Decimal(1), unit_amount_decimal=Decimal(10_000)),)
    draft = s.invoices.create_draft(s.seller.id, NewInvoice(customer_id=s.buyer.id, lines=lines)).invoice
    assert draft.ocr_reference is None
    invoice = s.invoices.finalize(s.seller.id, draft.id).invoice
    stored = s.invoices.get(s.seller.id, draft.id).invoice
    return {"number": invoice.number, "rf": invoice.payment_reference, "ocr": invoice.ocr_reference,
            "stored_ocr": stored.ocr_reference}


def test_a_swedish_sellers_invoice_gets_an_ocr_number_with_length_and_check_digit(services: Services) -> None:
    assert services.seller.country == "SE"
    refs = finalize_one(services)
    assert refs["number"] == "INV-000001" and refs["rf"] == "RF69INV000001"
    assert refs["ocr"] == refs["stored_ocr"] == "18233100000147"  # INV -> 182331, 000001, length 4, check 7
    assert is_valid_ocr(str(refs["ocr"]), length_digit=True)


def test_a_german_sellers_invoice_has_only_the_rf_reference(services: Services) -> None:
    uow = services.uow
    with uow:
        uow.accounts.save(services.seller.model_copy(update={"address": ADDRESSES["DE"]}))
        uow.commit()
    refs = finalize_one(services)
    assert refs["rf"] == "RF69INV000001" and refs["ocr"] is None
