"""Moto-backed stack for handler tests: every table, bucket and queue comes from template.yaml."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.template import Template
from tests.integration.lambdas import ROOT, LambdaContext, api_event, load_function, passes_outbox_filter, stream_record
from tests.integration.tables import create_tables_from_template

REGION = "eu-west-1"


class HandlerStack:
    """The functions loaded against one moto account, plus helpers to call them and to carry the
    outbox as AWS would: the table's stream to the relay, the bus's rule to the render queue."""

    def __init__(self, tables: dict[str, str], bucket: str, queue_url: str) -> None:
        self.tables, self.bucket, self.queue_url = tables, bucket, queue_url
        self.api = load_function("api")
        self.authorizer = load_function("authorizer")
        self.documents = load_function("documents")
        self.relay = load_function("relay")
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.streams = boto3.client("dynamodbstreams", region_name=REGION)
        self._iterators: dict[str, str] = {}
        self.published: list[dict[str, Any]] = []  # every event the relay put on the bus
        from invoicing.onboarding import create_account_with_key

        account, self.api_key = create_account_with_key(
            self.dynamodb, tables["InvoicingTable"], name="Test Seller AB", mode="test"
        )
        self.account_id = account.id

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        event = api_event(method, path, account_id=kw.pop("account_id", self.account_id), body=body, **kw)
        response = self.api.lambda_handler(event, LambdaContext())
        payload = response["body"]
        return response["statusCode"], json.loads(payload) if payload else None

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        status, payload = self.call(method, path, body, **kw)
        assert status < 300, (status, payload)
        return payload

    def relay_outbox(self) -> int:
        """Deliver the table's new stream records to the relay function (with the template's filter
        applied, as Lambda's event source mapping does); returns how many records it got."""
        arn = self.dynamodb.describe_table(TableName=self.tables["InvoicingTable"])["Table"]["LatestStreamArn"]
        records: list[dict[str, Any]] = []
        for shard in self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            iterator = self._iterators.get(shard_id) or self.streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            response = self.streams.get_records(ShardIterator=iterator)
            self._iterators[shard_id] = response["NextShardIterator"]
            records += [stream_record(r, arn, REGION) for r in response["Records"] if passes_outbox_filter(r)]
        if records:
            result = self.relay.lambda_handler({"Records": records}, LambdaContext())
            assert result["batchItemFailures"] == [], result
        return len(records)

    def deliver(self) -> dict[str, Any]:
        """The outbox, then the render queue: what happens on AWS after a commit."""
        self.relay_outbox()
        return self.pump_render_queue()

    def pump_render_queue(self) -> dict[str, Any]:
        """Deliver what waits on the render queue to the document function, as Lambda's poller would."""
        received = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        records = [
            {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"], "attributes": {},
             "messageAttributes": {}, "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs",
             "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:render", "awsRegion": REGION}
            for m in received.get("Messages", [])
        ]
        result = self.documents.lambda_handler({"Records": records}, LambdaContext()) if records else {}
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for m in received.get("Messages", []):
            if m["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        return {"delivered": len(records), "failed": len(failed)}


@contextmanager
def handler_stack(setenv: Callable[[str, str], None], unset: Callable[[str], None],
                  before_functions: Callable[[dict[str, str]], None] | None = None) -> Iterator[HandlerStack]:
    """The template's functions on in-process moto: tables from template.yaml, the bucket, the render
    queue, the bus and its render rule. `setenv`/`unset` change the environment (a test's
    monkeypatch, or plain os.environ for a benchmark); `before_functions(tables)` runs once the
    resources exist, before the functions are loaded (and make their clients)."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        unset(name)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION, "POWERTOOLS_TRACE_DISABLED": "true",
                        "POWERTOOLS_METRICS_NAMESPACE": "InvoicingTest",
                        # botocore's account-based endpoints (`{account}.streams-ddb...`) are not routed by
                        # moto in-process.
                        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled"}.items():
        setenv(name, value)
    with mock_aws():
        tables = create_tables_from_template(boto3.client("dynamodb", region_name=REGION), ROOT / "template.yaml")
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="documents", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.create_bucket(Bucket="statements", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.create_bucket(Bucket="files", CreateBucketConfiguration={"LocationConstraint": REGION})
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="render")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events = boto3.client("events", region_name=REGION)
        events.create_event_bus(Name="events")
        rule = Template.load(ROOT / "template.yaml").resources["RenderOnDocumentEvents"]["Properties"]
        events.put_rule(Name="render", EventBusName="events", EventPattern=json.dumps(rule["EventPattern"]))
        events.put_targets(Rule="render", EventBusName="events", Targets=[{"Id": "RenderQueue", "Arn": queue_arn}])
        setenv("TABLE_NAME", tables["InvoicingTable"])
        setenv("IDEMPOTENCY_TABLE_NAME", tables["IdempotencyTable"])
        setenv("DOCUMENTS_BUCKET", "documents")
        setenv("STATEMENTS_BUCKET", "statements")
        setenv("FILES_BUCKET", "files")
        setenv("EVENT_BUS_NAME", "events")
        for name, env in (("billing-runs", "BILLING_RUN_QUEUE_URL"), ("billing", "BILLING_QUEUE_URL")):
            setenv(env, sqs.create_queue(QueueName=name)["QueueUrl"])
        setenv("BILLING_MAX_RECEIVES", "5")
        setenv("SANDBOX_MODE", "true")
        setenv("PUBLIC_BASE_URL", "https://billing.example")
        # In a sandbox the API runs its test clocks' dunning: it mails as the dunning function does.
        for name, value in {"SENDER_EMAIL": "invoices@billing.example", "SES_CONFIGURATION_SET": "mail",
                            "PAYMENT_PROVIDER": "none"}.items():
            setenv(name, value)
        if before_functions:
            before_functions(tables)
        yield HandlerStack(tables, "documents", queue_url)


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[HandlerStack]:
    with handler_stack(monkeypatch.setenv, lambda name: monkeypatch.delenv(name, raising=False)) as running:
        yield running
