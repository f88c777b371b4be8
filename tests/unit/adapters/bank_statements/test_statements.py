"""Bank statement files (statements/README.md says where each comes from) read into domain values."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from invoicing.adapters.bank_statements import parse_statement
from invoicing.adapters.bank_statements.camt import SUPPORTED_VERSIONS, parse_camt, parse_camt_statements
from invoicing.adapters.bank_statements.mt940 import parse_mt940
from invoicing.domain.bank_statement import BankStatement, StatementEntry, StatementRejected, amount_minor

STATEMENTS = Path(__file__).parent / "statements"


def read(name: str) -> BankStatement:
    return parse_statement((STATEMENTS / name).read_bytes())


def by_reference(statement: BankStatement) -> dict[str, StatementEntry]:
    return {entry.entry_reference: entry for entry in statement.entries}


# --- camt.053 ----------------------------------------------------------------------------------

def test_camt053_v02_splits_a_bankgiro_batch_into_its_payments() -> None:
    statement = read("camt053.001.02-sek-batch.xml")
    assert (statement.format, statement.version, statement.account, statement.currency) == (
        "camt.053", "001.02", "50000000054910000003", "SEK")
    entries = by_reference(statement)
    assert list(entries) == ["AAAASESS-FP-CN98765-1", "AAAASESS-FP-CN98765-2", "AAAASESS-FP-CN98765/3",
                             "AAAASESS-FP-CN98766", "AAAASESS-FP-CN98767"]
    first, second, third = (entries[k] for k in list(entries)[:3])
    # 50 000.00 + 35 678.50 + 20 000 = the booked 105 678.50, each part in öre, exactly.
    assert [first.amount, second.amount, third.amount] == [5_000_000, 3_567_850, 2_000_000]
    assert first.structured_reference == "18233100000147" and first.payer_iban == "SE4550000000058398257466"
    assert first.payer_name == "Lindqvist & Söner Bygg AB" and first.end_to_end_id == "BGC-0001"
    assert second.structured_reference == "RF42 INV0 0000 2"
    assert third.structured_reference is None and third.remittance_text == "Faktura INV-000003 mars"
    assert third.end_to_end_id is None  # NOTPROVIDED
    assert all(e.booking_date == date(2026, 3, 18) and e.direction == "credit" for e in (first, second, third))
    rent = entries["AAAASESS-FP-CN98766"]
    assert (rent.direction, rent.amount, rent.payer_name) == ("debit", 20_000_000, "Hyresvärden Fastighets AB")
    charged = entries["AAAASESS-FP-CN98767"]
    assert (charged.amount, charged.charges, charged.charges_included, charged.paid_amount) == (
        125_000, 2_500, False, 125_000)
    assert charged.value_date == date(2026, 3, 19)


def test_camt053_v04_reversal_included_charges_and_a_pending_entry() -> None:
    entries = read("camt053.001.04-sek-reversal-charges.xml").entries
    charged, reversal, pending = entries
    assert (charged.amount, charged.charges, charged.charges_included) == (497_500, 2_500, True)
    assert charged.paid_amount == 500_000  # the payer sent 5 000.00; the bank kept 25.00
    assert charged.payer_iban == "NO9386011117947"
    assert reversal.reversal and reversal.direction == "debit" and reversal.amount == 5_000_000
    assert reversal.structured_reference == "18233100000147" and reversal.end_to_end_id == "BGC-0001"
    assert reversal.payer_name == "Lindqvist & Söner Bygg AB"  # the payer whose payment was sent back
    assert not pending.booked and pending.amount == 1250 and pending.bank_transaction_code == "CARD"
    # NtryRef ("3") is unique only within its statement: the key is a digest, never "3".
    assert pending.entry_reference.startswith("sha256:")


def test_camt053_v08_two_accounts_in_two_currencies() -> None:
    statements = parse_camt_statements((STATEMENTS / "camt053.001.08-eur-usd-two-accounts.xml").read_bytes())
    assert [(s.account, s.currency, len(s.entries)) for s in statements] == [
        ("DE89370400440532013000", "EUR", 2), ("DE75512108001245126199", "USD", 1)]
    rf, two_invoices = statements[0].entries
    assert (rf.amount, rf.currency, rf.structured_reference) == (119_025, "EUR", "RF58INV000005")
    assert rf.payer_name == "Brandt Logistik GmbH" and rf.payer_iban == "DE44500105175407324931"
    assert rf.bank_transaction_code == "PMNT-RCDT-ESCT"
    assert two_invoices.amount == 1_400_000 and two_invoices.value_date == date(2026, 4, 1)
    assert two_invoices.remittance_text == "Rechnungen INV-000006, INV-000007"
    (usd,) = statements[1].entries
    assert (usd.amount, usd.currency, usd.paid_amount, usd.account) == (98_000, "USD", 100_000,
                                                                        "DE75512108001245126199")
    merged = parse_camt((STATEMENTS / "camt053.001.08-eur-usd-two-accounts.xml").read_bytes())
    assert [e.account for e in merged.entries] == ["DE89370400440532013000"] * 2 + ["DE75512108001245126199"]


# --- camt.054 ----------------------------------------------------------------------------------

def test_camt054_v02_a_credit_notification() -> None:
    statement = read("camt054.001.02-chf-credit.xml")
    (entry,) = statement.entries
    assert (statement.format, statement.version) == ("camt.054", "001.02")
    assert (entry.entry_reference, entry.amount, entry.currency) == ("CH20260324-778123", 394_975, "CHF")
    assert entry.structured_reference == "RF15INV000003" and entry.remittance_text == "Zimmerbuchung März"
    assert entry.payer_name == "Alpenblick Hotel AG"


def test_camt054_v06_a_zero_decimal_currency_and_an_entry_without_details() -> None:
    jpy, fee = read("camt054.001.06-jpy-eur.xml").entries
    assert (jpy.amount, jpy.currency, jpy.remittance_text) == (1_250_000, "JPY", "INV-000009")
    assert (fee.amount, fee.currency, fee.direction, fee.account) == (99, "EUR", "debit", "FI2112345600000785")


def test_camt054_v08_batch_of_two_transactions() -> None:
    first, second = read("camt054.001.08-eur-batch.xml").entries
    assert [first.entry_reference, second.entry_reference] == ["ACSR260601103200001/1", "ACSR260601103200001/2"]
    assert first.amount + second.amount == 315_000
    assert first.structured_reference == "RF69INV000001"
    assert second.remittance_text == "Invoices INV-000002 and INV-000004"
    assert first.end_to_end_id == "UXC06170000006PI00001EE00001"


def test_a_batch_that_does_not_add_up_stays_one_entry_for_a_person() -> None:
    data = (STATEMENTS / "camt054.001.08-eur-batch.xml").read_bytes().replace(b">2150.00<", b">2100.00<")
    (entry,) = parse_camt(data).entries
    assert entry.entry_reference == "ACSR260601103200001" and entry.amount == 315_000
    assert entry.structured_reference is None
    assert entry.remittance_text == "RF69INV000001 Invoices INV-000002 and INV-000004"


MINIMAL = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.{message}.001.{version}"><{root}><GrpHdr><MsgId>M</MsgId>
<CreDtTm>2026-01-02T00:00:00</CreDtTm></GrpHdr><{stmt}><Id>S</Id><Acct><Id><IBAN>SE3550000000054910000003</IBAN>
</Id></Acct><Ntry><Amt Ccy="SEK">10.5</Amt><CdtDbtInd>CRDT</CdtDbtInd>{status}<BookgDt><Dt>2026-01-02</Dt></BookgDt>
<AcctSvcrRef>R1</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr>{party}</Dbtr></RltdPties><RmtInf><Strd><CdtrRefInf>
<Ref>RF69INV000001</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry></{stmt}></{root}></Document>"""


