"""Lambda's filter patterns (EventBridge syntax) on stream records, without a runtime."""

from __future__ import annotations

import pytest

from local.intrinsics import TemplateError
from local.patterns import matches, matches_any, parse_filters

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
