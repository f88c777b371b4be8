"""Which queues and schedules invoke which function, and the events Lambda builds for them.

Read from the template: functions' `SQS`, `DynamoDB`, `Schedule` and `ScheduleV2` events, standalone
`AWS::Lambda::EventSourceMapping`s on SQS queues and DynamoDB streams (see streams.py), and scheduled
`AWS::Events::Rule`s that target a function. The event shapes are those Lambda delivers (an SQS batch
of Records; EventBridge's "Scheduled Event", or the target's fixed `Input`).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from local.functions import FunctionSpec
from local.intrinsics import TemplateError
from local.resources import PhysicalResource
from local.streams import StreamSubscription, is_stream_arn, stream_subscription
from local.template import StackTemplate

DEFAULT_BATCH_SIZE = 10
# One batch at a time per subscription unless the template's ScalingConfig says otherwise: every function
# shares one process, where native libraries (WeasyPrint's Pango) are not thread-safe, and the emulator
# serves one request at a time anyway, so parallel batches would add contention, not throughput.
DEFAULT_MAX_CONCURRENCY = 1
_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_SYSTEM_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "AWSTraceHeader",
)


@dataclass(frozen=True)
class QueueSubscription:
    """An SQS event source mapping: batches from `queue` go to `function`."""

    function: str
    queue: PhysicalResource
    fifo: bool
    batch_size: int = DEFAULT_BATCH_SIZE
    report_failures: bool = False
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY


@dataclass
class Schedule:
    """A scheduled invocation; only `rate(...)` fires on the clock, any schedule fires by hand."""

    name: str  # "<Function>.<Event>", or "<Rule>.<TargetId>" for an AWS::Events::Rule
    function: str
    expression: str
    rule_arn: str
    source: str  # aws.events or aws.scheduler
    payload: Any = None  # the target's fixed Input, if any
    enabled: bool = True
    next_fire: datetime | None = None

    @property
    def period(self) -> timedelta | None:
        rate = _RATE.fullmatch(self.expression.strip())
        if rate is None:
            return None
        amount, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        return timedelta(**{f"{unit}s": amount})

    def event(self, fire_time: datetime, region: str, account_id: str) -> Any:
        if self.payload is not None:
            return self.payload
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": self.source,
            "account": account_id,
            "time": fire_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region,
            "resources": [self.rule_arn],
            "detail": {},
        }


@dataclass(frozen=True)
class Triggers:
    queues: list[QueueSubscription]
    streams: list[StreamSubscription]
    schedules: list[Schedule]


def load_triggers(stack: StackTemplate, specs: Mapping[str, FunctionSpec]) -> Triggers:
    triggers = Triggers([], [], [])
    for spec in specs.values():
        for event_name, event in spec.events.items():
            kind, props = event.get("Type"), stack.resolve(event.get("Properties") or {})
            if kind == "SQS" and _enabled(props):
                triggers.queues.append(_subscription(stack, spec.logical_id, props))
            elif kind == "DynamoDB" and _enabled(props):
                where = f"{spec.logical_id}.{event_name}"
                triggers.streams.append(stream_subscription(stack, spec.logical_id, spec.arn, props, where))
            elif kind in ("Schedule", "ScheduleV2"):
                triggers.schedules.append(_function_schedule(stack, spec, event_name, kind, props))
    for logical_id, definition in stack.template.of_type("AWS::Lambda::EventSourceMapping").items():
        props = stack.resolve(definition.get("Properties") or {})
        if not stack.is_enabled(logical_id) or not _enabled(props):
            continue
        source = props.get("EventSourceArn")
        function = _function_named(specs, str(props["FunctionName"]))
        if ":sqs:" in str(source):
            triggers.queues.append(_subscription(stack, function, {**props, "Queue": source}))
        elif is_stream_arn(source):
            arn = specs[function].arn
            triggers.streams.append(stream_subscription(stack, function, arn, props, logical_id))
    for logical_id, definition in stack.template.of_type("AWS::Events::Rule").items():
        props = stack.resolve(definition.get("Properties") or {})
        if stack.is_enabled(logical_id) and "ScheduleExpression" in props:
            triggers.schedules.extend(_rule_schedules(stack, specs, logical_id, props))
    return triggers


def _enabled(props: Mapping[str, Any]) -> bool:
    """An event source mapping's `Enabled` (true unless the template says false)."""
    return str(props.get("Enabled", True)).lower() == "true"


