from __future__ import annotations

from typing import Any

from tests.integration.adapters.conftest import TEMPLATE
from tests.integration.tables import create_tables_from_template


def test_every_table_of_the_template_is_created_with_its_keys_and_indexes(dynamodb: Any) -> None:
    tables = create_tables_from_template(dynamodb, TEMPLATE, stack_name="demo")

    assert tables == {"InvoicingTable": "demo-InvoicingTable", "IdempotencyTable": "demo-IdempotencyTable"}
    described = dynamodb.describe_table(TableName="demo-InvoicingTable")["Table"]
    assert [k["AttributeName"] for k in described["KeySchema"]] == ["PK", "SK"]
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    indexes = {i["IndexName"]: i for i in described["GlobalSecondaryIndexes"]}
    assert sorted(indexes) == ["GSI1", "GSI2", "GSI3", "GSI4", "GSI5"]
    for number, index in enumerate(["GSI1", "GSI2", "GSI3", "GSI4", "GSI5"], start=1):
        assert [k["AttributeName"] for k in indexes[index]["KeySchema"]] == [f"GSI{number}PK", f"GSI{number}SK"]
    # Indexes copy only what their patterns read: never a whole invoice.
    assert indexes["GSI1"]["Projection"] == {"ProjectionType": "INCLUDE",
                                             "NonKeyAttributes": ["status", "due_date", "total", "occurred_at",
                                                                      "received_at", "usage_value"]}
    assert {indexes[i]["Projection"]["ProjectionType"] for i in ("GSI2", "GSI3", "GSI4")} == {"KEYS_ONLY"}
    assert indexes["GSI5"]["Projection"] == {"ProjectionType": "INCLUDE",  # what the review list filters on
                                             "NonKeyAttributes": ["r_customer", "r_segments", "r_amount", "r_change",
                                                                  "r_blocking", "r_issues", "r_flags"]}
    assert described["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    ttl = dynamodb.describe_time_to_live(TableName="demo-IdempotencyTable")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expiration"
