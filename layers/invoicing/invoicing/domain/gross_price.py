"""A line's gross price and price discount (EN 16931 BT-148, BT-147) and the net price they give
(BT-146 = BT-148 − BT-147): the list price a line is sold from and what is taken off each unit
before the line is priced, as opposed to a line discount (BG-27), which is taken off the line's
amount. Minor units with up to 12 decimals, exact Decimal arithmetic, never rounded: the net price is
the line's `unit_amount_decimal`, which keeps its precision until the line total (domain/totals.py).
"""

from __future__ import annotations

from decimal import Decimal, localcontext


def net_unit_price(unit: Decimal | None, gross: Decimal | None, discount: Decimal | None) -> Decimal:
    """The line's net unit price (BT-146): the unit price given, else the gross price (BT-148) less
    the price discount (BT-147, none: 0). Given together, the unit price must be exactly that
    difference. A discount needs the gross price it is taken from and may not exceed it; neither
    is negative (BR-27, BR-28). ValueError naming the fields otherwise."""
    if gross is None:
        if discount is not None:
            raise ValueError("a price_discount is taken off a gross_unit_amount: give the gross price too")
        if unit is None:
            raise ValueError("give unit_amount (integer minor units), unit_amount_decimal or gross_unit_amount")
        return unit
    taken = discount if discount is not None else Decimal(0)
    if gross < 0 or taken < 0:
        raise ValueError("gross_unit_amount and price_discount must not be negative (EN 16931 BR-28)")
    if taken > gross:
        raise ValueError(f"price_discount {_text(taken)} is more than gross_unit_amount {_text(gross)}: the net "
                         "price would be negative (EN 16931 BR-27)")
    with localcontext(prec=60):  # 10**15 with 12 decimals each: exact
        net = gross - taken
    if unit is not None and unit != net:
        raise ValueError(f"unit_amount {_text(unit)} is not gross_unit_amount {_text(gross)} less price_discount "
                         f"{_text(taken)} ({_text(net)}): give the unit price that follows from them, or leave it "
                         "out")
    return net


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")
