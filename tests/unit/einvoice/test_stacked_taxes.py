"""The e-invoice writers refuse what EN 16931 cannot state, with the domain's reason: a tax other than
VAT, or several taxes on a line (docs/einvoicing.md, "Stacked and non-VAT taxes"). One VAT rate a
line beside them keeps passing the CEN rules."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from invoicing.documents.einvoice.cii import credit_note_to_cii, invoice_to_cii
from invoicing.documents.einvoice.semantic import EInvoiceUnsupported
from invoicing.documents.einvoice.ubl import credit_note_to_ubl, invoice_to_ubl
from invoicing.documents.einvoice.validation import validate_cii, validate_ubl
from invoicing.domain.invoice import Invoice, InvoiceLine
from invoicing.domain.tax import TaxRate

from .cases import credit_note_for, finalized, invoice_line, us_customer, us_seller, vat

STATE = TaxRate(percent=Decimal("7.25"), name="California sales tax", tax_type="sales_tax", jurisdiction="US-CA")
DISTRICT = TaxRate(percent=Decimal("2.25"), name="District tax", tax_type="sales_tax", jurisdiction="US-CA-LA")
WRITERS: list[tuple[Callable[[Invoice], bytes], str]] = [(invoice_to_ubl, "ubl"), (invoice_to_cii, "cii")]


def line_with(*taxes: TaxRate, amount: int = 100000) -> InvoiceLine:
    return InvoiceLine(id="il_1", description="Freight software", quantity=Decimal(1),
                       unit_amount_decimal=Decimal(amount), tax_rates=taxes)


def sales_tax_invoice(*taxes: TaxRate) -> Invoice:
    return finalized([line_with(*taxes)], seller=us_seller(), customer=us_customer())


@pytest.mark.parametrize(("write", "name"), WRITERS)
def test_a_sales_tax_has_no_place_in_en_16931(write: Callable[[Invoice], bytes], name: str) -> None:
    for taxes in [(STATE,), (STATE, DISTRICT)]:
        with pytest.raises(EInvoiceUnsupported) as raised:
            write(sales_tax_invoice(*taxes))
        assert (raised.value.code, raised.value.param) == ("einvoice_non_vat_tax", "lines.tax_rates"), name


@pytest.mark.parametrize(("write", "name"), WRITERS)
def test_two_vat_rates_on_one_line_are_refused_too(write: Callable[[Invoice], bytes], name: str) -> None:
    two = (vat("20").model_copy(update={"jurisdiction": "A"}), vat("5").model_copy(update={"jurisdiction": "B"}))
    invoice = finalized([line_with(*two)])
    with pytest.raises(EInvoiceUnsupported) as raised:
        write(invoice)
    assert raised.value.code == "einvoice_stacked_taxes", name


def test_credit_notes_of_such_an_invoice_are_refused_with_the_same_reason() -> None:
    invoice = sales_tax_invoice(STATE, DISTRICT)
    note = credit_note_for(invoice, (invoice_line("il_1"),))
    assert [(g.name, g.tax_amount) for g in note.tax_groups] == [("California sales tax", 7250),
                                                                 ("District tax", 2250)]
    for write in (credit_note_to_ubl, credit_note_to_cii):
        with pytest.raises(EInvoiceUnsupported) as raised:
            write(note, invoice)
        assert raised.value.code == "einvoice_non_vat_tax"


def test_one_vat_rate_a_line_stays_valid() -> None:
    invoice = finalized([line_with(vat("25"))])
    for report in (validate_ubl(invoice_to_ubl(invoice)), validate_cii(invoice_to_cii(invoice))):
        assert report.ok, (report.xsd_errors, report.fatal)
