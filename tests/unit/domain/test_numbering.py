"""Numbering: the series an invoice belongs to and how its numbers are formatted."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from invoicing.domain.numbering import Series, credit_note_series, default_customer_prefix, invoice_series
from invoicing.domain.party import Numbering

from .builders import customer, seller


@pytest.mark.parametrize(
    ("prefix", "padding", "sequence", "number"),
    [
        ("INV", 6, 1, "INV-000001"),
        ("INV", 6, 42, "INV-000042"),
        ("INV", 6, 999_999, "INV-999999"),
        ("INV", 6, 1_000_000, "INV-1000000"),  # the series outgrows its padding, it is not truncated
        ("ACME", 4, 7, "ACME-0007"),
        ("2025", 1, 12, "2025-12"),
    ],
)
def test_series_format_pads_the_sequence(prefix: str, padding: int, sequence: int, number: str) -> None:
    assert Series(key="k", prefix=prefix, padding=padding).format(sequence) == number


@pytest.mark.parametrize("sequence", [0, -1])
def test_sequences_start_at_one(sequence: int) -> None:
    with pytest.raises(ValueError, match="start at 1"):
        Series(key="k", prefix="INV", padding=6).format(sequence)


def test_account_scope_is_one_series_for_every_customer() -> None:
    account = seller("SE")
    first = invoice_series(account, customer("SE", id="cus_aaaa"))
    second = invoice_series(account, customer("SE", id="cus_bbbb"))
    assert first == second
    assert first.key == "INV"  # a series is its prefix
    assert first.format(1) == "INV-000001"


def test_account_scope_uses_the_accounts_prefix_and_padding() -> None:
    account = seller("SE", numbering=Numbering(prefix="NW", padding=8))
    series = invoice_series(account, customer("SE"))
    assert series.key == "NW"
    assert series.format(3) == "NW-00000003"


def test_customer_scope_is_one_series_per_customer() -> None:
    account = seller("SE", numbering=Numbering(scope="customer"))
    acme = invoice_series(account, customer("SE", id="cus_aaaa", invoice_prefix="ACME"))
    other = invoice_series(account, customer("SE", id="cus_bbbb", invoice_prefix="GLOBEX"))
    assert acme.key == "ACME"
    assert other.key == "GLOBEX"
    assert acme.format(1) == "ACME-0001"
    assert other.format(12) == "GLOBEX-0012"


def test_customer_scope_without_a_prefix_derives_one_from_the_customer() -> None:
    account = seller("SE", numbering=Numbering(scope="customer", customer_padding=3))
    series = invoice_series(account, customer("SE", id="cus_9f3k", name="Acme Buyer"))
    assert series.prefix == "ACM9F3K"
    assert series.format(5) == "ACM9F3K-005"


@pytest.mark.parametrize(
    ("name", "id_", "prefix"),
    [("Acme Buyer", "cus_9f3k", "ACM9F3K"), ("ab", "cus_0001", "AB0001"), ("Ölund & Co", "cus_wxyz", "LUNWXYZ"),
     ("123 Ltd", "cus_abcd", "LTDABCD"), ("42", "cus_abcd", "CUSABCD")],
)
def test_default_customer_prefix(name: str, id_: str, prefix: str) -> None:
    assert default_customer_prefix(customer("SE", id=id_, name=name)) == prefix


def test_credit_notes_have_their_own_series() -> None:
    account = seller("SE", numbering=Numbering(scope="customer", credit_note_prefix="CR", padding=5))
    series = credit_note_series(account)
    assert series.key == "CR"
    assert series.format(9) == "CR-00009"
    assert series.key != invoice_series(account, customer("SE")).key


@pytest.mark.parametrize("prefix", ["inv", "-INV", "", "TOO-LONG-PREFIX"])
def test_numbering_prefix_is_validated(prefix: str) -> None:
    with pytest.raises(ValidationError):
        Numbering(prefix=prefix)


def test_settings_with_the_same_prefix_share_one_series() -> None:
    """A number names its series (the prefix is what comes before the last hyphen), so the same
    prefix from two settings is one counter: their numbers can never collide."""
    account = seller("SE", numbering=Numbering(scope="customer", prefix="INV"))
    shared = invoice_series(account, customer("SE", id="cus_aaaa", invoice_prefix="INV"))
    assert shared.key == invoice_series(seller("SE"), customer("SE")).key == "INV"