@pytest.mark.parametrize("message", ["053", "054"])
@pytest.mark.parametrize("version", [v.split(".")[1] for v in SUPPORTED_VERSIONS])
def test_every_supported_version_reads_its_own_shapes(message: str, version: str) -> None:
    root, stmt = ("BkToCstmrStmt", "Stmt") if message == "053" else ("BkToCstmrDbtCdtNtfctn", "Ntfctn")
    status = "<Sts><Cd>BOOK</Cd></Sts>" if int(version) >= 6 else "<Sts>BOOK</Sts>"
    party = "<Pty><Nm>Payer AB</Nm></Pty>" if int(version) >= 7 else "<Nm>Payer AB</Nm>"
    data = MINIMAL.format(message=message, version=version, root=root, stmt=stmt, status=status, party=party)
    statement = parse_statement(data.encode())
    (entry,) = statement.entries
    assert (statement.format, statement.version) == (f"camt.{message}", f"001.{version}")
    assert (entry.amount, entry.booked, entry.payer_name, entry.structured_reference) == (
        1050, True, "Payer AB", "RF69INV000001")


def test_an_entry_reference_without_the_banks_is_the_same_every_time() -> None:
    data = MINIMAL.format(message="053", version="02", root="BkToCstmrStmt", stmt="Stmt", status="", party="")
    data = data.replace("<AcctSvcrRef>R1</AcctSvcrRef>", "")
    first, again = parse_statement(data.encode()).entries[0], parse_statement(data.encode()).entries[0]
    assert first.entry_reference == again.entry_reference and first.entry_reference.startswith("sha256:")
    other = parse_statement(data.replace(">10.5<", ">10.6<").encode()).entries[0]
    assert other.entry_reference != first.entry_reference
    assert first.idempotency_key == f"bank:SE3550000000054910000003:{first.entry_reference}"


# --- MT940 -------------------------------------------------------------------------------------

