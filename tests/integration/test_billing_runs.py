"""Billing runs as objects, through the real functions on moto: runs started by hand (twice at once,
every message delivered three times), dry runs that write nothing, the review of held drafts
(approve, auto-finalize, blocked ones that wait), scheduled runs' records, and test clocks."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from invoicing.adapters.outbox import outbox_documents
from tests.integration import test_subscriptions_api
from tests.integration.conftest import HandlerStack
from tests.integration.lambdas import LambdaContext, api_event, load_function
from tests.integration.test_billing import START, At, records

SELLER = {"address": {"line1": "Sveavägen 1", "city": "Stockholm", "country": "SE"},
          "tax_ids": [{"type": "eu_vat", "value": "SE556703748501"}], "iban": "SE4550000000058398257466"}
ADDRESS = {"line1": "Storgatan 1", "city": "Malmö", "country": "SE"}


clock = test_subscriptions_api.clock  # the fixture: the application's clock at START, put back after the test


@pytest.fixture(autouse=True)
def _lookback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLING_LOOKBACK_HOURS", "2")


def urls(stack: HandlerStack) -> dict[str, str]:
    sqs = stack.sqs
    return {name: sqs.get_queue_url(QueueName=name)["QueueUrl"] for name in ("billing-runs", "billing")}


def customer(stack: HandlerStack, name: str, **fields: Any) -> dict[str, Any]:
    body = {"name": name, "currency": "SEK", "email": "ap@kund.example", "address": ADDRESS, **fields}
    return stack.ok("POST", "/customers", body)  # type: ignore[no-any-return]


def monthly_price(stack: HandlerStack, amount: int = 9900) -> str:
    product = stack.ok("POST", "/products", {"name": "Seats"})
    price = stack.ok("POST", "/prices", {"product": product["id"], "currency": "SEK", "unit_amount": amount,
                                         "recurring": {"interval": "month"}, "nickname": "Seats"})
    return str(price["id"])


def subscribe(stack: HandlerStack, customer_id: str, price: str, quantity: int = 1) -> dict[str, Any]:
    return stack.ok("POST", "/subscriptions", {"customer": customer_id,  # type: ignore[no-any-return]
                                               "items": [{"price": price, "quantity": quantity}]})


def pump(stack: HandlerStack, times: int = 1) -> int:
    """Everything on the two billing queues to their functions, each message `times` times, until
    nothing is left; returns how many distinct work messages were handled."""
    runs, worker, queues = load_function("billing_runs"), load_function("billing"), urls(stack)
    handled = 0
    while True:
        pages = records(stack.sqs, queues["billing-runs"])
        for _ in range(times):
            if pages:
                assert runs.lambda_handler({"Records": pages}, LambdaContext()) == {"batchItemFailures": []}
        work = records(stack.sqs, queues["billing"])
        for _ in range(times):
            for start in range(0, len(work), 10):
                result = worker.lambda_handler({"Records": work[start:start + 10]}, LambdaContext())
                assert result == {"batchItemFailures": []}
        handled += len(work)
        if not pages and not work:
            return handled


def completed_events(stack: HandlerStack) -> list[dict[str, Any]]:
    """Every `billing_run.completed` the outbox holds for the relay (the table's stream, as the relay
    function's filter passes it)."""
    arn = stack.dynamodb.describe_table(TableName=stack.tables["InvoicingTable"])["Table"]["LatestStreamArn"]
    found = []
    for shard in stack.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = stack.streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            response = stack.streams.get_records(ShardIterator=iterator)
            for record in response["Records"]:
                image = record["dynamodb"].get("NewImage") or {}
                found += [e for e in outbox_documents(image) if e["type"] == "billing_run.completed"]
            iterator = response.get("NextShardIterator") if response["Records"] else None
    return found


def item_count(stack: HandlerStack) -> int:
    # A test may count the whole table; application code never scans (test_template.py greps for it).
    table = stack.tables["InvoicingTable"]
    paginator = stack.dynamodb.get_paginator("scan")
    return sum(page["Count"] for page in paginator.paginate(TableName=table, Select="COUNT"))


def test_two_runs_at_once_with_every_message_thrice_bill_each_period_once(stack: HandlerStack, clock: At) -> None:
    stack.ok("POST", "/account", SELLER)
    price = monthly_price(stack)
    buyers = [customer(stack, f"Kund {n}", segments=["nordics"]) for n in range(4)]
    outsider = customer(stack, "Other AB", segments=["dach"])
    subs = [subscribe(stack, b["id"], price, quantity=n + 1) for n, b in enumerate(buyers * 2)]
    other = subscribe(stack, outsider["id"], price)
    clock.current = START + timedelta(days=31)  # every subscription's boundary 1 is due

    first = stack.ok("POST", "/billing_runs", {"segment": "nordics"})
    second = stack.ok("POST", "/billing_runs", {"segment": "nordics"})  # started over the first
    assert first["status"] == "running" and first["trigger"] == "manual" and first["segment"] == "nordics"
    assert pump(stack, times=3) == 2 * 3 * 8  # each page delivered 3 times queues its 8 boundaries each time

    invoices = stack.ok("GET", "/invoices", query={"limit": "100"})["data"]
    renewals = [i for i in invoices if i["metadata"].get("subscription_boundary") == "1"]
    assert Counter(i["metadata"]["subscription"] for i in renewals) == Counter({s["id"]: 1 for s in subs})
    assert {i["status"] for i in renewals} == {"open"}
    numbers = sorted(int(i["number"].split("-")[1]) for i in invoices)
    assert numbers == list(range(1, len(invoices) + 1)) and len(invoices) == 9 + 8  # first periods, renewals
    assert stack.ok("GET", f"/subscriptions/{other['id']}")["current_period_end"] == other["current_period_end"]

    views = [stack.ok("GET", f"/billing_runs/{r['id']}") for r in (first, second)]
    for view in views:
        assert (view["status"], view["total"], view["done"], view["failed"], view["progress"]) == \
            ("completed", 8, 8, 0, 100)
    assert sum(v["invoiced"] for v in views) == 8  # each boundary invoiced by one of the two runs
    events = completed_events(stack)
    assert sorted(e["aggregate_id"] for e in events) == sorted([first["id"], second["id"]])  # once each
    listed = stack.ok("GET", "/billing_runs")["data"]
    assert [r["id"] for r in listed] == [second["id"], first["id"]]


def test_a_dry_run_reports_what_would_be_billed_and_writes_nothing(stack: HandlerStack, clock: At) -> None:
    stack.ok("POST", "/account", SELLER)
    price = monthly_price(stack, 10000)
    buyer = customer(stack, "Kund AB")
    subscribe(stack, buyer["id"], price, quantity=2)
    subscribe(stack, buyer["id"], price, quantity=3)
    clock.current = START + timedelta(days=31)
    before = item_count(stack)
    preview = stack.ok("POST", "/billing_runs", {"customer": buyer["id"], "dry_run": True})
    assert item_count(stack) == before  # nothing written: no run, no invoice, no counter
    assert preview["object"] == "billing_run_preview"
    assert sorted(p["total"] for p in preview["subscriptions"]) == [25000, 37500]  # 25 % VAT on 200.00, 300.00
    assert preview["totals"] == {"SEK": {"invoices": 2, "subtotal": 50000, "tax": 12500, "total": 62500}}
    assert stack.ok("GET", "/billing_runs")["data"] == []
    status, error = stack.call("POST", "/billing_runs", {"customer": "cus_missing", "dry_run": True})
    assert (status, error["error"]["code"]) == (404, "resource_missing")


def test_a_held_segment_waits_for_review_and_approval_finalizes(stack: HandlerStack, clock: At) -> None:
    stack.ok("POST", "/account", {**SELLER, "review": {"held_segments": ["enterprise"]}})
    price = monthly_price(stack)
    big = customer(stack, "Big AB", segments=["enterprise"])
    small = customer(stack, "Small AB")
    held = [subscribe(stack, big["id"], price, quantity=q) for q in (1, 40)]
    free = subscribe(stack, small["id"], price)
    clock.current = START + timedelta(days=31)
    run = stack.ok("POST", "/billing_runs", {})
    pump(stack)

    view = stack.ok("GET", f"/billing_runs/{run['id']}")
    assert (view["total"], view["done"], view["needs_review"], view["invoiced"]) == (3, 3, 2, 1)
    assert view["status"] == "completed"
    drafts = stack.ok("GET", f"/billing_runs/{run['id']}/drafts", query={"sort": "amount"})["data"]
    assert [d["subscription"] for d in drafts] == [held[1]["id"], held[0]["id"]]  # largest first
    assert [d["amount"] for d in drafts] == [40 * 12375, 12375]
    assert all(stack.ok("GET", f"/invoices/{d['invoice']}")["status"] == "draft" for d in drafts)
    assert stack.ok("GET", f"/subscriptions/{free['id']}")["latest_invoice"] not in {d["invoice"] for d in drafts}
    page = stack.ok("GET", f"/billing_runs/{run['id']}/drafts", query={"sort": "amount", "limit": "1"})
    assert page["has_more"] and len(page["data"]) == 1
    rest = stack.ok("GET", f"/billing_runs/{run['id']}/drafts",
                    query={"sort": "amount", "limit": "1", "starting_after": page["data"][0]["invoice"]})
    assert [d["invoice"] for d in rest["data"]] == [drafts[1]["invoice"]] and not rest["has_more"]
    big_only = stack.ok("GET", f"/billing_runs/{run['id']}/drafts", query={"amount_gte": "100000"})["data"]
    assert [d["invoice"] for d in big_only] == [drafts[0]["invoice"]]
    assert stack.ok("GET", f"/billing_runs/{run['id']}/drafts", query={"segment": "smb"})["data"] == []

    approved = stack.ok("POST", f"/billing_runs/{run['id']}/approve", {"invoices": [drafts[0]["invoice"]]})
    assert approved["finalized"] == [drafts[0]["invoice"]] and approved["failed"] == []
    assert stack.ok("GET", f"/invoices/{drafts[0]['invoice']}")["status"] == "open"
    assert [d["invoice"] for d in stack.ok("GET", f"/billing_runs/{run['id']}/drafts")["data"]] == \
        [drafts[1]["invoice"]]
    everything = stack.ok("POST", f"/billing_runs/{run['id']}/approve", {"all": True})
    assert everything["finalized"] == [drafts[1]["invoice"]]
    view = stack.ok("GET", f"/billing_runs/{run['id']}")
    assert (view["needs_review"], view["invoiced"]) == (0, 3)
    status, error = stack.call("POST", f"/billing_runs/{run['id']}/approve", {"invoices": [drafts[1]["invoice"]]})
    assert (status, error["error"]["code"]) == (404, "resource_missing")  # no longer in review


def test_held_drafts_auto_finalize_after_the_window_unless_blocked(stack: HandlerStack, clock: At) -> None:
    stack.ok("POST", "/account", {**SELLER, "review": {"auto_finalize_after_minutes": 60}})
    price = monthly_price(stack)
    fine = customer(stack, "Fine AB")
    nowhere = customer(stack, "Nowhere AB")
    ok_sub = subscribe(stack, fine["id"], price)
    blocked_sub = subscribe(stack, nowhere["id"], price)
    stack.ok("POST", f"/customers/{nowhere['id']}", {"address": None})  # VAT needs the customer's country
    clock.current = START + timedelta(days=31)
    run = stack.ok("POST", "/billing_runs", {"review": True})
    pump(stack)
    drafts = {d["subscription"]: d for d in stack.ok("GET", f"/billing_runs/{run['id']}/drafts")["data"]}
    assert drafts[blocked_sub["id"]]["blocking"] and drafts[blocked_sub["id"]]["auto_finalize_at"] is None
    assert "customer_address_missing" in drafts[blocked_sub["id"]]["validation_issues"]
    assert not drafts[ok_sub["id"]]["blocking"]
    runs = load_function("billing_runs")

    clock.current += timedelta(minutes=59)  # not yet
    assert runs.lambda_handler({"step": "auto_finalize"}, LambdaContext()) == {"drafts": 0}
    clock.current += timedelta(minutes=2)
    assert runs.lambda_handler({"step": "auto_finalize"}, LambdaContext()) == {"drafts": 1}
    pump(stack, times=3)
    assert stack.ok("GET", f"/invoices/{drafts[ok_sub['id']]['invoice']}")["status"] == "open"
    clock.current += timedelta(days=6)
    assert runs.lambda_handler({"step": "auto_finalize"}, LambdaContext()) == {"drafts": 0}
    left = stack.ok("GET", f"/billing_runs/{run['id']}/drafts", query={"blocking": "true"})["data"]
    assert [d["subscription"] for d in left] == [blocked_sub["id"]]  # waits in the review list
    assert stack.ok("GET", f"/invoices/{left[0]['invoice']}")["status"] == "draft"
    view = stack.ok("GET", f"/billing_runs/{run['id']}")
    assert (view["needs_review"], view["invoiced"]) == (1, 1)


def test_a_scheduled_run_has_a_record_in_the_account_it_bills(stack: HandlerStack, clock: At) -> None:
    stack.ok("POST", "/account", SELLER)
    price = monthly_price(stack)
    sub = subscribe(stack, customer(stack, "Kund AB")["id"], price)
    clock.current = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # boundary 1 fell due an hour ago
    runs = load_function("billing_runs")
    assert runs.lambda_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())["pages"]
    pump(stack, times=2)
    [run] = stack.ok("GET", "/billing_runs")["data"]
    assert (run["trigger"], run["status"], run["total"], run["invoiced"]) == ("schedule", "completed", 1, 1)
    assert stack.ok("GET", f"/subscriptions/{sub['id']}")["current_period_start"] == sub["current_period_end"]