def _subscription(stack: StackTemplate, function: str, props: Mapping[str, Any]) -> QueueSubscription:
    queue_arn = str(props["Queue"])
    queues = [queue for queue in stack.resources.of_type("AWS::SQS::Queue") if queue.arn == queue_arn]
    if not queues:
        raise TemplateError(f"{function}: SQS event on {queue_arn}, which is not a queue of the template")
    scaling = props.get("ScalingConfig") or {}
    return QueueSubscription(
        function=function,
        queue=queues[0],
        fifo=queues[0].name.endswith(".fifo"),
        batch_size=int(props.get("BatchSize", DEFAULT_BATCH_SIZE)),
        report_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
        max_concurrency=int(scaling.get("MaximumConcurrency", DEFAULT_MAX_CONCURRENCY)),
    )


def _function_schedule(
    stack: StackTemplate, spec: FunctionSpec, event_name: str, kind: str, props: Mapping[str, Any]
) -> Schedule:
    expression = props.get("Schedule") if kind == "Schedule" else props.get("ScheduleExpression")
    rule_name = str(props.get("Name") or f"{stack.stack_name}-{spec.logical_id}{event_name}")
    service = "events" if kind == "Schedule" else "scheduler"
    resource = "rule" if kind == "Schedule" else "schedule/default"
    enabled = str(props.get("Enabled", True)).lower() == "true" and props.get("State", "ENABLED") == "ENABLED"
    return Schedule(
        name=f"{spec.logical_id}.{event_name}",
        function=spec.logical_id,
        expression=str(expression),
        rule_arn=f"arn:aws:{service}:{stack.region}:{stack.account_id}:{resource}/{rule_name}",
        source=f"aws.{service}",
        payload=_input(props.get("Input")),
        enabled=enabled,
    )


def _rule_schedules(
    stack: StackTemplate, specs: Mapping[str, FunctionSpec], logical_id: str, props: Mapping[str, Any]
) -> list[Schedule]:
    schedules = []
    for target in props.get("Targets") or []:
        arn = str(target.get("Arn", ""))
        if ":lambda:" not in arn:
            continue
        schedules.append(
            Schedule(
                name=f"{logical_id}.{target.get('Id', 'Target')}",
                function=_function_named(specs, arn),
                expression=str(props["ScheduleExpression"]),
                rule_arn=stack.resource(logical_id).arn,
                source="aws.events",
                payload=_input(target.get("Input")),
                enabled=props.get("State", "ENABLED") == "ENABLED",
            )
        )
    return schedules


def _function_named(specs: Mapping[str, FunctionSpec], name_or_arn: str) -> str:
    for spec in specs.values():
        if name_or_arn in (spec.logical_id, spec.name, spec.arn):
            return spec.logical_id
    raise TemplateError(f"{name_or_arn} is not a function of the template")


def _input(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(value) if isinstance(value, str) else value


def sqs_event(subscription: QueueSubscription, messages: list[dict[str, Any]], region: str) -> dict[str, Any]:
    """The event Lambda's SQS poller builds from a ReceiveMessage result."""
    return {"Records": [_sqs_record(subscription.queue.arn, message, region) for message in messages]}


def _sqs_record(queue_arn: str, message: Mapping[str, Any], region: str) -> dict[str, Any]:
    attributes = message.get("Attributes") or {}
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {key: attributes[key] for key in _SYSTEM_ATTRIBUTES if key in attributes},
        "messageAttributes": {
            name: _message_attribute(value) for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """boto3's MessageAttributes entry in the camelCase shape of Lambda's SQS event."""
    shaped: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return shaped
