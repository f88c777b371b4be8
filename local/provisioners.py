"""Create one template resource in the emulator, translating CloudFormation properties to API calls.

CloudFormation property shapes differ from the service APIs in places (a table's StreamSpecification
has no StreamEnabled, a bucket's CORS rules say MaxAge); each function here knows one type.
Settings moto ignores or that only matter in AWS (tags, KMS keys, point-in-time recovery, alarms) are
skipped on purpose: they change nothing about how the code behaves locally.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from local.resources import PhysicalResource

ClientFor = Callable[[str], Any]
Provisioner = Callable[[ClientFor, PhysicalResource, Mapping[str, Any]], None]

# What moto's EventBridge applies to SQS targets is InputTransformer and SqsParameters (not Input or InputPath).
_TARGET_KEYS = ("Id", "Arn", "Input", "InputPath", "InputTransformer", "SqsParameters")
_GSI_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
)


def create_table(client_for: ClientFor, resource: PhysicalResource, props: Mapping[str, Any]) -> None:
    dynamodb = client_for("dynamodb")
    request: dict[str, Any] = {
        "TableName": resource.name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
    }
    provisioned = props.get("BillingMode", "PROVISIONED") == "PROVISIONED" and "ProvisionedThroughput" in props
    request["BillingMode"] = "PROVISIONED" if provisioned else "PAY_PER_REQUEST"
    if provisioned:
        request["ProvisionedThroughput"] = _throughput(props["ProvisionedThroughput"])
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(kind):
            request[kind] = [_index(index, provisioned) for index in props[kind]]
    if props.get("StreamSpecification"):
        view_type = props["StreamSpecification"]["StreamViewType"]
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
    description = dynamodb.create_table(**request)["TableDescription"]
    if "LatestStreamArn" in description:
        resource.attributes["StreamArn"] = description["LatestStreamArn"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and str(ttl.get("Enabled", "")).lower() == "true":
        dynamodb.update_time_to_live(
            TableName=resource.name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )


def _index(index: Mapping[str, Any], provisioned: bool) -> dict[str, Any]:
    shaped = {key: index[key] for key in _GSI_KEYS if key in index}
    if "ProvisionedThroughput" in shaped:
        if provisioned:
            shaped["ProvisionedThroughput"] = _throughput(shaped["ProvisionedThroughput"])
        else:
            del shaped["ProvisionedThroughput"]
    return shaped


def _throughput(value: Mapping[str, Any]) -> dict[str, int]:
    return {
        "ReadCapacityUnits": int(value["ReadCapacityUnits"]),
        "WriteCapacityUnits": int(value["WriteCapacityUnits"]),
    }


def create_bucket(client_for: ClientFor, resource: PhysicalResource, props: Mapping[str, Any]) -> None:
    s3 = client_for("s3")
    region = s3.meta.region_name
    if region == "us-east-1":
        s3.create_bucket(Bucket=resource.name)
    else:
        s3.create_bucket(Bucket=resource.name, CreateBucketConfiguration={"LocationConstraint": region})
    versioning = (props.get("VersioningConfiguration") or {}).get("Status")
    if versioning:
        s3.put_bucket_versioning(Bucket=resource.name, VersioningConfiguration={"Status": versioning})
    encryption = props.get("BucketEncryption")
    if encryption:
        rules = [_encryption_rule(rule) for rule in encryption.get("ServerSideEncryptionConfiguration", [])]
        s3.put_bucket_encryption(Bucket=resource.name, ServerSideEncryptionConfiguration={"Rules": rules})
    block = props.get("PublicAccessBlockConfiguration")
    if block:
        flags = {key: str(value).lower() == "true" for key, value in block.items()}
        s3.put_public_access_block(Bucket=resource.name, PublicAccessBlockConfiguration=flags)
    cors = (props.get("CorsConfiguration") or {}).get("CorsRules")
    if cors:
        s3.put_bucket_cors(Bucket=resource.name, CORSConfiguration={"CORSRules": [_cors_rule(r) for r in cors]})
    notifications = props.get("NotificationConfiguration") or {}
    if notifications.get("QueueConfigurations"):
        # Moto delivers S3 event notifications to SQS itself (its own S3 -> SQS path, as AWS does); the
        # queues are created first (the bucket refers to them).
        queues = [_queue_notification(q) for q in notifications["QueueConfigurations"]]
        s3.put_bucket_notification_configuration(Bucket=resource.name,
                                                 NotificationConfiguration={"QueueConfigurations": queues})


def _encryption_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    default = dict(rule.get("ServerSideEncryptionByDefault") or {"SSEAlgorithm": "AES256"})
    shaped: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
    if "BucketKeyEnabled" in rule:
        shaped["BucketKeyEnabled"] = str(rule["BucketKeyEnabled"]).lower() == "true"
    return shaped


def _queue_notification(config: Mapping[str, Any]) -> dict[str, Any]:
    """CloudFormation's `{Event, Queue, Filter: {S3Key: {Rules}}}` as the API's `{Events, QueueArn, Filter:
    {Key: {FilterRules}}}`."""
    shaped: dict[str, Any] = {"QueueArn": config["Queue"], "Events": [config["Event"]]}
    rules = ((config.get("Filter") or {}).get("S3Key") or {}).get("Rules")
    if rules:
        shaped["Filter"] = {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
    return shaped


def _cors_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    renamed = {"ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds"}
    shaped = {renamed.get(key, key): value for key, value in rule.items()}
    if "MaxAgeSeconds" in shaped:
        shaped["MaxAgeSeconds"] = int(shaped["MaxAgeSeconds"])
    return shaped


def create_queue(client_for: ClientFor, resource: PhysicalResource, props: Mapping[str, Any]) -> None:
    """A queue with its redrive policy; the template order guarantees its DLQ already exists.

    ReceiveMessageWaitTimeSeconds is left out on purpose: a long poll would hold the emulator's
    one-request-at-a-time lock and stall every other client.
    """
    attributes = {key: _attribute(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    for policy in ("RedrivePolicy", "RedriveAllowPolicy"):
        if policy in props:
            value = props[policy]
            attributes[policy] = value if isinstance(value, str) else json.dumps(value)
    url = client_for("sqs").create_queue(QueueName=resource.name, Attributes=attributes)["QueueUrl"]
    resource.url = resource.ref = resource.attributes["QueueUrl"] = url


def _attribute(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def create_event_bus(client_for: ClientFor, resource: PhysicalResource, props: Mapping[str, Any]) -> None:
    if resource.name != "default":
        arn = client_for("events").create_event_bus(Name=resource.name)["EventBusArn"]
        resource.arn = arn


def create_event_rule(client_for: ClientFor, resource: PhysicalResource, props: Mapping[str, Any]) -> None:
    """A pattern rule with its non-Lambda targets (moto delivers to SQS/SNS/bus targets itself).

    Scheduled rules and Lambda targets are the pump's job, not moto's.
    """
    if "EventPattern" not in props:
        return
    events = client_for("events")
    bus = props.get("EventBusName", "default")
    pattern = props["EventPattern"]
    events.put_rule(
        Name=resource.name,
        EventBusName=bus,
        EventPattern=pattern if isinstance(pattern, str) else json.dumps(pattern),
        State=props.get("State", "ENABLED"),
    )
    targets = [
        {key: target[key] for key in _TARGET_KEYS if key in target}
        for target in props.get("Targets", [])
        if ":lambda:" not in str(target.get("Arn", ""))
    ]
    if len(targets) < len(props.get("Targets", [])):
        print(f"[local] rule {resource.logical_id}: Lambda targets of pattern rules are not invoked locally")
    if targets:
        events.put_targets(Rule=resource.name, EventBusName=bus, Targets=targets)


def create_topic(client_for: ClientFor, resource: PhysicalResource, props: Mapping[str, Any]) -> None:
    arn = client_for("sns").create_topic(Name=resource.name)["TopicArn"]
    resource.arn = resource.ref = resource.attributes["TopicArn"] = arn


def create_subscription(client_for: ClientFor, resource: PhysicalResource, props: Mapping[str, Any]) -> None:
    """An SNS subscription (moto delivers a topic's messages to SQS endpoints itself, in SNS's envelope)."""
    attributes = {key: _attribute(props[key]) for key in ("RawMessageDelivery", "FilterPolicyScope") if key in props}
    if "FilterPolicy" in props:
        value = props["FilterPolicy"]
        attributes["FilterPolicy"] = value if isinstance(value, str) else json.dumps(value)
    arn = client_for("sns").subscribe(TopicArn=props["TopicArn"], Protocol=props["Protocol"],
                                      Endpoint=props["Endpoint"], Attributes=attributes,
                                      ReturnSubscriptionArn=True)["SubscriptionArn"]
    resource.arn = resource.ref = arn


def create_email_identity(client_for: ClientFor, resource: PhysicalResource, props: Mapping[str, Any]) -> None:
    """A sender identity; moto verifies it at once (SES sends a confirmation mail first)."""
    identity = str(props["EmailIdentity"])
    ses = client_for("ses")
    if "@" in identity:
        ses.verify_email_identity(EmailAddress=identity)
    else:
        ses.verify_domain_identity(Domain=identity)


def create_configuration_set(client_for: ClientFor, resource: PhysicalResource, props: Mapping[str, Any]) -> None:
    client_for("ses").create_configuration_set(ConfigurationSet={"Name": resource.name})


def create_configuration_set_event_destination(client_for: ClientFor, resource: PhysicalResource,
                                               props: Mapping[str, Any]) -> None:
    """Recorded in moto (which publishes no events from it: see local/README.md, "SES")."""
    destination = dict(props["EventDestination"])
    shaped: dict[str, Any] = {key: destination[key] for key in ("Name", "Enabled", "MatchingEventTypes")
                              if key in destination}
    shaped["Enabled"] = str(shaped.get("Enabled", True)).lower() == "true"
    if "SnsDestination" in destination:
        shaped["SNSDestination"] = {"TopicARN": destination["SnsDestination"]["TopicARN"]}
    client_for("ses").create_configuration_set_event_destination(
        ConfigurationSetName=props["ConfigurationSetName"], EventDestination=shaped)


PROVISIONERS: dict[str, Provisioner] = {
    "AWS::DynamoDB::Table": create_table,
    "AWS::S3::Bucket": create_bucket,
    "AWS::SQS::Queue": create_queue,
    "AWS::Events::EventBus": create_event_bus,
    "AWS::Events::Rule": create_event_rule,
    "AWS::SNS::Topic": create_topic,
    "AWS::SNS::Subscription": create_subscription,
    "AWS::SES::EmailIdentity": create_email_identity,
    "AWS::SES::ConfigurationSet": create_configuration_set,
    "AWS::SES::ConfigurationSetEventDestination": create_configuration_set_event_destination,
}
