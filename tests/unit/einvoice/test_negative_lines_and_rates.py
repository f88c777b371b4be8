"""Negative lines, invoice-level discounts and charges at a VAT rate, and a corrective invoice, written
as UBL and CII and checked by the official CEN rules (EN 16931 schematron, 0 fatal).

The mixed-rate invoice: a return line at 6 %, a 5 % rebate on the 12 % lines only, and freight taxed
at 25 % only. Its VAT per rate is worked out by hand in the comments, rounded once per rate, half up.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from invoicing.documents.einvoice.cii import invoice_to_cii
from invoicing.documents.einvoice.ubl import credit_note_to_ubl, invoice_to_ubl
from invoicing.documents.einvoice.validation import validate
from invoicing.domain.corrective import PrecedingInvoice
from invoicing.domain.credit_note import CreditRequest, issue_credit_note
from invoicing.domain.errors import InvalidInput
from invoicing.domain.invoice import Invoice
from invoicing.domain.totals import Charge, Discount
from tests.unit.documents.samples import line

from .cases import CREDITED, credit_note_for, custom_line, finalized, invoice_line, vat

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


def mixed_rates_with_return_and_freight() -> Invoice:
    return finalized([
        line("Workshop facilitation", "1", "1500000", 1),  # 25 % (the seller's standard rate, decided)
        line("Conference lunch", "14", "14550", 2, tax_rate=vat("12")),
        line("Handbook for data-driven teams (book)", "14", "29990", 3, tax_rate=vat("6")),
        line("Handbook returned (damaged in transit)", "-3", "29990", 4, tax_rate=vat("6")),
    ],
        discounts=(Discount(description="Rebate on catering", percent_off=Decimal(5), reason_code="100",
                            tax_rate=vat("12")),),
        charges=(Charge(description="Freight", amount=44950, reason_code="FC", tax_rate=vat("25")),),
        supply_date=date(2026, 3, 12))


def test_vat_per_rate_by_hand() -> None:
    totals = mixed_rates_with_return_and_freight().totals
    assert totals is not None
    by_rate = {g.percent.normalize(): g for g in totals.tax_groups}
    # 25 %: the workshop 1 x 15 000.00 = 1 500 000 öre, plus the freight 449.50 = 44 950, all of it at 25 %:
    #   taxable 1 544 950; VAT 1 544 950 x 0.25 = 386 237.5 -> half up 386 238 (3 862.38 SEK).
    assert (by_rate[Decimal(25)].lines_net_amount, by_rate[Decimal(25)].charge_amount) == (1500000, 44950)
    assert (by_rate[Decimal(25)].taxable_amount, by_rate[Decimal(25)].tax_amount) == (1544950, 386238)
    # 12 %: lunch 14 x 145.50 = 203 700; the 5 % rebate is on these lines only: 10 185;
    #   taxable 193 515; VAT 193 515 x 0.12 = 23 221.8 -> 23 222.
    assert (by_rate[Decimal(12)].discount_amount, by_rate[Decimal(12)].charge_amount) == (10185, 0)
    assert (by_rate[Decimal(12)].taxable_amount, by_rate[Decimal(12)].tax_amount) == (193515, 23222)
    # 6 %: books 14 x 299.90 = 419 860, the return -3 x 299.90 = -89 970: taxable 329 890;
    #   VAT 329 890 x 0.06 = 19 793.4 -> 19 793, once for the rate (line by line it would be
    #   25 191.6 -> 25 192 and -5 398.2 -> -5 398, together 19 794: one öre too much).
    assert (by_rate[Decimal(6)].discount_amount, by_rate[Decimal(6)].charge_amount) == (0, 0)
    assert (by_rate[Decimal(6)].taxable_amount, by_rate[Decimal(6)].tax_amount) == (329890, 19793)
    # BT-106 1 500 000 + 203 700 + 419 860 - 89 970 = 2 033 590; BT-107 10 185; BT-108 44 950;
    # BT-109 2 068 355; BT-110 386 238 + 23 222 + 19 793 = 429 253; BT-112 2 497 608.
    assert (totals.subtotal, totals.discount_amount, totals.charge_amount) == (2033590, 10185, 44950)
    assert (totals.total_excluding_tax, totals.tax, totals.total) == (2068355, 429253, 2497608)
    assert totals.lines[3].net_amount == -89970


def _texts(root: etree._Element, path: str) -> list[str]:
    return [str(v if isinstance(v, str) else v.text) for v in root.xpath(path, namespaces=NS)]


def test_ubl_states_the_return_and_each_adjustment_at_its_rate() -> None:
    xml = invoice_to_ubl(mixed_rates_with_return_and_freight())
    report = validate(xml)
    assert report.xsd_errors == [] and report.fatal == [], str(report)
    root = etree.fromstring(xml)
    returned = root.xpath("cac:InvoiceLine[cbc:ID='4']", namespaces=NS)[0]
    # The quantity carries the sign, the price stays positive (BR-27).
    assert _texts(returned, "cbc:InvoicedQuantity") == ["-3"]
    assert _texts(returned, "cbc:LineExtensionAmount") == ["-899.70"]
    assert _texts(returned, "cac:Price/cbc:PriceAmount") == ["299.90"]
    adjustments = [tuple(_texts(a, path)[0] for path in (
        "cbc:ChargeIndicator", "cbc:AllowanceChargeReasonCode", "cbc:AllowanceChargeReason", "cbc:Amount",
        "cac:TaxCategory/cbc:Percent")) for a in root.xpath("cac:AllowanceCharge", namespaces=NS)]
    assert sorted(adjustments) == [("false", "100", "Rebate on catering", "101.85", "12"),
                                   ("true", "FC", "Freight", "449.50", "25")]
    assert _texts(root, "cac:TaxTotal/cbc:TaxAmount") == ["4292.53"]
    assert _texts(root, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount") == ["3862.38", "232.22", "197.93"]


def test_cii_states_the_same() -> None:
    xml = invoice_to_cii(mixed_rates_with_return_and_freight())
    report = validate(xml)
    assert report.xsd_errors == [] and report.fatal == [], str(report)
    root = etree.fromstring(xml)
    returned = root.xpath("//ram:IncludedSupplyChainTradeLineItem[ram:AssociatedDocumentLineDocument/ram:LineID='4']",
                          namespaces=NS)[0]
    assert _texts(returned, ".//ram:BilledQuantity") == ["-3"]
    assert _texts(returned, ".//ram:LineTotalAmount") == ["-899.70"]
    settlement = "//ram:ApplicableHeaderTradeSettlement"
    # The breakdown's order, 25 % first: the freight, then the rebate at 12 %.
    assert _texts(root, f"{settlement}/ram:SpecifiedTradeAllowanceCharge/ram:ReasonCode") == ["FC", "100"]
    assert _texts(root, f"{settlement}/ram:ApplicableTradeTax/ram:CalculatedAmount") == ["3862.38", "232.22", "197.93"]
    assert _texts(root, f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount") == [
        "24976.08"]


def test_proportional_spreading_is_the_default() -> None:
    """A discount or charge without a rate is spread over the rates in proportion to their nets (largest
    remainder): 1 000.00 freight over 25 % lines of 3 000.00 and 12 % lines of 1 000.00 -> 750.00 and 250.00."""
    invoice = finalized([line("Chairs", "1", "300000", 1), line("Lunch", "1", "100000", 2, tax_rate=vat("12"))],
                        charges=(Charge(description="Freight", amount=100000),))
    assert invoice.totals is not None
    assert [g.charge_amount for g in invoice.totals.tax_groups] == [75000, 25000]
    assert invoice.totals.charge_breakdown == ((75000, 25000),)
    report = validate(invoice_to_ubl(invoice))
    assert report.fatal == [], str(report)


def test_a_charge_at_a_rate_no_line_carries_has_a_breakdown_of_its_own() -> None:
    invoice = finalized([line("Book", "2", "25000", 1, tax_rate=vat("6"))],
                        charges=(Charge(description="Freight", amount=9900, reason_code="FC", tax_rate=vat("25")),))
    assert invoice.totals is not None
    # 6 %: 500.00 -> 30.00; 25 %: the freight alone, 99.00 -> 24.75.
    assert [(g.percent, g.lines_net_amount, g.taxable_amount, g.tax_amount) for g in invoice.totals.tax_groups] == [
        (Decimal(6), 50000, 50000, 3000), (Decimal(25), 0, 9900, 2475)]
    for xml in (invoice_to_ubl(invoice), invoice_to_cii(invoice)):
        report = validate(xml)
        assert report.xsd_errors == [] and report.fatal == [], str(report)


def test_a_negative_total_is_refused_on_a_commercial_invoice() -> None:
    with pytest.raises(InvalidInput) as refused:
        finalized([line("Deposit returned", "-1", "50000", 1), line("Service", "1", "10000", 2)])
    assert refused.value.code == "negative_total"


def test_a_corrective_invoice_may_come_to_less_than_zero_and_names_what_it_corrects() -> None:
    invoice = finalized([line("Price correction, March licences", "-4", "12500", 1)], type_code="384",
                        preceding_invoice=PrecedingInvoice(number="INV-000042", issue_date=date(2026, 3, 1)))
    assert invoice.totals is not None and invoice.totals.total == -62500  # -500.00 and its VAT -125.00
    assert invoice.amount_due == -62500 and invoice.applied_balance == 0
    ubl, cii = invoice_to_ubl(invoice), invoice_to_cii(invoice)
    for xml in (ubl, cii):
        report = validate(xml)
        assert report.xsd_errors == [] and report.fatal == [], str(report)
    root = etree.fromstring(ubl)
    assert _texts(root, "cbc:InvoiceTypeCode") == ["384"]
    assert _texts(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == ["INV-000042"]
    assert _texts(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate") == ["2026-03-01"]
    assert _texts(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == ["-625.00"]
    root = etree.fromstring(cii)
    assert _texts(root, "//rsm:ExchangedDocument/ram:TypeCode") == ["384"]
    assert _texts(root, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["INV-000042"]


def test_proportional_spreading_over_a_rate_below_zero_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        finalized([line("Service", "1", "100000", 1), line("Books returned", "-1", "20000", 2, tax_rate=vat("6"))],
                  discounts=(Discount(amount_off=1000),))
    assert refused.value.code == "proportional_spread_negative"


def test_a_discount_at_a_rate_cannot_exceed_that_rates_lines() -> None:
    with pytest.raises(InvalidInput) as refused:
        finalized([line("Service", "1", "100000", 1), line("Book", "1", "20000", 2, tax_rate=vat("6"))],
                  discounts=(Discount(amount_off=30000, tax_rate=vat("6")),))
    assert refused.value.code == "discount_exceeds_rate"


def test_a_negative_line_carries_no_discounts() -> None:
    with pytest.raises(InvalidInput) as refused:
        finalized([line("Service", "1", "100000", 1),
                   line("Returned", "-1", "20000", 2, discounts=(Discount(percent_off=Decimal(10)),))])
    assert refused.value.code == "negative_line_adjustment"


def test_a_charge_at_a_rate_no_line_carries_is_credited_by_a_custom_line() -> None:
    invoice = finalized([line("Book", "2", "25000", 1, tax_rate=vat("6"))],
                        charges=(Charge(description="Freight", amount=9900, tax_rate=vat("25")),))
    note = credit_note_for(invoice, (invoice_line("il_1"), custom_line("Freight", 9900, vat("25"))))
    assert note.amount == invoice.totals.total == 65375  # type: ignore[union-attr]
    assert [(g.percent, g.taxable_amount, g.tax_amount) for g in note.tax_groups] == [
        (Decimal(6), 50000, 3000), (Decimal(25), 9900, 2475)]
    report = validate(credit_note_to_ubl(note, invoice))
    assert report.xsd_errors == [] and report.fatal == [], str(report)
    # Crediting "everything" line by line would leave the freight out: refused, saying what to do.
    with pytest.raises(InvalidInput) as refused:
        issue_credit_note(invoice, CreditRequest(), credit_note_id="cn_2", number="CN-000002", now=CREDITED)
    assert refused.value.code == "credit_lines_required"


def test_an_invoice_with_a_return_is_credited_by_its_lines() -> None:
    invoice = mixed_rates_with_return_and_freight()
    with pytest.raises(InvalidInput) as refused:
        issue_credit_note(invoice, CreditRequest(), credit_note_id="cn_1", number="CN-000001", now=CREDITED)
    assert refused.value.code == "credit_lines_required"
    note = credit_note_for(invoice, (invoice_line("il_2", quantity="2"),))
    # 2 of the 14 lunches: 2 x 145.50 = 291.00, less their 5 % rebate share (14.55) = 276.45; VAT 12 % 33.17.
    assert [(g.percent, g.taxable_amount, g.tax_amount) for g in note.tax_groups] == [(Decimal(12), 27645, 3317)]
