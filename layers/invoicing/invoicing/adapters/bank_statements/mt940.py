"""SWIFT MT940 customer statements, read with the `mt-940` library into `domain.bank_statement`.

`:61:` gives the dates, the amount (a Decimal from the library, turned into minor units through
its decimal string, never a float), the mark (C, D, RC reversal of a credit, RD reversal of a
debit) and the bank's reference; `:86:` carries the remittance information, which banks write in
one of three ways, all read here:
- German structured details (`?20`-`?29` purpose, `?31` IBAN, `?32` name, `EREF+`/`SVWZ+` inside
  the purpose), which the library's own `transaction_details_post_processor` splits;
- slash-keyed SEPA details (`/EREF/.../NAME/.../REMI/...`, `/CNTP/iban/bic/name/city/`, and
  `/REMI/STRD/CUR/<reference>/`), as Dutch and Belgian banks write them;
- free text, taken as it is.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import mt940

from invoicing.domain.bank_statement import (
    BankStatement,
    Direction,
    StatementEntry,
    StatementRejected,
    amount_minor,
    derived_entry_reference,
)

MAX_BYTES = 20 * 1024 * 1024
# The library logs a line it cannot match, with its content (names, IBANs), at ERROR: statement
# contents are personal data and stay out of the logs. Its errors still reach us as exceptions.
logging.getLogger("mt940").setLevel(logging.CRITICAL)
# The library's switches for its coming major release: `?31` as the IBAN, RC signed as a debit,
# lower-case marks, :86: details of any length; a structured :86: never erases a :61: value.
_OPTIONS = mt940.processors.Options(applicant_iban=True, merge_keeps_values=True, reversal_sign=True,
                                    case_insensitive_marks=True, unbounded_details=True)
_KEYS = ("EREF", "NAME", "IBAN", "REMI", "CNTP", "TRTP", "BIC", "ORDP", "BENM", "MARF", "CSID", "RTRN",
         "ADDR", "ISDT", "PREF", "SVCL", "ULTD", "ULTC", "ULTB", "PURP", "EXCH", "CHGS", "OCMT", "BUSP")
_KEYED = re.compile(r"/(" + "|".join(_KEYS) + r")/")
_MARKS: dict[str, tuple[Direction, bool]] = {
    "C": ("credit", False), "D": ("debit", False), "RC": ("debit", True), "RD": ("credit", True),
}


def parse_mt940(data: bytes, *, max_bytes: int = MAX_BYTES) -> BankStatement:
    """Every `:61:` of the file, in order; `account` is the first statement's `:25:`."""
    if len(data) > max_bytes:
        raise StatementRejected(f"The file is {len(data)} bytes; at most {max_bytes} are read.", param="file")
    text = _decode(data)
    if not re.search(r"^:20:", text, re.MULTILINE) or not re.search(r"^:25:", text, re.MULTILINE):
        raise StatementRejected("The file is not an MT940 statement (no :20: and :25: tags).", param="file")
    try:
        transactions = mt940.parse(text, options=_OPTIONS)
    except Exception as error:  # whatever the library meets in a damaged file (InvalidOperation, ...)
        raise StatementRejected(f"The MT940 file does not parse ({type(error).__name__}).", param="file") from error
    statement = transactions.data
    account = statement.get("account_identification")
    reference = statement.get("transaction_reference") or ""
    currency = _balance_currency(statement)
    positions: dict[str, int] = {}
    entries = []
    for transaction in transactions:
        details = transaction.data
        statement_key = f"{details.get('transaction_reference') or reference}:{details.get('statement_number') or ''}"
        position = positions.get(statement_key, 0)
        positions[statement_key] = position + 1
        entries.append(_entry(details, account, statement_key, position))
    tagged = len(re.findall(r"^:61:", text, re.MULTILINE))
    if tagged != len(entries):  # never half a file: every :61: is an entry, or the file is refused
        raise StatementRejected(f"The MT940 file has {tagged} :61: transactions; {len(entries)} could be read.",
                                param="file")
    if not entries and not currency:
        raise StatementRejected("The MT940 file has no balances and no transactions.", param="file")
    return BankStatement(format="mt940", statement_id=reference or "mt940", account=account, currency=currency,
                         entries=tuple(entries))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # MT940 files from older systems: ISO 8859-1 / SWIFT charset


