"""What an invoice costs on AWS: `python -m bench.cost [--invoices N]`.

The real handlers (functions/*/app.py) run on moto in process, with the template's tables, bucket,
queue, bus and render rule, as on AWS: per invoice `POST /invoices` and `POST /invoices/{id}/finalize`
(each with an Idempotency-Key), the relay on the table's stream, the document function on the render
queue. A botocore hook on every client counts the AWS calls by operation, and DynamoDB's read and
write units by its published rules (bench/capacity.py). It prints them per invoice and the cost per
1,000 invoices at the list prices below. Lambda time is each handler's wall time here, on this
machine and moto (an upper bound). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter, defaultdict
from typing import Any

import boto3

import local  # noqa: F401 - puts the layer on the import path
from bench.capacity import Meter
from tests.integration.conftest import handler_stack
from tests.integration.lambdas import LambdaContext, api_event

# List prices, us-east-1, as published for on-demand use (USD):
PRICES = {
    "dynamodb_write_unit": 0.625 / 1e6,  # on-demand write request unit (since the 2024-11 reduction)
    "dynamodb_read_unit": 0.125 / 1e6,  # on-demand read request unit
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second": 0.0000166667,  # x86
    "api_request": 3.50 / 1e6,  # REST API, first 333 million a month
    "s3_put": 0.005 / 1e3,
    "s3_get": 0.0004 / 1e3,
    "sqs_request": 0.40 / 1e6,  # standard queue
    "eventbridge_event": 1.00 / 1e6,  # custom event published
}
MEMORY_MB = {"api": 512, "relay": 256, "documents": 1024}  # template.yaml
SELLER = {"name": "Nordlys Studio AB", "email": "billing@nordlys.example",
          "address": {"line1": "Sveavägen 44", "city": "Stockholm", "postal_code": "111 34", "country": "SE"},
          "tax_ids": [{"type": "eu_vat", "value": "SE556703748501"}], "iban": "SE4550000000058398257466"}
BUYER = {"name": "Kund AB", "email": "ap@kund.example", "currency": "SEK",
         "address": {"line1": "Storgatan 1", "city": "Malmö", "country": "SE"}}
LINES = [{"description": "Konsulttimmar, november", "quantity": "12.5", "unit_amount": 98000, "unit_code": "HUR"},
         {"description": "Resekostnader", "unit_amount": 245000}]


def run(invoices: int) -> dict[str, Any]:
    meter = Meter(table="", indexes=[], active=False)

    def attach(tables: dict[str, str]) -> None:  # moto has made a new default session by now
        meter.peek = boto3.client("dynamodb", region_name="eu-west-1")
        configured = Meter.for_table(meter.peek, tables["InvoicingTable"])
        meter.table, meter.indexes = configured.table, configured.indexes
        meter.attach_session(_session().events)
    seconds: dict[str, float] = defaultdict(float)
    invocations: Counter[str] = Counter()
    with handler_stack(os.environ.__setitem__, lambda name: os.environ.pop(name, None), attach) as stack:
        stack.ok("POST", "/account", SELLER)
        buyer = stack.ok("POST", "/customers", BUYER)

        def timed(function: str, work: Any) -> Any:
            started = time.perf_counter()
            try:
                return work()
            finally:
                seconds[function] += time.perf_counter() - started
                invocations[function] += 1

        meter.active = True
        for i in range(invoices):
            create = api_event("POST", "/invoices", account_id=stack.account_id,
                               body={"customer": buyer["id"], "lines": LINES}, idempotency_key=f"create-{i}")
            draft = timed("api", lambda event=create: stack.api.lambda_handler(event, LambdaContext()))
            draft_id = json.loads(draft["body"])["id"]
            finalize = api_event("POST", f"/invoices/{draft_id}/finalize", account_id=stack.account_id,
                                 idempotency_key=f"finalize-{i}")
            timed("api", lambda event=finalize: stack.api.lambda_handler(event, LambdaContext()))
            timed("relay", stack.relay_outbox)
            rendered = timed("documents", stack.pump_render_queue)
            assert rendered == {"delivered": 1, "failed": 0}, rendered
        meter.active = False
    return {"meter": meter, "seconds": dict(seconds), "invocations": dict(invocations), "invoices": invoices}


def _session() -> Any:
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    return boto3.DEFAULT_SESSION


def report(figures: dict[str, Any]) -> str:
    meter: Meter = figures["meter"]
    n = figures["invoices"]
    writes = sum(meter.totals().values())
    reads = sum(meter.read_units.values())
    # What this harness does in Lambda's place (its stream poller reads for free; DescribeTable finds
    # the stream) is not the application's: left out.
    per = {k: v / n for k, v in meter.calls.items()
           if not k.startswith("dynamodbstreams:") and k != "dynamodb:DescribeTable"}
    s3_puts = per.get("s3:PutObject", 0)
    s3_gets = per.get("s3:GetObject", 0) + per.get("s3:HeadObject", 0)
    sqs = sum(v for k, v in per.items() if k.startswith("sqs:"))
    events_published = per.pop("events:entries", 0)
    lambda_gbs = sum(figures["seconds"][f] * MEMORY_MB[f] / 1024 for f in figures["seconds"]) / n
    lambda_requests = sum(figures["invocations"].values()) / n
    costs = {
        "DynamoDB writes": writes / n * PRICES["dynamodb_write_unit"],
        "DynamoDB reads": reads / n * PRICES["dynamodb_read_unit"],
        "Lambda requests": lambda_requests * PRICES["lambda_request"],
        "Lambda duration": lambda_gbs * PRICES["lambda_gb_second"],
        "API Gateway": 2 * PRICES["api_request"],
        "S3": s3_puts * PRICES["s3_put"] + s3_gets * PRICES["s3_get"],
        "SQS": sqs * PRICES["sqs_request"],
        "EventBridge": events_published * PRICES["eventbridge_event"],
    }
    lines = [f"# Cost of an invoice: {n} one-page invoices, create + finalize + render\n",
             "| write units per invoice | " + " | ".join(sorted(meter.totals())) + " | total |",
             "|---|" + "---|" * (len(meter.totals()) + 1),
             "| | " + " | ".join(f"{meter.totals()[k] / n:.2f}" for k in sorted(meter.totals()))
             + f" | **{writes / n:.2f}** |", "",
             "| write request (kind and item) | where | write units per invoice |", "|---|---|---|",
             *(f"| {operation} | {where} | {wcu / n:.2f} |"
               for (operation, where), wcu in sorted(meter.by_operation.items())), "",
             f"Read units per invoice: {reads / n:.2f} ("
             + ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(meter.read_units.items())) + ")", "",
             "AWS calls per invoice: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(per.items()))
             + f"; events published {events_published:.2f}", "",
             "| part | USD per 1,000 invoices |", "|---|---|"]
    lines += [f"| {part} | {value * 1000:.4f} |" for part, value in costs.items()]
    lines += [f"| **total** | **{sum(costs.values()) * 1000:.4f}** |", "",
              "Prices: " + ", ".join(f"{k} {v:.3g}" for k, v in PRICES.items()) + " (USD, us-east-1 list prices, "
              "DynamoDB on-demand). Lambda: handler wall time here × the template's memory: "
              + ", ".join(f"{f} {figures['seconds'][f] / figures['invocations'][f] * 1000:.0f} ms"
                          for f in figures["seconds"]) + " per invocation."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=20)
    print(report(run(parser.parse_args().invoices)))


if __name__ == "__main__":
    main()