def test_customers_carry_validated_segments_and_are_listed_by_segment(stack: HandlerStack) -> None:
    a = customer(stack, "A AB", segments=["nordics", "smb"])
    b = customer(stack, "B AB", segments=["smb"])
    assert [c["id"] for c in stack.ok("GET", "/customers", query={"segment": "smb"})["data"]] == [b["id"], a["id"]]
    stack.ok("POST", f"/customers/{a['id']}", {"segments": ["nordics"]})
    assert [c["id"] for c in stack.ok("GET", "/customers", query={"segment": "smb"})["data"]] == [b["id"]]
    assert [c["id"] for c in stack.ok("GET", "/customers", query={"segment": "nordics"})["data"]] == [a["id"]]
    for bad in (["Upper"], ["a b"], ["x", "x"], [f"s{n}" for n in range(11)]):
        status, error = stack.call("POST", "/customers", {"name": "C", "segments": bad})
        assert status == 400 and error["error"]["param"].startswith("segments"), (bad, error)


def test_a_test_clock_advanced_three_months_bills_each_period_once_in_order(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    price = monthly_price(stack)
    start = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
    test_clock = stack.ok("POST", "/test_clocks", {"frozen_time": start.isoformat(), "name": "Q1"})
    buyer = customer(stack, "Clocked AB", test_clock=test_clock["id"])
    sub = subscribe(stack, buyer["id"], price)
    assert sub["current_period_start"] == "2027-01-15T12:00:00Z"  # created at the clock's time
    advanced = stack.ok("POST", f"/test_clocks/{test_clock['id']}/advance",
                        {"frozen_time": (start + timedelta(days=95)).isoformat()})
    assert advanced["frozen_time"] == "2027-04-20T12:00:00Z"
    invoices = stack.ok("GET", "/invoices", query={"customer": buyer["id"], "limit": "100"})["data"]
    by_boundary = sorted(invoices, key=lambda i: int(i["metadata"]["subscription_boundary"]))
    assert [i["metadata"]["subscription_boundary"] for i in by_boundary] == ["0", "1", "2", "3"]
    assert [i["lines"]["data"][0]["period"]["start"] for i in by_boundary] == \
        ["2027-01-15", "2027-02-15", "2027-03-15", "2027-04-15"]
    assert [i["number"] for i in by_boundary] == sorted(i["number"] for i in by_boundary)  # billed in order
    assert {i["status"] for i in invoices} == {"open"}
    again = stack.ok("POST", f"/test_clocks/{test_clock['id']}/advance",
                     {"frozen_time": (start + timedelta(days=96)).isoformat()})
    assert again["frozen_time"] == "2027-04-21T12:00:00Z"
    assert len(stack.ok("GET", "/invoices", query={"customer": buyer["id"]})["data"]) == 4  # nothing twice
    runs = stack.ok("GET", "/billing_runs")["data"]
    assert [r["trigger"] for r in runs] == ["test_clock"] * 3 and {r["status"] for r in runs} == {"completed"}
    status, error = stack.call("POST", f"/test_clocks/{test_clock['id']}/advance",
                               {"frozen_time": start.isoformat()})
    assert (status, error["error"]["param"]) == (400, "frozen_time")


def test_always_invoice_on_a_test_clock_invoices_at_the_clocks_time(stack: HandlerStack, clock: At) -> None:
    # Real time stands at 1 Nov 2026 09:00 (`clock`); the test clock lives in January 2027.
    stack.ok("POST", "/account", SELLER)
    seats = monthly_price(stack)
    pro = monthly_price(stack, 19_900)
    start = datetime(2027, 1, 1, tzinfo=UTC)
    test_clock = stack.ok("POST", "/test_clocks", {"frozen_time": start.isoformat()})
    buyer = customer(stack, "Clocked AB", test_clock=test_clock["id"])
    sub = subscribe(stack, buyer["id"], seats)
    first = stack.ok("GET", f"/invoices/{sub['latest_invoice']}")
    assert (first["issue_date"], first["status_transitions"]["finalized_at"]) == ("2027-01-01", "2027-01-01T00:00:00Z")
    halfway = start + timedelta(days=15, hours=12)  # January's 31 days: exactly half left
    stack.ok("POST", f"/test_clocks/{test_clock['id']}/advance", {"frozen_time": halfway.isoformat()})
    changed = stack.ok("POST", f"/subscriptions/{sub['id']}/items/{sub['items'][0]['id']}",
                       {"price": pro, "proration_behavior": "always_invoice"})
    assert changed["pending_prorations"] == []
    invoices = stack.ok("GET", "/invoices", query={"customer": buyer["id"]})["data"]
    [upgrade] = [i for i in invoices if i["id"] != sub["latest_invoice"]]
    # Invoiced at once, on the clock's frozen time, not on real time (1 Nov 2026).
    assert upgrade["status"] == "open" and upgrade["created"] == "2027-01-16T12:00:00Z"
    assert (upgrade["issue_date"], upgrade["due_date"]) == ("2027-01-16", "2027-02-15")  # 30 days to pay
    assert upgrade["status_transitions"]["finalized_at"] == "2027-01-16T12:00:00Z"
    # 99.00 → 199.00 halfway: -49.50 and +99.50, each for Jan 16 – Jan 31.
    assert [(line["amount"], line["period"]["start"], line["period"]["end"]) for line in upgrade["lines"]["data"]] == [
        (-4950, "2027-01-16", "2027-01-31"), (9950, "2027-01-16", "2027-01-31")]


def test_a_test_clock_s_invoices_are_issued_and_due_on_the_clock_s_days(stack: HandlerStack) -> None:
    """Finalized at the clock's time, not the real time: by the run, from review, or by hand."""
    stack.ok("POST", "/account", {**SELLER, "review": {"held_segments": ["vip"]}})
    price = monthly_price(stack)
    start = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)  # months from the real time
    test_clock = stack.ok("POST", "/test_clocks", {"frozen_time": start.isoformat()})
    plain = customer(stack, "Kund AB", test_clock=test_clock["id"])
    vip = customer(stack, "VIP AB", test_clock=test_clock["id"], segments=["vip"])
    first = stack.ok("GET", f"/invoices/{subscribe(stack, plain['id'], price)['latest_invoice']}")
    subscribe(stack, vip["id"], price)
    stack.ok("POST", f"/test_clocks/{test_clock['id']}/advance",
             {"frozen_time": (start + timedelta(days=31, minutes=5)).isoformat()})
    [run] = stack.ok("GET", "/billing_runs")["data"]
    stack.ok("POST", f"/billing_runs/{run['id']}/approve", {"all": True})
    by_hand = stack.ok("POST", "/invoices", {"customer": plain["id"], "lines": [{"description": "Setup",
                                                                                   "unit_amount": 5000}]})
    assert by_hand["created"].startswith("2027-02-01T09:05")  # a draft made by hand: on the clock's time too
    by_hand = stack.ok("POST", f"/invoices/{by_hand['id']}/finalize", {})
    february = [i for buyer in (plain, vip)
                for i in stack.ok("GET", "/invoices", query={"customer": buyer["id"]})["data"]
                if i["metadata"].get("subscription_boundary") == "1"]
    assert (first["issue_date"], first["due_date"]) == ("2027-01-01", "2027-01-31")
    assert [(i["issue_date"], i["due_date"], i["status"]) for i in february] == \
        [("2027-02-01", "2027-03-03", "open")] * 2
    assert by_hand["issue_date"] == "2027-02-01"
    assert by_hand["status_transitions"]["finalized_at"].startswith("2027-02-01T09:05")


