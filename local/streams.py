"""DynamoDB Streams event source mappings, run the way Lambda's stream pollers run them.

Moto records a table's stream (one shard, a record per put, update and delete, transactions included)
and serves it through the DynamoDB Streams API; it does not run Lambda's poller. So a `StreamCursor`
reads each shard in order over that API (DescribeStream, GetShardIterator, GetRecords, through boto3)
and does what Lambda does with what it reads:

- records that match none of the mapping's `FilterCriteria` are dropped and checkpointed, never sent;
- a batch is at most `BatchSize` matching records of one shard, sent as Lambda's DynamoDB event;
- success checkpoints after the batch; with `ReportBatchItemFailures` a report checkpoints at the
  lowest reported sequence number and retries from there (a report naming a record that is not in the
  batch fails the whole batch); a raised error retries the whole batch, first split in halves when
  `BisectBatchOnFunctionError` is set (a split is not counted as a retry);
- after `MaximumRetryAttempts` retries (-1: until the record expires, i.e. forever here) the failed
  records are skipped, and `DestinationConfig.OnFailure` (an SQS queue) gets Lambda's invocation
  record, which describes the batch (shard, sequence numbers, size) but does not contain it.

Not reproduced: `MaximumBatchingWindowInSeconds` (a batch is sent as soon as records are there, which
keeps demos fast), `MaximumRecordAgeInSeconds`, `ParallelizationFactor` and tumbling windows.
"""

from __future__ import annotations

import base64
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local.intrinsics import TemplateError
from local.patterns import matches_any, parse_filters
from local.resources import PhysicalResource
from local.template import StackTemplate

DEFAULT_STREAM_BATCH_SIZE = 100


@dataclass(frozen=True)
class StreamSubscription:
    """A DynamoDB stream event source mapping: batches from `stream_arn` go to `function`."""

    function: str
    function_arn: str
    stream_arn: str
    starting_position: str = "TRIM_HORIZON"
    batch_size: int = DEFAULT_STREAM_BATCH_SIZE
    filters: tuple[dict[str, Any], ...] = ()
    report_failures: bool = False
    bisect_on_error: bool = False
    maximum_retry_attempts: int = -1
    on_failure: PhysicalResource | None = None  # an SQS queue


def stream_subscription(
    stack: StackTemplate, function: str, function_arn: str, props: Mapping[str, Any], where: str
) -> StreamSubscription:
    """From a SAM `Type: DynamoDB` event (`Stream`) or an EventSourceMapping (`EventSourceArn`)."""
    stream_arn = str(props.get("Stream") or props.get("EventSourceArn"))
    position = str(props.get("StartingPosition", "TRIM_HORIZON"))
    if position not in ("TRIM_HORIZON", "LATEST"):
        raise TemplateError(f"{where}: StartingPosition {position} is not supported locally")
    destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    return StreamSubscription(
        function=function,
        function_arn=function_arn,
        stream_arn=stream_arn,
        starting_position=position,
        batch_size=int(props.get("BatchSize", DEFAULT_STREAM_BATCH_SIZE)),
        filters=parse_filters(props.get("FilterCriteria"), where),
        report_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
        bisect_on_error=str(props.get("BisectBatchOnFunctionError", False)).lower() == "true",
        maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
        on_failure=None if destination is None else _queue(stack, str(destination), where),
    )


def is_stream_arn(arn: Any) -> bool:
    return isinstance(arn, str) and arn.startswith("arn:aws:dynamodb:") and "/stream/" in arn


def _queue(stack: StackTemplate, arn: str, where: str) -> PhysicalResource:
    for queue in stack.resources.of_type("AWS::SQS::Queue"):
        if queue.arn == arn:
            return queue
    raise TemplateError(f"{where}: the OnFailure destination {arn} is not an SQS queue of the template")


# Where a shard is read next: TRIM_HORIZON, or AT/AFTER_SEQUENCE_NUMBER and a sequence number. A
# cursor keeps positions, not shard iterators, and asks for a fresh iterator at every read: moto's
# iterator holds the table's stream object, and a failed transaction restores the table from a copy
# (its rollback), stream included, so an iterator taken before it would read a stream that no
# longer grows.
Position = tuple[str, str | None]
START: Position = ("TRIM_HORIZON", None)


@dataclass
class Batch:
    """Records of one shard on their way to the function."""

    shard_id: str
    records: list[dict[str, Any]]
    next_position: Position  # where the shard goes on after this batch

    @property
    def sequence_numbers(self) -> list[str]:
        return [record["dynamodb"]["SequenceNumber"] for record in self.records]


@dataclass
class _Shard:
    shard_id: str
    position: Position
    limit: int  # BatchSize, or less while a failed batch is being bisected
    retries: int = 0  # failed invocations of the batch at the checkpoint


@dataclass
class Outcome:
    """What became of a batch: retry (after a pause) and/or an invocation record for the destination."""

    retry: bool = False
    on_failure: dict[str, Any] | None = None


