"""The fixture statements through matching: references find their invoices, a reversal finds its payment."""

from __future__ import annotations

from pathlib import Path

from invoicing.adapters.bank_statements import parse_statement
from invoicing.domain.payment_allocation import plan_reversal, reopen_remaining
from invoicing.domain.payment_matching import (
    AppliedPayment,
    IncomingPayment,
    find_reversed,
    match_payment,
    references_in,
)
from invoicing.domain.payment_reference import creditor_reference, ocr_reference
from tests.unit.domain.test_payment_matching import applied, invoice

STATEMENTS = Path(__file__).parent / "statements"


def test_every_referenced_entry_of_the_fixture_statements_matches_its_invoice() -> None:
    numbers = {creditor_reference(f"INV-{n:06d}"): n for n in range(1, 11)}
    numbers |= {ocr_reference(f"INV-{n:06d}"): n for n in range(1, 11)}
    checked = 0
    for path in sorted(STATEMENTS.glob("*")):
        if path.name.startswith("hostile") or path.suffix == ".md":
            continue
        for entry in parse_statement(path.read_bytes()).entries:
            incoming = IncomingPayment.from_statement_entry(entry)
            if incoming is None:
                continue
            wanted = [numbers[r] for r in references_in(incoming) if r in numbers]
            if not wanted:
                continue
            invoices = [invoice(n, incoming.amount + 100, currency=incoming.currency) for n in range(1, 11)]
            decision = match_payment(incoming, invoices)
            assert (decision.rule, applied(decision)) == ("reference", {f"inv_{wanted[0]}": incoming.amount}), path
            checked += 1
    assert checked == 8


def test_a_reversal_reopens_what_its_payment_paid() -> None:
    statement = parse_statement((STATEMENTS / "camt053.001.04-sek-reversal-charges.xml").read_bytes())
    reversal = statement.entries[1]
    earlier = parse_statement((STATEMENTS / "camt053.001.02-sek-batch.xml").read_bytes()).entries[0]
    incoming = IncomingPayment.from_statement_entry(earlier)
    assert incoming is not None and IncomingPayment.from_statement_entry(reversal) is None
    decision = match_payment(incoming, [invoice(1, 5_000_000)])
    assert applied(decision) == {"inv_1": 5_000_000}
    record = AppliedPayment(key=incoming.key, amount=incoming.amount, currency="SEK",
                            structured_reference=incoming.structured_reference, end_to_end_id=incoming.end_to_end_id,
                            allocation=decision.allocation)
    other = record.model_copy(update={"key": "bank:x:2", "end_to_end_id": "OTHER"})
    assert find_reversed(reversal, [other, record]) == record
    assert find_reversed(reversal, [record.model_copy(update={"reversed": True})]) is None
    plan = plan_reversal(record.allocation, available_credit=0)
    assert reopen_remaining({}, plan) == {"inv_1": 5_000_000}


