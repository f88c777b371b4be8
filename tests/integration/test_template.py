"""template.yaml is the single source of truth: it must lint clean and keep the non-negotiables."""

from __future__ import annotations

import json
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


def test_the_files_bucket_is_private_encrypted_and_each_function_reaches_only_its_files_prefix(
        resources: dict[str, Any]) -> None:
    bucket = resources["FilesBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    for function, actions in (("ApiFunction", {"s3:PutObject", "s3:GetObject"}),
                              ("DocumentFunction", {"s3:GetObject"})):
        grants = [st for st in resources[function]["Properties"]["Policies"][0]["Statement"]
                  if "FilesBucket" in json.dumps(st.get("Resource"))]
        objects = [st for st in grants if "/files/*" in json.dumps(st["Resource"])]
        assert {a for st in objects for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])} \
            == actions, function
        listing = [st for st in grants if st not in objects]
        assert [st["Action"] for st in listing] == ["s3:ListBucket"], function
        assert listing[0]["Condition"] == {"StringLike": {"s3:prefix": "files/*"}}


def test_api_routes_require_the_authorizer_except_swagger_the_signed_webhook_and_the_hosted_page(
        resources: dict[str, Any]) -> None:
    api = resources["Api"]["Properties"]
    assert api["Auth"]["DefaultAuthorizer"] == "ApiKeyAuthorizer"
    open_routes = [
        (name, e["Properties"]["Path"])
        for name, resource in resources.items() if resource["Type"] == "AWS::Serverless::Function"
        for e in resource["Properties"].get("Events", {}).values()
        if e["Type"] == "Api" and e["Properties"].get("Auth", {}).get("Authorizer") == "NONE"
    ]
    # The Stripe webhook verifies Stripe-Signature instead (tests/integration/test_stripe_webhook.py); the
    # hosted page is reached by its unguessable token (docs/sending.md).
    # Each resource also has its ANY (a method it lacks is the function's 405), open as its methods are.
    assert sorted(open_routes) == [("DocsFunction", "/swagger"), ("DocsFunction", "/swagger"),
                                   ("HostedPageFunction", "/i/{token}"), ("HostedPageFunction", "/i/{token}"),
                                   ("HostedPageFunction", "/i/{token}"), ("HostedPageFunction", "/i/{token}/pay"),
                                   ("HostedPageFunction", "/i/{token}/pay"), ("HostedPageFunction", "/i/{token}/pdf"),
                                   ("HostedPageFunction", "/i/{token}/pdf"),
                                   ("StripeWebhookFunction", "/webhooks/stripe"),
                                   ("StripeWebhookFunction", "/webhooks/stripe")]


def test_no_application_code_calls_scan() -> None:
    offenders = []
    for folder in ("functions", "layers", "local"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            if re.search(r"\.scan\(|[\"']Scan[\"']", text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def _statements(policy: Any) -> list[dict[str, Any]]:
    """A policy's statements, both branches of a conditional one (`!If [Cond, statement, !Ref AWS::NoValue]`)."""
    found = []
    for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
        branches = statement["Fn::If"][1:] if "Fn::If" in statement else [statement]
        found += [b for b in branches if isinstance(b, dict) and "Action" in b]
    return found


def test_no_wildcard_dynamodb_permissions(resources: dict[str, Any]) -> None:
    for name, function in of_type(resources, "AWS::Serverless::Function").items():
        for policy in function["Properties"].get("Policies", []):
            for statement in _statements(policy):
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert "dynamodb:*" not in actions and "dynamodb:Scan" not in actions, name


# --- hardening: logs, TLS-only queues, concurrency limits, checkov's skips ------------------------------


def _ref(value: Any) -> str:
    """The logical id a `!Ref X` or `!GetAtt X.Attr` names."""
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])


def test_every_function_logs_to_a_declared_log_group_with_retention(resources: dict[str, Any]) -> None:
    groups = of_type(resources, "AWS::Logs::LogGroup")
    used = set()
    for name, function in of_type(resources, "AWS::Serverless::Function").items():
        group = _ref(function["Properties"]["LoggingConfig"]["LogGroup"])
        assert group in groups, name
        used.add(group)
    assert len(used) == len(of_type(resources, "AWS::Serverless::Function"))  # one group per function
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


def test_the_api_writes_access_logs_through_the_account_cloudwatch_role(resources: dict[str, Any]) -> None:
    setting = resources["Api"]["Properties"]["AccessLogSetting"]
    group = _ref(setting["DestinationArn"])
    assert resources[group]["Type"] == "AWS::Logs::LogGroup"
    for field in ("$context.requestId", "$context.authorizer.principalId", "$context.status", "$context.waf.status"):
        assert field in setting["Format"]
    # No personal data in logs: no client address, user agent or path with ids.
    for field in ("sourceIp", "userAgent", "$context.path"):
        assert field not in setting["Format"]
    account = resources["ApiGatewayAccount"]
    role = resources[_ref(account["Properties"]["CloudWatchRoleArn"])]
    assert "AmazonAPIGatewayPushToCloudWatchLogs" in str(role["Properties"]["ManagedPolicyArns"])
    # The setting serves every API of the region: deleting the stack must not take it away.
    assert account["DeletionPolicy"] == role["DeletionPolicy"] == "Retain"
    assert resources[group]["DependsOn"] == "ApiGatewayAccount"


