"""Charges (EN 16931 BT-108 / line charges) and the RF creditor reference."""

from __future__ import annotations

from decimal import Decimal

import pytest
from stdnum import iso11649

from invoicing.domain.payment_reference import creditor_reference
from invoicing.domain.tax import TaxRate
from invoicing.domain.totals import Charge, Discount, PricedLine, compute_totals

VAT25 = TaxRate(percent=Decimal(25))
VAT12 = TaxRate(percent=Decimal(12))


def line(amount: int, tax: TaxRate = VAT25, **kw: object) -> PricedLine:
    return PricedLine(quantity=Decimal(1), unit_amount=Decimal(amount), tax=tax, **kw)  # type: ignore[arg-type]


def test_invoice_charge_is_taxed_with_the_lines_and_spread_over_groups() -> None:
    totals = compute_totals([line(10000), line(10000, VAT12)], [], "exclusive", [Charge(description="Freight",
                                                                                         amount=1001)])
    assert totals.charge_amount == 1001
    assert sorted(g.charge_amount for g in totals.tax_groups) == [500, 501]
    assert totals.total_excluding_tax == 20000 + 1001
    group25 = next(g for g in totals.tax_groups if g.percent == 25)
    assert group25.taxable_amount == 10000 + group25.charge_amount
    assert group25.tax_amount == round((10000 + group25.charge_amount) * 25 / 100)
    assert totals.total == totals.total_excluding_tax + totals.tax


def test_line_charge_raises_the_line_net() -> None:
    totals = compute_totals([line(10000, charges=(Charge(percent=Decimal(10)),),
                                  discounts=(Discount(amount_off=500),))])
    first = totals.lines[0]
    assert (first.amount, first.discount_amount, first.charge_amount) == (10000, 500, 1000)
    assert first.net_amount == 10500
    assert totals.tax == 2625


def test_tax_inclusive_charge_splits_into_net_and_tax_once() -> None:
    totals = compute_totals([line(12500)], [], "inclusive", [Charge(amount=1250)])
    assert totals.total == 13750
    assert totals.tax == 2750 and totals.total_excluding_tax == 11000
    group = totals.tax_groups[0]
    assert group.lines_net_amount - group.discount_amount + group.charge_amount == group.taxable_amount


@pytest.mark.parametrize("fields", [{}, {"amount": 1, "percent": Decimal(1)}, {"amount": -1}])
def test_a_charge_is_one_amount_or_percentage(fields: dict) -> None:
    with pytest.raises(ValueError, match=r"charge|greater than"):
        Charge(**fields)


def test_creditor_reference_is_valid_iso_11649_and_derived_from_the_number() -> None:
    assert creditor_reference("INV-000042") == "RF29INV000042"
    for number in ("INV-000001", "ACME1234-0001", "CN-999999"):
        reference = creditor_reference(number)
        assert iso11649.is_valid(reference)
        assert reference.endswith(number.replace("-", ""))
    with pytest.raises(ValueError, match="creditor reference"):
        creditor_reference("X" * 30)
