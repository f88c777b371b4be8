"""README.md's walkthrough, run as written (bash and curl) against the local stack, with only the
key and the address put in: what a newcomer copying it gets."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from local.client import bootstrap_account
from local.stack import LocalRuntime

README = Path(__file__).resolve().parents[2] / "README.md"


def walkthrough() -> str:
    text = README.read_text()
    block = re.search(r"```sh\n(make dev .*?)```", text, re.S)
    assert block, "the README's make dev walkthrough is missing"
    return "\n".join(line for line in block.group(1).splitlines() if not line.startswith("make dev"))


def test_the_readme_walkthrough_works_as_written(stack: LocalRuntime) -> None:
    """The make dev block, as written. Its sending block (send, .eml files, the page's link) is covered
    by tests/e2e/test_hosted_page_and_sending_over_http.py, not run literally here: inside the full e2e
    package its drain can come back before the walkthrough's invoice is rendered (left open, see the
    closing note of the session that merged it)."""
    assert shutil.which("curl"), "the walkthrough needs curl"
    key = bootstrap_account(stack, "README reader")
    host = stack.api_url.removeprefix("http://")
    script = walkthrough().replace("export KEY=sk_test_...", f"export KEY={key}").replace("localhost:3000", host)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert [a.get("object") for a in answers] == ["account", "invoice", "file_link", "list", "meter", "usage_event",
                                                  None, "dunning", "list", "subscription", "test_clock", "list",
                                                  "billing_run_approval"]
    account, invoice, link, events, meter, usage, clock, dunning, overdue, subscription, test_clock, drafts, \
        approval = answers
    assert account["address"]["country"] == "SE"
    assert invoice["number"] == "INV-000001" and invoice["status"] == "open" and invoice["total"] == 296875
    assert link["format"] == "pdf"
    # Rendering (and the email after it) may already have happened by the time the trail is read.
    assert [e["type"] for e in events["data"]][:2] == ["invoice.created", "invoice.finalized"]
    assert meter["event_name"] == "api_calls" and meter["aggregation"] == "sum"
    assert (usage["value"], usage["duplicate"]) == ("25", False)
    assert "now" in clock
    assert (dunning["invoice"], dunning["status"]) == (invoice["id"], "none")
    assert overdue["data"] == []  # due today, thirty days on: not overdue yet
    assert subscription["current_period_start"] == "2027-01-01T09:00:00Z"  # the test clock's time
    assert test_clock["frozen_time"] == "2027-02-01T09:30:00Z"
    [draft] = drafts["data"]
    assert (draft["amount"], draft["previous_amount"], draft["change"]) == (61875, 61875, 0)  # 5 x 99.00 + 25 % VAT
    assert approval["finalized"] == [draft["invoice"]] and approval["failed"] == []

