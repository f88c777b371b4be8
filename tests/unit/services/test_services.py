"""The use cases' rules, against the ports (fakes here; DynamoDB in tests/integration)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from invoicing.domain.credit_note import CreditLineRequest
from invoicing.domain.errors import Conflict, FinalizationBlocked, InvalidInput, InvalidStateTransition, InvoiceNotDraft
from invoicing.domain.party import Numbering
from invoicing.domain.tax import TaxRate
from invoicing.services.commands import Changes, NewCreditNote, NewInvoice, NewLine, PaymentVatDetails, TaxIdInput
from invoicing.services.document_keys import credit_note_key, invoice_key
from invoicing.services.payments import PaymentService
from tests.unit.domain.builders import customer
from tests.unit.services.conftest import Services
from tests.unit.services.fakes import FakeIds, FakeRetry


def draft(s: Services, *amounts: int, customer_id: str | None = None, **fields: Any) -> str:
    lines = tuple(NewLine(description=f"Item {i}", quantity=Decimal(1), unit_amount_decimal=Decimal(a))
                  for i, a in enumerate(amounts or (10_000,)))
    view = s.invoices.create_draft(s.seller.id, NewInvoice(customer_id=customer_id or s.buyer.id, lines=lines,
                                                           **fields))
    return view.invoice.id


def pay(s: Services, invoice_id: str) -> Any:
    """`POST /invoices/{id}/pay`: a manual payment of what remains, through the reconciliation."""
    return PaymentService(s.uow, s.clock, FakeIds(), FakeRetry()).pay_invoice(s.seller.id, invoice_id)


def trail(s: Services, invoice_id: str) -> list[str]:
    return [e.type for e in s.invoices.events(s.seller.id, invoice_id)]


# --- drafts -------------------------------------------------------------------------------------

def test_a_draft_is_priced_and_records_its_creation(services: Services) -> None:
    invoice_id = draft(services, 10_000, 2_000)
    view = services.invoices.get(services.seller.id, invoice_id)
    assert view.invoice.status == "draft"
    assert view.invoice.totals is not None and view.invoice.totals.total == 15_000  # 12 000 + 25 % VAT
    assert trail(services, invoice_id) == ["invoice.created"]


def test_editing_a_draft_is_a_new_version_with_an_event(services: Services) -> None:
    invoice_id = draft(services, 10_000)
    services.invoices.add_lines(services.seller.id, invoice_id,
                                [NewLine(description="More", quantity=Decimal(2), unit_amount_decimal=Decimal(500))])
    view = services.invoices.get(services.seller.id, invoice_id)
    assert [line.description for line in view.invoice.lines] == ["Item 0", "More"]
    assert view.invoice.version == 1
    services.invoices.remove_line(services.seller.id, invoice_id, view.invoice.lines[0].id)
    assert trail(services, invoice_id) == ["invoice.created", "invoice.updated", "invoice.updated"]


def test_a_due_date_in_the_past_is_refused(services: Services) -> None:
    with pytest.raises(InvalidInput):
        draft(services, due_date=services.clock.now().date().replace(year=2020))


def test_an_unknown_customer_is_not_found(services: Services) -> None:
    from invoicing.domain.errors import NotFound

    with pytest.raises(NotFound):
        draft(services, customer_id="cus_missing")


# --- finalizing ---------------------------------------------------------------------------------

def test_finalizing_numbers_gaplessly_and_freezes(services: Services) -> None:
    ids = [draft(services) for _ in range(3)]
    numbers = [services.invoices.finalize(services.seller.id, i).invoice.number for i in ids]
    assert numbers == ["INV-000001", "INV-000002", "INV-000003"]
    assert trail(services, ids[0]) == ["invoice.created", "invoice.finalized"]
    with pytest.raises(InvoiceNotDraft):
        services.invoices.finalize(services.seller.id, ids[0])
    with pytest.raises(InvoiceNotDraft):
        services.invoices.add_lines(services.seller.id, ids[0],
                                    [NewLine(description="x", quantity=Decimal(1), unit_amount_decimal=Decimal(1))])


def test_a_blocked_draft_takes_no_number(services: Services) -> None:
    nobody = services.customers.create(services.seller.id, Changes({"name": "No Address Oy", "currency": "EUR"}))
    blocked = draft(services, customer_id=nobody.id)
    with pytest.raises(FinalizationBlocked):
        services.invoices.finalize(services.seller.id, blocked)
    assert services.invoices.finalize(services.seller.id, draft(services)).invoice.number == "INV-000001"


def test_batch_finalization_numbers_in_order_and_reports_the_rest(services: Services) -> None:
    nobody = services.customers.create(services.seller.id, Changes({"name": "No Address Oy", "currency": "EUR"}))
    ids = [draft(services) for _ in range(3)]
    blocked = draft(services, customer_id=nobody.id)
    already = draft(services)
    services.invoices.finalize(services.seller.id, already)
    outcome = services.invoices.finalize_many(services.seller.id, [ids[0], blocked, ids[1], already, ids[2]])
    assert [i.number for i in outcome.finalized] == ["INV-000002", "INV-000003", "INV-000004"]
    assert set(outcome.failed) == {blocked, already}
    assert isinstance(outcome.failed[blocked], FinalizationBlocked)
    assert isinstance(outcome.failed[already], InvoiceNotDraft)


def test_a_batch_larger_than_one_commit_is_split_without_gaps(services: Services) -> None:
    ids = [draft(services, 100) for _ in range(120)]
    outcome = services.invoices.finalize_many(services.seller.id, ids)
    assert [i.number for i in outcome.finalized] == [f"INV-{n:06d}" for n in range(1, 121)]
    assert not outcome.failed


def test_credit_on_the_balance_is_used_once(services: Services) -> None:
    with services.uow as uow:
        uow.customers.adjust_credit(services.seller.id, services.buyer.id, 5_000)
        uow.commit()
    first, second = draft(services), draft(services)
    outcome = services.invoices.finalize_many(services.seller.id, [first, second])
    applied = {i.id: i.applied_balance for i in outcome.finalized}
    assert applied == {first: 5_000, second: 0}  # the second commit saw the balance used by the first
    assert services.customers.get(services.seller.id, services.buyer.id).credit_balance == 0


def test_a_prepayment_is_deducted_once_even_by_two_drafts_in_one_batch(services: Services) -> None:
    """Both drafts were made while the prepayment was free; the batch finalizes the first, which
    records the deduction on the prepayment invoice in its commit, and refuses the second."""
    advance = draft(services, 10_000, payment_vat=PaymentVatDetails(prepayment=True))
    services.invoices.finalize(services.seller.id, advance)
    pay(services, advance)  # 12 500 paid
    first, second = (draft(services, 20_000, prepayments=((advance, None),)) for _ in range(2))
    outcome = services.invoices.finalize_many(services.seller.id, [first, second])
    assert [(i.id, i.prepaid_amount, i.amount_due) for i in outcome.finalized] == [(first, 12_500, 12_500)]
    assert isinstance(outcome.failed[second], Conflict) and outcome.failed[second].code == "prepayment_exceeded"
    prepayment = services.invoices.get(services.seller.id, advance).invoice
    assert prepayment.prepayment_deducted == 12_500
    assert trail(services, advance)[-1] == "invoice.updated"
    with pytest.raises(InvalidInput, match="deducts no prepayments"):
        draft(services, payment_vat=PaymentVatDetails(prepayment=True), prepayments=((advance, None),))


def test_voiding_a_final_invoice_gives_back_its_prepayment_and_the_credit_it_applied(services: Services) -> None:
    """What finalizing took is returned in the void's commit: the prepayment may be deducted again, the
    customer's credit balance is what it was; voiding twice gives back nothing twice."""
    advance = draft(services, 10_000, payment_vat=PaymentVatDetails(prepayment=True))
    services.invoices.finalize(services.seller.id, advance)
    pay(services, advance)  # 12 500 paid
    with services.uow as uow:
        uow.customers.adjust_credit(services.seller.id, services.buyer.id, 2_000)
        uow.commit()
    final = services.invoices.finalize(services.seller.id, draft(services, 20_000, prepayments=((advance, None),)))
    assert (final.invoice.prepaid_amount, final.invoice.applied_balance, final.invoice.amount_due) == (12_500, 2_000,
                                                                                                       10_500)
    assert services.customers.get(services.seller.id, services.buyer.id).credit_balance == 0
    voided = services.invoices.void(services.seller.id, final.invoice.id)
    assert voided.invoice.status == "void"
    assert services.invoices.get(services.seller.id, advance).invoice.prepayment_deducted == 0
    assert services.customers.get(services.seller.id, services.buyer.id).credit_balance == 2_000
    with pytest.raises(InvalidStateTransition):
        services.invoices.void(services.seller.id, final.invoice.id)
    assert services.customers.get(services.seller.id, services.buyer.id).credit_balance == 2_000
    again = services.invoices.finalize(services.seller.id, draft(services, 20_000, prepayments=((advance, None),)))
    assert (again.invoice.prepaid_amount, again.invoice.applied_balance) == (12_500, 2_000)


