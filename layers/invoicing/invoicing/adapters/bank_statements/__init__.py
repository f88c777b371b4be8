"""Bank statement files into `domain.bank_statement.BankStatement`: ISO 20022 camt.053 / camt.054
(`camt`, lxml, hardened) and SWIFT MT940 (`mt940`, the mt-940 library).

`parse_statement` tells the format from the content, never from a file name: XML is camt, a file
with MT940 tags is MT940. Whatever cannot be read raises `StatementRejected` with the reason.
"""

from __future__ import annotations

from invoicing.domain.bank_statement import BankStatement, StatementRejected

MAX_BYTES = 20 * 1024 * 1024


def parse_statement(data: bytes, *, max_bytes: int = MAX_BYTES) -> BankStatement:
    if len(data) > max_bytes:
        raise StatementRejected(f"The file is {len(data)} bytes; at most {max_bytes} are read.", param="file")
    head = data.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")[:1]
    if head == b"<":
        from invoicing.adapters.bank_statements.camt import parse_camt

        return parse_camt(data, max_bytes=max_bytes)
    if head in (b":", b"{"):
        from invoicing.adapters.bank_statements.mt940 import parse_mt940

        return parse_mt940(data, max_bytes=max_bytes)
    raise StatementRejected("The file is neither a camt.053/camt.054 XML message nor an MT940 statement.",
                            param="file")