@dataclass
class StreamCursor:
    """One subscription's position in every shard of its stream."""

    subscription: StreamSubscription
    client: Any  # a boto3 dynamodbstreams client
    region: str
    _shards: dict[str, _Shard] = field(default_factory=dict)

    def open(self) -> None:
        """Position every shard at the mapping's StartingPosition (LATEST means: from now on)."""
        arn = self.subscription.stream_arn
        description = self.client.describe_stream(StreamArn=arn)["StreamDescription"]
        for shard in description.get("Shards") or []:
            state = _Shard(shard["ShardId"], START, self.subscription.batch_size)
            if self.subscription.starting_position == "LATEST":
                state.position = self._end_of(state)
            self._shards[shard["ShardId"]] = state

    def _end_of(self, shard: _Shard) -> Position:
        """After the last record the shard holds now (LATEST, as a position that can be asked again)."""
        position, iterator = shard.position, self._iterator(shard)
        while True:
            response = self.client.get_records(ShardIterator=iterator, Limit=1000)
            records = response.get("Records") or []
            if not records:
                return position
            position = ("AFTER_SEQUENCE_NUMBER", records[-1]["dynamodb"]["SequenceNumber"])
            iterator = response.get("NextShardIterator") or self._iterator(_Shard(shard.shard_id, position, 0))

    def read(self) -> tuple[Batch | None, bool]:
        """The next batch of matching records, and whether filtered-out records were checkpointed."""
        skipped = False
        for shard in self._shards.values():
            response = self.client.get_records(ShardIterator=self._iterator(shard), Limit=shard.limit)
            records = [self._lambda_record(record) for record in response.get("Records") or []]
            if not records:
                continue
            after: Position = ("AFTER_SEQUENCE_NUMBER", records[-1]["dynamodb"]["SequenceNumber"])
            wanted = [record for record in records if matches_any(self.subscription.filters, record)]
            if wanted:
                return Batch(shard.shard_id, wanted, after), skipped
            shard.position = after  # all filtered out: checkpointed past them, as Lambda does
            skipped = True
        return None, skipped

    def pending(self) -> bool:
        """Whether any shard has records after its checkpoint (filtered or not)."""
        return any(
            self.client.get_records(ShardIterator=self._iterator(shard), Limit=1).get("Records")
            for shard in self._shards.values()
        )

    def pending_iterators(self) -> list[str]:
        """Iterators to where each shard will be read next (for tests and debugging)."""
        return [self._iterator(shard) for shard in self._shards.values()]

    def event(self, batch: Batch) -> dict[str, Any]:
        return {"Records": batch.records}

    def settle(self, batch: Batch, result: Any, error: BaseException | None) -> Outcome:
        """Move the checkpoint after an invocation (`error` if the handler raised, else its `result`)."""
        shard = self._shards[batch.shard_id]
        numbers = batch.sequence_numbers
        first_failed = numbers[0] if error is not None else self._first_reported(batch, result)
        if first_failed is None:
            shard.position, shard.retries, shard.limit = batch.next_position, 0, self.subscription.batch_size
            return Outcome()
        failed = batch.records[numbers.index(first_failed) :]
        if error is not None and self.subscription.bisect_on_error and len(failed) > 1:
            shard.limit = math.ceil(len(failed) / 2)  # retry the first half on its own, not counted as a retry
            shard.position = ("AT_SEQUENCE_NUMBER", first_failed)
            return Outcome(retry=True)
        shard.retries = shard.retries + 1 if first_failed == numbers[0] else 1
        maximum = self.subscription.maximum_retry_attempts
        if maximum < 0 or shard.retries <= maximum:
            shard.position = ("AT_SEQUENCE_NUMBER", first_failed)
            return Outcome(retry=True)
        record = self._invocation_record(batch.shard_id, failed, shard.retries, error is not None)
        shard.position = ("AFTER_SEQUENCE_NUMBER", failed[-1]["dynamodb"]["SequenceNumber"])
        shard.retries, shard.limit = 0, self.subscription.batch_size
        return Outcome(on_failure=record)

    def _first_reported(self, batch: Batch, result: Any) -> str | None:
        """The lowest reported sequence number; the first of the batch when the report is invalid."""
        if not self.subscription.report_failures or not isinstance(result, dict):
            return None
        failures = result.get("batchItemFailures") or []
        numbers = batch.sequence_numbers
        reported = [failure.get("itemIdentifier") if isinstance(failure, dict) else None for failure in failures]
        if not reported:
            return None
        positions = [numbers.index(item) for item in reported if isinstance(item, str) and item in numbers]
        if len(positions) < len(reported):
            return numbers[0]  # Lambda treats an empty, null or unknown identifier as a failed batch
        return numbers[min(positions)]

    def _iterator(self, shard: _Shard) -> str:
        kind, sequence_number = shard.position
        where = {} if sequence_number is None else {"SequenceNumber": sequence_number}
        return self.client.get_shard_iterator(
            StreamArn=self.subscription.stream_arn, ShardId=shard.shard_id, ShardIteratorType=kind, **where
        )["ShardIterator"]

    def _lambda_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A GetRecords record as it appears in Lambda's event (epoch seconds, base64 binaries, the ARN)."""
        change = dict(record["dynamodb"])
        created = change.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            change["ApproximateCreationDateTime"] = int(created.timestamp())
        return {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": self.region,
            "dynamodb": _json_safe(change),
            "eventSourceARN": self.subscription.stream_arn,
        }

    def _invocation_record(
        self, shard_id: str, records: list[dict[str, Any]], invocations: int, raised: bool
    ) -> dict[str, Any]:
        """What Lambda sends to an OnFailure destination for a stream batch it gives up on."""
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if raised:
            response["functionError"] = "Unhandled"
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        return {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.subscription.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": invocations,
            },
            "responseContext": response,
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _arrival(first),
                "approximateArrivalOfLastRecord": _arrival(last),
                "batchSize": len(records),
                "streamArn": self.subscription.stream_arn,
            },
        }


def _arrival(change: Mapping[str, Any]) -> str | None:
    created = change.get("ApproximateCreationDateTime")
    if created is None:
        return None
    return datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_safe(value: Any) -> Any:
    """Binary attribute values (B, BS) travel base64-encoded in Lambda's JSON event."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value