def test_per_customer_series_and_a_shared_prefix(services: Services) -> None:
    services.accounts.update(services.seller.id, Changes({"numbering": Numbering(scope="customer")}))
    acme = services.customers.create(services.seller.id, Changes({
        "name": "Acme AB", "currency": "EUR", "invoice_prefix": "ACME", "email": "ap@acme.example",
        "address": services.buyer.address}))
    clash = services.customers.create(services.seller.id, Changes({
        "name": "Clash AB", "currency": "EUR", "invoice_prefix": "ACME", "email": "ap@clash.example",
        "address": services.buyer.address}))
    numbers = [services.invoices.finalize(services.seller.id, draft(services, customer_id=c.id)).invoice.number
               for c in (acme, clash, acme)]
    assert numbers == ["ACME-0001", "ACME-0002", "ACME-0003"]  # one prefix, one series: never a duplicate


# --- after finalizing ---------------------------------------------------------------------------

def test_paying_voiding_and_uncollectible_follow_the_state_machine(services: Services) -> None:
    paid, voided, lost = (draft(services) for _ in range(3))
    for invoice_id in (paid, voided, lost):
        services.invoices.finalize(services.seller.id, invoice_id)
    assert pay(services, paid).invoice.status == "paid"
    assert services.invoices.void(services.seller.id, voided).invoice.status == "void"
    assert services.invoices.mark_uncollectible(services.seller.id, lost).invoice.status == "uncollectible"
    with pytest.raises(InvalidStateTransition):
        services.invoices.void(services.seller.id, paid)
    assert trail(services, paid) == ["invoice.created", "invoice.finalized", "invoice.paid"]
    assert trail(services, voided)[-1] == "invoice.voided"
    assert trail(services, lost)[-1] == "invoice.marked_uncollectible"


