from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.adapters.conftest import FIXTURE_TEMPLATE
from tests.integration.tables import create_table_request, create_tables_from_template, table_definitions


def test_every_table_of_the_template_is_created_with_its_keys_and_indexes(dynamodb: Any) -> None:
    tables = create_tables_from_template(dynamodb, FIXTURE_TEMPLATE, stack_name="demo")

    assert tables == {"InvoicingTable": "demo-InvoicingTable", "IdempotencyTable": "demo-idempotency"}
    described = dynamodb.describe_table(TableName="demo-InvoicingTable")["Table"]
    assert [k["AttributeName"] for k in described["KeySchema"]] == ["PK", "SK"]
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    indexes = {i["IndexName"]: i for i in described["GlobalSecondaryIndexes"]}
    assert sorted(indexes) == ["GSI1", "GSI2", "GSI3"]
    for number, index in enumerate(["GSI1", "GSI2", "GSI3"], start=1):
        assert [k["AttributeName"] for k in indexes[index]["KeySchema"]] == [f"GSI{number}PK", f"GSI{number}SK"]
        assert indexes[index]["Projection"]["ProjectionType"] == "ALL"
    ttl = dynamodb.describe_time_to_live(TableName="demo-idempotency")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expiration"


def test_definitions_are_read_with_short_form_tags() -> None:
    definitions = table_definitions(FIXTURE_TEMPLATE)
    assert definitions["IdempotencyTable"]["TableName"] == {"Fn::Sub": "${AWS::StackName}-idempotency"}


def test_the_fixture_matches_the_stack_template_when_there_is_one() -> None:
    """The adapters are tested against the fixture; the stack must declare the same keys."""
    stack_template = Path(__file__).resolve().parents[3] / "template.yaml"
    if not stack_template.exists():
        pytest.skip("template.yaml does not exist yet")
    fixture, stack = table_definitions(FIXTURE_TEMPLATE), table_definitions(stack_template)
    for logical_id in ("InvoicingTable", "IdempotencyTable"):
        assert logical_id in stack, f"template.yaml lacks {logical_id}"
        fixture_request = create_table_request(logical_id, fixture[logical_id])
        stack_request = create_table_request(logical_id, stack[logical_id])
        for part in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode"):
            assert stack_request.get(part) == fixture_request.get(part), f"{logical_id}.{part} differs"
    assert stack["IdempotencyTable"]["TimeToLiveSpecification"]["AttributeName"] == "expiration"
