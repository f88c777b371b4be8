"""A small camt.053.001.08 writer: credits (with a structured reference, RF or OCR, or a text) and
reversals, on one account. The fixtures in tests/unit/adapters/bank_statements/statements/ are the
parsers' evidence; this makes statements for invoices just created (tests, and `make demo`'s bank
transfers, local/demo_payments.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Entry:
    reference: str  # AcctSvcrRef: the bank's reference of the entry
    amount: str  # "125.00"
    currency: str = "EUR"
    credit: bool = True
    reversal: bool = False
    structured_reference: str | None = None
    text: str | None = None
    payer: str = "Acme Buyer"
    end_to_end_id: str | None = None


def camt053(*entries: Entry, iban: str = "SE4550000000058398257466", statement_id: str = "STMT-1",
            currency: str = "EUR", booked: date = date(2025, 3, 14)) -> bytes:
    """The statement of `iban` (held in `currency`) with `entries`, all booked on `booked`."""
    day = booked.isoformat()
    rows = []
    for e in entries:
        remittance = ""
        if e.structured_reference:
            remittance = (f"<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                          f"<Ref>{escape(e.structured_reference)}</Ref></CdtrRefInf></Strd></RmtInf>")
        elif e.text:
            remittance = f"<RmtInf><Ustrd>{escape(e.text)}</Ustrd></RmtInf>"
        refs = f"<Refs><EndToEndId>{escape(e.end_to_end_id)}</EndToEndId></Refs>" if e.end_to_end_id else ""
        rows.append(f"""
      <Ntry>
        <Amt Ccy="{e.currency}">{Decimal(e.amount):.2f}</Amt>
        <CdtDbtInd>{"CRDT" if e.credit else "DBIT"}</CdtDbtInd>
        {"<RvslInd>true</RvslInd>" if e.reversal else ""}
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{day}</Dt></BookgDt>
        <ValDt><Dt>{day}</Dt></ValDt>
        <AcctSvcrRef>{escape(e.reference)}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>{refs}
          <RltdPties><Dbtr><Pty><Nm>{escape(e.payer)}</Nm></Pty></Dbtr></RltdPties>
          {remittance}
        </TxDtls></NtryDtls>
      </Ntry>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-{escape(statement_id)}</MsgId><CreDtTm>{day}T20:00:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{escape(statement_id)}</Id>
      <CreDtTm>{day}T20:00:00+01:00</CreDtTm>
      <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{currency}</Ccy></Acct>{"".join(rows)}
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()