def test_a_draft_has_no_documents(services: Services) -> None:
    with pytest.raises(Conflict) as raised:
        services.invoices.document_link(services.seller.id, draft(services), "pdf")
    assert raised.value.code == "invoice_not_finalized"


def test_a_document_being_rendered_says_when_to_ask_again(services: Services) -> None:
    invoice_id = draft(services)
    services.invoices.finalize(services.seller.id, invoice_id)
    link = services.invoices.document_link(services.seller.id, invoice_id, "pdf")
    assert (link.ready, link.url, link.retry_after) == (False, None, 2)


def test_no_einvoice_answers_409_naming_why(services: Services) -> None:
    """Rendering wrote the PDF and no e-invoice: the link says why, with the reason the draft showed."""
    gulf = customer("US", id="cus_gulf", currency="KWD")
    with services.uow:
        services.uow.customers.add(gulf)
        services.uow.commit()
    invoice_id = draft(services, 1_250_500, customer_id=gulf.id)
    warned = services.invoices.get(services.seller.id, invoice_id).validation_issues
    # A Swedish seller's KWD invoice also states its VAT in SEK (Art. 230): no rate given, a warning.
    assert [(i.code, i.blocking) for i in warned] == [("tax_currency_rate_missing", False),
                                                      ("einvoice_currency_decimals", False)]
    invoice = services.invoices.finalize(services.seller.id, invoice_id).invoice
    services.invoices.documents.put_once(invoice_key(invoice, "pdf"), b"%PDF", "application/pdf")
    for fmt in ("ubl", "cii"):
        with pytest.raises(Conflict) as raised:
            services.invoices.document_link(services.seller.id, invoice_id, fmt)  # type: ignore[arg-type]
        assert raised.value.code == "einvoice_currency_decimals" and raised.value.param == "currency"
        assert "KWD has 3 decimals" in raised.value.message
    note = services.credit_notes.create(services.seller.id, NewCreditNote(invoice_id=invoice_id, amount=500))
    services.credit_notes.documents.put_once(credit_note_key(note, "pdf"), b"%PDF", "application/pdf")
    with pytest.raises(Conflict) as raised:
        services.credit_notes.document_link(services.seller.id, note.id, "ubl")
    assert raised.value.code == "einvoice_currency_decimals"


