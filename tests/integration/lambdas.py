"""Load the real handlers (functions/<name>/app.py) against moto, with resources from template.yaml."""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"


def load_function(name: str) -> ModuleType:
    """Import a function's app.py under a unique module name (each function folder has one)."""
    path = ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"function_{name}_app", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sample_event(relative: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((EVENTS / relative).read_text()))


class LambdaContext:
    function_name = "test-function"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:test-function"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def api_event(method: str, path: str, *, account_id: str, body: Any = None, raw_body: str | None = None,
              query: dict[str, str] | None = None, idempotency_key: str | None = None,
              resource: str | None = None) -> dict[str, Any]:
    """A REST API proxy event shaped like events/api/*.json, for any route (`resource`: the template's
    path, `/invoices/{invoice_id}`, where API Gateway matched one; the path itself by default)."""
    event = sample_event("api/list_invoices.json")
    event.update(httpMethod=method, path=path, resource=resource or path, pathParameters=None,
                 queryStringParameters=query, multiValueQueryStringParameters={k: [v] for k, v in query.items()}
                 if query else None)
    event["body"] = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    headers = dict(event["headers"])
    headers.pop("Idempotency-Key", None)
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    event["headers"] = headers
    event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    event["requestContext"]["authorizer"] = {"account_id": account_id, "principalId": account_id}
    event["requestContext"]["httpMethod"] = method
    return event


def passes_outbox_filter(record: dict[str, Any]) -> bool:
    """The relay's FilterCriteria in template.yaml: inserts and modifications that carry new events."""
    count = record["dynamodb"].get("NewImage", {}).get("outbox_count", {}).get("N")
    return record["eventName"] in ("INSERT", "MODIFY") and count not in (None, "0")


def stream_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A DynamoDB Streams record (as GetRecords returns it) as Lambda hands it to a function."""
    dynamodb = _as_json(dict(record["dynamodb"]))
    created = record["dynamodb"].get("ApproximateCreationDateTime")
    if created is not None:
        dynamodb["ApproximateCreationDateTime"] = created if isinstance(created, (int, float)) else created.timestamp()
    return {"eventID": record["eventID"], "eventName": record["eventName"], "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": region, "dynamodb": dynamodb, "eventSourceARN": stream_arn}


def _as_json(value: Any) -> Any:
    """Binary attribute values as Lambda's JSON carries them: base64 text."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value