def test_every_bucket_logs_its_access_to_the_log_bucket(resources: dict[str, Any]) -> None:
    buckets = of_type(resources, "AWS::S3::Bucket")
    policies = {_ref(p["Properties"]["Bucket"]): p for p in of_type(resources, "AWS::S3::BucketPolicy").values()}
    for name, bucket in buckets.items():
        if name == "AccessLogsBucket":
            assert "LoggingConfiguration" not in bucket["Properties"]
            continue
        logging = bucket["Properties"]["LoggingConfiguration"]
        assert _ref(logging["DestinationBucketName"]) == "AccessLogsBucket", name
        grants = [
            s for s in policies["AccessLogsBucket"]["Properties"]["PolicyDocument"]["Statement"]
            if s["Effect"] == "Allow" and s["Principal"] == {"Service": "logging.s3.amazonaws.com"}
        ]
        assert any(_ref(s["Condition"]["ArnLike"]["aws:SourceArn"]) == name for s in grants), name
        assert any(logging["LogFilePrefix"] in str(s["Resource"]) for s in grants), name
    for name in buckets:
        assert _denies_insecure_transport(policies[name]["Properties"]["PolicyDocument"], name, "s3:*"), name


def _denies_insecure_transport(document: dict[str, Any], logical_id: str, action: str) -> bool:
    """True if the policy denies every principal `action` on the resource's ARN without TLS."""
    for statement in document["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        arns = {_ref(r) for r in resources if isinstance(r, dict) and "Fn::GetAtt" in r}
        if (
            statement["Effect"] == "Deny"
            and statement["Principal"] == "*"
            and statement["Action"] == action
            and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            and logical_id in arns
        ):
            return True
    return False


def test_every_queue_dlqs_included_refuses_requests_without_tls(resources: dict[str, Any]) -> None:
    policies = of_type(resources, "AWS::SQS::QueuePolicy").values()
    for name in of_type(resources, "AWS::SQS::Queue"):
        covering = [p for p in policies if name in {_ref(q) for q in p["Properties"]["Queues"]}]
        assert any(_denies_insecure_transport(p["Properties"]["PolicyDocument"], name, "sqs:*") for p in covering), name


def test_functions_that_callers_can_drive_have_a_concurrency_limit(resources: dict[str, Any]) -> None:
    for name, function in of_type(resources, "AWS::Serverless::Function").items():
        props = function["Properties"]
        if "ReservedConcurrentExecutions" not in props:
            # Only a function whose concurrency the template bounds otherwise may go without, and says why.
            assert "CKV_AWS_115" in _checkov_skips(function), name
            continue
        condition, reserved, otherwise = props["ReservedConcurrentExecutions"]["Fn::If"]
        assert condition == "ReservesConcurrency" and otherwise == {"Ref": "AWS::NoValue"}, name
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "SQS":
                # Pollers beyond the reservation would be throttled, and throttled messages walk into the DLQ.
                assert event["Properties"]["ScalingConfig"]["MaximumConcurrency"] == reserved, name


def _checkov_skips(resource: dict[str, Any]) -> dict[str, str]:
    skips = (resource.get("Metadata") or {}).get("checkov", {}).get("skip", [])
    return {skip["id"]: skip.get("comment", "") for skip in skips}


def test_every_checkov_skip_is_justified_beside_its_resource(resources: dict[str, Any]) -> None:
    skipped = {(name, check): comment for name, r in resources.items() for check, comment in _checkov_skips(r).items()}
    assert skipped  # the template does skip some, each for a reason
    for (name, check), comment in skipped.items():
        assert re.fullmatch(r"CKV2?_AWS_\d+", check), (name, check)
        assert len(comment.split()) >= 8, (name, check)  # a sentence, not a placeholder


def test_the_web_acl_rate_limits_per_api_key_and_per_address_on_the_api_stage(resources: dict[str, Any]) -> None:
    acl = resources["ApiWebAcl"]["Properties"]
    keys = [rule["Statement"]["RateBasedStatement"] for rule in acl["Rules"]]
    assert [k["AggregateKeyType"] for k in keys] == ["CUSTOM_KEYS", "IP"]
    assert keys[0]["CustomKeys"][0]["Header"]["Name"] == "authorization"
    assert all(k["Limit"] == {"Ref": "TenantRequestsPerMinute"} for k in keys)
    assert all(rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429 for rule in acl["Rules"])
    association = resources["ApiWebAclAssociation"]["Properties"]
    assert "${Api.Stage}" in association["ResourceArn"]["Fn::Sub"]
    assert resources["ApiWebAcl"]["Condition"] == resources["ApiWebAclAssociation"]["Condition"]


def test_idempotency_records_expire_and_are_encrypted(resources: dict[str, Any]) -> None:
    import boto3
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    table = resources["IdempotencyTable"]["Properties"]
    # api/idempotency.py keeps Powertools' expiry attribute: the table's TTL must be on that one.
    layer = DynamoDBPersistenceLayer(table_name="t", boto3_client=boto3.client("dynamodb", region_name="eu-west-1"))
    assert table["TimeToLiveSpecification"] == {"AttributeName": layer.expiry_attr, "Enabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}


def test_both_rate_limits_answer_429_in_the_apis_error_format(resources: dict[str, Any]) -> None:
    import json

    waf_body = json.loads(resources["ApiWebAcl"]["Properties"]["CustomResponseBodies"]["rate_limited"]["Content"])
    throttled = resources["Api"]["Properties"]["GatewayResponses"]["THROTTLED"]
    stage_body = json.loads(throttled["ResponseTemplates"]["application/json"])
    assert throttled["StatusCode"] == 429
    for body in (waf_body, stage_body):
        assert set(body["error"]) == {"type", "code", "message", "param"}
        assert (body["error"]["type"], body["error"]["code"]) == ("rate_limit_error", "rate_limited")