# --- credit notes -------------------------------------------------------------------------------

def test_a_credit_note_before_payment_lowers_what_is_due(services: Services) -> None:
    invoice_id = draft(services, 10_000)
    services.invoices.finalize(services.seller.id, invoice_id)
    note = services.credit_notes.create(services.seller.id, NewCreditNote(invoice_id=invoice_id, amount=2_500))
    assert (note.number, note.type, note.amount, note.tax) == ("CN-000001", "pre_payment", 2_500, 500)
    invoice = services.invoices.get(services.seller.id, invoice_id).invoice
    assert (invoice.amount_due, invoice.status) == (10_000, "open")
    rest = services.credit_notes.create(services.seller.id, NewCreditNote(invoice_id=invoice_id))
    assert (rest.number, rest.amount) == ("CN-000002", 10_000)
    assert services.invoices.get(services.seller.id, invoice_id).invoice.status == "paid"
    assert trail(services, invoice_id)[2:] == ["credit_note.created", "credit_note.created", "invoice.paid"]


def test_a_credit_note_after_payment_becomes_customer_credit(services: Services) -> None:
    invoice_id = draft(services, 10_000)
    services.invoices.finalize(services.seller.id, invoice_id)
    pay(services, invoice_id)
    services.credit_notes.create(services.seller.id, NewCreditNote(invoice_id=invoice_id, amount=4_000))
    assert services.customers.get(services.seller.id, services.buyer.id).credit_balance == 4_000
    with pytest.raises(InvalidInput):
        services.credit_notes.create(services.seller.id, NewCreditNote(invoice_id=invoice_id, amount=9_000))
    next_invoice = draft(services, 10_000)
    assert services.invoices.finalize(services.seller.id, next_invoice).invoice.applied_balance == 4_000


def test_a_draft_cannot_be_credited(services: Services) -> None:
    with pytest.raises(InvalidStateTransition):
        services.credit_notes.create(services.seller.id, NewCreditNote(invoice_id=draft(services), amount=100))


def three_rates(s: Services) -> tuple[str, list[str]]:
    """1 000,00 at 25 %, 800,00 at 12 % and 569,00 at 6 %: 250,00 + 96,00 + 34,14 VAT, 2 749,14 in all."""
    lines = tuple(NewLine(description=f"At {rate} %", quantity=Decimal(1), unit_amount_decimal=Decimal(amount),
                          tax_rate=TaxRate(percent=Decimal(rate)))
                  for rate, amount in ((25, 100_000), (12, 80_000), (6, 56_900)))
    view = s.invoices.create_draft(s.seller.id, NewInvoice(customer_id=s.buyer.id, lines=lines))
    invoice = s.invoices.finalize(s.seller.id, view.invoice.id).invoice
    assert invoice.totals is not None and invoice.totals.total == 274_914
    return invoice.id, [line.id for line in invoice.lines]


def of_line(line_id: str, quantity: str | None = None, amount: int | None = None) -> CreditLineRequest:
    return CreditLineRequest(type="invoice_line_item", invoice_line_item=line_id,
                             quantity=Decimal(quantity) if quantity else None, amount=amount)


def test_a_credit_note_by_line_reverses_the_vat_of_that_rate_only(services: Services) -> None:
    invoice_id, (_, _, books) = three_rates(services)
    note = services.credit_notes.create(services.seller.id, NewCreditNote(invoice_id=invoice_id,
                                                                         lines=(of_line(books),)))
    assert [(g.percent, g.taxable_amount, g.tax_amount) for g in note.tax_groups] == [(6, 56_900, 3_414)]
    assert (note.number, note.amount) == ("CN-000001", 60_314)
    invoice = services.invoices.get(services.seller.id, invoice_id).invoice
    assert invoice.amount_due == 274_914 - 60_314
    assert invoice.credit_ledger.line(books).amount == 56_900
    with pytest.raises(InvalidInput) as raised:  # the line is credited: nothing of it is left
        services.credit_notes.create(services.seller.id, NewCreditNote(invoice_id=invoice_id,
                                                                       lines=(of_line(books, amount=1),)))
    assert raised.value.code == "line_fully_credited"
    assert trail(services, invoice_id)[-1] == "credit_note.created"


