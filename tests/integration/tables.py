"""Tables for moto-backed tests, created from template.yaml by the local runtime's own provisioner:
the template stays the one definition of every table, key and index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from local.provisioners import create_table
from local.template import StackTemplate, Template


def create_tables_from_template(client: Any, template_path: str | Path, stack_name: str = "test") -> dict[str, str]:
    """Create every AWS::DynamoDB::Table of the template; returns logical id -> table name."""
    stack = StackTemplate(Template.load(template_path), stack_name=stack_name, region=client.meta.region_name,
                          account_id="123456789012", endpoint_url="")
    names = {}
    for logical_id, definition in stack.template.of_type("AWS::DynamoDB::Table").items():
        resource = stack.resource(logical_id)
        create_table(lambda _service: client, resource, stack.resolve(definition.get("Properties") or {}))
        names[logical_id] = resource.name
    return names
