"""Resources provisioned from the template, and intrinsic functions resolved as CloudFormation would."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.intrinsics import Resolver, TemplateError
from local.stack import LocalRuntime
from local.template import Template, references
from tests.local.conftest import FIXTURE_TEMPLATE


def test_table_has_the_keys_indexes_ttl_and_stream_of_the_template(stack: LocalRuntime) -> None:
    dynamodb = stack.boto3_client("dynamodb")
    table = dynamodb.describe_table(TableName="fixture-local-ItemsTable")["Table"]

    assert table["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    assert [(index["IndexName"], index["KeySchema"]) for index in table["GlobalSecondaryIndexes"]] == [
        ("GSI1", [{"AttributeName": "GSI1PK", "KeyType": "HASH"}, {"AttributeName": "GSI1SK", "KeyType": "RANGE"}])
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    ttl = dynamodb.describe_time_to_live(TableName="fixture-local-ItemsTable")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    assert stack.resources["ItemsTable"].get_att("StreamArn") == table["LatestStreamArn"]


def test_bucket_is_versioned_and_encrypted(stack: LocalRuntime) -> None:
    s3 = stack.boto3_client("s3")
    bucket = stack.resources.name("FilesBucket")

    assert bucket == "fixture-local-filesbucket"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_queues_have_their_redrive_policy_and_fifo_settings(stack: LocalRuntime) -> None:
    sqs = stack.boto3_client("sqs")
    work = sqs.get_queue_attributes(QueueUrl=stack.resources.url("WorkQueue"), AttributeNames=["All"])["Attributes"]
    ordered = sqs.get_queue_attributes(QueueUrl=stack.resources.url("OrderedQueue"), AttributeNames=["All"])[
        "Attributes"
    ]

    assert json.loads(work["RedrivePolicy"]) == {
        "deadLetterTargetArn": "arn:aws:sqs:eu-west-1:123456789012:fixture-local-work-dlq",
        "maxReceiveCount": 2,
    }
    assert work["VisibilityTimeout"] == "60"
    assert stack.resources.name("WorkDLQ") == "fixture-local-work-dlq"  # the explicit QueueName wins
    assert stack.resources.name("OrderedQueue") == "fixture-local-OrderedQueue.fifo"
    assert ordered["FifoQueue"] == "true"
    assert ordered["ContentBasedDeduplication"] == "true"


def test_resources_map_logical_ids_to_names_urls_and_arns(stack: LocalRuntime) -> None:
    resources = stack.resources

    assert resources.url("WorkQueue") == f"{stack.endpoint_url}/123456789012/fixture-local-WorkQueue"
    assert resources.arn("ItemsTable") == "arn:aws:dynamodb:eu-west-1:123456789012:table/fixture-local-ItemsTable"
    assert resources["EchoFunction"].arn.endswith(":function:fixture-local-EchoFunction")
    assert resources["UnusedAlarm"].type == "AWS::CloudWatch::Alarm"  # named, not provisioned
    with pytest.raises(KeyError):
        resources.url("ItemsTable")


def test_function_environment_merges_globals_and_resolves_intrinsics(stack: LocalRuntime) -> None:
    env = json.loads(stack.invoke("EchoFunction", {"path": "/direct"})["body"])["env"]

    assert env == {
        "TABLE_NAME": "fixture-local-ItemsTable",
        "GREETING": "hello",
        "BUCKET_NAME": "fixture-local-filesbucket",
        "QUEUE_URL": stack.resources.url("WorkQueue"),
        "QUEUE_ARN": "arn:aws:sqs:eu-west-1:123456789012:fixture-local-WorkQueue",
        "QUEUE_NAME": "fixture-local-WorkQueue",
        "TABLE_ARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/fixture-local-ItemsTable",
        "JOINED": "eu-west-1:123456789012",
        "SUBSTITUTED": "hello-fixture-local-filesbucket-fixture-local",
        "FLAVOUR": "mild",
        "FUNCTION_SELF": "arn:aws:lambda:eu-west-1:123456789012:function:fixture-local-AuthorizerFunction",
    }


def _resolver(body: dict[str, Any], **parameters: Any) -> Resolver:
    return Resolver(
        body,
        region="eu-west-1",
        account_id="123456789012",
        stack_name="s",
        parameters=parameters,
        ref=lambda logical_id: f"ref-of-{logical_id}",
        get_att=lambda logical_id, attribute: f"{attribute}-of-{logical_id}",
    )


def test_resolver_handles_sub_join_select_split_if_and_novalue() -> None:
    body = {
        "Parameters": {"Env": {"Type": "String", "Default": "dev"}, "Zones": {"Type": "CommaDelimitedList"}},
        "Conditions": {
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
        },
        "Mappings": {"Sizes": {"dev": {"Memory": 128}}},
    }
    resolve = _resolver(body, Zones="a, b").resolve

    assert resolve({"Fn::Sub": "${AWS::Region}/${Env}/${Queue.Arn}/${Table}/${!Literal}"}) == (
        "eu-west-1/dev/Arn-of-Queue/ref-of-Table/${Literal}"
    )
    assert resolve({"Fn::Sub": ["${A}-${B}", {"A": {"Ref": "X"}, "B": 2}]}) == "ref-of-X-2"
    assert resolve({"Fn::Join": ["-", ["a", {"Ref": "AWS::StackName"}, 3]]}) == "a-s-3"
    assert resolve({"Fn::Select": [1, {"Ref": "Zones"}]}) == "b"
    assert resolve({"Fn::Split": [",", "x,y"]}) == ["x", "y"]
    assert resolve({"Fn::If": ["NotProd", "small", "large"]}) == "small"
    assert resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Memory"]}) == 128
    assert resolve({"Keep": 1, "Drop": {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]}}) == {"Keep": 1}
    assert resolve({"Fn::GetAtt": ["Bucket", "DomainName"]}) == "DomainName-of-Bucket"
    assert _resolver(body, Env="prod").resolve({"Fn::If": ["IsProd", "large", "small"]}) == "large"


def test_resolver_refuses_what_it_cannot_reproduce() -> None:
    with pytest.raises(TemplateError, match="Fn::ImportValue"):
        _resolver({}).resolve({"Fn::ImportValue": "elsewhere"})
    with pytest.raises(TemplateError, match="no Default"):
        _resolver({"Parameters": {"Required": {"Type": "String"}}}).resolve({"Ref": "Required"})


def test_template_reads_short_form_tags_and_finds_references() -> None:
    template = Template.load(FIXTURE_TEMPLATE)
    queue = template.resources["WorkQueue"]["Properties"]

    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["WorkDLQ", "Arn"]}
    assert references(template.resources["EchoFunction"]["Properties"]["Environment"]) >= {
        "FilesBucket",
        "WorkQueue",
        "ItemsTable",
        "AuthorizerFunction",
    }


def test_each_function_sees_only_its_own_variables_at_import_and_invocation(stack: LocalRuntime) -> None:
    stack.invoke("EchoFunction", {"path": "/direct"})  # a function with other variables ran before
    a, b = stack.invoke("EnvAFunction"), stack.invoke("EnvBFunction")
    only_globals = {"GREETING": "hello", "BUCKET_NAME": None, "EVENT_BUS_NAME": None}

    for seen in (a["import"], a["invoke"]):
        assert seen == {**only_globals, "ONLY_A": "a", "ONLY_B": None, "SHARED": "from-a"}
    for seen in (b["import"], b["invoke"]):
        assert seen == {**only_globals, "ONLY_A": None, "ONLY_B": "b", "SHARED": "from-b"}
    assert a["endpoint"] == b["endpoint"] == stack.endpoint_url  # the runtime's own variables stay
    assert a["region"] == "eu-west-1"


def test_concurrent_invocations_of_different_functions_keep_their_own_variables(stack: LocalRuntime) -> None:
    functions = ["EnvAFunction", "EnvBFunction"] * 8
    with ThreadPoolExecutor(max_workers=len(functions)) as pool:
        results = list(pool.map(lambda name: stack.invoke(name, {"sleep": 0.02}), functions))

    for name, result in zip(functions, results, strict=True):
        assert result["unchanged"]
        assert result["invoke"]["SHARED"] == ("from-a" if name == "EnvAFunction" else "from-b")