def test_mt940_dutch_sepa_details_and_a_reversal() -> None:
    statement = read("mt940-nl-sepa-keyed.sta")
    assert (statement.format, statement.account, statement.currency) == ("mt940", "NL20INGB0001234567", "EUR")
    rf, text, debit, reversal = statement.entries
    assert (rf.entry_reference, rf.amount, rf.direction) == ("2604031234567890", 119_025, "credit")
    assert rf.structured_reference == "RF58INV000005" and rf.end_to_end_id == "E2E-20260403-01"
    assert (rf.payer_name, rf.payer_iban) == ("Van Dijk Installatie BV", "NL91ABNA0417164300")
    assert rf.booking_date == rf.value_date == date(2026, 4, 3)
    assert text.remittance_text == "Factuur INV-000006 restant" and text.end_to_end_id is None
    assert (debit.direction, debit.amount, debit.payer_name) == ("debit", 8_995, "Hosting BV")
    assert reversal.reversal and reversal.direction == "debit" and reversal.amount == 119_025
    assert reversal.structured_reference == "RF58INV000005"


def test_mt940_german_structured_details() -> None:
    first, second, fee = read("mt940-de-structured.sta").entries
    assert (first.amount, first.payer_name, first.payer_iban) == (238_000, "Krause Elektro GmbH",
                                                                  "DE02200505501015871393")
    assert first.remittance_text == "Rechnung INV-000007 vielen Dank" and first.end_to_end_id == "2026-0410-KRAUSE"
    assert second.remittance_text == "RF04INV000007 Teilzahlung" and second.payer_name == "Meier, Anna"
    assert (fee.direction, fee.amount) == ("debit", 1_500)
    # No bank reference in :61:: stable digests, one per transaction.
    assert len({e.entry_reference for e in (first, second, fee)}) == 3
    assert [e.entry_reference for e in read("mt940-de-structured.sta").entries] == [
        e.entry_reference for e in (first, second, fee)]


def test_mt940_in_swift_blocks() -> None:
    credit, charge = read("mt940-gb-swift-blocks.sta").entries
    assert (credit.entry_reference, credit.amount, credit.currency) == ("GB260415AA01", 75_050, "GBP")
    assert credit.remittance_text == "THAMES ANALYTICS LTD INV-000010"
    assert (charge.direction, charge.amount) == ("debit", 12_000)


# --- refused files -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["hostile-billion-laughs.xml", "hostile-external-entity.xml",
                                  "hostile-external-dtd.xml"])
def test_hostile_xml_is_refused_before_any_entity_is_expanded(name: str) -> None:
    started = time.perf_counter()
    with pytest.raises(StatementRejected, match="DOCTYPE"):
        read(name)
    assert time.perf_counter() - started < 5  # not a timing target: an expanded billion laughs never returns


def test_hostile_xml_in_utf16_is_refused_too() -> None:
    text = (STATEMENTS / "hostile-billion-laughs.xml").read_text().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    with pytest.raises(StatementRejected, match="DOCTYPE"):
        parse_statement(text.encode("utf-16"))


def test_an_oversized_file_is_refused_unread() -> None:
    head = MINIMAL.format(message="053", version="02", root="BkToCstmrStmt", stmt="Stmt", status="", party="")
    padded = head.replace("<Id>S</Id>", "<Id>S</Id>" + "<!--" + "x" * 2048 + "-->").encode()
    with pytest.raises(StatementRejected, match="at most 1024"):
        parse_statement(padded, max_bytes=1024)
    with pytest.raises(StatementRejected, match="at most"):
        parse_camt(padded, max_bytes=1024)
    with pytest.raises(StatementRejected, match="at most"):
        parse_mt940(b":20:X\n:25:Y\n" + b" " * 2048, max_bytes=1024)


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "neither"),
    (b"%PDF-1.7", "neither"),
    (b"<Document", "not well-formed"),
    (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.001.001.03'/>", "not a camt.053 or camt.054"),
    (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.13'/>", "001.13 is not supported"),
    (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'><BkToCstmrStmt/></Document>", "no Stmt"),
    (b":20:X\n:61:nothing", "not an MT940"),
])
def test_what_does_not_parse_raises_one_typed_error_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(StatementRejected, match=reason) as raised:
        parse_statement(data)
    assert raised.value.code == "statement_rejected"


def test_an_amount_finer_than_its_currency_refuses_the_file() -> None:
    data = MINIMAL.format(message="053", version="02", root="BkToCstmrStmt", stmt="Stmt", status="", party="")
    with pytest.raises(StatementRejected, match=r"more decimals than SEK"):
        parse_statement(data.replace(">10.5<", ">10.505<").encode())
    with pytest.raises(StatementRejected, match="not an amount"):
        parse_statement(data.replace(">10.5<", ">1e3<").encode())
    with pytest.raises(StatementRejected, match="not an ISO 4217"):
        parse_statement(data.replace('Ccy="SEK"', 'Ccy="XYZ"').encode())


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("0.1", "EUR", 10), ("1234.5", "EUR", 123450), ("12.300", "EUR", 1230), ("1250000", "JPY", 1250000),
    ("1.234", "KWD", 1234), (".5", "EUR", 50), ("999999999999999999", "JPY", 999999999999999999),
])
def test_amounts_are_exact_minor_units(text: str, currency: str, minor: int) -> None:
    assert amount_minor(text, currency) == minor