def _balance_currency(statement: dict[str, Any]) -> str | None:
    for key in ("final_opening_balance", "opening_balance", "final_closing_balance", "closing_balance"):
        balance = statement.get(key)
        if balance is not None:
            return str(balance.amount.currency)
    return None


def _entry(details: dict[str, Any], account: str | None, statement_key: str, position: int) -> StatementEntry:
    amount = details.get("amount")
    mark = str(details.get("status") or "").upper()
    if amount is None or mark not in _MARKS:
        raise StatementRejected(f"Transaction {position + 1} of statement {statement_key}: no amount or an "
                                f"unknown mark '{mark}'.", param=":61:")
    direction, reversal = _MARKS[mark]
    currency = str(amount.currency)
    minor = amount_minor(str(abs(amount.amount)), currency)
    bank_reference = details.get("bank_reference")
    if bank_reference in (None, "", "NONREF"):
        bank_reference = None
    remittance = _remittance(details)
    key = bank_reference or derived_entry_reference(
        "mt940", account, statement_key, position, details.get("date"), minor, currency, mark)
    return StatementEntry(
        entry_reference=key,
        account=account,
        booking_date=details.get("entry_date") or details.get("date"),
        value_date=details.get("date"),
        amount=minor,
        currency=currency,
        direction=direction,
        reversal=reversal,
        bank_transaction_code=details.get("id"),
        **remittance,
    )


def _remittance(details: dict[str, Any]) -> dict[str, str | None]:
    if "purpose" in details or "applicant_name" in details:  # German structured :86:, split by the library
        iban = details.get("applicant_iban") or details.get("gvc_applicant_iban")
        end_to_end = details.get("end_to_end_reference")
        return {
            "structured_reference": None,
            "remittance_text": _clean(details.get("purpose")),
            "payer_name": _clean(details.get("applicant_name")),
            "payer_iban": _iban(iban),
            "end_to_end_id": None if end_to_end in (None, "NOTPROVIDED") else _clean(end_to_end),
        }
    text = " ".join(str(details.get(key) or "") for key in ("transaction_details", "extra_details")).strip()
    if _KEYED.search(text):
        return _keyed(text)
    return {"structured_reference": None, "remittance_text": _clean(text), "payer_name": None,
            "payer_iban": None, "end_to_end_id": None}


def _keyed(text: str) -> dict[str, str | None]:
    """`/EREF/x//CNTP/iban/bic/name/city///REMI/USTD//text/`: the first value of each key."""
    parts = _KEYED.split(text)
    values: dict[str, str] = {}
    for key, value in zip(parts[1::2], parts[2::2], strict=True):
        values.setdefault(key, value.strip().strip("/"))
    structured = None
    remittance = values.get("REMI")
    if remittance is not None:
        pieces = [p for p in remittance.split("/") if p]
        if pieces[:1] == ["STRD"]:
            structured, remittance = (pieces[-1] if len(pieces) > 1 else None), None
        elif pieces[:1] == ["USTD"]:
            remittance = "/".join(pieces[1:])
    name, iban = values.get("NAME"), values.get("IBAN")
    counterparty = values.get("CNTP") or values.get("ORDP") or values.get("BENM")
    if counterparty:
        fields = counterparty.split("/")
        iban = iban or (fields[0] if fields else None)
        name = name or (fields[2] if len(fields) > 2 else None)
    end_to_end = values.get("EREF")
    return {
        "structured_reference": _clean(structured),
        "remittance_text": _clean(remittance),
        "payer_name": _clean(name),
        "payer_iban": _iban(iban),
        "end_to_end_id": None if end_to_end in (None, "", "NOTPROVIDED") else _clean(end_to_end),
    }


def _iban(value: object) -> str | None:
    compact = re.sub(r"\s+", "", str(value or "")).upper()
    return compact if re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact) else None


def _clean(value: object) -> str | None:
    text = " ".join(str(value or "").split())
    return text or None
