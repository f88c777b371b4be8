"""The final invoice that deducts a paid prepayment invoice (BT-113, BG-3; domain/prepayment.py): the
amount due is the total less what was paid before, in the domain, the PDF (per language), the UBL
(PrepaidAmount) and the CII (TotalPrepaidAmount), validated by the CEN rules."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from invoicing.domain.errors import Conflict, FinalizationBlocked, InvalidInput
from invoicing.domain.invoice import Invoice, InvoiceLine
from invoicing.domain.party import Customer
from invoicing.domain.payment_reference import creditor_reference
from invoicing.domain.prepayment import deduction

from .cases import NOW, swedish_customer
from .test_payment_and_vat_details import cii_texts, pdf_text, swedish_seller, ubl_texts, valid_xml

SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement/"


def line(amount: str, n: int = 1) -> InvoiceLine:
    return InvoiceLine(id=f"il_{n}", description="Köksrenovering", quantity=Decimal(1),
                       unit_amount_decimal=Decimal(amount))


def finalized(number: str, amount: str, customer: Customer | None = None, **changes: object) -> Invoice:
    customer = customer or swedish_customer()
    draft = Invoice(id=f"in_{number}", account_id="acct_norrsken", customer_id=customer.id,
                    currency=customer.currency, lines=(line(amount),), created=NOW, **changes)  # type: ignore[arg-type]
    return draft.finalize(seller=swedish_seller(), customer=customer, number=number, now=NOW, previous_totals=[],
                          payment_reference=creditor_reference(number))


def paid_prepayment(amount: str = "4000000") -> Invoice:
    """A prepayment invoice of 40 000 SEK + 25 % VAT, paid: 50 000 SEK."""
    return finalized("INV-000010", amount, prepayment=True).pay(NOW + timedelta(days=3))


def final_invoice(prepayment: Invoice, amount: int | None = None, **changes: object) -> Invoice:
    deducted = deduction(prepayment, customer_id=prepayment.customer_id, currency="SEK", amount=amount,
                         param="prepayments[0]")
    return finalized("INV-000011", "10000000", prepayments=(deducted,), **changes)


def test_the_final_invoice_deducts_the_paid_prepayment_bt_113_and_bt_115() -> None:
    prepayment = paid_prepayment()
    assert prepayment.amount_paid == 5000000
    invoice = final_invoice(prepayment)
    assert invoice.totals is not None
    # 100 000 + 25 % = 125 000 for the whole supply; 50 000 paid before; 75 000 due.
    assert (invoice.totals.total, invoice.prepaid_amount, invoice.paid_before) == (12500000, 5000000, 5000000)
    assert invoice.amount_due == 12500000 - 5000000 == 7500000
    universal, cross = valid_xml(invoice)
    assert ubl_texts(universal, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount") == ["125000.00"]
    assert ubl_texts(universal, "cac:LegalMonetaryTotal/cbc:PrepaidAmount") == ["50000.00"]
    assert ubl_texts(universal, "cac:LegalMonetaryTotal/cbc:PayableAmount") == ["75000.00"]
    assert cii_texts(cross, SETTLEMENT + "*/ram:TotalPrepaidAmount") == ["50000.00"]
    assert cii_texts(cross, SETTLEMENT + "*/ram:DuePayableAmount") == ["75000.00"]
    # BG-3 names the prepayment invoice deducted.
    assert ubl_texts(universal, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == ["INV-000010"]
    assert cii_texts(cross, SETTLEMENT + "ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["INV-000010"]


def test_part_of_a_prepayment_and_customer_credit_together_make_bt_113() -> None:
    customer = swedish_customer(credit_balance=100000)
    invoice = final_invoice(paid_prepayment(), amount=2000000, customer=customer)
    assert (invoice.prepaid_amount, invoice.applied_balance) == (2000000, 100000)
    assert invoice.amount_due == 12500000 - 2000000 - 100000
    universal, cross = valid_xml(invoice)
    assert ubl_texts(universal, "cac:LegalMonetaryTotal/cbc:PrepaidAmount") == ["21000.00"]
    assert cii_texts(cross, SETTLEMENT + "*/ram:TotalPrepaidAmount") == ["21000.00"]


def test_a_prepayment_that_covers_everything_leaves_the_final_invoice_paid() -> None:
    prepayment = paid_prepayment("10000000")
    invoice = final_invoice(prepayment)
    assert (invoice.amount_due, invoice.status) == (0, "paid")
    universal, _ = valid_xml(invoice)
    assert ubl_texts(universal, "cac:LegalMonetaryTotal/cbc:PayableAmount") == ["0.00"]


@pytest.mark.parametrize("locale, words", [
    ("en", "Total SEK125,000.00 Prepayment paid, invoice INV-000010 −SEK50,000.00 Amount due SEK75,000.00"),
    ("sv", "Betalt förskott, faktura INV-000010 −50 000,00 kr Att betala 75 000,00 kr"),
    ("de", "Geleistete Anzahlung, Rechnung INV-000010 −50.000,00 SEK Zahlbetrag 75.000,00 SEK"),
])
def test_the_pdf_shows_the_deduction_in_each_language(locale: str, words: str) -> None:
    prepayment = paid_prepayment()
    deducted = deduction(prepayment, customer_id=prepayment.customer_id, currency="SEK", amount=None,
                         param="prepayments[0]")
    invoice = finalized("INV-000011", "10000000", customer=swedish_customer(locale=locale), prepayments=(deducted,))
    assert words in pdf_text(invoice)


def test_only_a_paid_prepayment_invoice_of_the_customer_can_be_deducted() -> None:
    prepayment = paid_prepayment()
    with pytest.raises(InvalidInput, match="not a prepayment invoice"):
        deduction(finalized("INV-000012", "1000").pay(NOW), customer_id=prepayment.customer_id, currency="SEK",
                  amount=None, param="prepayments[0]")
    with pytest.raises(InvalidInput, match="only a paid prepayment") as unpaid:
        deduction(finalized("INV-000013", "1000", prepayment=True), customer_id=prepayment.customer_id,
                  currency="SEK", amount=None, param="prepayments[0]")
    assert unpaid.value.code == "prepayment_not_paid"
    with pytest.raises(InvalidInput, match="another customer"):
        deduction(prepayment, customer_id="cus_other", currency="SEK", amount=None, param="prepayments[0]")
    with pytest.raises(InvalidInput, match="has 5000000 left to deduct, not 5000001") as exceeded:
        deduction(prepayment, customer_id=prepayment.customer_id, currency="SEK", amount=5000001,
                  param="prepayments[0]")
    assert (exceeded.value.code, exceeded.value.param) == ("prepayment_exceeded", "prepayments[0].amount")


def test_each_prepayment_is_deducted_once() -> None:
    prepayment = paid_prepayment().deduct_prepayment(3000000, NOW)
    assert prepayment.prepayment_deducted == 3000000
    assert prepayment.events[-1].type == "invoice.updated"
    with pytest.raises(Conflict):
        prepayment.deduct_prepayment(2000001, NOW)  # only 20 000 is left
    with pytest.raises(InvalidInput, match="has 2000000 left"):
        deduction(prepayment, customer_id=prepayment.customer_id, currency="SEK", amount=3000000,
                  param="prepayments[0]")
    assert deduction(prepayment, customer_id=prepayment.customer_id, currency="SEK", amount=None,
                     param="prepayments[0]").amount == 2000000


def test_deducting_more_than_the_total_is_a_blocking_issue() -> None:
    prepayment = paid_prepayment()
    deducted = deduction(prepayment, customer_id=prepayment.customer_id, currency="SEK", amount=None,
                         param="prepayments[0]")
    with pytest.raises(FinalizationBlocked) as refused:
        finalized("INV-000011", "1000000", prepayments=(deducted,))  # 12 500 SEK, less than the 50 000 paid
    assert [i.code for i in refused.value.issues if i.blocking] == ["prepaid_exceeds_total"]


def test_a_deducted_prepayment_cannot_also_be_credited_back() -> None:
    """The money a final invoice took is not the prepayment invoice's to refund as well."""
    prepayment = paid_prepayment().deduct_prepayment(3000000, NOW)
    assert prepayment.creditable_amount == 2000000
    with pytest.raises(InvalidInput, match="exceeds"):
        prepayment.credit_split(2000001)
    assert prepayment.credit_split(2000000) == (0, 2000000)


def test_a_prepayment_paid_from_the_customers_credit_is_deductible() -> None:
    prepayment = finalized("INV-000010", "4000000", customer=swedish_customer(credit_balance=5000000),
                           prepayment=True)
    assert (prepayment.status, prepayment.amount_paid, prepayment.applied_balance) == ("paid", 0, 5000000)
    assert deduction(prepayment, customer_id=prepayment.customer_id, currency="SEK", amount=None,
                     param="prepayments[0]").amount == 5000000
