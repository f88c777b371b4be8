"""Matching payments to open invoices, and spreading and reversing their money (pure domain)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.domain.errors import InvalidInput
from invoicing.domain.payment_allocation import (
    Allocation,
    Application,
    allocate,
    apply_to_remaining,
    plan_reversal,
    reopen_remaining,
)
from invoicing.domain.payment_matching import (
    SUBSET_LIMIT,
    IncomingPayment,
    OpenInvoice,
    OpenInvoices,
    match_payment,
    normalized_name,
    references_in,
)
from invoicing.domain.payment_reference import creditor_reference, ocr_reference

DUE = date(2026, 3, 1)


def invoice(n: int, remaining: int, *, customer: str = "cus_a", name: str = "Acme AB", currency: str = "SEK",
            due: date | None = None) -> OpenInvoice:
    number = f"INV-{n:06d}"
    return OpenInvoice(id=f"inv_{n}", number=number, customer_id=customer, customer_name=name, currency=currency,
                       amount_remaining=remaining, due_date=due or DUE + timedelta(days=n),
                       payment_reference=creditor_reference(number), ocr_reference=ocr_reference(number))


def payment(amount: int, currency: str = "SEK", **fields: object) -> IncomingPayment:
    return IncomingPayment(key="bank:acct:1", amount=amount, currency=currency, **fields)  # type: ignore[arg-type]


def applied(decision: object) -> dict[str, int]:
    return {a.invoice_id: a.amount for a in decision.applications}  # type: ignore[attr-defined]


# --- rule 2: structured references -------------------------------------------------------------

def test_an_rf_reference_pays_its_invoice_whatever_the_text_says() -> None:
    invoices = [invoice(1, 10_000), invoice(2, 10_000)]
    decision = match_payment(payment(10_000, structured_reference="RF42 INV0 0000 2",
                                     remittance_text="INV-000001"), invoices)
    assert (decision.status, decision.rule, applied(decision), decision.credit) == (
        "matched", "reference", {"inv_2": 10_000}, 0)


def test_an_ocr_number_pays_its_invoice_and_a_partial_payment_leaves_it_open() -> None:
    invoices = [invoice(1, 10_000), invoice(2, 10_000)]
    decision = match_payment(payment(4_000, structured_reference="18233100000147"), invoices)
    assert applied(decision) == {"inv_1": 4_000} and decision.credit == 0
    assert apply_to_remaining({"inv_1": 10_000}, decision.applications) == {"inv_1": 6_000}


def test_an_overpayment_becomes_the_customers_credit() -> None:
    decision = match_payment(payment(12_500, structured_reference="RF69INV000001"),
                             [invoice(1, 10_000, customer="cus_b")])
    assert applied(decision) == {"inv_1": 10_000}
    assert (decision.credit, decision.customer_id) == (2_500, "cus_b")


def test_a_reference_typed_into_the_free_text_counts_when_its_check_digits_hold() -> None:
    invoices = [invoice(5, 7_000), invoice(6, 7_000)]
    assert applied(match_payment(payment(7_000, remittance_text="betalning rf58 inv0 0000 5 tack"), invoices)) == {
        "inv_5": 7_000}
    assert applied(match_payment(payment(7_000, remittance_text="OCR 18233100000642"), invoices)) == {"inv_6": 7_000}
    # A mistyped reference (check digits wrong) is not a reference: nothing decides, a person looks.
    mistyped = match_payment(payment(7_000, remittance_text="RF59INV000005"), invoices)
    assert mistyped.status == "unmatched"
    assert references_in(payment(1, remittance_text="RF58INV000005 TEILZAHLUNG")) == ["RF58INV000005"]
    assert applied(match_payment(payment(7_000, end_to_end_id="RF58INV000005"), invoices)) == {"inv_5": 7_000}


def test_a_reference_in_another_currency_is_left_to_a_person() -> None:
    decision = match_payment(payment(10_000, "EUR", structured_reference="RF69INV000001"), [invoice(1, 10_000)])
    assert decision.status == "unmatched" and decision.applications == ()
    assert decision.suggestions[0].invoice_id == "inv_1" and "other currency (SEK)" in decision.suggestions[0].reasons


def test_a_reference_two_open_invoices_share_is_not_applied() -> None:
    twin = invoice(2, 5_000).model_copy(update={"id": "inv_twin", "customer_id": "cus_z"})
    decision = match_payment(payment(3_000, structured_reference="RF42INV000002"), [invoice(2, 5_000), twin])
    assert decision.status == "unmatched"
    assert {s.invoice_id for s in decision.suggestions[:2]} == {"inv_2", "inv_twin"}


def test_the_invoice_a_provider_names_comes_first() -> None:
    decision = match_payment(payment(500, invoice_id="inv_2", structured_reference="RF69INV000001"),
                             [invoice(1, 500), invoice(2, 500)])
    assert (decision.rule, applied(decision)) == ("provider_invoice", {"inv_2": 500})


# --- rule 3: invoice numbers in the text -------------------------------------------------------

def test_invoice_numbers_in_the_text_with_their_total() -> None:
    invoices = [invoice(6, 8_000), invoice(7, 6_000), invoice(8, 1_000)]
    decision = match_payment(payment(14_000, remittance_text="Rechnungen INV-000006, inv 000007"), invoices)
    assert (decision.rule, applied(decision)) == ("invoice_number", {"inv_6": 8_000, "inv_7": 6_000})


def test_a_named_subset_with_the_amount_is_matched() -> None:
    invoices = [invoice(6, 8_000), invoice(7, 6_000)]
    decision = match_payment(payment(6_000, remittance_text="INV-000006 INV-000007"), invoices)
    assert applied(decision) == {"inv_7": 6_000}


def test_a_number_with_another_amount_is_only_suggested() -> None:
    decision = match_payment(payment(3_000, remittance_text="Factuur INV-000006 restant"), [invoice(6, 8_000)])
    assert decision.status == "unmatched"
    assert decision.suggestions[0].invoice_id == "inv_6"
    assert "invoice number in the text" in decision.suggestions[0].reasons


def test_numbers_whose_prefix_ends_in_digits_are_found_written_together() -> None:
    numbered = invoice(42, 3_000).model_copy(update={"number": "2026-000042"})
    decision = match_payment(payment(3_000, remittance_text="faktura 2026000042"), OpenInvoices([numbered]))
    assert (decision.rule, applied(decision)) == ("invoice_number", {"inv_42": 3_000})


def test_a_longer_number_does_not_name_a_shorter_one() -> None:
    decision = match_payment(payment(8_000, remittance_text="INV-0000061"), [invoice(6, 8_000)])
    assert decision.rule != "invoice_number"


# --- rule 4: the customer's open invoices ------------------------------------------------------

def test_one_transfer_for_all_of_a_customers_open_invoices() -> None:
    invoices = [invoice(1, 1_000), invoice(2, 2_000), invoice(3, 4_000), invoice(4, 7_000, customer="cus_b",
                                                                                  name="Other AB")]
    decision = match_payment(payment(7_000, payer_name="ACME ab"), invoices)
    assert (decision.rule, applied(decision)) == ("customer_total", {"inv_1": 1_000, "inv_2": 2_000, "inv_3": 4_000})


def test_one_transfer_for_the_one_subset_that_adds_up() -> None:
    invoices = [invoice(1, 1_000), invoice(2, 2_500), invoice(3, 4_000)]
    decision = match_payment(payment(5_000, payer_iban="SE4550000000058398257466"), invoices,
                             known_ibans={"SE4550000000058398257466": "cus_a"})
    assert (decision.rule, applied(decision)) == ("customer_subset", {"inv_1": 1_000, "inv_3": 4_000})


def test_two_subsets_with_the_same_sum_go_to_a_person() -> None:
    invoices = [invoice(1, 1_000), invoice(2, 1_000), invoice(3, 5_000)]
    decision = match_payment(payment(1_000, payer_name="Acme AB"), invoices)
    assert decision.status == "unmatched"
    assert [s.invoice_id for s in decision.suggestions[:2]] == ["inv_1", "inv_2"]


def test_the_subset_search_is_bounded_to_the_oldest() -> None:
    invoices = [invoice(n, 1_000 * 2 ** n) for n in range(SUBSET_LIMIT + 2)]
    newest = invoices[-1]
    decision = match_payment(payment(newest.amount_remaining, payer_name="Acme AB"), invoices)
    assert decision.status == "unmatched"  # only the SUBSET_LIMIT oldest are searched
    oldest_two = invoices[0].amount_remaining + invoices[1].amount_remaining
    assert applied(match_payment(payment(oldest_two, payer_name="Acme AB"), invoices)) == {
        "inv_0": 1_000, "inv_1": 2_000}


def test_an_unknown_payer_with_a_plain_amount_is_suggested_not_applied() -> None:
    invoices = [invoice(1, 9_900, name="Lindqvist & Söner Bygg AB"), invoice(2, 1_000, name="Other AB",
                                                                              customer="cus_b")]
    decision = match_payment(payment(9_900, payer_name="Lindqvist och Söner Bygg"), invoices)
    assert decision.status == "unmatched" and decision.applications == () and decision.credit == 0
    top = decision.suggestions[0]
    assert top.invoice_id == "inv_1" and "amount equals what remains" in top.reasons
    assert any(r.startswith("payer name like") for r in top.reasons)


def test_names_are_compared_without_case_accents_or_punctuation() -> None:
    assert normalized_name("Lindqvist & Söner Bygg AB") == "lindqvist soner bygg ab"


# --- allocation --------------------------------------------------------------------------------

def test_allocation_oldest_first_and_its_refusals() -> None:
    assert allocate(15_000, [("a", 10_000), ("b", 10_000)]) == Allocation(
        applications=(Application(invoice_id="a", amount=10_000), Application(invoice_id="b", amount=5_000)))
    with pytest.raises(InvalidInput):
        allocate(0, [("a", 1)])
    with pytest.raises(InvalidInput):
        allocate(1, [("a", 1), ("a", 1)])
    with pytest.raises(InvalidInput, match="cannot be applied"):
        apply_to_remaining({"a": 100}, [Application(invoice_id="a", amount=101)])


# --- reversals ---------------------------------------------------------------------------------

def test_a_reversed_overpayment_withdraws_the_credit_the_customer_still_has() -> None:
    original = allocate(12_000, [("a", 10_000)])
    plan = plan_reversal(original, available_credit=500)
    assert (plan.credit_withdrawn, plan.credit_shortfall) == (500, 1_500)


# --- properties --------------------------------------------------------------------------------

amounts = st.integers(min_value=1, max_value=10**9)


@st.composite
def open_invoices(draw: st.DrawFn) -> list[OpenInvoice]:
    count = draw(st.integers(min_value=0, max_value=12))
    customers = draw(st.lists(st.sampled_from(["cus_a", "cus_b", "cus_c"]), min_size=count, max_size=count))
    currencies = draw(st.lists(st.sampled_from(["SEK", "EUR"]), min_size=count, max_size=count))
    remaining = draw(st.lists(st.integers(min_value=1, max_value=50_000), min_size=count, max_size=count))
    return [invoice(n + 1, r, customer=c, name=c.upper(), currency=cur)
            for n, (c, cur, r) in enumerate(zip(customers, currencies, remaining, strict=True))]


@st.composite
def payments(draw: st.DrawFn, invoices: list[OpenInvoice]) -> IncomingPayment:
    amount = draw(st.one_of(amounts, st.integers(min_value=1, max_value=100_000)))
    reference = draw(st.one_of(st.none(), st.sampled_from([i.payment_reference for i in invoices] or [None]),
                               st.sampled_from([i.ocr_reference for i in invoices] or [None])))
    text = draw(st.one_of(st.none(), st.sampled_from([f"pay {i.number}" for i in invoices] or [None])))
    name = draw(st.one_of(st.none(), st.sampled_from(["CUS_A", "cus b", "Someone Else"])))
    return payment(amount, draw(st.sampled_from(["SEK", "EUR"])), structured_reference=reference,
                   remittance_text=text, payer_name=name)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_decision_never_overpays_an_invoice_and_accounts_for_every_minor_unit(data: st.DataObject) -> None:
    invoices = data.draw(open_invoices())
    incoming = data.draw(payments(invoices))
    decision = match_payment(incoming, invoices)
    by_id = {i.id: i for i in invoices}
    if decision.status == "unmatched":
        assert decision.applications == () and decision.credit == 0
        return
    # Sum of applications = the payment minus the credit; the credit is never negative.
    assert sum(a.amount for a in decision.applications) + decision.credit == incoming.amount
    assert decision.credit >= 0
    assert len({a.invoice_id for a in decision.applications}) == len(decision.applications)
    for application in decision.applications:
        target = by_id[application.invoice_id]
        assert target.currency == incoming.currency
        assert 0 < application.amount <= target.amount_remaining
    after = apply_to_remaining({i.id: i.amount_remaining for i in invoices}, decision.applications)
    assert all(value >= 0 for value in after.values())  # never below zero
    if decision.rule in ("invoice_number", "customer_total", "customer_subset"):
        assert decision.credit == 0  # groups are matched only on their exact sum


@given(amounts, st.lists(st.integers(min_value=0, max_value=10**9), max_size=20), st.integers(0, 10**9))
def test_allocating_then_reversing_restores_every_invoice(amount: int, remaining: list[int], credit: int) -> None:
    targets = [(f"inv_{n}", r) for n, r in enumerate(remaining)]
    allocation = allocate(amount, targets)
    assert allocation.applied + allocation.credit == amount
    before = dict(targets)
    after = apply_to_remaining(before, allocation.applications)
    assert all(v >= 0 for v in after.values())
    # Paid oldest first: an invoice is paid only once every one before it is settled.
    paid = [before[k] - after[k] for k, _ in targets]
    for i, share in enumerate(paid):
        if share:
            assert all(after[k] == 0 for k, _ in targets[:i])
    plan = plan_reversal(allocation, available_credit=credit)
    assert plan.credit_withdrawn + plan.credit_shortfall == allocation.credit
    assert sum(a.amount for a in plan.reopen) + plan.credit_withdrawn + plan.credit_shortfall == amount
    assert reopen_remaining(after, plan) == before


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=SUBSET_LIMIT), st.data())
def test_a_subset_that_adds_up_is_found_whenever_it_is_the_only_one(values: list[int], data: st.DataObject) -> None:
    invoices = [invoice(n + 1, v) for n, v in enumerate(values)]
    chosen = data.draw(st.lists(st.sampled_from(invoices), min_size=1, unique_by=lambda i: i.id))
    target = sum(i.amount_remaining for i in chosen)
    decision = match_payment(payment(target, payer_name="Acme AB"), invoices)
    if decision.status == "matched":
        assert sum(a.amount for a in decision.applications) == target and decision.credit == 0
    else:  # another subset has the same sum: ambiguous, left to a person
        sums = [sum(c) for size in range(1, len(values) + 1) for c in itertools.combinations(values, size)]
        assert sums.count(target) >= 2
