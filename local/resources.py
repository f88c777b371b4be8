"""Physical names, ARNs and URLs of a template's resources in the local stack.

CloudFormation gives a resource the name in its name property, or generates one. Locally the
generated name is `{stack_name}-{LogicalId}` (lower case for buckets, `.fifo` for FIFO queues), so
that names are predictable in tests and in the moto console. What `!Ref` and `!GetAtt` return for
each type follows the CloudFormation resource reference.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from local.intrinsics import TemplateError

NAME_PROPERTIES = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Events::EventBus": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Serverless::LayerVersion": "LayerName",
    "AWS::Lambda::LayerVersion": "LayerName",
    "AWS::Serverless::Api": "Name",
    "AWS::IAM::Role": "RoleName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SES::ConfigurationSet": "Name",
    "AWS::SES::EmailIdentity": "EmailIdentity",
}


@dataclass
class PhysicalResource:
    """One resource as it exists locally: what `!Ref` returns and what `!GetAtt` can ask for."""

    logical_id: str
    type: str
    name: str
    arn: str
    ref: str
    url: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)

    def get_att(self, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn
        if attribute in self.attributes:
            return self.attributes[attribute]
        raise TemplateError(f"!GetAtt {self.logical_id}.{attribute} is not supported for {self.type}")


def describe(
    logical_id: str, type_: str, name: str, *, region: str, account_id: str, endpoint_url: str
) -> PhysicalResource:
    """The deterministic identity of a resource named `name` (provisioning may refine it)."""
    prefix = f"{region}:{account_id}"
    if type_ == "AWS::DynamoDB::Table":
        arn = f"arn:aws:dynamodb:{prefix}:table/{name}"
        return PhysicalResource(logical_id, type_, name, arn, ref=name)
    if type_ == "AWS::S3::Bucket":
        attributes = {
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
            "DualStackDomainName": f"{name}.s3.dualstack.{region}.amazonaws.com",
            "WebsiteURL": f"http://{name}.s3-website-{region}.amazonaws.com",
        }
        return PhysicalResource(logical_id, type_, name, f"arn:aws:s3:::{name}", ref=name, attributes=attributes)
    if type_ == "AWS::SQS::Queue":
        url = f"{endpoint_url}/{account_id}/{name}"
        arn = f"arn:aws:sqs:{prefix}:{name}"
        attributes = {"QueueName": name, "QueueUrl": url}
        return PhysicalResource(logical_id, type_, name, arn, ref=url, url=url, attributes=attributes)
    if type_ == "AWS::Events::EventBus":
        arn = f"arn:aws:events:{prefix}:event-bus/{name}"
        return PhysicalResource(logical_id, type_, name, arn, ref=name, attributes={"Name": name})
    if type_ == "AWS::Events::Rule":
        return PhysicalResource(logical_id, type_, name, f"arn:aws:events:{prefix}:rule/{name}", ref=name)
    if type_ in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
        return PhysicalResource(logical_id, type_, name, f"arn:aws:lambda:{prefix}:function:{name}", ref=name)
    if type_ in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
        arn = f"arn:aws:lambda:{prefix}:layer:{name}:1"
        return PhysicalResource(logical_id, type_, name, arn, ref=arn)
    if type_ == "AWS::Serverless::Api":
        api_id = hashlib.sha256(logical_id.encode()).hexdigest()[:10]
        arn = f"arn:aws:apigateway:{region}::/restapis/{api_id}"
        return PhysicalResource(logical_id, type_, name, arn, ref=api_id, attributes={"RootResourceId": api_id[:6]})
    if type_ == "AWS::SNS::Topic":
        arn = f"arn:aws:sns:{prefix}:{name}"
        return PhysicalResource(logical_id, type_, name, arn, ref=arn, attributes={"TopicArn": arn, "TopicName": name})
    if type_ == "AWS::IAM::Role":
        arn = f"arn:aws:iam::{account_id}:role/{name}"
        return PhysicalResource(logical_id, type_, name, arn, ref=name, attributes={"RoleId": name})
    # Not provisioned locally (alarms, dashboards, policies…): a stable placeholder, so that a template
    # that merely mentions one still resolves.
    service = type_.split("::")[1].lower() if type_.count("::") >= 2 else "local"
    return PhysicalResource(logical_id, type_, name, f"arn:aws:{service}:{prefix}:{name}", ref=name)


def default_name(logical_id: str, type_: str, stack_name: str, properties: Mapping[str, Any]) -> str:
    name = f"{stack_name}-{logical_id}"
    if type_ == "AWS::S3::Bucket":
        return name.lower()[:63]
    if type_ == "AWS::SQS::Queue" and str(properties.get("FifoQueue", "")).lower() == "true":
        return f"{name}.fifo"
    return name


class Resources(Mapping[str, PhysicalResource]):
    """Logical id → the physical resource, with shortcuts for what tests and scripts need."""

    def __init__(self) -> None:
        self._items: dict[str, PhysicalResource] = {}

    def add(self, resource: PhysicalResource) -> None:
        self._items[resource.logical_id] = resource

    def __getitem__(self, logical_id: str) -> PhysicalResource:
        try:
            return self._items[logical_id]
        except KeyError:
            raise KeyError(f"no resource {logical_id!r} in the template") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def name(self, logical_id: str) -> str:
        return self[logical_id].name

    def arn(self, logical_id: str) -> str:
        return self[logical_id].arn

    def url(self, logical_id: str) -> str:
        url = self[logical_id].url
        if url is None:
            raise KeyError(f"{logical_id} has no URL (only queues do)")
        return url

    def of_type(self, type_: str) -> list[PhysicalResource]:
        return [resource for resource in self._items.values() if resource.type == type_]
