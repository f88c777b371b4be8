"""The single table's keys: one function per item type, so every access pattern spells its key once.

See docs/dynamodb-access-patterns.md for which pattern reads which key or index.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

Item = dict[str, dict[str, Any]]  # a DynamoDB item in the low-level client's typed form

NO_DUE_DATE = "0000-00-00"  # sorts before every real date on GSI2
AFTER_ANY_ID = "~"  # sorts after every id character ([0-9a-z_]) in `{due}#{id}` sort keys

GSI1, GSI2, GSI3 = "GSI1", "GSI2", "GSI3"


def account_pk(account_id: str) -> str:
    return f"ACCOUNT#{account_id}"


def account_key(account_id: str) -> Item:
    return {"PK": s(account_pk(account_id)), "SK": s("ACCOUNT")}


def customer_key(account_id: str, customer_id: str) -> Item:
    return {"PK": s(account_pk(account_id)), "SK": s(f"CUSTOMER#{customer_id}")}


def invoice_key(account_id: str, invoice_id: str) -> Item:
    return {"PK": s(account_pk(account_id)), "SK": s(f"INVOICE#{invoice_id}")}


def credit_note_key(account_id: str, credit_note_id: str) -> Item:
    return {"PK": s(account_pk(account_id)), "SK": s(f"CREDITNOTE#{credit_note_id}")}


def series_key(account_id: str, series_key_: str) -> Item:
    return {"PK": s(account_pk(account_id)), "SK": s(f"SERIES#{series_key_}")}


def number_claim_key(account_id: str, number: str) -> Item:
    return {"PK": s(account_pk(account_id)), "SK": s(f"NUMBER#{number}")}


def events_pk(invoice_id: str) -> str:
    return f"INVOICE#{invoice_id}"


def event_key(invoice_id: str, at: datetime, type_: str, event_id: str) -> Item:
    """Events sort by time, then by the order they were recorded in (event ids are time-sortable):
    two events at the same instant (a frozen test clock) neither overwrite each other nor swap."""
    return {"PK": s(events_pk(invoice_id)), "SK": s(f"EVENT#{timestamp(at)}#{event_id}#{type_}")}


def api_key_key(key_hash: str) -> Item:
    return {"PK": s(f"APIKEY#{key_hash}"), "SK": s("APIKEY")}


# --- index keys ------------------------------------------------------------------------------

def customer_invoices_pk(customer_id: str) -> str:  # GSI1
    return f"CUSTOMER#{customer_id}"


def invoice_credit_notes_pk(invoice_id: str) -> str:  # GSI1
    return f"INVOICE#{invoice_id}"


def status_pk(account_id: str, status: str) -> str:  # GSI2
    return f"ACCOUNT#{account_id}#STATUS#{status}"


def due_pk(account_id: str) -> str:  # GSI3
    return f"ACCOUNT#{account_id}#DUE"


def due_sk(due_date: date | None, invoice_id: str) -> str:  # GSI2 and GSI3
    return f"{due_date.isoformat() if due_date else NO_DUE_DATE}#{invoice_id}"


# --- attribute values ------------------------------------------------------------------------

def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int) -> dict[str, str]:
    # bool is an int: refuse it, and anything that is not an exact integer (no floats anywhere).
    if type(value) is not int:
        raise TypeError(f"numbers are stored as integers, got {type(value).__name__}")
    return {"N": str(value)}


def get_s(item: Item, name: str) -> str | None:
    value = item.get(name)
    return None if value is None else str(value["S"])


def get_n(item: Item, name: str) -> int | None:
    value = item.get(name)
    return None if value is None else int(value["N"])


def timestamp(at: datetime) -> str:
    """Fixed-width UTC ISO 8601 (microseconds always present), so the text sorts like the time."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
