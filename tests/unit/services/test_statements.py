"""Bank statement uploads (services/statements.py): parsed with the real parsers, reconciled through
the payment service, on the fakes (and on DynamoDB: tests/integration/adapters/test_payments_on_dynamodb.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from invoicing.services.statements import StatementService, parse_statement_key, statement_key
from local.camt import Entry, camt053
from tests.unit.services.conftest import Services
from tests.unit.services.fakes import FakeStatementFiles
from tests.unit.services.test_payments import credit, open_invoice, stored

HOSTILE = Path(__file__).resolve().parents[1] / "adapters" / "bank_statements" / "statements"


def upload(statements: StatementService, files: FakeStatementFiles, body: bytes, account: str) -> Any:
    created = statements.create_upload(account, "statement.xml")
    files.objects[created.statement.object_key] = body
    return statements.process(account, created.statement.id)


def test_a_statement_pays_each_referenced_invoice_once_however_often_it_arrives(
        services: Services, statements: StatementService, statement_files: FakeStatementFiles) -> None:
    full, part, over = open_invoice(services), open_invoice(services), open_invoice(services)  # 125.00 each
    body = camt053(
        Entry("REF-1", "125.00", structured_reference=full.payment_reference),
        Entry("REF-2", "50.00", structured_reference=part.payment_reference),
        Entry("REF-3", "130.00", text=f"payment for {over.number}", structured_reference=over.payment_reference),
        Entry("REF-4", "999.00", text="no idea what this is", payer="Unknown Ltd"),
        Entry("REF-5", "10.00", credit=False, text="bank fee"),
    )
    account = services.seller.id
    done = [upload(statements, statement_files, body, account) for _ in range(3)]
    assert [d.status for d in done] == ["reconciled"] * 3
    assert done[0].counts.model_dump() == {"entries": 5, "applied": 3, "unmatched": 1, "reversed": 0,
                                           "duplicates": 0, "ignored": 1}
    assert done[1].counts.duplicates == 4 and done[2].counts.applied == 0
    assert stored(services, full.id).status == "paid"
    assert (stored(services, part.id).status, stored(services, part.id).amount_remaining) == ("open", 7_500)
    assert stored(services, over.id).status == "paid" and credit(services) == 500
    assert stored(services, full.id).amount_paid == 12_500  # not 3 x 12 500


def test_a_reversal_entry_reopens_the_invoice_its_payment_paid(
        services: Services, statements: StatementService, statement_files: FakeStatementFiles) -> None:
    invoice = open_invoice(services)
    account = services.seller.id
    upload(statements, statement_files, camt053(Entry("REF-1", "125.00", structured_reference=invoice.payment_reference,
                                            end_to_end_id="E2E-1")), account)
    assert stored(services, invoice.id).status == "paid"
    reversal = camt053(Entry("REF-9", "125.00", credit=False, reversal=True, end_to_end_id="E2E-1",
                             structured_reference=invoice.payment_reference), statement_id="STMT-2")
    first = upload(statements, statement_files, reversal, account)
    again = upload(statements, statement_files, reversal, account)
    assert first.counts.reversed == 1 and again.counts.duplicates == 1
    after = stored(services, invoice.id)
    assert (after.status, after.amount_remaining) == ("open", 12_500)


@pytest.mark.parametrize("body", [
    b"this is not a statement",
    (HOSTILE / "hostile-billion-laughs.xml").read_bytes(),
    (HOSTILE / "hostile-external-entity.xml").read_bytes(),
], ids=["garbage", "billion-laughs", "xxe"])
def test_a_file_that_does_not_parse_is_kept_rejected_and_nothing_is_applied(
        services: Services, statements: StatementService, statement_files: FakeStatementFiles, body: bytes) -> None:
    invoice = open_invoice(services)
    done = upload(statements, statement_files, body, services.seller.id)
    assert done.status == "rejected" and done.error is not None and done.error.code == "statement_rejected"
    assert statements.get(services.seller.id, done.id).error == done.error
    assert stored(services, invoice.id).amount_paid == 0


def test_a_file_with_one_inexact_amount_is_refused_whole(
        services: Services, statements: StatementService, statement_files: FakeStatementFiles) -> None:
    invoice = open_invoice(services)
    good = camt053(Entry("REF-1", "125.00", structured_reference=invoice.payment_reference))
    bad = good.replace(b"</Ntry>", b"</Ntry><Ntry><Amt Ccy=\"EUR\">1.005</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
                                   b"<Sts><Cd>BOOK</Cd></Sts><AcctSvcrRef>X</AcctSvcrRef></Ntry>", 1)
    done = upload(statements, statement_files, bad, services.seller.id)
    assert done.status == "rejected" and "decimals" in (done.error.message if done.error else "")
    assert stored(services, invoice.id).amount_paid == 0


def test_upload_keys_name_their_account_and_statement() -> None:
    assert parse_statement_key(statement_key("acct_1", "stmt_2")) == ("acct_1", "stmt_2")
    assert parse_statement_key("statements/acct_1/../x") is None
    assert parse_statement_key("documents/acct_1/stmt_2") is None
