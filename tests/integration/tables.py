"""DynamoDB tables for tests, read from a CloudFormation/SAM template, so tests use the same keys
and indexes as the deployed stack (the template is the single source of truth).

CloudFormation YAML has short-form tags (`!Ref`, `!Sub`, `!GetAtt`): cfn-lint's decoder reads them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml

TABLE_TYPE = "AWS::DynamoDB::Table"
_DEFAULT_THROUGHPUT = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


def _plain(node: Any) -> Any:
    """cfn-lint's str/dict/list node subclasses as plain Python values."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def table_definitions(template_path: str | Path) -> dict[str, dict[str, Any]]:
    """Logical id -> Properties of every `AWS::DynamoDB::Table` in the template."""
    template = _plain(cfn_yaml.load(str(template_path)))
    return {
        logical_id: resource.get("Properties", {})
        for logical_id, resource in (template.get("Resources") or {}).items()
        if resource.get("Type") == TABLE_TYPE
    }


def _table_name(logical_id: str, properties: dict[str, Any], stack_name: str) -> str:
    """An explicit TableName (a string, or a `!Sub` of pseudo parameters) or CloudFormation's
    `{stack}-{logical id}` shape."""
    name = properties.get("TableName")
    if isinstance(name, str):
        return name
    if isinstance(name, dict) and isinstance(name.get("Fn::Sub"), str):
        pseudo = {"AWS::StackName": stack_name, "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}
        text = re.sub(r"\$\{([^}]+)\}", lambda m: pseudo.get(m.group(1), m.group(0)), name["Fn::Sub"])
        if "${" not in text:
            return text
    return f"{stack_name}-{logical_id}"


def _index(index: dict[str, Any], provisioned: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "IndexName": index["IndexName"],
        "KeySchema": index["KeySchema"],
        "Projection": index.get("Projection", {"ProjectionType": "ALL"}),
    }
    if provisioned:
        spec["ProvisionedThroughput"] = index.get("ProvisionedThroughput", _DEFAULT_THROUGHPUT)
    return spec


def create_table_request(logical_id: str, properties: dict[str, Any], stack_name: str = "test") -> dict[str, Any]:
    """The CreateTable request that matches a template's table resource."""
    billing = properties.get("BillingMode", "PROVISIONED")
    provisioned = billing == "PROVISIONED"
    request: dict[str, Any] = {
        "TableName": _table_name(logical_id, properties, stack_name),
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "BillingMode": billing,
    }
    if provisioned:
        request["ProvisionedThroughput"] = properties.get("ProvisionedThroughput", _DEFAULT_THROUGHPUT)
    if properties.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = [_index(i, provisioned) for i in properties["GlobalSecondaryIndexes"]]
    if properties.get("LocalSecondaryIndexes"):
        request["LocalSecondaryIndexes"] = [_index(i, False) for i in properties["LocalSecondaryIndexes"]]
    if properties.get("StreamSpecification"):
        request["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
    return request


def create_tables_from_template(client: Any, template_path: str | Path, stack_name: str = "test") -> dict[str, str]:
    """Create every DynamoDB table the template declares (keys, GSIs, LSIs, billing mode, TTL).
    Returns logical id -> table name."""
    created: dict[str, str] = {}
    for logical_id, properties in table_definitions(template_path).items():
        request = create_table_request(logical_id, properties, stack_name)
        client.create_table(**request)
        client.get_waiter("table_exists").wait(TableName=request["TableName"], WaiterConfig={"Delay": 0.1})
        ttl = properties.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled") in (True, "true", "True"):
            client.update_time_to_live(
                TableName=request["TableName"],
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        created[logical_id] = request["TableName"]
    return created
