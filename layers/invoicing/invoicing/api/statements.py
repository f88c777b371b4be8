"""The statements queue's messages: S3 event notifications (object created under `statements/`).

A record's key is URL-encoded as S3 sends it; a key we never handed out is skipped (it cannot name an
upload), and S3's `s3:TestEvent` (sent when the notification is set up) carries no records."""

from __future__ import annotations

import json
import urllib.parse

from invoicing.services.statements import parse_statement_key


def uploaded_statements(body: str) -> list[tuple[str, str]]:
    """(account id, statement id) of every upload a notification message announces."""
    message = json.loads(body)
    found = []
    for record in message.get("Records") or []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        named = parse_statement_key(key)
        if named is not None:
            found.append(named)
    return found
