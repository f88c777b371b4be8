"""A billing run through the local stack: `python -m bench.billing_run [--subscriptions N]`.

One account with N monthly seat subscriptions, all renewing in the same hour (the month-end case:
every renewal lands in one hour's shards of the renewal index). The template's real functions run on
the local runtime (moto's server over HTTP, the SQS pump, the hourly schedule): the clock moves past
the hour, the schedule starts the billing-runs function, its pages fan out to the billing queue, and
the billing workers turn each subscription-period into one invoice, finalized in batches. The bench
waits until every queue is empty, then checks that each subscription has exactly one invoice and that
the numbers are gapless.

It records, for the run alone (the setup is not counted):
- invoices per second on this machine (bounded by moto, see below);
- AWS calls per invoice by operation, and DynamoDB write units per invoice for the table and each
  index (bench/capacity.py decodes every request of the functions' own clients, through a hook on
  boto3's default session);
- the busiest partition key of the table and of each index, with its share of the writes;
- the functions' own CPU time per invoice: `time.thread_time()` around each handler call in the
  thread that runs it, so the time moto's server spends in its own thread is not counted.

Moto copies the whole table for every item of a TransactWriteItems (to roll back), so its time per
transaction grows with the table (~0.2 ms per item in the table, per transaction item, here). A
run's wall time on moto therefore grows with N²; the per-invoice figures do not depend on N (the
busiest shard's share tends to 1/16 as N grows). See docs/scaling.md for what they mean on AWS.
Nothing is asserted but the invoices' count and numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3

import local  # noqa: F401 - puts the layer on the import path
from bench.capacity import Meter
from invoicing.adapters.dynamodb import DynamoUnitOfWork
from invoicing.domain.catalog import Price, Recurring
from invoicing.domain.party import Address, Customer
from invoicing.domain.subscription import Subscription, SubscriptionItem
from local.client import ApiClient, bootstrap_account
from local.stack import LocalRuntime

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # month-end: every subscription renews this hour
ADDRESS = Address(line1="Storgatan 1", city="Malmö", postal_code="211 22", country="SE")
SELLER: dict[str, Any] = {"name": "Nordlys Studio AB", "email": "billing@nordlys.example",
          "address": {"line1": "Sveavägen 44", "city": "Stockholm", "postal_code": "111 34", "country": "SE"},
          "tax_ids": [{"type": "eu_vat", "value": "SE556703748501"}], "iban": "SE4550000000058398257466"}
WORKERS = ("BillingRunFunction", "BillingFunction", "RelayFunction", "DocumentFunction")


def run(subscriptions: int) -> dict[str, Any]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    with LocalRuntime(template=ROOT / "template.yaml", parameters={"LogLevel": "WARNING"},
                      clock_start=START - timedelta(minutes=30)) as stack:
        table = stack.resources.name("InvoicingTable")
        setup = stack.boto3_client("dynamodb")  # the bench's own client: not counted
        meter = Meter.for_table(setup, table)
        meter.peek, meter.active = stack.boto3_client("dynamodb"), False
        boto3.setup_default_session()  # the functions' clients are made from it when they start
        meter.attach_session(boto3.DEFAULT_SESSION.events)

        api = ApiClient(stack.api_url, bootstrap_account(stack, SELLER["name"]))
        api.post("/account", SELLER)
        account_id = api.get("/account")["id"]
        _subscribe(DynamoUnitOfWork(setup, table), account_id, subscriptions)
        for pool in stack.functions.pools.values():
            pool.cpu_seconds, pool.invocations = 0.0, 0

        meter.active = True
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):  # the functions' metric lines
            stack.advance_clock(timedelta(hours=1))  # the hourly schedule fires: the run starts
            while not stack.drain(timeout=600):
                pass
        seconds = time.perf_counter() - started
        meter.active = False

        invoices = _invoices(api)
        cpu = {lid: (stack.functions.pools[lid].cpu_seconds, stack.functions.pools[lid].invocations)
               for lid in WORKERS if lid in stack.functions.pools}
    return {"subscriptions": subscriptions, "invoices": invoices, "seconds": seconds, "meter": meter, "cpu": cpu}


def _subscribe(uow: DynamoUnitOfWork, account_id: str, n: int) -> None:
    seats = Price(id="price_seats", account_id=account_id, product_id="prod_team", currency="SEK", type="recurring",
                  recurring=Recurring(interval="month"), unit_amount_decimal=Decimal(9900), nickname="Team, per seat",
                  created=START)
    for i in range(n):
        customer = Customer(id=f"cus_bench{i:06d}", account_id=account_id, name=f"Kund {i} AB",
                            email=f"ap{i}@kund.example", address=ADDRESS, currency="SEK", created=START)
        sub = Subscription(id=f"sub_bench{i:06d}", account_id=account_id, customer_id=customer.id, currency="SEK",
                           items=(SubscriptionItem(id=f"si_bench{i:06d}", price=seats, quantity=i % 5 + 1),),
                           days_until_due=30, billing_cycle_anchor=START, created=START).record_created(START)
        with uow:
            uow.customers.add(customer)
            uow.commit()
        with uow:
            uow.subscriptions.add(sub)
            uow.commit()


def _invoices(api: ApiClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = ""
    while True:
        page = api.get(f"/invoices?limit=100{'&starting_after=' + after if after else ''}")
        found += page["data"]
        if not page["has_more"]:
            return found
        after = page["data"][-1]["id"]


def report(figures: dict[str, Any]) -> str:
    n, invoices, meter = figures["subscriptions"], figures["invoices"], figures["meter"]
    per_sub = Counter(i["metadata"].get("subscription") for i in invoices)
    numbers = sorted(i["number"] for i in invoices if i.get("number"))
    gapless = numbers == [f"INV-{k:06d}" for k in range(1, len(numbers) + 1)]
    count = len(invoices) or 1
    lines = [f"billing run of {n} subscriptions (one account, all renewing in one hour), local stack",
             f"invoices: {len(invoices)}; subscriptions with exactly one: {sum(v == 1 for v in per_sub.values())}; "
             f"numbers gapless: {gapless}; statuses: {dict(Counter(i['status'] for i in invoices))}",
             f"wall time {figures['seconds']:.1f} s: {len(invoices) / figures['seconds']:.1f} invoices/s on moto", "",
             "AWS calls per invoice (the functions' clients):"]
    lines += [f"  {op:<38} {calls / count:8.3f}" for op, calls in sorted(meter.calls.items())]
    lines += ["", "DynamoDB write units per invoice, and the busiest partition key:"]
    for where, total in sorted(meter.totals().items()):
        key, wcu, share = meter.busiest(where)
        lines.append(f"  {where:<8} {total / count:7.2f} WCU/invoice   busiest {key[:60]:<60} {share:6.1%} ({wcu} WCU)")
    excluded = "SERIES#"
    key, wcu, share = meter.busiest("table", excluding=(excluded,))
    lines.append(f"  table without the number series counter: busiest {key[:48]} {share:.2%} ({wcu} WCU)")
    reads = sum(meter.read_units.values())
    lines += [f"  read units per invoice: {reads / count:.2f}", "",
              "functions' own CPU time (thread time, moto excluded):"]
    for lid, (cpu, calls) in figures["cpu"].items():
        lines.append(f"  {lid:<22} {calls:5d} invocations, {cpu:7.2f} s, {1000 * cpu / count:6.2f} ms per invoice")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=200)
    args = parser.parse_args()
    print(report(run(args.subscriptions)))


if __name__ == "__main__":
    main()
