"""Matching a day's bank statement against an account's open invoices, and parsing the statement.

`python -m bench.payment_matching [--invoices N] [--entries N]` builds N open invoices (RF and OCR
references, 500 customers, seeded amounts) and a camt.053.001.08 statement of M credits: a third
with a structured reference, a third with the invoice number in the text and the exact amount, a
third from unknown payers (unmatched, with suggestions). It prints Markdown: parse time, matching
time per entry, and how the entries were decided. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from datetime import date, timedelta

from invoicing.adapters.bank_statements import parse_statement
from invoicing.domain.payment_matching import IncomingPayment, OpenInvoice, OpenInvoices, match_payment
from invoicing.domain.payment_reference import creditor_reference, ocr_reference

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def invoices(count: int, rng: random.Random) -> list[OpenInvoice]:
    out = []
    for n in range(1, count + 1):
        number = f"INV-{n:06d}"
        customer = n % 500
        out.append(OpenInvoice(
            id=f"inv_{n}", number=number, customer_id=f"cus_{customer}", customer_name=f"Customer {customer} AB",
            currency="SEK", amount_remaining=rng.randrange(10_000, 5_000_000),
            due_date=date(2026, 1, 1) + timedelta(days=n % 90),
            payment_reference=creditor_reference(number), ocr_reference=ocr_reference(number)))
    return out


def statement(open_invoices: list[OpenInvoice], entries: int, rng: random.Random) -> bytes:
    rows = []
    for k in range(entries):
        target = rng.choice(open_invoices)
        amount = f"{target.amount_remaining // 100}.{target.amount_remaining % 100:02d}"
        if k % 3 == 0:
            remittance = f"<Strd><CdtrRefInf><Ref>{target.ocr_reference}</Ref></CdtrRefInf></Strd>"
            payer = target.customer_name
        elif k % 3 == 1:
            remittance = f"<Ustrd>Faktura {target.number}</Ustrd>"
            payer = target.customer_name
        else:
            remittance = "<Ustrd>Betalning</Ustrd>"
            payer = f"Unknown Payer {k}"
            amount = f"{rng.randrange(1, 99_999)}.00"
        rows.append(
            f"<Ntry><Amt Ccy=\"SEK\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
            f"<BookgDt><Dt>2026-03-18</Dt></BookgDt><AcctSvcrRef>REF{k:08d}</AcctSvcrRef><NtryDtls><TxDtls>"
            f"<RltdPties><Dbtr><Pty><Nm>{payer}</Nm></Pty></Dbtr></RltdPties><RmtInf>{remittance}</RmtInf>"
            f"</TxDtls></NtryDtls></Ntry>")
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Document xmlns=\"{NS}\"><BkToCstmrStmt><GrpHdr>"
            f"<MsgId>BENCH</MsgId><CreDtTm>2026-03-18T17:00:00</CreDtTm></GrpHdr><Stmt><Id>BENCH</Id><Acct><Id>"
            f"<IBAN>SE3550000000054910000003</IBAN></Id></Acct>{''.join(rows)}</Stmt></BkToCstmrStmt></Document>"
            ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=3_000)
    args = parser.parse_args()
    rng = random.Random(7)
    open_invoices = invoices(args.invoices, rng)
    data = statement(open_invoices, args.entries, rng)

    started = time.perf_counter()
    parsed = parse_statement(data)
    parse_s = time.perf_counter() - started
    started = time.perf_counter()
    index = OpenInvoices(open_invoices)
    index_s = time.perf_counter() - started
    outcomes: Counter[str] = Counter()
    started = time.perf_counter()
    for entry in parsed.entries:
        payment = IncomingPayment.from_statement_entry(entry)
        assert payment is not None
        decision = match_payment(payment, index)
        outcomes[decision.rule or "unmatched"] += 1
    match_s = time.perf_counter() - started

    print(f"| open invoices | entries | file | parse | index | matching per entry |\n|---|---|---|---|---|---|\n"
          f"| {args.invoices:,} | {len(parsed.entries):,} | {len(data) / 1e6:.1f} MB | {parse_s:.2f} s | "
          f"{index_s:.2f} s | {1000 * match_s / len(parsed.entries):.2f} ms |")
    print("\n| decided by | entries |\n|---|---|")
    for rule, count in sorted(outcomes.items()):
        print(f"| {rule} | {count:,} |")


if __name__ == "__main__":
    main()
