from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from invoicing.adapters.sqs_render_requests import SqsRenderRequests
from tests.integration.adapters.conftest import REGION


@pytest.fixture
def sqs(aws: None) -> Any:
    return boto3.client("sqs", region_name=REGION)


def receive(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    return sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])


def test_standard_queue_gets_the_invoice_to_render(sqs: Any) -> None:
    queue_url = sqs.create_queue(QueueName="render")["QueueUrl"]
    SqsRenderRequests(sqs, queue_url).request("acct_1", "inv_1")
    [message] = receive(sqs, queue_url)
    assert json.loads(message["Body"]) == {"account_id": "acct_1", "invoice_id": "inv_1"}


def test_fifo_queue_groups_and_deduplicates_by_invoice(sqs: Any) -> None:
    queue_url = sqs.create_queue(QueueName="render.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    requests = SqsRenderRequests(sqs, queue_url)
    requests.request("acct_1", "inv_1")
    requests.request("acct_1", "inv_1")  # a repeat within the deduplication window
    requests.request("acct_1", "inv_2")

    messages = receive(sqs, queue_url)
    assert [json.loads(m["Body"])["invoice_id"] for m in messages] == ["inv_1", "inv_2"]
    assert [m["Attributes"]["MessageGroupId"] for m in messages] == ["inv_1", "inv_2"]
    assert messages[0]["Attributes"]["MessageDeduplicationId"] == "inv_1"
