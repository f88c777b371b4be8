"""Money: ISO 4217 exponents from CLDR, half-up rounding to the minor unit, exact allocation."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing.domain.errors import InvalidInput, UnknownCurrency
from invoicing.domain.money import allocate, exponent, from_major, normalize_currency, round_minor, to_major


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("JPY", 0), ("KRW", 0), ("EUR", 2), ("SEK", 2), ("USD", 2), ("KWD", 3), ("BHD", 3)],
)
def test_exponent_is_the_iso_4217_minor_unit(currency: str, digits: int) -> None:
    assert exponent(currency) == digits


def test_exponent_accepts_lower_case_codes() -> None:
    assert exponent("kwd") == 3


@pytest.mark.parametrize("code", ["ABC", "EURO", "", "EU", "€", "12"])
def test_unknown_currency_is_rejected(code: str) -> None:
    with pytest.raises(UnknownCurrency) as raised:
        normalize_currency(code)
    assert raised.value.param == "currency"
    assert raised.value.code == "unknown_currency"
    assert isinstance(raised.value, InvalidInput)  # so the API answers 400, not 500


def test_exponent_of_an_unknown_currency_raises() -> None:
    with pytest.raises(UnknownCurrency):
        exponent("ABC")


def test_normalize_currency_upper_cases_and_strips() -> None:
    assert normalize_currency(" sek ") == "SEK"


# ROUND_HALF_UP rounds a tie away from zero: +0.5 -> 1 and -0.5 -> -1 (not towards +infinity).
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.5", 1),
        ("1.5", 2),
        ("2.5", 3),
        ("2.4999999999", 2),
        ("2.5000000001", 3),
        ("0.4", 0),
        ("7", 7),
        ("-0.5", -1),
        ("-2.5", -3),
        ("-0.4", 0),
        ("-1.6", -2),
    ],
)
def test_round_minor_is_half_up_away_from_zero(value: str, expected: int) -> None:
    result = round_minor(Decimal(value))
    assert result == expected
    assert type(result) is int


def test_round_minor_is_not_bankers_rounding() -> None:
    # Python's round() and Decimal's default are half-even: 0.5 -> 0, 2.5 -> 2. Ours is not.
    assert [round_minor(Decimal(v)) for v in ("0.5", "2.5", "4.5")] == [1, 3, 5]


@pytest.mark.parametrize(
    ("major", "currency", "minor"),
    [("19.99", "EUR", 1999), ("1999", "JPY", 1999), ("1.234", "KWD", 1234), ("0.005", "EUR", 1), ("0.004", "EUR", 0),
     ("0.5", "JPY", 1), ("1.2345", "KWD", 1235)],
)
def test_from_major_rounds_half_up_at_the_currencys_place(major: str, currency: str, minor: int) -> None:
    assert from_major(Decimal(major), currency) == minor


@pytest.mark.parametrize(
    ("minor", "currency", "major"),
    [(1999, "EUR", "19.99"), (1999, "JPY", "1999"), (1234, "KWD", "1.234"), (5, "EUR", "0.05"), (-150, "SEK", "-1.50")],
)
def test_to_major_is_exact(minor: int, currency: str, major: str) -> None:
    assert to_major(minor, currency) == Decimal(major)


@given(st.integers(-(10**15), 10**15), st.sampled_from(["EUR", "JPY", "KWD", "SEK"]))
def test_to_major_and_back_is_the_identity(amount: int, currency: str) -> None:
    assert from_major(to_major(amount, currency), currency) == amount


# --- allocate ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),  # the extra cent goes to the first of equal remainders
        (10, [1, 2, 2], [2, 4, 4]),
        (5, [1, 1], [3, 2]),
        (7, [0, 1, 1], [0, 4, 3]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (1, [1, 2], [0, 1]),  # the larger remainder (2/3) wins
        (0, [3, 5], [0, 0]),
        (1000, [250, 750], [250, 750]),
    ],
)
def test_allocate_hand_computed(total: int, weights: list[int], parts: list[int]) -> None:
    assert allocate(total, weights) == parts


def test_allocate_with_no_weights_is_empty() -> None:
    assert allocate(100, []) == []


def test_allocate_with_all_zero_weights_puts_everything_on_the_first_part() -> None:
    assert allocate(100, [0, 0, 0]) == [100, 0, 0]


weights_lists = st.lists(st.integers(0, 10**9), min_size=1, max_size=12)


@given(st.integers(-(10**12), 10**12), weights_lists)
def test_allocate_parts_add_up_exactly(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == total
    assert all(type(p) is int for p in parts)


@given(st.integers(-(10**12), 10**12), weights_lists)
def test_allocate_each_part_is_within_one_of_its_exact_share(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    base = sum(weights)
    if base == 0:
        return
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, base)
        assert abs(part - exact) < 1


@given(st.integers(0, 10**12), weights_lists)
def test_allocate_gives_zero_weights_nothing(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    if sum(weights) == 0:
        assert parts[0] == total and all(p == 0 for p in parts[1:])
    else:
        assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)
        assert all(p >= 0 for p in parts)


@given(st.integers(0, 10**12), weights_lists)
def test_allocate_is_symmetric_in_sign(total: int, weights: list[int]) -> None:
    assert allocate(-total, weights) == [-p for p in allocate(total, weights)]
