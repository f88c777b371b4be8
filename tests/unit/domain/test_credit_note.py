"""Credit notes: how they change the invoice they correct, and how their tax is split."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing.domain.credit_note import split_credit
from invoicing.domain.errors import InvalidInput, InvalidStateTransition
from invoicing.domain.invoice import Invoice

from .builders import NOW, customer, draft, line, seller, vat

LATER = datetime(2025, 4, 1, 8, 0, tzinfo=UTC)


def open_invoice(*lines: object) -> Invoice:
    # Default: 100.00 + 25 % = 125.00 and 50.00 + 12 % = 56.00 -> 181.00.
    lines = lines or (line(10000, id="li_1"), line(5000, id="li_2", tax_rate=vat(12)))  # type: ignore[assignment]
    return draft(*lines).finalize(  # type: ignore[arg-type]
        seller=seller("SE"), customer=customer("SE"), number="INV-000007", now=NOW, previous_totals=[]
    )


def test_open_invoice_is_as_expected() -> None:
    invoice = open_invoice()
    assert invoice.totals is not None
    assert invoice.totals.total == 18100
    assert invoice.amount_due == 18100


# --- Invoice.credited -------------------------------------------------------------------------------


def test_credit_on_an_open_invoice_lowers_what_is_due() -> None:
    invoice = open_invoice()
    credited, kind = invoice.credited(3100, LATER)
    assert kind == "pre_payment"
    assert credited.status == "open"
    assert credited.amount_due == 15000
    assert credited.amount_remaining == 15000
    assert credited.pre_payment_credit_notes_amount == 3100
    assert credited.post_payment_credit_notes_amount == 0
    assert credited.version == invoice.version + 1
    assert credited.totals == invoice.totals  # the invoice itself is not changed, only what is owed


def test_credits_accumulate() -> None:
    credited, _ = open_invoice().credited(1000, LATER)
    credited, _ = credited.credited(2000, LATER)
    assert credited.pre_payment_credit_notes_amount == 3000
    assert credited.amount_due == 15100


def test_crediting_everything_that_remains_settles_the_invoice() -> None:
    credited, _ = open_invoice().credited(1000, LATER)
    settled, kind = credited.credited(17100, LATER)
    assert kind == "pre_payment"
    assert settled.status == "paid"
    assert settled.amount_due == 0
    assert settled.amount_remaining == 0
    assert settled.amount_paid == 0  # nothing was paid: it was all credited
    assert settled.status_transitions.paid_at == LATER


def test_credit_exceeding_what_remains_raises() -> None:
    invoice, _ = open_invoice().credited(100, LATER)
    with pytest.raises(InvalidInput) as raised:
        invoice.credited(18001, LATER)
    assert raised.value.param == "amount"


@pytest.mark.parametrize("amount", [0, -1, -18100])
def test_credit_amount_must_be_positive(amount: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        open_invoice().credited(amount, LATER)
    assert raised.value.param == "amount"


def test_credit_on_an_uncollectible_invoice_is_pre_payment() -> None:
    credited, kind = open_invoice().mark_uncollectible(LATER).credited(18100, LATER)
    assert kind == "pre_payment"
    assert credited.status == "paid"


def test_credit_on_a_paid_invoice_is_post_payment_and_limited_to_what_was_paid() -> None:
    paid = open_invoice().pay(LATER)
    credited, kind = paid.credited(10000, LATER)
    assert kind == "post_payment"
    assert credited.post_payment_credit_notes_amount == 10000
    assert credited.status == "paid"
    assert credited.post_payment_credit_notes_amount == 10000
    assert credited.pre_payment_credit_notes_amount == 0
    assert credited.amount_due == 18100  # what was due and paid does not change
    assert credited.amount_paid == 18100
    assert credited.version == paid.version + 1
    with pytest.raises(InvalidInput) as raised:
        credited.credited(8101, LATER)
    assert raised.value.param == "amount"
    fully, _ = credited.credited(8100, LATER)
    assert fully.post_payment_credit_notes_amount == 18100
    with pytest.raises(InvalidInput):
        fully.credited(1, LATER)


def test_post_payment_credit_is_limited_to_the_amount_paid_after_earlier_credits() -> None:
    partly_credited, _ = open_invoice().credited(8100, LATER)
    paid = partly_credited.pay(LATER)
    assert paid.amount_paid == 10000
    with pytest.raises(InvalidInput):
        paid.credited(10001, LATER)
    credited, kind = paid.credited(10000, LATER)
    assert kind == "post_payment"
    assert credited.post_payment_credit_notes_amount == 10000


def test_an_invoice_settled_by_credit_has_nothing_left_to_credit() -> None:
    settled, _ = open_invoice().credited(18100, LATER)
    with pytest.raises(InvalidInput):
        settled.credited(1, LATER)


def test_no_credit_on_a_void_invoice() -> None:
    with pytest.raises(InvalidStateTransition):
        open_invoice().void(LATER).credited(100, LATER)


def test_no_credit_on_a_draft() -> None:
    with pytest.raises(InvalidStateTransition):
        draft(line(10000)).credited(100, LATER)


# --- split_credit ------------------------------------------------------------------------------------


def test_full_credit_reverses_each_group_exactly() -> None:
    groups = split_credit(open_invoice(), 18100)
    assert [(g.category, g.percent, g.taxable_amount, g.tax_amount) for g in groups] == [
        ("S", Decimal(25), 10000, 2500), ("S", Decimal(12), 5000, 600)]


def test_half_credit_halves_each_group() -> None:
    # 90.50 over 125.00 / 56.00: 62.50 (12.50 tax) and 28.00 (3.00 tax).
    groups = split_credit(open_invoice(), 9050)
    assert [(g.taxable_amount, g.tax_amount) for g in groups] == [(5000, 1250), (2500, 300)]


def test_small_credit_is_split_by_largest_remainder() -> None:
    # 0.10 over 125 / 56: 6.906 / 3.094 -> 7 / 3; tax 7 x 2500/12500 = 1.4 -> 1, 3 x 600/5600 = 0.32 -> 0.
    groups = split_credit(open_invoice(), 10)
    assert [(g.taxable_amount, g.tax_amount) for g in groups] == [(6, 1), (3, 0)]


def test_credit_on_zero_rated_group_has_no_tax() -> None:
    invoice = open_invoice(line(10000, id="li_1"), line(3000, id="li_2", tax_code="zero_rated"))
    groups = split_credit(invoice, 15500)  # the whole 125.00 + 30.00
    assert [(g.category, g.taxable_amount, g.tax_amount) for g in groups] == [("S", 10000, 2500), ("Z", 3000, 0)]


def test_credit_groups_keep_the_invoices_rate_details() -> None:
    invoice = open_invoice(line(10000, id="li_1"), line(3000, id="li_2", tax_code="exempt"))
    groups = split_credit(invoice, 100)
    assert [(g.category, g.name) for g in groups] == [("S", "VAT"), ("E", "VAT")]
    assert groups[1].exemption_reason is not None


@given(st.integers(1, 18100))
def test_split_credit_parts_add_up_and_tax_is_proportional(amount: int) -> None:
    invoice = open_invoice()
    assert invoice.totals is not None
    groups = split_credit(invoice, amount)
    assert sum(g.taxable_amount + g.tax_amount for g in groups) == amount
    for credit_group, invoice_group in zip(groups, invoice.totals.tax_groups, strict=True):
        gross = credit_group.taxable_amount + credit_group.tax_amount
        invoice_gross = invoice_group.taxable_amount + invoice_group.tax_amount
        # The group's share of the credit is within one minor unit of its proportional share...
        assert abs(gross - Fraction(amount * invoice_gross, 18100)) < 1
        # ... and its tax is the invoice group's tax ratio applied to that share, rounded once.
        exact_tax = Fraction(gross * invoice_group.tax_amount, invoice_gross)
        assert abs(credit_group.tax_amount - exact_tax) <= Fraction(1, 2)
        assert 0 <= credit_group.tax_amount <= gross
        assert credit_group.tax_amount <= invoice_group.tax_amount
        assert credit_group.taxable_amount <= invoice_group.taxable_amount
