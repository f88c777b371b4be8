"""A line's net price from its gross price and price discount (BT-146 = BT-148 − BT-147): exact,
never rounded, and refused when inconsistent, negative or a discount above the gross price."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing.domain.gross_price import net_unit_price
from invoicing.domain.invoice import InvoiceLine

D = Decimal


def test_the_net_price_is_the_gross_price_less_the_discount() -> None:
    assert net_unit_price(None, D(249000), D(49800)) == D(199200)
    assert net_unit_price(None, D("45000.5"), D(3750)) == D("41250.5")
    assert net_unit_price(None, D("0.0125"), D("0.000000000001")) == D("0.012499999999")


def test_a_gross_price_alone_is_the_net_price() -> None:
    assert net_unit_price(None, D(1990), None) == D(1990)


def test_a_unit_price_alone_is_kept() -> None:
    assert net_unit_price(D("0.0125"), None, None) == D("0.0125")


def test_a_unit_price_given_with_them_must_be_their_difference() -> None:
    assert net_unit_price(D(199200), D(249000), D(49800)) == D(199200)
    assert net_unit_price(D("199200.000"), D(249000), D(49800)) == D(199200)  # the same number
    with pytest.raises(ValueError, match="unit_amount 199201 is not gross_unit_amount 249000 less price_discount"):
        net_unit_price(D(199201), D(249000), D(49800))
    with pytest.raises(ValueError, match=r"\(249000\)"):
        net_unit_price(D(199200), D(249000), None)


def test_a_discount_above_the_gross_price_is_refused() -> None:
    with pytest.raises(ValueError, match="price_discount 250000 is more than gross_unit_amount 249000"):
        net_unit_price(None, D(249000), D(250000))
    assert net_unit_price(None, D(249000), D(249000)) == D(0)  # given away: allowed


def test_negative_amounts_and_a_discount_without_a_gross_price_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        net_unit_price(None, D(-1), None)
    with pytest.raises(ValueError, match="must not be negative"):
        net_unit_price(None, D(100), D(-1))
    with pytest.raises(ValueError, match="gross price too"):
        net_unit_price(D(100), None, D(10))
    with pytest.raises(ValueError, match="give unit_amount"):
        net_unit_price(None, None, None)


@given(gross=st.decimals(min_value=0, max_value=10**15, places=12),
       share=st.decimals(min_value=0, max_value=1, places=6))
def test_the_difference_is_exact_at_every_precision(gross: Decimal, share: Decimal) -> None:
    discount = (gross * share).quantize(D("1E-12"))
    net = net_unit_price(None, gross, discount)
    assert net + discount == gross and net >= 0
    assert net_unit_price(net, gross, discount) == net


def test_a_stored_line_keeps_the_rule() -> None:
    line = InvoiceLine(id="il_1", description="Chair", quantity=D(4), unit_amount_decimal=D(199200),
                       gross_unit_amount_decimal=D(249000), price_discount_decimal=D(49800))
    assert line.unit_amount_decimal == line.gross_unit_amount_decimal - (line.price_discount_decimal or 0)
    with pytest.raises(ValueError, match="is not gross_unit_amount"):
        InvoiceLine(id="il_1", description="Chair", quantity=D(4), unit_amount_decimal=D(199000),
                    gross_unit_amount_decimal=D(249000), price_discount_decimal=D(49800))
