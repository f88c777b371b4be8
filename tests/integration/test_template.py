"""template.yaml is the single source of truth: it must lint clean and keep the non-negotiables."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return cfn_yaml.load(str(TEMPLATE))["Resources"]


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def test_cfn_lint_reports_nothing() -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run([str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


def test_every_queue_feeding_a_function_has_a_dlq_and_a_long_enough_visibility(resources: dict[str, Any]) -> None:
    functions = of_type(resources, "AWS::Serverless::Function")
    found = 0
    for function in functions.values():
        props = function["Properties"]
        for event in (props.get("Events") or {}).values():
            if event["Type"] != "SQS":
                continue
            found += 1
            queue = resources[event["Properties"]["Queue"]["Fn::GetAtt"][0]]["Properties"]
            assert "deadLetterTargetArn" in queue["RedrivePolicy"]
            assert queue["VisibilityTimeout"] >= 6 * props["Timeout"]
            assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert found >= 1


def test_tables_have_point_in_time_recovery(resources: dict[str, Any]) -> None:
    for table in of_type(resources, "AWS::DynamoDB::Table").values():
        assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_document_bucket_is_private_encrypted_and_versioned(resources: dict[str, Any]) -> None:
    bucket = resources["DocumentsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]


def test_api_routes_require_the_authorizer_except_swagger(resources: dict[str, Any]) -> None:
    api = resources["Api"]["Properties"]
    assert api["Auth"]["DefaultAuthorizer"] == "ApiKeyAuthorizer"
    open_routes = [
        (name, e["Properties"]["Path"])
        for name, resource in resources.items() if resource["Type"] == "AWS::Serverless::Function"
        for e in resource["Properties"].get("Events", {}).values()
        if e["Type"] == "Api" and e["Properties"].get("Auth", {}).get("Authorizer") == "NONE"
    ]
    assert open_routes == [("DocsFunction", "/swagger")]


def test_no_application_code_calls_scan() -> None:
    offenders = []
    for folder in ("functions", "layers", "local"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            if re.search(r"\.scan\(|[\"']Scan[\"']", text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_no_wildcard_dynamodb_permissions(resources: dict[str, Any]) -> None:
    for name, function in of_type(resources, "AWS::Serverless::Function").items():
        for policy in function["Properties"].get("Policies", []):
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert "dynamodb:*" not in actions and "dynamodb:Scan" not in actions, name
