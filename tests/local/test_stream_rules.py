"""Lambda's filter patterns (EventBridge syntax) and stream checkpoints, without a runtime."""

from __future__ import annotations

from typing import Any

import pytest

from local.intrinsics import TemplateError
from local.patterns import matches, matches_any, parse_filters
from local.streams import Batch, StreamCursor, StreamSubscription

RECORD = {
    "eventName": "INSERT",
    "dynamodb": {
        "NewImage": {"SK": {"S": "EVENT#inv_1"}, "type": {"S": "invoice.finalized"}, "tags": {"SS": ["a", "b"]}},
        "SizeBytes": 120,
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"eventName": ["INSERT", "MODIFY"]}, True),
        ({"eventName": ["REMOVE"]}, False),
        ({"dynamodb": {"NewImage": {"SK": {"S": [{"prefix": "EVENT#"}]}}}}, True),
        ({"dynamodb": {"NewImage": {"SK": {"S": [{"prefix": "STATE#"}]}}}}, False),
        ({"dynamodb": {"NewImage": {"SK": {"S": [{"suffix": "_1"}]}}}}, True),
        ({"eventName": [{"equals-ignore-case": "insert"}]}, True),
        ({"eventName": [{"anything-but": ["REMOVE", "MODIFY"]}]}, True),
        ({"eventName": [{"anything-but": "INSERT"}]}, False),
        ({"dynamodb": {"NewImage": {"SK": {"S": [{"anything-but": {"prefix": "STATE#"}}]}}}}, True),
        ({"dynamodb": {"OldImage": [{"exists": False}]}}, True),
        ({"dynamodb": {"NewImage": {"type": {"S": [{"exists": True}]}}}}, True),
        ({"dynamodb": {"NewImage": {"missing": {"S": [{"exists": True}]}}}}, False),
        ({"dynamodb": {"NewImage": {"missing": {"S": [{"anything-but": "x"}]}}}}, False),
        ({"dynamodb": {"SizeBytes": [{"numeric": [">", 100, "<=", 120]}]}}, True),
        ({"dynamodb": {"SizeBytes": [{"numeric": ["<", 100]}]}}, False),
        ({"dynamodb": {"SizeBytes": [120.0]}}, True),
        ({"dynamodb": {"NewImage": {"tags": {"SS": ["b"]}}}}, True),  # any element of a list
        ({"dynamodb": {"NewImage": {"SK": [{"prefix": "EVENT#"}]}}}, False),  # an object is not a leaf
    ],
)
def test_pattern(pattern: dict, expected: bool) -> None:
    assert matches(pattern, RECORD) is expected


def test_filters_are_ored_and_no_filters_match_everything() -> None:
    filters = parse_filters(
        {"Filters": [{"Pattern": '{"eventName": ["REMOVE"]}'}, {"Pattern": '{"eventName": ["INSERT"]}'}]}, "here"
    )

    assert matches_any(filters, RECORD)
    assert matches_any((), RECORD)
    assert not matches_any(filters[:1], RECORD)


def test_what_cannot_be_matched_faithfully_is_refused() -> None:
    with pytest.raises(TemplateError, match="not JSON"):
        parse_filters({"Filters": [{"Pattern": "{nope"}]}, "here")
    with pytest.raises(TemplateError, match="not supported"):
        matches({"eventName": [{"cidr": "10.0.0.0/24"}]}, RECORD)


class _Iterators:
    """Stands in for the DynamoDB Streams client: an iterator names where it points."""

    def get_shard_iterator(self, **request: str) -> dict[str, str]:
        return {"ShardIterator": f"{request['ShardIteratorType']}:{request.get('SequenceNumber', '')}"}

    def describe_stream(self, StreamArn: str) -> dict:
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}


def _cursor(**settings: Any) -> tuple[StreamCursor, Batch]:
    subscription = StreamSubscription("Fn", "arn:fn", "arn:stream", report_failures=True, **settings)
    cursor = StreamCursor(subscription, _Iterators(), "eu-west-1")
    cursor.open()
    records = [{"dynamodb": {"SequenceNumber": number}} for number in ("11", "12", "13")]
    return cursor, Batch("shard-1", records, ("AFTER_SEQUENCE_NUMBER", "13"))


def test_the_checkpoint_is_the_lowest_reported_failure() -> None:
    cursor, batch = _cursor()
    report = {"batchItemFailures": [{"itemIdentifier": "13"}, {"itemIdentifier": "12"}]}

    assert cursor.settle(batch, report, None).retry
    assert cursor.pending_iterators() == ["AT_SEQUENCE_NUMBER:12"]


def test_a_report_naming_an_unknown_record_fails_the_whole_batch() -> None:
    cursor, batch = _cursor()

    assert cursor.settle(batch, {"batchItemFailures": [{"itemIdentifier": "99"}]}, None).retry
    assert cursor.pending_iterators() == ["AT_SEQUENCE_NUMBER:11"]
    assert not cursor.settle(batch, {"batchItemFailures": []}, None).retry
    assert cursor.pending_iterators() == ["AFTER_SEQUENCE_NUMBER:13"]


def test_retries_run_out_into_an_invocation_record() -> None:
    cursor, batch = _cursor(maximum_retry_attempts=1)
    report = {"batchItemFailures": [{"itemIdentifier": "12"}]}

    assert cursor.settle(batch, report, None).retry
    retried = Batch("shard-1", batch.records[1:], ("AFTER_SEQUENCE_NUMBER", "13"))
    outcome = cursor.settle(retried, report, None)

    assert not outcome.retry
    assert outcome.on_failure is not None
    info = outcome.on_failure["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == ("12", "13", 2)
    assert outcome.on_failure["requestContext"]["approximateInvokeCount"] == 2
    assert cursor.pending_iterators() == ["AFTER_SEQUENCE_NUMBER:13"]
