"""Messages onto an SQS queue (`SendMessageBatch`, ten a request): the `Queue` port."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

ENTRIES_PER_REQUEST = 10
ATTEMPTS = 5


class SqsQueue:
    """Sends JSON messages; entries SQS reports failed are sent again, and a send that still fails
    raises, so the caller's own message is retried (every consumer is idempotent)."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send_many(self, messages: Sequence[Mapping[str, Any]]) -> None:
        for start in range(0, len(messages), ENTRIES_PER_REQUEST):
            pending = {str(i): json.dumps(m, separators=(",", ":"))
                       for i, m in enumerate(messages[start:start + ENTRIES_PER_REQUEST])}
            for _ in range(ATTEMPTS):
                response = self._client.send_message_batch(
                    QueueUrl=self._url, Entries=[{"Id": i, "MessageBody": body} for i, body in pending.items()])
                pending = {entry["Id"]: pending[entry["Id"]] for entry in response.get("Failed", [])}
                if not pending:
                    break
            if pending:
                raise RuntimeError(f"SQS refused {len(pending)} messages after {ATTEMPTS} attempts")