def test_an_amount_alone_on_several_rates_is_refused_and_nothing_is_numbered(services: Services) -> None:
    invoice_id, (standard, *_) = three_rates(services)
    with pytest.raises(InvalidInput) as raised:
        services.credit_notes.create(services.seller.id, NewCreditNote(invoice_id=invoice_id, amount=10_000))
    assert raised.value.code == "amount_requires_lines"
    page = services.credit_notes.list_for_invoice(services.seller.id, invoice_id, limit=10, starting_after=None)
    assert page.data == []
    note = services.credit_notes.create(services.seller.id, NewCreditNote(
        invoice_id=invoice_id, lines=(of_line(standard, amount=8_000),)))
    assert (note.number, note.amount) == ("CN-000001", 10_000)  # 80,00 + 20,00


def test_crediting_an_invoice_paid_in_part_by_customer_credit_gives_the_credit_back(services: Services) -> None:
    with services.uow as uow:
        uow.customers.adjust_credit(services.seller.id, services.buyer.id, 5_000)
        uow.commit()
    invoice_id = draft(services, 10_000)  # 125.00, of which 50.00 from the balance: 75.00 due
    assert services.invoices.finalize(services.seller.id, invoice_id).invoice.amount_due == 7_500
    assert services.customers.get(services.seller.id, services.buyer.id).credit_balance == 0
    note = services.credit_notes.create(services.seller.id, NewCreditNote(invoice_id=invoice_id))
    assert (note.amount, note.pre_payment_amount, note.post_payment_amount) == (12_500, 7_500, 5_000)
    assert services.customers.get(services.seller.id, services.buyer.id).credit_balance == 5_000
    assert services.invoices.get(services.seller.id, invoice_id).invoice.status == "paid"


def test_a_preview_checks_and_writes_nothing(services: Services) -> None:
    invoice_id, (standard, reduced, _) = three_rates(services)
    cmd = NewCreditNote(invoice_id=invoice_id, lines=(of_line(standard, quantity="1"), of_line(reduced, amount=10_000)))
    preview = services.credit_notes.preview(services.seller.id, cmd)
    assert [(g.percent, g.taxable_amount, g.tax_amount) for g in preview.tax_groups] == [
        (25, 100_000, 25_000), (12, 10_000, 1_200)]
    assert preview.number == ""
    assert services.invoices.get(services.seller.id, invoice_id).invoice.amount_due == 274_914
    issued = services.credit_notes.create(services.seller.id, cmd)
    assert (issued.number, issued.amount, issued.tax_groups) == ("CN-000001", preview.amount, preview.tax_groups)
    with pytest.raises(InvalidInput):  # the line was credited in the meantime
        services.credit_notes.preview(services.seller.id, cmd)


def test_after_payment_what_was_refunded_elsewhere_is_not_customer_credit(services: Services) -> None:
    invoice_id, (_, _, books) = three_rates(services)
    pay(services, invoice_id)
    note = services.credit_notes.create(services.seller.id, NewCreditNote(
        invoice_id=invoice_id, lines=(of_line(books),), out_of_band_amount=20_314))
    assert (note.type, note.credit_amount, note.out_of_band_amount) == ("post_payment", 40_000, 20_314)
    assert services.customers.get(services.seller.id, services.buyer.id).credit_balance == 40_000
    invoice = services.invoices.get(services.seller.id, invoice_id).invoice
    assert invoice.post_payment_credit_notes_amount == 60_314


# --- customers and accounts ---------------------------------------------------------------------

def test_customers_are_versioned_and_record_events(services: Services) -> None:
    created = services.customers.create(services.seller.id, Changes(
        {"name": "Kund AB", "currency": "SEK"}, tax_ids=[TaxIdInput("eu_vat", "SE 5567 0374 8501")]))
    assert [e.type for e in created.events] == ["customer.created"]
    assert created.tax_ids[0].value == "SE556703748501"
    updated = services.customers.update(services.seller.id, created.id, Changes({"name": "Kund & Co AB"}))
    assert (updated.name, updated.version) == ("Kund & Co AB", 1)
    assert [e.type for e in updated.events] == ["customer.updated"]
    assert services.customers.get(services.seller.id, created.id).name == "Kund & Co AB"


def test_an_invalid_iban_is_refused(services: Services) -> None:
    with pytest.raises(InvalidInput) as raised:
        services.accounts.update(services.seller.id, Changes({"iban": "SE00 1234"}))
    assert raised.value.param == "iban"
