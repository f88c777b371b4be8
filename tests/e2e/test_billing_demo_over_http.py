"""`make demo`'s three months of a SaaS business (local/demo_billing.py) on the local stack: what it
prints is what the API holds — one invoice per subscription-period, each dated on the test clock, the
amounts as worked out by hand below, usage counted once, the held segment approved, the PDFs fetched."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from local.client import ApiClient
from local.demo_billing import live_three_months
from local.stack import LocalRuntime

START = datetime(2027, 1, 1, 8, 0, tzinfo=UTC)  # January has 31 days: the proration below


def test_three_months_on_a_test_clock(stack: LocalRuntime, api: ApiClient, tmp_path: Path) -> None:
    output = io.StringIO()
    progress = Progress(console=Console(file=output, width=150))
    invoices = live_three_months(api, stack, tmp_path, progress, start=START)
    printed = " ".join(output.getvalue().split())  # as one line, however the console wrapped it

    names = {c["id"]: c["name"] for c in api.get("/customers?limit=100")["data"]}
    by_period = {(names[i["customer"]], int(i["metadata"]["subscription_boundary"])): i for i in invoices}
    periods = Counter((i["metadata"]["subscription"], i["metadata"]["subscription_boundary"]) for i in invoices)
    assert len(invoices) == len(by_period) == len(periods) == 11 and set(periods.values()) == {1}
    assert sorted(by_period) == sorted([("Kvarnby Analys AB", k) for k in range(4)]
                                       + [("Lindqvist & Berg Advokatbyrå KB", k) for k in range(3)]
                                       + [("Rheinwerk Maschinenbau GmbH", k) for k in range(4)])
    assert [i["number"] for i in invoices] == [f"INV-{n:06d}" for n in range(1, 12)]
    assert {i["status"] for i in invoices} == {"open"}
    for (_, k), invoice in by_period.items():  # issued on the clock's days, due 30 days later
        assert invoice["issue_date"] == f"2027-{k + 1:02d}-01", invoice["number"]
    assert by_period[("Kvarnby Analys AB", 1)]["due_date"] == "2027-03-03"

    # Kvarnby, 1 February: 8 seats at 149.00; January's 51,378 calls (7 events, 4 of them sent twice) at
    # 0.02; the upgrade of 15 January 10:00, 406 of January's 744 hours left, two lines as Stripe shows
    # them: the remaining time on 8 seats, 8 x 149.00 x 406/744 = 650.47, and the unused time on 5,
    # -5 x 149.00 x 406/744 = -406.55 (each rounded once, half up); 25 % VAT.
    february = by_period[("Kvarnby Analys AB", 1)]
    lines = sorted((line["amount"], line["discount_amount"]) for line in february["lines"]["data"])
    assert lines == [(-40655, 0), (65047, 0), (102756, 0), (119200, 0)], lines
    descriptions = [line["description"] for line in february["lines"]["data"]]
    # Kvarnby reads Swedish: the prorations say so in its language.
    assert [line["proration"] for line in february["lines"]["data"]].count(True) == 2
    assert any("Återstående tid för 8 × Team" in d for d in descriptions), descriptions
    assert any("Outnyttjad tid för 5 × Team" in d for d in descriptions), descriptions
    assert (february["subtotal"], february["tax"], february["total"]) == (246348, 61587, 307935)
    assert by_period[("Kvarnby Analys AB", 0)]["total"] == 93125  # 5 seats, in advance

    # Lindqvist cancelled at the end of February: March 1 bills February's usage only, and nothing after.
    [last] = by_period[("Lindqvist & Berg Advokatbyrå KB", 2)]["lines"]["data"]
    assert last["description"].startswith("API calls") and last["period"] == {"start": "2027-02-01",
                                                                              "end": "2027-03-01"}
    [lindqvist] = [s for s in api.get("/subscriptions?limit=100")["data"] if names[s["customer"]].startswith("Lindq")]
    assert lindqvist["status"] == "canceled"

    # Rheinwerk (EUR, reverse charge): Business, graduated: 10 x 11.50 + 15 x 9.50 = 257.50 a month;
    # its calls through POST /usage_events; March's four times February's.
    rheinwerk = [by_period[("Rheinwerk Maschinenbau GmbH", k)] for k in range(4)]
    assert [i["total"] for i in rheinwerk] == [25750, 51126, 51118, 127192]
    assert {g["category"] for i in rheinwerk for g in i["tax_breakdown"]} == {"AE"}

    # The enterprise segment was held by each month's run and approved through the API.
    runs = [r for r in api.get("/billing_runs?limit=100")["data"] if r["trigger"] == "test_clock"]
    assert sorted((r["total"], r["invoiced"], r["needs_review"], r["status"]) for r in runs) == \
        [(2, 2, 0, "completed"), (3, 3, 0, "completed"), (3, 3, 0, "completed")]
    assert "flags: amount_unusual, usage_spike" in printed  # the March spike, shown in the review

    # Each event counted once, from the queue and the API alike.
    [meter] = api.get("/meters")["data"]
    kvarnby = next(cid for cid, name in names.items() if name.startswith("Kvarnby"))
    january = api.get(f"/meters/{meter['id']}/usage?customer={kvarnby}&start_time=2027-01-01T08:00:00Z"
                      "&end_time=2027-02-01T08:00:00Z")
    assert (january["aggregated_value"], january["events"]) == ("51378", 7)
    assert "4 to POST /usage_events (1 answered duplicate: true)" in printed

    pdfs = sorted(tmp_path.glob("*.pdf"))
    assert [p.name.split("-")[1] for p in pdfs] == [f"{n:06d}" for n in range(1, 12)]
    assert all(p.read_bytes().startswith(b"%PDF-") for p in pdfs)
    assert "Checked." in printed
