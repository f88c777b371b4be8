"""`make demo`, part two: three months of a SaaS business on a test clock, through the HTTP API.

The seller of part one also sells Nordlys Cloud: seats on a Team plan (a price per seat) or a
Business plan (graduated tiers), and API calls, metered and billed in arrears. Three customers live
on one test clock (a sandbox's clock of its own; the runtime's real-time schedules are never
advanced). Their API calls arrive as usage events on the usage queue, the integration path (some
sent twice, as an integration retrying does), and one customer's through `POST /usage_events`. In
January a customer buys three more seats mid-month (prorated to the second); in February another
cancels at the end of the period; the "enterprise" segment is held for review by each month's
billing run and approved through the API. Each month's invoices are printed, their PDFs fetched as
a user would (a presigned link from `GET /invoices/{id}/pdf`) into `out/billing/`, and the whole is
checked: one invoice per subscription-period, usage counted once, totals that add up to the lines.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from local.client import ApiClient
from local.stack import LocalRuntime

GRACE = timedelta(hours=1)  # the meter's grace period: a month is billed an hour after it ends
HELD_SEGMENT = "enterprise"

TEAM = {"sek": 14900, "eur": 1300}  # a seat a month
BUSINESS_TIERS = {  # graduated: seats 1-10, 11-50, 51 and up
    "sek": [(10, 12900), (50, 10900), (None, 8900)],
    "eur": [(10, 1150), (50, 950), (None, 790)],
}
REPORT_DAYS = (0, 4, 9, 13, 18, 23, 27)  # the days of a month (from 0) each customer reports its calls
CALL_PRICE = {"sek": "2", "eur": "0.18"}  # minor units per API call: 0.02 kr, 0.0018 €


@dataclass
class Customer:
    """A customer of the demo: what it buys, how its usage arrives, and what happens to it."""

    slug: str
    body: dict[str, Any]
    plan: str  # "team" or "business"
    seats: int
    calls_per_day: int
    channel: str  # "queue" or "api"
    id: str = ""
    subscription: dict[str, Any] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)  # identifier -> calls, each event once


CUSTOMERS = [
    Customer("kvarnby", {"name": "Kvarnby Analys AB", "email": "ekonomi@kvarnby.example", "currency": "SEK",
                         "locale": "sv", "segments": ["smb"],
                         "address": {"line1": "Kvarnbygatan 7", "city": "Malmö", "postal_code": "212 15",
                                     "country": "SE"}},
             plan="team", seats=5, calls_per_day=1_800, channel="queue"),
    Customer("lindqvist", {"name": "Lindqvist & Berg Advokatbyrå KB", "email": "faktura@lindqvistberg.example",
                           "currency": "SEK", "locale": "en", "segments": ["smb"],
                           "address": {"line1": "Kungsgatan 12", "city": "Göteborg", "postal_code": "411 19",
                                       "country": "SE"}},
             plan="team", seats=3, calls_per_day=400, channel="queue"),
    Customer("rheinwerk", {"name": "Rheinwerk Maschinenbau GmbH", "email": "rechnungen@rheinwerk.example",
                           "currency": "EUR", "locale": "de", "segments": [HELD_SEGMENT],
                           "tax_ids": [{"type": "eu_vat", "value": "DE136695976"}],
                           "address": {"line1": "Industriestraße 12", "city": "Köln", "postal_code": "50667",
                                       "country": "DE"}},
             plan="business", seats=25, calls_per_day=5_000, channel="api"),
]
UPGRADE = ("kvarnby", 8)  # in January, on the 15th: 5 -> 8 seats
CANCELLATION = "lindqvist"  # in February, on the 20th: at the end of the period
SPIKE = ("rheinwerk", 2, 4)  # in March its calls are four times February's (a data migration)


class DemoCheckFailed(AssertionError):
    """What the demo produced is not what its inputs say it must be."""


def live_three_months(api: ApiClient, stack: LocalRuntime, out_dir: Path, progress: Progress,
                      start: datetime | None = None) -> list[dict[str, Any]]:
    """The three months from `start` (the first of next month, 08:00 UTC), printed month by month;
    returns every subscription invoice, checked (`DemoCheckFailed` otherwise)."""
    return _Demo(api, stack, out_dir, progress, start).run()


class _Demo:
    def __init__(self, api: ApiClient, stack: LocalRuntime, out_dir: Path, progress: Progress,
                 start: datetime | None) -> None:
        self.api, self.stack, self.out_dir, self.progress = api, stack, out_dir, progress
        self.console = progress.console
        self.customers = [Customer(c.slug, c.body, c.plan, c.seats, c.calls_per_day, c.channel) for c in CUSTOMERS]
        self.start = start or _first_of_next_month(stack.clock.now())
        self.queue_sent = self.queue_repeats = self.api_sent = self.api_repeats = 0
        self.invoices: dict[str, dict[str, Any]] = {}
        self.upgraded_at = self.start
        self.approved: set[str] = set()  # invoices held for review, then approved

    def run(self) -> list[dict[str, Any]]:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._drain(60)
        task = self.progress.add_task("Three months of Nordlys Cloud on a test clock", total=5)
        self._set_up()
        self._show(0, "Subscriptions start: each first month billed in advance at once")
        self.progress.advance(task)
        for month in range(3):
            self._live_month(month)
            self.progress.advance(task)
        self._check()
        self.progress.advance(task)
        return sorted(self.invoices.values(), key=lambda i: i["number"])

    # --- the catalog, the clock, the customers --------------------------------------------------
    def _set_up(self) -> None:
        api = self.api
        api.post("/account", {"review": {"held_segments": [HELD_SEGMENT], "auto_finalize_after_minutes": 24 * 60}})
        self.clock = api.post("/test_clocks", {"frozen_time": _z(self.start), "name": "Nordlys Cloud, first quarter"})
        product = {"tax_code": "standard", "supply_type": "electronic_services"}
        team = api.post("/products", {"name": "Nordlys Cloud Team", "unit_label": "seat", **product})
        business = api.post("/products", {"name": "Nordlys Cloud Business", "unit_label": "seat", **product})
        calls = api.post("/products", {"name": "Nordlys Cloud API", "unit_label": "call", **product})
        monthly = {"interval": "month"}
        self.prices = {
            "team": api.post("/prices", {"product": team["id"], "currency": "sek", "recurring": monthly,
                                         "nickname": "Team", "unit_amount": TEAM["sek"],
                                         "currency_options": {"eur": {"unit_amount": TEAM["eur"]}}}),
            "business": api.post("/prices", {
                "product": business["id"], "currency": "sek", "recurring": monthly, "nickname": "Business",
                "billing_scheme": "tiered", "tiers_mode": "graduated", "tiers": _tiers(BUSINESS_TIERS["sek"]),
                "currency_options": {"eur": {"tiers": _tiers(BUSINESS_TIERS["eur"])}}}),
            "calls": api.post("/prices", {
                "product": calls["id"], "currency": "sek", "nickname": "API calls",
                "unit_amount_decimal": CALL_PRICE["sek"], "recurring": {**monthly, "usage_type": "metered"},
                "currency_options": {"eur": {"unit_amount_decimal": CALL_PRICE["eur"]}}}),
        }
        self.meter = api.post("/meters", {"event_name": "api_calls", "display_name": "API calls",
                                          "grace_period_seconds": int(GRACE.total_seconds())})
        self.account_id = api.get("/account")["id"]
        for c in self.customers:
            c.id = api.post("/customers", {**c.body, "test_clock": self.clock["id"]})["id"]
            c.subscription = api.post("/subscriptions", {"customer": c.id, "items": [
                {"price": self.prices[c.plan]["id"], "quantity": c.seats},
                {"price": self.prices["calls"]["id"], "meter": "api_calls"}]})
        self._say(self.start, f"Test clock {self.clock['id']} at {_z(self.start)}; {len(self.customers)} customers on "
                              "it, each with a seat plan and metered API calls (Team: 149 kr a seat; Business: "
                              "graduated, 129 / 109 / 89 kr a seat; calls 0.02 kr; in EUR for Rheinwerk)")

    # --- one month --------------------------------------------------------------------------------
    def _live_month(self, month: int) -> None:
        start, end = _add_months(self.start, month), _add_months(self.start, month + 1)
        mid = start + timedelta(days=14, hours=2)
        self._advance(mid)
        self._send_usage(mid, month, start, [d for d in REPORT_DAYS if d < 14])
        if month == 0:
            self._upgrade(mid)
        if month == 1:
            self._advance(mid + timedelta(days=5))
            self._cancel(mid + timedelta(days=5))
        self._advance(end - timedelta(hours=1))
        self._send_usage(end - timedelta(hours=1), month, start, [d for d in REPORT_DAYS if d >= 14])
        self._drain(60)  # the queue's events recorded before the month closes
        self._advance(end + GRACE + timedelta(minutes=5))  # the month is billed when its grace period ends
        self._review(end + GRACE)
        self._show(month + 1, f"{start:%B %Y} billed at {_z(end + GRACE)}: its usage in arrears, "
                              f"{end:%B}'s seats in advance")

    def _advance(self, to: datetime) -> None:
        self.api.post(f"/test_clocks/{self.clock['id']}/advance", {"frozen_time": _z(to)})

    def _send_usage(self, now: datetime, month: int, start: datetime, days: list[int]) -> None:
        """Each customer's calls since its last report, on these days: on the queue (every other event
        sent twice, as an integration that retries does) or, for Rheinwerk, to POST /usage_events (its
        last request retried)."""
        queued: list[dict[str, Any]] = []
        api_sent, api_repeats = self.api_sent, self.api_repeats
        for c in self.customers:
            if c.subscription["status"] == "canceled":
                continue
            events = [self._event(c, month, start, day) for day in days]
            if c.channel == "queue":
                queued += events + events[::2]  # the integration retries some: counted once
            else:
                for event in events + events[-1:]:
                    answer = self.api.post("/usage_events", event)
                    self.api_sent += 1
                    self.api_repeats += answer["duplicate"]
        sqs, url = self.stack.boto3_client("sqs"), self.stack.resources.url("UsageQueue")
        attributes = {"account_id": {"DataType": "String", "StringValue": self.account_id}}
        for i in range(0, len(queued), 10):
            sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(n), "MessageBody": json.dumps(event), "MessageAttributes": attributes}
                for n, event in enumerate(queued[i:i + 10])])
        repeats = len(queued) - len({e["identifier"] for e in queued})
        self.queue_sent, self.queue_repeats = self.queue_sent + len(queued), self.queue_repeats + repeats
        self._say(now, f"Usage: {len(queued)} events on the usage queue ({repeats} of them a second time), "
                       f"{self.api_sent - api_sent} to POST /usage_events ({self.api_repeats - api_repeats} "
                       "answered duplicate: true)")

    def _event(self, c: Customer, month: int, start: datetime, day: int) -> dict[str, Any]:
        calls = c.calls_per_day * 4 + (day * 37 + month * 101) % 250  # about four days' calls
        if (c.slug, month) == SPIKE[:2]:
            calls *= SPIKE[2]
        identifier = f"{c.slug}-{start:%Y-%m}-{day + 1:02d}"
        c.sent[identifier] = calls
        return {"event_name": "api_calls", "identifier": identifier,
                "timestamp": _z(start + timedelta(days=day, hours=4)),
                "payload": {"customer": c.id, "value": str(calls)}}

    def _upgrade(self, at: datetime) -> None:
        c = self._customer(UPGRADE[0])
        item = next(i for i in c.subscription["items"] if i["price"] == self.prices[c.plan]["id"])
        c.subscription = self.api.post(f"/subscriptions/{c.subscription['id']}/items/{item['id']}",
                                       {"quantity": UPGRADE[1], "proration_behavior": "create_prorations"})
        pending = {p["kind"]: p for p in c.subscription["pending_prorations"]}
        self._say(at, f"{c.body['name']}: {c.seats} → {UPGRADE[1]} seats; the rest of the month prorated to the "
                      f"second, two lines on the next invoice: {self._money(pending['charge']['amount'], c)} for "
                      f"the remaining time on {UPGRADE[1]} seats, {self._money(pending['credit']['amount'], c)} "
                      f"for the unused time on {c.seats}")
        self.upgraded_at = at

    def _cancel(self, at: datetime) -> None:
        c = self._customer(CANCELLATION)
        c.subscription = self.api.post(f"/subscriptions/{c.subscription['id']}/cancel", {"at_period_end": True})
        self._say(at, f"{c.body['name']} cancels at the end of the period: {at:%B}'s usage is its last invoice")

    def _review(self, at: datetime) -> None:
        """The run held the enterprise segment's drafts: list them as finance would, approve them."""
        [run] = [r for r in self.api.get("/billing_runs?limit=1")["data"] if r["test_clock"] == self.clock["id"]]
        drafts = self.api.get(f"/billing_runs/{run['id']}/drafts?sort=amount")["data"]
        self._say(at, f"Billing run {run['id']} ({run['total']} subscriptions due): {run['invoiced']} finalized at "
                      f"once, {run['needs_review']} held for review (segment {HELD_SEGMENT}):")
        for d in drafts:
            c = self._by_id(d["customer"])
            change = "" if d["change"] is None else f", {self._money(d['change'], c, signed=True)} on the last invoice"
            flags = f"; flags: {', '.join(d['flags'])}" if d["flags"] else ""
            self._say(at, f"  GET /billing_runs/{{id}}/drafts: {c.body['name']} "
                          f"{self._money(d['amount'], c)}{change}{flags}")
        approval = self.api.post(f"/billing_runs/{run['id']}/approve", {"all": True})
        self.approved.update(approval["finalized"])
        if approval["failed"] or len(approval["finalized"]) != len(drafts):
            raise DemoCheckFailed(f"approving {run['id']}: {approval}")
        run = self.api.get(f"/billing_runs/{run['id']}")
        self._say(at, f"  POST /billing_runs/{{id}}/approve: {len(approval['finalized'])} finalized; the run is "
                      f"{run['status']} ({run['invoiced']} of {run['total']} invoiced)")

    # --- what each month produced ----------------------------------------------------------------
    def _show(self, boundary: int, title: str) -> None:
        self._drain(120)  # rendering (the document function) and sending
        for c in self.customers:
            c.subscription = self.api.get(f"/subscriptions/{c.subscription['id']}")
        table = Table(title=title, title_justify="left", show_lines=True)
        for column in ("Invoice", "Customer", "Lines", "Subtotal", "Tax", "Total", "Status"):
            table.add_column(column, overflow="fold", min_width=42 if column == "Lines" else None,
                             max_width=24 if column == "Customer" else None,
                             justify="right" if column in ("Subtotal", "Tax", "Total") else "left")
        for c in self.customers:
            invoices = [i for i in self._invoices_of(c) if i["metadata"].get("subscription_boundary") == str(boundary)]
            for invoice in invoices:
                self.invoices[invoice["id"]] = invoice
                self._download(invoice, self.out_dir / f"{invoice['number']}-{c.slug}.pdf")
                lines = "\n".join(self._line(line, c) for line in invoice["lines"]["data"])
                status = invoice["status"] + ("\napproved" if invoice["id"] in self.approved else "")
                tax = ", ".join(f"{g['category']} {g['percent']} %" for g in invoice["tax_breakdown"])
                table.add_row(invoice["number"], c.body["name"], lines, self._money(invoice["subtotal"], c),
                              f"{self._money(invoice['tax'], c)}\n{tax}", self._money(invoice["total"], c),
                              status)
        self.console.print(table)

    def _line(self, line: dict[str, Any], c: Customer) -> str:
        text = f"{line['description']} · {self._money(line['net_amount'], c)}"
        for discount in line["discounts"]:
            text += f"\n  {self._money(line['amount'], c)} less {discount['description']} " \
                    f"{self._money(line['discount_amount'], c)}"
        return escape(text)

    def _invoices_of(self, c: Customer) -> list[dict[str, Any]]:
        invoices = self.api.get(f"/invoices?customer={c.id}&limit=100")["data"]
        return [i for i in invoices if "subscription" in i["metadata"]]

    def _download(self, invoice: dict[str, Any], target: Path) -> Path:
        """As a user would: the invoice's PDF link (202 while it is rendered), then the file behind it."""
        deadline = time.monotonic() + 120
        status, link = self.api.request("GET", f"/invoices/{invoice['id']}/pdf")
        while status == 202 and time.monotonic() < deadline:
            self.stack.drain(timeout=10)
            status, link = self.api.request("GET", f"/invoices/{invoice['id']}/pdf")
        if status != 200:
            raise DemoCheckFailed(f"the PDF of {invoice['number']}: HTTP {status} {link}")
        with urllib.request.urlopen(link["url"], timeout=30) as response, target.open("wb") as f:  # noqa: S310
            shutil.copyfileobj(response, f)
        return target

    # --- the check: what a finance person would verify ------------------------------------------
    def _check(self) -> None:
        """Exactly one invoice per subscription-period, each period there; every total adds up to its
        lines; each plan's seats and each month's usage billed as sent."""
        expected_periods = 0
        for c in self.customers:
            invoices = self._invoices_of(c)
            periods = Counter((i["metadata"]["subscription"], i["metadata"].get("subscription_boundary"))
                              for i in invoices)
            ends = 3 if c.slug == CANCELLATION else 4  # boundaries 0-3; the cancelled one ends at 2
            wanted = Counter((c.subscription["id"], str(k)) for k in range(ends))
            if periods != wanted:
                raise DemoCheckFailed(f"{c.body['name']}: invoices per subscription-period {dict(periods)}, "
                                      f"expected one for each of {sorted(wanted)}")
            expected_periods += ends
            for invoice in invoices:
                _check_totals(invoice)
                self._check_lines(c, invoice)
        if len(self.invoices) != expected_periods or {i["status"] for i in self.invoices.values()} != {"open"}:
            raise DemoCheckFailed(f"{len(self.invoices)} invoices shown, {expected_periods} expected, all open")
        numbers = sorted(int(i["number"].rsplit("-", 1)[1]) for i in self.invoices.values())
        if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
            raise DemoCheckFailed(f"the numbers have a gap or a duplicate: {numbers}")
        self.console.print(
            f"[green]Checked.[/green] {len(self.invoices)} subscription invoices, one per subscription-period, "
            f"numbered without a gap; every total is its lines plus tax; usage: {self.queue_sent} events on the "
            f"queue ({self.queue_repeats} of them repeats) and {self.api_sent} to POST /usage_events "
            f"({self.api_repeats} answered duplicate), each counted once. "
            f"Their PDFs: {self.out_dir}/<number>-<customer>.pdf")

    def _check_lines(self, c: Customer, invoice: dict[str, Any]) -> None:
        """Each line as the inputs say: the plan's seats (per seat, or through the graduated tiers), the
        month's calls sent (each once) at the call price, the upgrade prorated to the second."""
        k = int(invoice["metadata"]["subscription_boundary"])
        currency = invoice["currency"].lower()
        upgraded = c.slug == UPGRADE[0] and k > 0
        expected = {}
        if not (c.slug == CANCELLATION and k == 3 - 1):  # the period it ends in bills its usage only
            expected["seats"] = (_seat_amount(c.plan, UPGRADE[1] if upgraded else c.seats, currency), 0)
        month = f"{c.slug}-{_add_months(self.start, k - 1):%Y-%m}"
        calls = sum(v for key, v in c.sent.items() if key.startswith(month)) if k else 0
        if calls:
            expected["calls"] = (_round(Decimal(calls) * Decimal(CALL_PRICE[currency])), 0)
        if c.slug == UPGRADE[0] and k == 1:  # Stripe's rule: remaining time on the new, less unused on the old
            end = _add_months(self.start, 1)
            share = Decimal((end - self.upgraded_at).total_seconds()) / Decimal((end - self.start).total_seconds())
            charge, credit = (_round(_seat_amount(c.plan, n, currency) * share) for n in (UPGRADE[1], c.seats))
            expected["proration charge"], expected["proration credit"] = (charge, 0), (-credit, 0)
        found = {}
        for line in invoice["lines"]["data"]:
            if line["proration"]:
                kind = "proration charge" if line["amount"] > 0 else "proration credit"
            elif Decimal(line["unit_amount_decimal"]) == Decimal(CALL_PRICE[currency]):
                kind = "calls"
            else:
                kind = "seats"
            found[kind] = (line["amount"], line["discount_amount"])
        if found != expected:
            raise DemoCheckFailed(f"{invoice['number']} ({c.body['name']}): lines (amount, discount) {found}, "
                                  f"expected {expected}")

    # --- helpers -------------------------------------------------------------------------------
    def _customer(self, slug: str) -> Customer:
        return next(c for c in self.customers if c.slug == slug)

    def _by_id(self, customer_id: str) -> Customer:
        return next(c for c in self.customers if c.id == customer_id)

    def _money(self, amount: int, c: Customer, *, signed: bool = False) -> str:
        from invoicing.documents.formatting import format_money

        text = format_money(abs(amount) if signed else amount, c.body["currency"], c.body["locale"])
        return ("+" if amount >= 0 else "−") + text.replace("\u00a0", " ") if signed else text.replace("\u00a0", " ")

    def _drain(self, timeout: float) -> None:
        """Until the queues are empty and nothing runs; then what the functions' metrics hold is let go.

        demo.py disables the metrics (their EMF lines would only interleave with its output). Powertools
        then keeps what the functions add, in one store that every `Metrics` shares, and prints it all the
        same once a metric holds 100 values (EMF's limit): its public `clear_metrics`, while nothing runs,
        keeps the demo's output its own."""
        from aws_lambda_powertools import Metrics

        self.stack.drain(timeout=timeout)
        Metrics().clear_metrics()

    def _say(self, at: datetime, text: str) -> None:
        self.console.print(f"[bold]{at:%d %b %Y %H:%M}[/bold]  {escape(text)}")


