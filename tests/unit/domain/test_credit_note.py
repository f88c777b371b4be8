"""Credit notes: how they change the invoice they correct, and their tax per line and rate.

Every figure is checked by hand in the comments."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from invoicing.domain.credit_note import CreditLineRequest, CreditNote, CreditRequest, issue_credit_note
from invoicing.domain.errors import InvalidInput, InvalidStateTransition
from invoicing.domain.invoice import Invoice
from invoicing.domain.tax import TaxRate
from invoicing.domain.totals import Discount

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


# --- credit notes by line and by rate ------------------------------------------------------------


def three_rates() -> Invoice:
    """The issue's case, in SEK: 25 %, 12 % and 6 % lines.
    1 000,00 at 25 % = 250,00; 800,00 at 12 % = 96,00; 569,00 at 6 % = 34,14. Total 2 749,14 kr."""
    return draft(line(100000, id="li_25"), line(80000, id="li_12", tax_rate=vat(12)),
                 line(56900, id="li_6", tax_rate=vat(6)), currency="SEK", id="in_000009").finalize(
        seller=seller("SE"), customer=customer("SE", currency="SEK"), number="INV-000009", now=NOW,
        previous_totals=[])


def credit(invoice: Invoice, *lines: CreditLineRequest, amount: int | None = None,
           n: int = 1) -> tuple[CreditNote, Invoice]:
    return issue_credit_note(invoice, CreditRequest(lines=lines, amount=amount), credit_note_id=f"cn_{n}",
                             number=f"CN-{n:06d}", now=LATER)


def of_line(line_id: str, quantity: str | None = None, amount: int | None = None) -> CreditLineRequest:
    return CreditLineRequest(type="invoice_line_item", invoice_line_item=line_id,
                             quantity=Decimal(quantity) if quantity else None, amount=amount)


def custom(unit_amount: int, rate: TaxRate | None = None, quantity: str = "1") -> CreditLineRequest:
    return CreditLineRequest(type="custom_line_item", description="Goodwill", quantity=Decimal(quantity),
                             unit_amount_decimal=Decimal(unit_amount), tax_rate=rate)


def groups(note: CreditNote) -> list[tuple[Decimal, int, int]]:
    return [(g.percent, g.taxable_amount, g.tax_amount) for g in note.tax_groups]


def test_the_issues_invoice_is_as_expected() -> None:
    totals = three_rates().totals
    assert totals is not None
    assert [(g.percent, g.taxable_amount, g.tax_amount) for g in totals.tax_groups] == [
        (25, 100000, 25000), (12, 80000, 9600), (6, 56900, 3414)]
    assert totals.total == 274914


def test_crediting_the_6_percent_line_reverses_only_its_vat() -> None:
    # 569,00 kr at 6 % = 34,14 kr; nothing at 25 % or 12 % (the amount spread over the rates took 111,91 kr).
    note, credited = credit(three_rates(), of_line("li_6"))
    assert groups(note) == [(6, 56900, 3414)]
    assert (note.subtotal, note.tax, note.amount) == (56900, 3414, 60314)
    assert [(line.invoice_line_item, line.quantity, line.amount, line.net_amount) for line in note.lines] == [
        ("li_6", 1, 56900, 56900)]
    assert credited.amount_due == 274914 - 60314
    assert credited.pre_payment_credit_notes_amount == 60314
    assert [e.type for e in credited.events][-1] == "credit_note.created"


def test_an_amount_alone_is_refused_on_an_invoice_with_several_rates() -> None:
    with pytest.raises(InvalidInput) as raised:
        credit(three_rates(), amount=60314)
    assert (raised.value.code, raised.value.param) == ("amount_requires_lines", "amount")
    assert "3 tax rates (S 25 %, S 12 %, S 6 %)" in raised.value.message


def test_an_amount_alone_on_a_single_rate_invoice_is_split_by_its_rate() -> None:
    invoice = open_invoice(line(10000, id="li_1"), line(2000, id="li_2"))  # 120.00 + 25 % = 150.00
    note, credited = credit(invoice, amount=5000)  # 40.00 + 10.00
    assert groups(note) == [(25, 4000, 1000)]
    assert credited.amount_due == 10000
    # At 25 % no net has a gross of 0.02 (0.01 + 0.00, 0.02 + 0.01): the tax takes the cent.
    note, _ = credit(invoice, amount=2, n=2)
    assert groups(note) == [(25, 1, 1)]


def test_no_lines_and_no_amount_credits_all_that_remains_line_by_line() -> None:
    first, invoice = credit(three_rates(), of_line("li_25", quantity="1", amount=40000))
    rest, settled = credit(invoice, n=2)
    assert groups(rest) == [(25, 60000, 15000), (12, 80000, 9600), (6, 56900, 3414)]
    assert first.amount + rest.amount == 274914
    assert settled.status == "paid" and settled.amount_due == 0


def test_a_quantity_credits_its_share_and_the_last_of_it_the_rest() -> None:
    # 3 x 33.33 = 99.99 at 25 % = 25.00 (24.9975). One unit: 33.33, VAT 8.33 (8.3325).
    invoice = open_invoice(line(3333, quantity=3, id="li_1"))
    one, invoice = credit(invoice, of_line("li_1", quantity="1"))
    assert groups(one) == [(25, 3333, 833)]
    assert one.lines[0].quantity == 1 and one.lines[0].unit_amount_decimal == 3333
    # Two more: 66.66; cumulative VAT on 99.99 is 25.00, of which 8.33 was reversed: 16.67.
    two, invoice = credit(invoice, of_line("li_1", quantity="2"), n=2)
    assert groups(two) == [(25, 6666, 1667)]
    assert one.tax + two.tax == 2500
    with pytest.raises(InvalidInput) as raised:
        credit(invoice, of_line("li_1", quantity="1"), n=3)
    assert raised.value.code == "line_fully_credited"


def test_rounding_is_cumulative_so_credits_never_reverse_more_vat_than_was_charged() -> None:
    # 3 x 0.02 = 0.06 at 25 %: VAT 0.015 -> 0.02. Credited one unit at a time, each unit alone would
    # be 0.005 -> 0.01, three times 0.03 > 0.02. Cumulatively: 0.01 (0.005), 0.00 (0.01 - 0.01), 0.01.
    invoice = open_invoice(line(2, quantity=3, id="li_1"))
    taxes = []
    for n in range(1, 4):
        note, invoice = credit(invoice, of_line("li_1", quantity="1"), n=n)
        taxes.append(note.tax)
    assert taxes == [1, 0, 1]
    assert invoice.credit_ledger.groups[0].tax_amount == 2 == invoice.totals.tax  # type: ignore[union-attr]


def test_credits_by_quantity_and_by_amount_never_exceed_the_line() -> None:
    invoice = open_invoice(line(10000, quantity=4, id="li_1"))  # 4 x 100.00
    _, invoice = credit(invoice, of_line("li_1", quantity="3"))  # 300.00
    with pytest.raises(InvalidInput) as raised:
        credit(invoice, of_line("li_1", quantity="2"), n=2)
    assert (raised.value.code, raised.value.param) == ("credit_exceeds_line", "lines[0].quantity")
    with pytest.raises(InvalidInput) as raised:
        credit(invoice, of_line("li_1", amount=10001), n=2)
    assert (raised.value.code, raised.value.param) == ("credit_exceeds_line", "lines[0].amount")
    # Two lines of one request count together.
    with pytest.raises(InvalidInput) as raised:
        credit(invoice, of_line("li_1", amount=6000), of_line("li_1", amount=4001), n=2)
    assert raised.value.param == "lines[1].amount"
    note, invoice = credit(invoice, of_line("li_1", amount=6000), of_line("li_1", amount=4000), n=2)
    assert note.amount == 12500
    assert invoice.credit_ledger.lines[0].amount == 40000


def test_a_line_that_does_not_exist_is_named() -> None:
    with pytest.raises(InvalidInput) as raised:
        credit(three_rates(), of_line("li_25"), of_line("il_nope"))
    assert (raised.value.code, raised.value.param) == ("line_missing", "lines[1].invoice_line_item")


def test_a_custom_line_takes_one_of_the_invoices_rates_and_is_capped_by_it() -> None:
    invoice = three_rates()
    note, invoice = credit(invoice, custom(5000, vat(12)))  # 50,00 at 12 % = 6,00
    assert groups(note) == [(12, 5000, 600)]
    assert note.lines[0].type == "custom_line_item" and note.lines[0].invoice_line_item is None
    with pytest.raises(InvalidInput) as raised:
        credit(invoice, custom(5000, vat(18)), n=2)
    assert (raised.value.code, raised.value.param) == ("tax_rate_not_on_invoice", "lines[0].tax_rate")
    with pytest.raises(InvalidInput) as raised:
        credit(invoice, custom(5000), n=2)
    assert raised.value.code == "tax_rate_required"
    # The 12 % line (800,00) can no longer be credited in full: 50,00 of the rate is taken.
    with pytest.raises(InvalidInput) as raised:
        credit(invoice, of_line("li_12"), n=2)
    assert (raised.value.code, raised.value.param) == ("credit_exceeds_tax_group", "lines[0]")


def test_a_lines_share_of_the_invoices_discounts_is_credited_with_it() -> None:
    # 100.00 + 50.00 at 25 %, 10 % off the invoice: taxable 135.00, VAT 33.75. The 100.00 line's
    # share is 90.00, VAT 22.50; the other's 45.00, VAT 11.25 (the invoice's 33.75 exactly).
    invoice = draft(line(10000, id="li_1"), line(5000, id="li_2"), discounts=(Discount(percent_off=Decimal(10)),)
                    ).finalize(seller=seller("SE"), customer=customer("SE"), number="INV-000010", now=NOW,
                               previous_totals=[])
    first, invoice = credit(invoice, of_line("li_1"))
    assert groups(first) == [(25, 9000, 2250)]
    assert (first.lines[0].amount, first.lines[0].base_amount) == (10000, 9000)
    rest, _ = credit(invoice, of_line("li_2"), n=2)
    assert groups(rest) == [(25, 4500, 1125)]


def test_tax_inclusive_lines_are_credited_by_their_gross() -> None:
    # 2 x 125.00 incl. 25 % (250.00: VAT 50.00) and 106.00 incl. 6 % (VAT 6.00).
    invoice = draft(line(12500, quantity=2, id="li_1"), line(10600, id="li_2", tax_rate=vat(6)),
                    tax_behavior="inclusive").finalize(seller=seller("SE"), customer=customer("SE"),
                                                       number="INV-000011", now=NOW, previous_totals=[])
    note, invoice = credit(invoice, of_line("li_1", quantity="1"), of_line("li_2", amount=5300))
    # 125.00 incl. 25 %: VAT 25.00, net 100.00; 53.00 incl. 6 %: VAT 3.00, net 50.00.
    assert groups(note) == [(25, 10000, 2500), (6, 5000, 300)]
    assert [(line.amount, line.net_amount) for line in note.lines] == [(12500, 10000), (5300, 5000)]
    assert note.amount == 17800
    rest, _ = credit(invoice, n=2)
    assert groups(rest) == [(25, 10000, 2500), (6, 5000, 300)]


def test_after_payment_the_credit_goes_to_the_balance_or_is_recorded_as_refunded() -> None:
    paid = three_rates().pay(LATER)
    note, credited = issue_credit_note(
        paid, CreditRequest(lines=(of_line("li_6"),), out_of_band_amount=10314), credit_note_id="cn_1",
        number="CN-000001", now=LATER)
    assert note.type == "post_payment"
    assert (note.amount, note.credit_amount, note.out_of_band_amount) == (60314, 50000, 10314)
    assert credited.post_payment_credit_notes_amount == 60314
    with pytest.raises(InvalidInput) as raised:
        issue_credit_note(paid, CreditRequest(lines=(of_line("li_6"),), credit_amount=1, out_of_band_amount=1),
                          credit_note_id="cn_2", number="CN-000002", now=LATER)
    assert raised.value.param == "credit_amount"
    with pytest.raises(InvalidInput):  # before payment nothing is refunded: it lowers what is due
        issue_credit_note(three_rates(), CreditRequest(lines=(of_line("li_6"),), out_of_band_amount=1),
                          credit_note_id="cn_3", number="CN-000003", now=LATER)


def test_beyond_what_remains_due_the_credit_returns_the_customer_credit_applied() -> None:
    # 2 749,14 kr, of which 500,00 kr was paid by the customer's credit balance: 2 249,14 due. Crediting
    # every line takes the 2 249,14 off what is due and gives the 500,00 back as customer credit.
    invoice = draft(line(100000, id="li_25"), line(80000, id="li_12", tax_rate=vat(12)),
                    line(56900, id="li_6", tax_rate=vat(6)), currency="SEK").finalize(
        seller=seller("SE"), customer=customer("SE", currency="SEK", credit_balance=50000), number="INV-000012",
        now=NOW, previous_totals=[])
    assert (invoice.applied_balance, invoice.amount_due) == (50000, 224914)
    note, credited = credit(invoice)
    assert note.amount == 274914 and note.type == "post_payment"
    assert (note.pre_payment_amount, note.post_payment_amount, note.credit_amount) == (224914, 50000, 50000)
    assert credited.status == "paid" and credited.amount_due == 0
    assert (credited.pre_payment_credit_notes_amount, credited.post_payment_credit_notes_amount) == (224914, 50000)
    with pytest.raises(InvalidInput):
        credit(credited, custom(1, vat(25)), n=2)
    # A smaller credit only lowers what is due.
    small, _ = credit(invoice, of_line("li_6"), n=3)
    assert (small.type, small.pre_payment_amount, small.post_payment_amount, small.credit_amount) == (
        "pre_payment", 60314, 0, 0)


def test_credit_notes_stored_before_the_split_read_as_wholly_one_or_the_other() -> None:
    stored = CreditNote(id="cn_1", account_id="acct_1", invoice_id="in_1", invoice_number="INV-1",
                        customer_id="cus_1", number="CN-1", currency="EUR", amount=500, subtotal=400, tax=100,
                        tax_groups=(), type="post_payment", issue_date=NOW, created=NOW).model_dump(mode="json")
    for key in ("pre_payment_amount", "post_payment_amount", "credit_amount"):
        del stored[key]
    loaded = CreditNote.model_validate(stored)
    assert (loaded.pre_payment_amount, loaded.post_payment_amount, loaded.credit_amount) == (0, 500, 500)


def test_amount_with_lines_must_be_their_total() -> None:
    with pytest.raises(InvalidInput) as raised:
        credit(three_rates(), of_line("li_6"), amount=60000)
    assert raised.value.code == "amount_mismatch"
    note, _ = credit(three_rates(), of_line("li_6"), amount=60314)
    assert note.amount == 60314


def test_a_void_invoice_is_not_credited() -> None:
    with pytest.raises(InvalidStateTransition):
        credit(three_rates().void(LATER), of_line("li_6"))


# --- properties --------------------------------------------------------------------------------------

RATES = [vat(25), vat(12), vat(6), vat(0, "Z")]


@st.composite
def invoices(draw: st.DrawFn) -> Invoice:
    lines = [line(draw(st.integers(0, 200000)), quantity=draw(st.integers(1, 12)), id=f"li_{n}",
                  tax_rate=draw(st.sampled_from(RATES)))
             for n in range(1, draw(st.integers(1, 4)) + 1)]
    discounts = (Discount(percent_off=Decimal(draw(st.integers(1, 30)))),) if draw(st.booleans()) else ()
    behavior = draw(st.sampled_from(["exclusive", "inclusive"]))
    invoice = draft(*lines, discounts=discounts, tax_behavior=behavior)
    assume(invoice.priced(seller("SE"), customer("SE"), NOW.date()).totals.total > 0)  # type: ignore[union-attr]
    return invoice.finalize(seller=seller("SE"), customer=customer("SE"), number="INV-000001", now=NOW,
                            previous_totals=[])


@st.composite
def requests(draw: st.DrawFn, invoice: Invoice) -> CreditLineRequest:
    target = draw(st.sampled_from(invoice.lines))
    kind = draw(st.sampled_from(["all", "quantity", "amount", "custom"]))
    if kind == "quantity":
        return of_line(target.id, quantity=str(draw(st.integers(1, int(target.quantity)))))
    if kind == "amount":
        return of_line(target.id, amount=draw(st.integers(1, max(1, target.amount or 1))))
    if kind == "custom":
        return custom(draw(st.integers(1, 5000)), target.tax)
    return of_line(target.id)


def _check(invoice: Invoice, notes: list[CreditNote]) -> None:
    """Whatever was credited, never more than a line (quantity and amount), a rate or the invoice."""
    assert invoice.totals is not None
    inclusive = invoice.tax_behavior == "inclusive"
    for invoice_line, amounts in zip(invoice.lines, invoice.totals.lines, strict=True):
        own = amounts.adjusted_amount if inclusive else amounts.net_amount
        credited = [line for note in notes for line in note.lines if line.invoice_line_item == invoice_line.id]
        assert sum(line.quantity or 0 for line in credited) <= invoice_line.quantity
        assert sum(line.amount for line in credited) <= own
    for group in invoice.totals.tax_groups:
        parts = [g for note in notes for g in note.tax_groups if (g.category, g.percent) == (group.category,
                                                                                          group.percent)]
        assert sum(g.taxable_amount for g in parts) <= group.taxable_amount
        assert 0 <= sum(g.tax_amount for g in parts) <= group.tax_amount
        assert all(g.tax_amount >= 0 and g.taxable_amount >= 0 for g in parts)
    assert sum(note.amount for note in notes) <= invoice.totals.total
    for note in notes:
        assert note.amount == note.subtotal + note.tax == sum(g.taxable_amount + g.tax_amount for g in note.tax_groups)
        assert note.subtotal == sum(line.net_amount for line in note.lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_credit_notes_never_exceed_the_invoice_per_line_and_per_rate(data: st.DataObject) -> None:
    original = data.draw(invoices())
    invoice, notes = original, []
    for n in range(1, data.draw(st.integers(1, 6)) + 1):
        asked = tuple(data.draw(requests(original)) for _ in range(data.draw(st.integers(1, 3))))
        try:
            note, invoice = credit(invoice, *asked, n=n)
        except InvalidInput:
            continue
        notes.append(note)
        _check(original, notes)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_crediting_every_line_reverses_exactly_the_invoices_tax_per_rate(data: st.DataObject) -> None:
    original = data.draw(invoices())
    assert original.totals is not None
    invoice, notes = original, []
    for n in range(1, data.draw(st.integers(0, 4)) + 1):
        asked = data.draw(requests(original))
        if asked.type == "custom_line_item":
            continue
        try:
            note, invoice = credit(invoice, asked, n=n)
        except InvalidInput:
            continue
        notes.append(note)
    if invoice.amount_due > 0:
        rest, invoice = credit(invoice, n=99)  # everything that remains
        notes.append(rest)
    _check(original, notes)
    for group in original.totals.tax_groups:
        parts = [g for note in notes for g in note.tax_groups if (g.category, g.percent) == (group.category,
                                                                                          group.percent)]
        assert (sum(g.taxable_amount for g in parts), sum(g.tax_amount for g in parts)) == (
            group.taxable_amount, group.tax_amount)
    assert invoice.status == "paid" and invoice.amount_due == 0


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_first_credit_notes_tax_is_the_invoices_rule_on_its_base(data: st.DataObject) -> None:
    original = data.draw(invoices())
    asked = tuple(data.draw(requests(original)) for _ in range(data.draw(st.integers(1, 3))))
    try:
        note, _ = credit(original, *asked)
    except InvalidInput:
        return
    assert original.totals is not None
    for g in note.tax_groups:
        full = next(t for t in original.totals.tax_groups if (t.category, t.percent) == (g.category, g.percent))
        if original.tax_behavior == "exclusive":
            expected = Fraction(g.taxable_amount) * Fraction(g.percent) / 100
        else:
            expected = Fraction(g.taxable_amount + g.tax_amount) * Fraction(g.percent) / (100 + Fraction(g.percent))
        if g.taxable_amount + g.tax_amount < full.taxable_amount + full.tax_amount:
            assert abs(g.tax_amount - expected) <= Fraction(1, 2)
        else:
            assert (g.taxable_amount, g.tax_amount) == (full.taxable_amount, full.tax_amount)


SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "events" / "credit_note.created.json"


def test_the_credit_note_created_event_is_as_its_schema_says() -> None:
    schema = json.loads(SCHEMA.read_text())
    invoice = three_rates()
    _, by_lines = credit(invoice, of_line("li_6"), of_line("li_25", quantity="1", amount=100), custom(5000, vat(12)))
    single = draft(line(10000, id="li_1"), id="in_000010").finalize(
        seller=seller("SE"), customer=customer("SE"), number="INV-000010", now=NOW, previous_totals=[])
    _, by_amount = credit(single, amount=5000, n=2)
    for credited in (by_lines, by_amount):
        event = credited.events[-1]
        assert event.type == "credit_note.created"
        jsonschema.validate(event.model_dump(mode="json"), schema)
    obj = by_lines.events[-1].data["object"]
    assert [line["invoice_line_item"] for line in obj["lines"]] == ["li_6", "li_25", None]
    assert [(g["percent"], g["tax_amount"]) for g in obj["tax_groups"]] == [("25", 25), ("12", 600), ("6", 3414)]
