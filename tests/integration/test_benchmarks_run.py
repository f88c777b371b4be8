"""The benchmarks still run against today's code (a benchmark is not a test, but one that no longer
runs records nothing): the in-process ones, at a small size, with their figures' shape checked."""

from __future__ import annotations

from bench import partition_load


def test_partition_load_finalizes_every_draft_and_counts_each_phase() -> None:
    phases = partition_load.run(20)

    assert set(phases) == {"create drafts", "finalize in batches"}
    finalize = {row["where"]: row for row in phases["finalize in batches"]["rows"]}
    assert finalize["table"]["wcu_per_invoice"] >= 2  # an invoice's own items are written
    assert phases["finalize in batches"]["counter_wcu"] > 0  # numbered through the series counter
    assert all(row["share"] <= 1 for rows in phases.values() for row in rows["rows"])
