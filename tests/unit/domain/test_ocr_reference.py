"""The Swedish OCR number (Bankgirot): Luhn check digit, optional length digit, 2-25 digits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from invoicing.domain.payment_reference import (
    creditor_reference,
    is_valid_ocr,
    lookup_digits,
    ocr_applies,
    ocr_body,
    ocr_reference,
)


def test_a_numeric_invoice_number_keeps_its_digits_then_length_and_check_digit() -> None:
    # 2026000042 + length digit (12 digits in all -> 2) + Luhn check digit of 20260000422.
    assert ocr_reference("2026-000042") == "202600004222"
    assert ocr_reference("2026-000042", length_digit=False) == "20260000425"


def test_letters_become_their_iso_7064_values() -> None:
    assert ocr_body("INV-000042") == "182331000042"  # I=18, N=23, V=31
    reference = ocr_reference("INV-000042")
    assert reference is not None and reference.startswith("182331000042")
    assert len(reference) == 14 and reference[-2] == "4" and luhn.is_valid(reference)


def test_worked_examples_by_hand() -> None:
    # 123456: from the right 6*2=12->1+2, 5, 4*2, 3, 2*2, 1 sum to 24, so the check digit is 6.
    # With a length digit: 1234568 (8 digits in all) sums to 28, check digit 2.
    assert is_valid_ocr("1234566")
    assert is_valid_ocr("12345682", length_digit=True)
    assert not is_valid_ocr("1234567")
    assert not is_valid_ocr("12345672", length_digit=True)  # wrong length digit


@pytest.mark.parametrize("reference", ["", "5", "0" * 26, "12a4", "１２３４５６６"])
def test_references_outside_the_rules_are_invalid(reference: str) -> None:
    assert not is_valid_ocr(reference)


def test_a_number_too_long_for_25_digits_has_no_ocr() -> None:
    assert ocr_reference("ABCDEFGHIJKL-000001") is None  # 24 + 6 digits
    assert ocr_reference("") is None


def test_only_swedish_sellers_get_one() -> None:
    assert ocr_applies("SE")
    assert not ocr_applies("DE") and not ocr_applies(None)


@given(st.from_regex(r"[A-Z0-9][A-Z0-9-]{0,11}-[0-9]{1,9}", fullmatch=True), st.booleans())
def test_every_reference_made_passes_bankgirots_checks(number: str, with_length: bool) -> None:
    reference = ocr_reference(number, length_digit=with_length)
    if reference is None:
        assert len(ocr_body(number)) + (2 if with_length else 1) > 25
        return
    assert reference.startswith(ocr_body(number))
    assert 2 <= len(reference) <= 25 and reference.isdigit()
    assert is_valid_ocr(reference, length_digit=with_length)
    # One mistyped digit is always caught by the Luhn check digit.
    for i in range(len(reference)):
        typo = reference[:i] + str((int(reference[i]) + 1) % 10) + reference[i + 1:]
        assert not is_valid_ocr(typo)


@pytest.mark.parametrize("number", ["2026-000042", "INV-000042", "SE-CUS1-0007", "7"])
def test_a_payers_rf_or_ocr_reference_gives_the_digits_its_invoice_is_found_by(number: str) -> None:
    # The reference index keys an invoice by ocr_body(number); every reference made for it leads there.
    key = ocr_body(number)
    assert key in lookup_digits(creditor_reference(number))
    assert key in lookup_digits(" ".join(creditor_reference(number)[i:i + 4] for i in range(0, 25, 4)).strip())
    for length_digit in (True, False):
        ocr = ocr_reference(number, length_digit=length_digit)
        assert ocr is not None and key in lookup_digits(ocr)
    assert lookup_digits("RF00INV000042") == [] and lookup_digits("12345") == []  # bad check digits
