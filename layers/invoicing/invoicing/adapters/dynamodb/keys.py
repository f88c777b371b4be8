"""The single table's keys: one function per item type, so every access pattern spells its key once.

Every document has a partition of its own (`ACCOUNT#{acct}#INVOICE#{id}`…), so a bulk run writes
to as many partitions as it writes documents. The account-wide lists (all invoices, customers, by
status, by due date) are global secondary indexes whose partition keys are spread over `SHARDS`
shards by a hash of the document id: a run's index writes fall evenly on them, and a list reads
every shard and merges them by sort key. The number series counter is the one item a bulk run
writes repeatedly, once per batch.

See docs/dynamodb-access-patterns.md for which pattern reads which key or index.
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime
from typing import Any

Item = dict[str, dict[str, Any]]  # a DynamoDB item in the low-level client's typed form

SHARDS = 16  # per account-wide index partition; see docs/scaling.md for the arithmetic
NO_DUE_DATE = "0000-00-00"  # sorts before every real date
AFTER_ANY_ID = "~"  # sorts after every id character ([0-9a-z_])

GSI1, GSI2, GSI3, GSI4, GSI5 = "GSI1", "GSI2", "GSI3", "GSI4", "GSI5"


def shard(document_id: str) -> int:
    return zlib.crc32(document_id.encode()) % SHARDS


def account_pk(account_id: str) -> str:
    return f"ACCOUNT#{account_id}"


def account_key(account_id: str) -> Item:
    return {"PK": s(account_pk(account_id)), "SK": s("ACCOUNT")}


def _document_key(account_id: str, kind: str, document_id: str) -> Item:
    return {"PK": s(f"ACCOUNT#{account_id}#{kind}#{document_id}"), "SK": s(kind)}


def customer_key(account_id: str, customer_id: str) -> Item:
    return _document_key(account_id, "CUSTOMER", customer_id)


def invoice_key(account_id: str, invoice_id: str) -> Item:
    return _document_key(account_id, "INVOICE", invoice_id)


def credit_note_key(account_id: str, credit_note_id: str) -> Item:
    return _document_key(account_id, "CREDITNOTE", credit_note_id)


def product_key(account_id: str, product_id: str) -> Item:
    return _document_key(account_id, "PRODUCT", product_id)


def price_key(account_id: str, price_id: str) -> Item:
    return _document_key(account_id, "PRICE", price_id)


def coupon_key(account_id: str, coupon_id: str) -> Item:
    return _document_key(account_id, "COUPON", coupon_id)


def series_key(account_id: str, prefix: str) -> Item:
    return _document_key(account_id, "SERIES", prefix)


def subscription_key(account_id: str, subscription_id: str) -> Item:
    return _document_key(account_id, "SUBSCRIPTION", subscription_id)


def meter_key(account_id: str, meter_id: str) -> Item:
    return _document_key(account_id, "METER", meter_id)


def meter_name_key(account_id: str, event_name: str) -> Item:  # claims the name; carries the meter
    return _document_key(account_id, "METERNAME", event_name)


def usage_event_key(account_id: str, event_name: str, identifier: str) -> Item:
    # Event names have no "#", so the identifier (any printable ASCII) cannot make two keys meet.
    return {"PK": s(f"ACCOUNT#{account_id}#USAGE#{event_name}#{identifier}"), "SK": s("USAGE")}


def segment_member_key(account_id: str, customer_id: str, segment: str) -> Item:  # in the customer's partition
    return {"PK": s(f"ACCOUNT#{account_id}#CUSTOMER#{customer_id}"), "SK": s(f"SEGMENT#{segment}")}


def billing_run_key(account_id: str, run_id: str) -> Item:
    return _document_key(account_id, "BILLINGRUN", run_id)


def run_counter_key(account_id: str, run_id: str, shard_: int) -> Item:  # a partition per shard: no hot key
    return {"PK": s(f"ACCOUNT#{account_id}#BILLINGRUN#{run_id}#{shard_:02d}"), "SK": s("COUNTER")}


def run_entry_key(account_id: str, run_id: str, subscription_id: str, boundary: int) -> Item:
    return {"PK": s(f"ACCOUNT#{account_id}#BILLINGRUN#{run_id}#ENTRY#{subscription_id}#{boundary}"),
            "SK": s("ENTRY")}


def run_plan_key(run_id: str, shard_: int = 0) -> Item:  # across accounts; a partition per shard of its pages
    return {"PK": s(f"BILLINGRUN#{run_id}#{shard_:02d}"), "SK": s("PLAN")}


def run_page_key(run_id: str, page: str) -> Item:
    return {"PK": s(f"BILLINGRUN#{run_id}#PAGE#{page}"), "SK": s("PAGE")}


def review_key(account_id: str, invoice_id: str, sort: str = "") -> Item:
    return {"PK": s(f"ACCOUNT#{account_id}#REVIEW#{invoice_id}"), "SK": s(f"REVIEW#{sort}" if sort else "REVIEW")}


def test_clock_key(account_id: str, clock_id: str) -> Item:
    return _document_key(account_id, "TESTCLOCK", clock_id)


# --- index keys ------------------------------------------------------------------------------

def children_pk(account_id: str, kind: str, parent_id: str) -> str:  # GSI1: a customer's invoices, …
    return f"ACCOUNT#{account_id}#{kind}#{parent_id}"


def renewal_pk(due: datetime, shard_: int) -> str:  # GSI4: what falls due for billing, across accounts
    return f"RENEWAL#{due.astimezone(UTC):%Y-%m-%dT%H}#{shard_:02d}"


def segment_pk(account_id: str, segment: str, shard_: int) -> str:  # GSI2: a segment's customers
    return f"ACCOUNT#{account_id}#SEGMENT#{segment}#{shard_:02d}"


def review_pk(account_id: str, run_id: str, sort: str, shard_: int) -> str:  # GSI5: a run's drafts in review
    return f"ACCOUNT#{account_id}#REVIEW#{run_id}#{sort}#{shard_:02d}"


def reference_pk(account_id: str, digits: str) -> str:  # GSI5: invoices by the digits of their number
    return f"ACCOUNT#{account_id}#REFERENCE#{digits}"


def auto_finalize_pk(at: datetime, shard_: int) -> str:  # GSI4: held drafts by the day they auto-finalize
    return f"AUTOFINALIZE#{at.astimezone(UTC):%Y-%m-%d}#{shard_:02d}"
def dunning_pk(due: datetime, shard_: int) -> str:  # GSI4: next dunning steps, across accounts
    return f"DUNNING#{due.astimezone(UTC):%Y-%m-%dT%H}#{shard_:02d}"


def dunning_key(account_id: str, invoice_id: str) -> Item:  # an invoice's dunning record, beside it
    return {"PK": s(f"ACCOUNT#{account_id}#INVOICE#{invoice_id}"), "SK": s("DUNNING")}


def dunning_step_key(account_id: str, invoice_id: str, step_id: str) -> Item:  # one per (invoice, step)
    return {"PK": s(f"ACCOUNT#{account_id}#INVOICE#{invoice_id}"), "SK": s(f"DUNNING#STEP#{step_id}")}


def notice_key(account_id: str, invoice_id: str, event_id: str) -> Item:  # one per payment-status notice
    return {"PK": s(f"ACCOUNT#{account_id}#INVOICE#{invoice_id}"), "SK": s(f"NOTICE#{event_id}")}


def metered_pk(account_id: str, event_name: str, customer_id: str, shard_: int) -> str:  # GSI1: usage
    return f"ACCOUNT#{account_id}#METERED#{event_name}#{customer_id}#{shard_:02d}"


def collection_pk(account_id: str, kind: str, shard_: int) -> str:  # GSI2: all invoices / customers
    return f"ACCOUNT#{account_id}#{kind}S#{shard_:02d}"


def status_pk(account_id: str, status: str, shard_: int) -> str:  # GSI3
    return f"ACCOUNT#{account_id}#STATUS#{status}#{shard_:02d}"


def price_status_pk(account_id: str, active: bool, shard_: int) -> str:  # GSI3: active / inactive prices
    return f"ACCOUNT#{account_id}#PRICES#{'active' if active else 'inactive'}#{shard_:02d}"


def due_pk(account_id: str, shard_: int) -> str:  # GSI4
    return f"ACCOUNT#{account_id}#DUE#{shard_:02d}"


def due_sk(due_date: date | None, invoice_id: str) -> str:  # GSI3 and GSI4
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