def test_a_test_clock_runs_the_review_window_of_a_held_segment(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", {**SELLER, "review": {"held_segments": ["vip"], "auto_finalize_after_minutes": 90}})
    price = monthly_price(stack)
    start = datetime(2027, 1, 1, tzinfo=UTC)
    test_clock = stack.ok("POST", "/test_clocks", {"frozen_time": start.isoformat()})
    buyer = customer(stack, "VIP AB", test_clock=test_clock["id"], segments=["vip"])
    subscribe(stack, buyer["id"], price)
    stack.ok("POST", f"/test_clocks/{test_clock['id']}/advance",
             {"frozen_time": (start + timedelta(days=31, minutes=60)).isoformat()})
    [run] = stack.ok("GET", "/billing_runs")["data"]
    [draft] = stack.ok("GET", f"/billing_runs/{run['id']}/drafts")["data"]
    assert stack.ok("GET", f"/invoices/{draft['invoice']}")["status"] == "draft"  # its 90 minutes not over
    stack.ok("POST", f"/test_clocks/{test_clock['id']}/advance",
             {"frozen_time": (start + timedelta(days=31, minutes=91)).isoformat()})
    assert stack.ok("GET", f"/invoices/{draft['invoice']}")["status"] == "open"
    assert stack.ok("GET", f"/billing_runs/{run['id']}/drafts")["data"] == []


def test_test_clocks_exist_in_sandbox_mode_only(stack: HandlerStack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_MODE", "false")
    live = load_function("api")
    event = api_event("POST", "/test_clocks", account_id=stack.account_id,
                      body={"frozen_time": "2027-01-01T00:00:00Z"})
    response = live.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 400 and json.loads(response["body"])["error"]["code"] == "sandbox_only"
    event = api_event("POST", "/customers", account_id=stack.account_id, body={"name": "X", "test_clock": "clock_1"})
    response = live.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 400 and json.loads(response["body"])["error"]["code"] == "sandbox_only"


def test_a_retried_start_with_the_same_key_starts_one_run(stack: HandlerStack, clock: At) -> None:
    stack.ok("POST", "/account", SELLER)
    first = stack.ok("POST", "/billing_runs", {"review": True}, idempotency_key="month-end-1")
    again = stack.ok("POST", "/billing_runs", {"review": True}, idempotency_key="month-end-1")
    assert again["id"] == first["id"]
    assert [r["id"] for r in stack.ok("GET", "/billing_runs")["data"]] == [first["id"]]


def test_usage_of_a_test_clock_customer_is_billed_for_the_clock_s_periods(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    product = stack.ok("POST", "/products", {"name": "API"})
    calls = stack.ok("POST", "/prices", {"product": product["id"], "currency": "SEK", "unit_amount": 10,
                                         "nickname": "API calls",
                                         "recurring": {"interval": "month", "usage_type": "metered"}})
    stack.ok("POST", "/meters", {"event_name": "api_calls", "display_name": "API calls"})
    start = datetime(2027, 3, 1, tzinfo=UTC)
    test_clock = stack.ok("POST", "/test_clocks", {"frozen_time": start.isoformat()})
    buyer = customer(stack, "Metered AB", test_clock=test_clock["id"])
    stack.ok("POST", "/subscriptions", {"customer": buyer["id"], "items": [{"price": calls["id"],
                                                                            "meter": "api_calls"}]})
    for n, day in enumerate((3, 17, 30)):  # March, on the clock's time
        stack.ok("POST", "/test_clocks/" + test_clock["id"] + "/advance",
                 {"frozen_time": (start + timedelta(days=day)).isoformat()})
        stack.ok("POST", "/usage_events", {"event_name": "api_calls", "identifier": f"m{n}",
                                           "payload": {"customer": buyer["id"], "value": "100"}})
    stack.ok("POST", "/test_clocks/" + test_clock["id"] + "/advance",
             {"frozen_time": (start + timedelta(days=32)).isoformat()})
    invoices = stack.ok("GET", "/invoices", query={"customer": buyer["id"]})["data"]
    april = next(i for i in invoices if i["metadata"]["subscription_boundary"] == "1")
    [line] = april["lines"]["data"]
    assert (line["description"], line["net_amount"], line["period"]) == \
        ("API calls × 300", 3000, {"start": "2027-03-01", "end": "2027-03-31"})


def test_a_draft_leaves_review_once_however_many_remove_it(stack: HandlerStack, clock: At) -> None:
    from invoicing.bootstrap.billing import billing_worker

    stack.ok("POST", "/account", SELLER)
    price = monthly_price(stack)
    subscribe(stack, customer(stack, "Kund AB")["id"], price)
    clock.current = START + timedelta(days=31)
    run = stack.ok("POST", "/billing_runs", {"review": True})
    pump(stack)
    [draft] = stack.ok("GET", f"/billing_runs/{run['id']}/drafts")["data"]
    service = billing_worker()
    for _ in range(2):  # an approval and the window's worker, one after the other: counted once
        service.finalize(stack.account_id, [draft["invoice"]], {draft["invoice"]})
    view = stack.ok("GET", f"/billing_runs/{run['id']}")
    assert (view["needs_review"], view["invoiced"], view["done"]) == (0, 1, 1)


def test_a_test_clock_customer_s_usage_timestamps_are_judged_on_the_clock_s_time(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    stack.ok("POST", "/meters", {"event_name": "api_calls", "display_name": "API calls"})
    start = datetime(2027, 3, 1, tzinfo=UTC)  # months from the real time
    test_clock = stack.ok("POST", "/test_clocks", {"frozen_time": (start + timedelta(days=17)).isoformat()})
    buyer = customer(stack, "Metered AB", test_clock=test_clock["id"])
    event = {"event_name": "api_calls", "identifier": "t1", "timestamp": (start + timedelta(days=10)).isoformat(),
             "payload": {"customer": buyer["id"], "value": "100"}}

    recorded = stack.ok("POST", "/usage_events", event)
    assert recorded["timestamp"].startswith("2027-03-11")
    status, error = stack.call("POST", "/usage_events", {**event, "identifier": "t2",
                                                         "timestamp": (start + timedelta(days=18)).isoformat()})
    assert (status, error["error"]["param"]) == (400, "timestamp")  # a day ahead of the clock
