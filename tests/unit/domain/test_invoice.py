"""The invoice aggregate: pricing a draft, finalizing it, and the status state machine."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from invoicing.domain.direct_debit import DirectDebitMandate
from invoicing.domain.errors import FinalizationBlocked, InvalidInput, InvalidStateTransition, InvoiceNotDraft
from invoicing.domain.invoice import TRANSITIONS, Invoice
from invoicing.domain.party import validated_tax_id
from invoicing.domain.payment_card import PaymentCard
from invoicing.domain.tax import EXEMPT_NOTE
from invoicing.domain.validation import ValidationIssue

from .builders import NOW, SEK_RATE, customer, draft, line, pct, seller, vat

LATER = datetime(2025, 4, 1, 8, 0, tzinfo=UTC)


def three_lines() -> Invoice:
    # 10.33 + 10.33 + 10.34 = 31.00; Swedish VAT 25 %: 7.75; total 38.75.
    return draft(line(1033, id="li_1"), line(1033, id="li_2"), line(1034, id="li_3"))


def finalized(invoice: Invoice | None = None, **finalize_args: object) -> Invoice:
    args: dict[str, object] = {"seller": seller("SE"), "customer": customer("SE"), "number": "INV-000001",
                               "now": NOW, "previous_totals": []}
    args.update(finalize_args)
    return (invoice or three_lines()).finalize(**args)  # type: ignore[arg-type]


# --- pricing a draft ------------------------------------------------------------------------------


def test_pricing_decides_each_lines_tax_and_the_totals() -> None:
    priced = three_lines().priced(seller("SE"), customer("SE"), NOW.date())
    assert priced.totals is not None
    assert (priced.totals.subtotal, priced.totals.tax, priced.totals.total) == (3100, 775, 3875)
    assert priced.amount_due == 3875
    assert priced.tax_missing is None
    assert [li.net_amount for li in priced.lines] == [1033, 1033, 1034]
    assert all(li.tax is not None and li.tax.percent == Decimal(25) for li in priced.lines)
    assert priced.status == "draft"


def test_manual_rate_and_tax_codes_override_the_location_decision() -> None:
    invoice = draft(
        line(1000, id="li_1", tax_rate=vat(12)),
        line(1000, id="li_2", tax_code="zero_rated"),
        line(1000, id="li_3", tax_code="exempt"),
        line(1000, id="li_4"),
    )
    priced = invoice.priced(seller("SE"), customer("SE"), NOW.date())
    taxes = [li.tax for li in priced.lines]
    assert [(t.category, t.percent) for t in taxes if t] == [
        ("S", Decimal(12)), ("Z", Decimal(0)), ("E", Decimal(0)), ("S", Decimal(25))]
    assert taxes[2] is not None and taxes[2].exemption_reason == EXEMPT_NOTE
    assert priced.totals is not None
    assert priced.totals.tax == 120 + 250


def test_undecidable_tax_is_priced_at_zero_and_reported() -> None:
    priced = three_lines().priced(seller("SE"), customer(None), NOW.date())
    assert priced.tax_missing == "customer_address"
    assert all(li.tax is None for li in priced.lines)
    assert priced.totals is not None
    assert (priced.totals.tax, priced.totals.total) == (0, 3100)


def test_tax_missing_is_not_reported_when_every_line_has_its_own_rate() -> None:
    priced = draft(line(1000, tax_rate=vat(25))).priced(seller("SE"), customer(None), NOW.date())
    assert priced.tax_missing is None
    assert priced.totals is not None and priced.totals.tax == 250


def test_pricing_uses_the_date_for_the_rate() -> None:
    invoice = draft(line(10000))
    before = invoice.priced(seller("FI"), customer("FI"), date(2024, 8, 31))
    after = invoice.priced(seller("FI"), customer("FI"), date(2024, 9, 1))
    assert before.totals is not None and after.totals is not None
    assert (before.totals.tax, after.totals.tax) == (2400, 2550)


# --- editing a draft -----------------------------------------------------------------------------


def test_draft_edits_return_a_new_invoice() -> None:
    original = draft(line(100, id="li_1"))
    added = original.add_lines([line(200, id="li_2")], NOW)
    assert [li.id for li in added.lines] == ["li_1", "li_2"]
    assert [li.id for li in original.lines] == ["li_1"]
    removed = added.remove_line("li_1", NOW)
    assert [li.id for li in removed.lines] == ["li_2"]
    assert added.edited(description="March consulting").description == "March consulting"
    assert original.description is None
    assert (added.version, removed.version) == (1, 2)
    assert [e.type for e in removed.events] == ["invoice.updated", "invoice.updated"]


def test_removing_a_missing_line_raises() -> None:
    with pytest.raises(InvalidInput) as raised:
        draft(line(100, id="li_1")).remove_line("li_9", NOW)
    assert raised.value.code == "line_missing"
    assert raised.value.param == "line_id"


@pytest.mark.parametrize(
    "edit",
    [
        lambda inv: inv.add_lines([line(100, id="li_9")], NOW),
        lambda inv: inv.remove_line("li_1", NOW),
        lambda inv: inv.edited(description="changed"),
        lambda inv: inv.with_lines(()),
    ],
    ids=["add_lines", "remove_line", "edited", "with_lines"],
)
@pytest.mark.parametrize("status_of", ["open", "paid", "void", "uncollectible"])
def test_a_finalized_invoice_cannot_be_edited(edit, status_of: str) -> None:  # type: ignore[no-untyped-def]
    invoice = finalized()
    invoice = {"open": invoice, "paid": invoice.pay(LATER), "void": invoice.void(LATER),
               "uncollectible": invoice.mark_uncollectible(LATER)}[status_of]
    with pytest.raises(InvoiceNotDraft) as raised:
        edit(invoice)
    assert raised.value.code == "invoice_not_draft"
    assert "INV-000001" in raised.value.message


# --- finalizing ------------------------------------------------------------------------------------


def test_finalize_numbers_dates_snapshots_and_freezes() -> None:
    buyer, account = customer("SE"), seller("SE")
    invoice = finalized(seller=account, customer=buyer, payment_reference="RF18539007547034")
    assert invoice.status == "open"
    assert invoice.number == "INV-000001"
    assert invoice.issue_date == date(2025, 3, 14)
    assert invoice.due_date == date(2025, 4, 13)  # the account's 30 days
    assert invoice.customer_snapshot == buyer
    assert invoice.seller_snapshot == account
    assert invoice.payment_reference == "RF18539007547034"
    assert invoice.version == 1
    assert invoice.status_transitions.finalized_at == NOW
    assert invoice.totals is not None and invoice.totals.total == 3875
    assert invoice.amount_due == 3875
    assert invoice.amount_remaining == 3875
    assert all(li.net_amount is not None for li in invoice.lines)


def test_finalize_leaves_the_draft_untouched() -> None:
    original = three_lines()
    finalized(original)
    assert original.status == "draft"
    assert original.number is None
    assert original.version == 0


@pytest.mark.parametrize(
    ("invoice_days", "account_days", "due"),
    [(14, 30, date(2025, 3, 28)), (None, 10, date(2025, 3, 24)), (None, 30, date(2025, 4, 13)),
     (0, 30, date(2025, 3, 14)), (None, 0, date(2025, 3, 14)), (30, 0, date(2025, 4, 13))],
)
def test_due_date_is_issue_date_plus_the_invoices_or_the_accounts_days(
    invoice_days: int | None, account_days: int, due: date
) -> None:
    invoice = finalized(three_lines().edited(days_until_due=invoice_days),
                        seller=seller("SE", days_until_due=account_days))
    assert invoice.due_date == due


def test_an_explicit_due_date_is_kept() -> None:
    invoice = finalized(three_lines().edited(due_date=date(2025, 5, 1)))
    assert invoice.due_date == date(2025, 5, 1)


def test_finalize_uses_the_finalization_date_for_tax() -> None:
    slovak = seller("SK", tax_ids=[validated_tax_id("eu_vat", "SK2022749619")])
    invoice = finalized(draft(line(10000)), seller=slovak, customer=customer("SK"),
                        now=datetime(2025, 1, 1, 0, 0, tzinfo=UTC))
    assert invoice.totals is not None and invoice.totals.tax == 2300


def test_finalizing_twice_raises() -> None:
    with pytest.raises(InvoiceNotDraft):
        finalized(finalized())


def test_customer_credit_balance_reduces_amount_due() -> None:
    invoice = finalized(customer=customer("SE", credit_balance=500))
    assert invoice.applied_balance == 500
    assert invoice.amount_due == 3375
    assert invoice.totals is not None and invoice.totals.total == 3875


def test_credit_balance_larger_than_the_total_is_applied_up_to_the_total() -> None:
    invoice = finalized(customer=customer("SE", credit_balance=10_000))
    assert invoice.applied_balance == 3875
    assert invoice.amount_due == 0


def test_credit_balance_in_another_currency_is_not_applied() -> None:
    invoice = finalized(customer=customer("SE", currency="SEK", credit_balance=500))
    assert invoice.applied_balance == 0
    assert invoice.amount_due == 3875


# --- blocking issues ------------------------------------------------------------------------------


def blocked_codes(invoice: Invoice, **finalize_args: object) -> list[str]:
    with pytest.raises(FinalizationBlocked) as raised:
        finalized(invoice, **finalize_args)
    assert raised.value.code == "finalization_blocked"
    assert raised.value.issues, "a blocked finalization lists its issues"
    assert all(issue.blocking for issue in raised.value.issues)
    assert raised.value.param == raised.value.issues[0].field
    for issue in raised.value.issues:
        assert issue.message in raised.value.message
    return [issue.code for issue in raised.value.issues]


def test_no_lines_blocks() -> None:
    assert blocked_codes(draft()) == ["no_lines"]


def test_no_email_blocks_sending_an_invoice() -> None:
    assert blocked_codes(three_lines(), customer=customer("SE", email=None)) == ["customer_email_missing"]


def test_no_email_does_not_block_automatic_collection() -> None:
    buyer = customer("SE", email=None, default_payment_method="pm_card")
    invoice = finalized(three_lines().edited(collection_method="charge_automatically"), customer=buyer)
    assert invoice.status == "open"
    automatic = three_lines().edited(collection_method="charge_automatically")
    issues = automatic.model_copy(update={"tax_currency_rate": SEK_RATE}).priced(
        seller("SE"), buyer, NOW.date()).validation_issues(seller("SE"), buyer, [])
    assert [(i.code, i.blocking) for i in issues] == [("customer_email_missing", False)]


def test_customer_without_address_blocks_when_vat_depends_on_it() -> None:
    assert blocked_codes(three_lines(), customer=customer(None)) == ["customer_address_missing"]


def test_customer_without_address_does_not_block_when_every_line_has_a_rate() -> None:
    invoice = finalized(draft(line(1000, tax_rate=vat(25))), customer=customer(None))
    assert invoice.status == "open"


def test_seller_without_address_blocks() -> None:
    assert blocked_codes(three_lines(), seller=seller(None)) == ["seller_address_missing"]


def test_reverse_charge_customer_without_vat_id_blocks() -> None:
    assert blocked_codes(three_lines(), customer=customer("DE", tax_exempt="reverse")) == ["customer_tax_id_missing"]


def test_reverse_charge_customer_with_vat_id_finalizes_at_zero_tax() -> None:
    invoice = finalized(customer=customer("DE", vat="DE136695976", tax_exempt="reverse"))
    assert invoice.totals is not None
    assert invoice.totals.tax == 0
    assert invoice.totals.tax_groups[0].category == "AE"


def test_automatic_collection_without_payment_method_blocks() -> None:
    invoice = three_lines().edited(collection_method="charge_automatically")
    assert blocked_codes(invoice) == ["payment_method_missing"]


MANDATE = DirectDebitMandate(mandate_reference="MNDT-1", iban="DE89370400440532013000")


def test_automatic_collection_under_a_direct_debit_mandate_needs_no_other_payment_method() -> None:
    invoice = three_lines().edited(collection_method="charge_automatically")
    debited = finalized(invoice, seller=seller("SE", sepa_creditor_id="SE41ZZZ5567037485"),
                        customer=customer("SE", direct_debit=MANDATE))
    assert debited.status == "open"


def test_a_direct_debit_without_the_sellers_creditor_id_blocks_and_needs_no_bank_details() -> None:
    codes = blocked_codes(three_lines(), seller=seller("SE", iban=None), customer=customer("SE", direct_debit=MANDATE))
    assert codes == ["direct_debit_creditor_id_missing"]  # and no seller_payment_details_missing warning either
    account, buyer = seller("SE", iban=None, sepa_creditor_id="SE41ZZZ5567037485"), customer("SE", direct_debit=MANDATE)
    priced = three_lines().priced(account, buyer, NOW.date())
    def codes(issues: list[ValidationIssue]) -> set[str]:
        return {i.code for i in issues}

    assert "seller_payment_details_missing" not in codes(priced.validation_issues(account, buyer, []))
    # the same invoice, paid by transfer, has no account to go to
    assert "seller_payment_details_missing" in codes(priced.validation_issues(seller("SE", iban=None), customer("SE"),
                                                                              []))


def test_a_payment_card_says_which_card_is_charged_and_is_no_payment_method_of_its_own() -> None:
    """The card (BG-18) is what the invoice states about the charge; the charge is the provider's, on the
    customer's default_payment_method, which automatic collection still needs. A seller without bank
    details is no obstacle: nothing is transferred."""
    card = PaymentCard(last_digits="4242", kind="credit")
    invoice = three_lines().edited(collection_method="charge_automatically")
    assert blocked_codes(invoice, customer=customer("SE", payment_card=card)) == ["payment_method_missing"]
    charged = finalized(invoice, seller=seller("SE", iban=None),
                        customer=customer("SE", payment_card=card, default_payment_method="pm_card_4242"))
    assert charged.status == "open" and charged.customer_snapshot is not None
    assert charged.customer_snapshot.payment_card == card  # the card is the snapshot's, like the mandate


def test_a_direct_debit_customer_s_invoice_in_another_currency_is_not_debited() -> None:
    sek = draft(line(1000), currency="SEK")
    invoice = finalized(sek, customer=customer("SE", direct_debit=MANDATE, currency="SEK"))
    assert invoice.status == "open"  # no creditor id needed: SEPA direct debit is euro-only


@pytest.mark.parametrize("invoice", [draft(line(0)), draft(line(1000, discounts=(pct(100),)))],
                         ids=["zero_price", "fully_discounted"])
def test_zero_total_blocks(invoice: Invoice) -> None:
    assert blocked_codes(invoice) == ["total_not_positive"]


def test_all_blocking_issues_are_listed_together() -> None:
    invoice = draft(line(0)).edited(collection_method="charge_automatically")
    codes = blocked_codes(invoice, customer=customer(None, email=None))
    assert set(codes) == {"customer_address_missing", "payment_method_missing", "total_not_positive"}


def test_currency_different_from_the_customers_is_a_warning() -> None:
    buyer = customer("SE", currency="SEK")
    issues = three_lines().priced(seller("SE"), buyer, NOW.date()).validation_issues(seller("SE"), buyer, [])
    # A Swedish seller's EUR invoice also states its VAT in SEK (Art. 230): without a rate, a warning.
    assert [(i.code, i.blocking) for i in issues] == [("currency_differs_from_customer", False),
                                                      ("tax_currency_rate_missing", False)]
    assert finalized(customer=buyer).status == "open"


# --- the unusual-total warning -----------------------------------------------------------------


def warnings_for(total: int, previous_totals: list[int]) -> list[str]:
    buyer = customer("SE")
    priced = draft(line(total, tax_code="exempt")).priced(seller("SE"), buyer, NOW.date())
    assert priced.totals is not None and priced.totals.total == total
    return [i.code for i in priced.validation_issues(seller("SE"), buyer, previous_totals)]


@pytest.mark.parametrize(
    ("total", "previous", "unusual"),
    [
        (3001, [1000, 1000, 1000], True),  # more than 3x the median
        (3000, [1000, 1000, 1000], False),  # exactly 3x is not flagged
        (3001, [1000, 1000], False),  # fewer than 3 previous invoices: no usual yet
        (3001, [10, 1001, 1001, 50_000], False),  # median of four is 1001: 3003 > 3001
        (3001, [999, 1000, 1000, 1000, 90_000], True),  # median 1000 (the mean would be 18 800)
        (100, [301, 301, 301], True),  # far below the usual too
        (100, [300, 300, 300], False),
        (5000, [0, 0, 0], False),  # no usual amount to compare with
    ],
)
def test_total_unusual_against_the_median(total: int, previous: list[int], unusual: bool) -> None:
    assert ("total_unusual" in warnings_for(total, previous)) is unusual


def test_unusual_total_does_not_block_finalization() -> None:
    invoice = finalized(previous_totals=[100, 100, 100])
    assert invoice.status == "open"


def test_finalized_invoices_have_no_validation_issues() -> None:
    invoice = finalized()
    assert invoice.validation_issues(seller("SE"), customer("SE", email=None), []) == []


# --- the state machine ----------------------------------------------------------------------------


def test_pay_an_open_invoice() -> None:
    paid = finalized().pay(LATER)
    assert paid.status == "paid"
    assert paid.amount_paid == 3875
    assert paid.amount_remaining == 0
    assert paid.status_transitions.paid_at == LATER
    assert paid.status_transitions.finalized_at == NOW
    assert paid.version == 2


def test_void_an_open_invoice() -> None:
    voided = finalized().void(LATER)
    assert voided.status == "void"
    assert voided.status_transitions.voided_at == LATER
    assert voided.amount_paid == 0


def test_mark_uncollectible_then_pay() -> None:
    uncollectible = finalized().mark_uncollectible(LATER)
    assert uncollectible.status == "uncollectible"
    assert uncollectible.status_transitions.marked_uncollectible_at == LATER
    paid = uncollectible.pay(LATER)
    assert paid.status == "paid"
    assert paid.amount_paid == 3875
    assert paid.version == 3


def test_uncollectible_can_be_voided() -> None:
    assert finalized().mark_uncollectible(LATER).void(LATER).status == "void"


@pytest.mark.parametrize("action", ["pay", "void", "mark_uncollectible"])
@pytest.mark.parametrize("terminal", ["paid", "void"])
def test_paid_and_void_are_terminal(terminal: str, action: str) -> None:
    invoice = finalized()
    invoice = invoice.pay(LATER) if terminal == "paid" else invoice.void(LATER)
    with pytest.raises(InvalidStateTransition) as raised:
        getattr(invoice, action)(LATER)
    assert raised.value.code == "invalid_state_transition"


@pytest.mark.parametrize("action", ["pay", "void", "mark_uncollectible"])
def test_a_draft_changes_status_only_by_finalizing(action: str) -> None:
    with pytest.raises(InvalidStateTransition):
        getattr(three_lines(), action)(LATER)


def test_uncollectible_cannot_be_marked_again() -> None:
    with pytest.raises(InvalidStateTransition):
        finalized().mark_uncollectible(LATER).mark_uncollectible(LATER)


def test_transition_table_matches_the_design() -> None:
    assert TRANSITIONS["draft"] == {"open"}
    assert TRANSITIONS["open"] == {"paid", "void", "uncollectible"}
    assert "paid" in TRANSITIONS["uncollectible"]
    assert TRANSITIONS["paid"] == frozenset()
    assert TRANSITIONS["void"] == frozenset()
