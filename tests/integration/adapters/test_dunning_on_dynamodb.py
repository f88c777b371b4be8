"""The dunning repository on moto (tables from template.yaml): a record added once and saved under its
version, a step claimed once and completed once, the next-step index read by (hour, shard) with a
Query and left when the record stops, and notices recorded once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from invoicing.adapters.dynamodb import DynamoUnitOfWork
from invoicing.adapters.dynamodb.keys import SHARDS, dunning_key, shard
from invoicing.domain.dunning import Dunning, DunningPolicy, start_dunning
from invoicing.domain.errors import Conflict

FINALIZED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
POLICY = DunningPolicy(reminders=(-3, 0, 7))


def record(invoice_id: str = "in_01") -> Dunning:
    dunning = start_dunning(POLICY, account_id="acct_1", invoice_id=invoice_id, customer_id="cus_1",
                            due_date=date(2026, 3, 31), charge_automatically=False, finalized_at=FINALIZED)
    assert dunning is not None
    return dunning


def due(uow: DynamoUnitOfWork, at: datetime, until: datetime) -> list[tuple[str, str]]:
    hour = at.replace(minute=0, second=0, microsecond=0)
    found = []
    for shard_ in range(SHARDS):
        page, _ = uow.dunning.due(hour, shard_, until=until, limit=100, cursor=None)
        found += [(d.invoice_id, d.step_id) for d in page]
    return found


def test_a_step_is_claimed_once_completed_once_and_the_index_follows_the_next_step(uow: DynamoUnitOfWork) -> None:
    dunning = record()
    with uow:
        uow.dunning.add(dunning)
        uow.commit()
    with uow, pytest.raises(Conflict):
        uow.dunning.add(dunning)
        uow.commit()
    first = dunning.steps[0]
    assert due(uow, first.at, first.at - timedelta(minutes=1)) == []  # not due yet
    assert due(uow, first.at, first.at) == [("in_01", "reminder-3")]

    other = DynamoUnitOfWork(uow.client, uow.table)  # a second worker
    with uow, other:
        mine, theirs = uow.dunning.get("acct_1", "in_01"), other.dunning.get("acct_1", "in_01")
        claimed = mine.claim(first)
        uow.dunning.save(claimed)
        uow.dunning.claim_step(claimed, first)
        uow.commit()
        other.dunning.save(theirs.claim(first))
        other.dunning.claim_step(theirs, first)
        with pytest.raises(Conflict):  # read before the first claim: its version moved
            other.commit()
    with uow, pytest.raises(Conflict):  # the step record alone refuses a second claim
        current = uow.dunning.get("acct_1", "in_01")
        uow.dunning.claim_step(current, first)
        uow.commit()

    with uow:
        current = uow.dunning.get("acct_1", "in_01")
        completed = current.complete(first, "sent", first.at)
        uow.dunning.save(completed)
        uow.dunning.record_outcome(completed, completed.done[-1])
        uow.commit()
    with uow, pytest.raises(Conflict):
        uow.dunning.record_outcome(completed, completed.done[-1])
        uow.commit()
    assert due(uow, first.at, first.at + timedelta(days=10)) == []  # moved to the next step's hour
    second = dunning.steps[1]
    assert due(uow, second.at, second.at) == [("in_01", "reminder+0")]

    with uow:
        current = uow.dunning.get("acct_1", "in_01")
        uow.dunning.save(current.stop("paid"))
        uow.commit()
    assert due(uow, second.at, second.at) == []
    item = uow.client.get_item(TableName=uow.table, Key=dunning_key("acct_1", "in_01"))["Item"]
    assert "GSI4PK" not in item and item["status"]["S"] == "stopped"
    assert [d.step_id for d in uow.dunning.get("acct_1", "in_01").done] == ["reminder-3"]


def test_records_due_in_one_hour_spread_over_the_shards(uow: DynamoUnitOfWork) -> None:
    ids = [f"in_{n:04d}" for n in range(64)]
    for invoice_id in ids:
        with uow:
            uow.dunning.add(record(invoice_id))
            uow.commit()
    at = record().steps[0].at
    assert sorted(i for i, _ in due(uow, at, at)) == ids
    assert len({shard(i) for i in ids}) > SHARDS // 2  # no single partition takes the hour


def test_a_notice_is_recorded_once(uow: DynamoUnitOfWork) -> None:
    assert not uow.dunning.notice_sent("acct_1", "in_01", "evt_1")
    with uow:
        uow.dunning.record_notice("acct_1", "in_01", "evt_1")
        uow.commit()
    assert uow.dunning.notice_sent("acct_1", "in_01", "evt_1")
    with uow, pytest.raises(Conflict):
        uow.dunning.record_notice("acct_1", "in_01", "evt_1")
        uow.commit()


def test_the_watermark_is_kept(uow: DynamoUnitOfWork) -> None:
    assert uow.dunning.watermark() is None
    with uow:
        uow.dunning.set_watermark(FINALIZED)
        uow.commit()
    assert uow.dunning.watermark() == FINALIZED


def test_a_test_clock_s_records_are_indexed_per_clock_never_in_the_hourly_index(uow: DynamoUnitOfWork) -> None:
    on_clock = [start_dunning(POLICY, account_id="acct_1", invoice_id=f"in_c{n}", customer_id="cus_c",
                              due_date=date(2026, 3, 31) + timedelta(days=n), charge_automatically=False,
                              finalized_at=FINALIZED, test_clock="clock_1") for n in (2, 0, 1)]
    with uow:
        for dunning in [*on_clock, record("in_real")]:
            assert dunning is not None
            uow.dunning.add(dunning)
        uow.dunning.add(start_dunning(POLICY, account_id="acct_1", invoice_id="in_other", customer_id="cus_o",
                                      due_date=date(2026, 3, 1) + timedelta(days=10), charge_automatically=False,
                                      finalized_at=FINALIZED, test_clock="clock_2"))  # type: ignore[arg-type]
        uow.commit()
    first = datetime(2026, 3, 28, 8, tzinfo=UTC)  # the -3 reminder of in_c0 (and of in_real)
    assert due(uow, first, first) == [("in_real", "reminder-3")]  # the real-time run sees no clock's record
    assert uow.dunning.clock_next("acct_1", "clock_1") == first
    assert uow.dunning.clock_next("acct_1", "clock_9") is None
    assert [(d.invoice_id, d.step_id) for d in uow.dunning.clock_due("acct_1", "clock_1", until=first, limit=10)] \
        == [("in_c0", "reminder-3")]
    later = [(d.invoice_id, d.step_id) for d in uow.dunning.clock_due(
        "acct_1", "clock_1", until=first + timedelta(days=2), limit=10)]
    assert later == [("in_c0", "reminder-3"), ("in_c1", "reminder-3"), ("in_c2", "reminder-3")]  # oldest first

    with uow:  # a step done moves its entry within the clock's partition; a stopped record leaves it
        current = uow.dunning.get("acct_1", "in_c0")
        step = current.steps[0]
        claimed = current.claim(step)
        uow.dunning.save(claimed.complete(step, "sent", first))
        uow.commit()
    assert uow.dunning.clock_next("acct_1", "clock_1") == datetime(2026, 3, 29, 8, tzinfo=UTC)  # in_c1's -3
    with uow:
        for invoice_id in ("in_c1", "in_c2"):
            uow.dunning.save(uow.dunning.get("acct_1", invoice_id).stop("paid"))
        uow.commit()
    assert uow.dunning.clock_next("acct_1", "clock_1") == datetime(2026, 3, 31, 8, tzinfo=UTC)  # in_c0's +0
    item = uow.client.get_item(TableName=uow.table, Key=dunning_key("acct_1", "in_c0"))["Item"]
    assert "GSI4PK" not in item and item["GSI1PK"]["S"] == "ACCOUNT#acct_1#TESTCLOCK#clock_1"