def _check_totals(invoice: dict[str, Any]) -> None:
    """The totals are the lines': subtotal = Σ line nets; total = subtotal − discounts + charges + tax;
    tax = Σ of the tax groups; amount due = total − balance applied."""
    lines = invoice["lines"]["data"]
    sums = {
        "subtotal": sum(line["net_amount"] for line in lines),
        "total_excluding_tax": invoice["subtotal"] - invoice["total_discount_amount"] + invoice["total_charge_amount"],
        "tax": sum(g["tax_amount"] for g in invoice["tax_breakdown"]),
        "total": invoice["total_excluding_tax"] + invoice["tax"],
        "amount_due": invoice["total"] - invoice["applied_balance"],
    }
    for line in lines:
        if line["net_amount"] != line["amount"] - line["discount_amount"] + line["charge_amount"]:
            raise DemoCheckFailed(f"{invoice['number']}: line {line['description']!r} does not add up: {line}")
    wrong = {k: (invoice[k], v) for k, v in sums.items() if invoice[k] != v}
    if wrong:
        raise DemoCheckFailed(f"{invoice['number']}: totals that do not add up (stated, from the lines): {wrong}")


def _seat_amount(plan: str, seats: int, currency: str) -> int:
    if plan == "team":
        return seats * TEAM[currency]
    amount, below = 0, 0
    for up_to, unit in BUSINESS_TIERS[currency]:
        top = seats if up_to is None else min(seats, up_to)
        amount += max(0, top - below) * unit
        below = top
    return amount


def _round(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _tiers(tiers: list[tuple[int | None, int]]) -> list[dict[str, Any]]:
    return [{"up_to": "inf" if up_to is None else up_to, "unit_amount": unit} for up_to, unit in tiers]


def _first_of_next_month(now: datetime) -> datetime:
    return _add_months(now.astimezone(UTC).replace(day=1, hour=8, minute=0, second=0, microsecond=0), 1)


def _add_months(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.month - 1 + months, 12)
    return moment.replace(year=moment.year + year, month=month + 1)


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
