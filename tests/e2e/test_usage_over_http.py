"""Metered usage on the local stack: events sent to the usage queue (moto's SQS, the pump, the usage
function) and to POST /usage_events end in the same place, each counted once."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from local.client import ApiClient
from local.stack import LocalRuntime


def test_usage_from_the_queue_and_the_api(stack: LocalRuntime, api: ApiClient) -> None:
    customer = api.post("/customers", {"name": "Metered AB", "email": "ap@metered.example"})
    meter = api.post("/meters", {"event_name": "api_requests", "display_name": "API requests"})
    account_id = api.get("/account")["id"]
    sqs, url = stack.boto3_client("sqs"), stack.resources.url("UsageQueue")
    now = stack.clock.now()
    base = {"event_name": "api_requests", "payload": {"customer": customer["id"], "value": "10"}}
    for i in range(3):
        body = {**base, "identifier": f"req-{i}", "timestamp": (now - timedelta(minutes=i)).isoformat()}
        entries = [{"Id": f"d{n}", "MessageBody": json.dumps(body),
                    "MessageAttributes": {"account_id": {"DataType": "String", "StringValue": account_id}}}
                   for n in range(3)]  # each event sent three times
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    window = {"customer": customer["id"], "start_time": _z(now - timedelta(days=1)),
              "end_time": _z(now + timedelta(days=1))}
    path = f"/meters/{meter['id']}/usage?" + "&".join(f"{k}={v}" for k, v in window.items())
    deadline = time.monotonic() + 30
    summary: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stack.drain()
        summary = api.get(path)
        if summary["events"] == 3:
            break
        time.sleep(0.2)
    assert (summary["aggregated_value"], summary["events"]) == ("30", 3), summary
    answer = api.post("/usage_events", {**base, "identifier": "req-0"})  # once more, through the API
    assert answer["duplicate"] is True
    assert api.get(path)["events"] == 3


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
