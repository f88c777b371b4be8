"""How a bulk run loads DynamoDB's partitions: `python -m bench.partition_load [--invoices N]`.

One account bills N customers one invoice each, the way a month-end billing run does: the drafts
are created (`InvoiceService.create_draft`), then finalized in batches
(`InvoiceService.finalize_many`, the billing run worker's path: one transaction numbers up to 98
invoices with one counter update). Every request goes through a botocore hook that counts write
units per partition key value, for the table and each index (bench/capacity.py), on moto in
process. It prints, per phase, the write units per invoice and the busiest key of the table and of
each index with its share, and what that means at 1,700 invoices a second (1,000,000 in ten
minutes) against DynamoDB's 1,000 write units a second per partition. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
from moto import mock_aws

import local  # noqa: F401 - puts the layer on the import path
from bench.capacity import Meter
from invoicing.adapters.dynamodb import Backoff, DynamoUnitOfWork
from invoicing.adapters.dynamodb.keys import customer_key, invoice_key
from invoicing.adapters.ids import UlidIds
from invoicing.domain.party import Account, Address, Customer, TaxId
from invoicing.services.commands import NewInvoice, NewLine
from invoicing.services.invoices import BATCH_ITEMS, InvoiceService
from local.provisioners import create_table
from local.template import StackTemplate, Template

RATE = 1_700  # invoices a second: 1,000,000 in ten minutes
PARTITION_WCU = 1_000
NOW = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
ADDRESS = Address(line1="Storgatan 1", city="Malmö", postal_code="211 22", country="SE")
LINES = (  # a seat plan and metered API calls: a typical subscription invoice
    NewLine(description="Plan Team, november", quantity=Decimal(5), unit_amount_decimal=Decimal(9900)),
    NewLine(description="API calls", quantity=Decimal(12_345), unit_amount_decimal=Decimal("0.25")),
)


class FrozenClock:
    def now(self) -> datetime:
        return NOW


def run(invoices: int) -> dict[str, Any]:
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-west-1")
    with mock_aws():
        client, quiet = boto3.client("dynamodb"), boto3.client("dynamodb")  # quiet: not counted
        table = _table_without_stream(client)
        uow, setup = DynamoUnitOfWork(client, table), DynamoUnitOfWork(quiet, table)
        ids = UlidIds()
        account = Account(id=ids.new("acct"), name="Nordlys AB", address=ADDRESS, created=NOW,
                          tax_ids=[TaxId(type="eu_vat", value="SE556703748501")],
                          iban="SE4550000000058398257466")
        with setup:
            setup.accounts.save(account)
            setup.commit()
        meters = {phase: Meter.for_table(client, table) for phase in ("create drafts", "finalize in batches")}
        for meter in meters.values():
            meter.active = False
            meter.attach([client], peek=quiet)
        service = InvoiceService(uow, FrozenClock(), ids, Backoff(), documents=None)  # type: ignore[arg-type]
        seconds = dict.fromkeys(meters, 0.0)
        # A billing run's worker takes one batch of subscriptions at a time. Moto copies the whole
        # table for every item of a transaction, so each batch's items are removed (uncounted) once
        # counted: the counts are the same, and the run stays linear in N.
        chunk = BATCH_ITEMS - 1
        for start in range(0, invoices, chunk):
            customers = []
            for i in range(start, min(start + chunk, invoices)):
                customer = Customer(id=ids.new("cus"), account_id=account.id, name=f"Kund {i} AB",
                                    email=f"ap{i}@kund.example", address=ADDRESS, currency="SEK", created=NOW)
                with setup:
                    setup.customers.add(customer)
                    setup.commit()
                customers.append(customer)
            drafts = _measured(meters, seconds, "create drafts", lambda batch=customers: [
                service.create_draft(account.id, NewInvoice(customer_id=c.id, lines=LINES)).invoice.id
                for c in batch])
            outcome = _measured(meters, seconds, "finalize in batches",
                                lambda batch=drafts: service.finalize_many(account.id, batch))
            assert not outcome.failed and len(outcome.finalized) == len(drafts), outcome.failed
            for customer, invoice_id in zip(customers, drafts, strict=True):
                quiet.delete_item(TableName=table, Key=customer_key(account.id, customer.id))
                quiet.delete_item(TableName=table, Key=invoice_key(account.id, invoice_id))
        return {phase: _phase(meter, invoices, seconds[phase]) for phase, meter in meters.items()}


def _table_without_stream(client: Any) -> str:
    """The template's InvoicingTable, keys and indexes as declared, without its stream: a stream costs
    no write units, and moto would keep every record of the run in memory (gigabytes at 5,000)."""
    stack = StackTemplate(Template.load("template.yaml"), stack_name="bench", region="eu-west-1",
                          account_id="123456789012", endpoint_url="")
    resource = stack.resource("InvoicingTable")
    properties = dict(stack.resolve(stack.template.resources["InvoicingTable"]["Properties"]))
    properties.pop("StreamSpecification")
    properties.pop("PointInTimeRecoverySpecification", None)  # nothing to recover in a benchmark
    create_table(lambda _service: client, resource, properties)
    return resource.name


def _measured(meters: dict[str, Meter], seconds: dict[str, float], phase: str, work: Any) -> Any:
    meters[phase].active = True
    started = time.perf_counter()
    try:
        return work()
    finally:
        seconds[phase] += time.perf_counter() - started
        meters[phase].active = False


def _phase(meter: Meter, invoices: int, seconds: float) -> dict[str, Any]:
    rows = []
    for where, total in sorted(meter.totals().items()):
        key, value, share = meter.busiest(where, excluding=("#SERIES#",))
        rows.append({"where": where, "wcu_per_invoice": total / invoices, "busiest": key, "busiest_wcu": value,
                     "share": share, "busiest_wcu_per_invoice": value / invoices,
                     "busiest_at_rate": value / invoices * RATE})
    counter = sum(v for k, v in meter.write_units["table"].items() if "#SERIES#" in k)
    return {"rows": rows, "calls": dict(meter.calls), "counter_wcu": counter, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=5_000)
    args = parser.parse_args()
    phases = run(args.invoices)
    print(f"# Partition load: {args.invoices} invoices of one account, batches of up to {BATCH_ITEMS - 1} "
          f"invoices per commit\n")
    for phase, figures in phases.items():
        print(f"## {phase} ({figures['seconds']:.0f} s on moto)\n")
        print("| where | WCU / invoice | busiest partition key | its WCU | its share | WCU/s at "
              f"{RATE:,}/s (limit {PARTITION_WCU:,}) |")
        print("|---|---|---|---|---|---|")
        for row in figures["rows"]:
            print(f"| {row['where']} | {row['wcu_per_invoice']:.2f} | `{_short(row['busiest'])}` | "
                  f"{row['busiest_wcu']} | {row['share']:.1%} | {row['busiest_at_rate']:.0f} |")
        if figures["counter_wcu"]:
            print(f"\nNumber series counter (the one expected hot key): {figures['counter_wcu']} WCU, "
                  f"{figures['counter_wcu'] / args.invoices:.3f} per invoice, "
                  f"{figures['counter_wcu'] / args.invoices * RATE:.0f} WCU/s at {RATE:,} invoices/s.")
        calls = ", ".join(f"{k.split(':')[1]} {v / args.invoices:.2f}" for k, v in sorted(figures["calls"].items()))
        print(f"\nCalls per invoice: {calls}\n")


def _short(key: str) -> str:
    parts = key.split("#")
    return "#".join(p if len(p) < 20 else p[:9] + "…" for p in parts)


if __name__ == "__main__":
    main()
