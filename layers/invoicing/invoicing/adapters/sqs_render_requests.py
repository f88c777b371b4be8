"""Render requests: the queue that asks the document function to render an invoice or credit note."""

from __future__ import annotations

import json
from typing import Any


class SqsRenderRequests:
    """The `RenderRequests` port on SQS. On a FIFO queue the invoice id is both the message group
    (one invoice's renders in order) and the deduplication id (a repeated request within SQS's
    five-minute window is dropped: rendering the same invoice twice is wasted work)."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url
        self._fifo = queue_url.endswith(".fifo")

    def request(self, account_id: str, invoice_id: str, *, credit_note_id: str | None = None) -> None:
        body: dict[str, str] = {"account_id": account_id, "invoice_id": invoice_id}
        if credit_note_id:
            body["credit_note_id"] = credit_note_id
        message: dict[str, Any] = {"QueueUrl": self._queue_url, "MessageBody": json.dumps(body)}
        if self._fifo:
            message["MessageGroupId"] = invoice_id
            message["MessageDeduplicationId"] = credit_note_id or invoice_id
        self._client.send_message(**message)
