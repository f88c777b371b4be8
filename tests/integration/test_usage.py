"""Metered usage through the handlers: the API's routes and the usage queue's function, on moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.integration.conftest import HandlerStack
from tests.integration.lambdas import LambdaContext, load_function, sample_event


@pytest.fixture
def metered(stack: HandlerStack) -> dict[str, Any]:
    customer = stack.ok("POST", "/customers", {"name": "Metered AB", "email": "ap@metered.example"})
    meter = stack.ok("POST", "/meters", {"event_name": "api_calls", "display_name": "API calls"})
    return {"customer": customer["id"], "meter": meter["id"]}


def message(stack: HandlerStack, body: dict[str, Any], message_id: str, account_id: str | None = None) -> dict:
    record = sample_event("usage/usage_message.json")["Records"][0]
    record["messageId"] = message_id
    record["body"] = json.dumps(body)
    record["messageAttributes"]["account_id"]["stringValue"] = account_id or stack.account_id
    return record


def usage(stack: HandlerStack, metered: dict[str, Any]) -> dict[str, Any]:
    return stack.ok("GET", f"/meters/{metered['meter']}/usage", query={
        "customer": metered["customer"], "start_time": "2026-11-01T00:00:00Z", "end_time": "2026-12-01T00:00:00Z"})


def test_the_queue_and_the_api_end_in_the_same_place_and_count_each_event_once(
        stack: HandlerStack, metered: dict[str, Any], request: pytest.FixtureRequest) -> None:
    from invoicing.adapters.clock import install

    class November:
        def now(self) -> datetime:
            return datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

    previous = install(November())
    request.addfinalizer(lambda: install(previous))
    function = load_function("usage")
    event = {"event_name": "api_calls", "identifier": "req-1", "timestamp": "2026-11-02T10:00:00Z",
             "payload": {"customer": metered["customer"], "value": "25"}}
    for _ in range(3):  # the same message delivered three times
        result = function.lambda_handler({"Records": [message(stack, event, "m-1")]}, LambdaContext())
        assert result == {"batchItemFailures": []}
    # The same event again through the API: a duplicate; a new one: counted.
    status, again = stack.call("POST", "/usage_events", event)
    assert (status, again["duplicate"]) == (200, True)
    status, new = stack.call("POST", "/usage_events", {**event, "identifier": "req-2",
                                                       "payload": {"customer": metered["customer"], "value": 5}})
    assert (status, new["duplicate"], new["value"]) == (201, False, "5")
    # No identifier: the message id stands in, so its redelivery counts once too.
    anonymous = {k: v for k, v in event.items() if k != "identifier"}
    for _ in range(2):
        function.lambda_handler({"Records": [message(stack, anonymous, "m-anon")]}, LambdaContext())
    summary = usage(stack, metered)
    assert (summary["aggregated_value"], summary["events"]) == ("55", 3)


def test_bad_messages_fail_alone(stack: HandlerStack, metered: dict[str, Any]) -> None:
    function = load_function("usage")
    good = {"event_name": "api_calls", "identifier": "ok-1", "payload": {"customer": metered["customer"], "value": 1}}
    records = [message(stack, good, "good"),
               message(stack, {**good, "identifier": "x", "payload": {"customer": metered["customer"],
                                                                    "value": 1.5}}, "float"),
               message(stack, {**good, "identifier": "y", "event_name": "unknown"}, "no-meter"),
               message(stack, {**good, "identifier": "z", "payload": {"customer": "cus_nobody", "value": 1}},
                       "no-customer"),
               dict(message(stack, good, "not-json"), body="{"),
               message(stack, {**good, "identifier": "w"}, "other-account", account_id="acct_someone_else")]
    result = function.lambda_handler({"Records": records}, LambdaContext())
    assert {f["itemIdentifier"] for f in result["batchItemFailures"]} == {
        "float", "no-meter", "no-customer", "not-json", "other-account"}


def test_api_errors_are_4xx(stack: HandlerStack, metered: dict[str, Any]) -> None:
    cases = [
        ({"event_name": "api_calls", "payload": {"customer": metered["customer"], "value": 1.5}}, 400),
        ({"event_name": "api_calls", "payload": {"customer": metered["customer"], "value": "-1"}}, 400),
        ({"event_name": "api_calls", "payload": {"value": "1"}}, 400),
        ({"event_name": "nothing", "payload": {"customer": metered["customer"], "value": "1"}}, 404),
        ({"event_name": "api_calls", "timestamp": "2020-01-01T00:00:00Z",
          "payload": {"customer": metered["customer"], "value": "1"}}, 400),
        ({"event_name": "api_calls", "timestamp": 99999999999999,
          "payload": {"customer": metered["customer"], "value": "1"}}, 400),
        ({"event_name": "Bad Name", "payload": {}}, 400),
    ]
    for body, expected in cases:
        status, answer = stack.call("POST", "/usage_events", body)
        assert status == expected, (body, answer)
    status, answer = stack.call("POST", "/meters", {"event_name": "api_calls", "display_name": "again"})
    assert (status, answer["error"]["param"]) == (409, "event_name")
    # A window whose end is not after its start holds no moment: its usage is none (not an error).
    empty = stack.ok("GET", f"/meters/{metered['meter']}/usage", query={
        "customer": metered["customer"], "start_time": "2026-12-01T00:00:00Z", "end_time": "2026-11-01T00:00:00Z"})
    assert (empty["events"], empty["aggregated_value"], empty["billable_value"]) == (0, "0", "0")
    status, answer = stack.call("GET", "/meters/mtr_missing/usage", query={
        "customer": metered["customer"], "start_time": "2026-12-01T00:00:00Z", "end_time": "2026-11-01T00:00:00Z"})
    assert status == 404, answer
    assert usage(stack, metered)["events"] == 0  # nothing was written


def test_meters_are_listed_and_retrieved(stack: HandlerStack, metered: dict[str, Any]) -> None:
    seats = stack.ok("POST", "/meters", {"event_name": "seats", "display_name": "Seats", "aggregation": "max",
                                         "grace_period_seconds": 0})
    listed = stack.ok("GET", "/meters")
    assert [m["id"] for m in listed["data"]] == [seats["id"], metered["meter"]]
    got = stack.ok("GET", f"/meters/{seats['id']}")
    assert (got["aggregation"], got["grace_period_seconds"], got["object"]) == ("max", 0, "meter")
    assert stack.call("GET", "/meters/mtr_missing")[0] == 404


def test_control_characters_are_refused_in_usage_and_meters(stack: HandlerStack, metered: dict[str, Any]) -> None:
    status, answer = stack.call("POST", "/usage_events", {"event_name": "api_calls", "identifier": "x",
                                                          "payload": {"customer": metered["customer"],
                                                                      "value": "1", "user": "a\u202eb"}})
    assert status == 400 and "U+202E" in answer["error"]["message"], answer
    status, answer = stack.call("POST", "/meters", {"event_name": "other", "display_name": "Bad\u0000name"})
    assert status == 400, answer
