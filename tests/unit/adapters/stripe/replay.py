"""Stripe's API, replayed: an HTTP server on 127.0.0.1 that answers recorded exchanges in order and
keeps what it was sent, so a test checks the request the adapter made (method, path, form fields,
idempotency key) and the adapter gets Stripe's answer. The client reaches it through `StripeClient`'s
documented `base_addresses`; no call leaves the machine."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import stripe

FIXTURES = Path(__file__).with_name("fixtures")


def fill(text: str, values: Mapping[str, str]) -> str:
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def exchange(name: str, values: Mapping[str, str]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(fill((FIXTURES / "api" / f"{name}.json").read_text(), values))
    return loaded


def event(name: str, values: Mapping[str, str]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(fill((FIXTURES / "events" / f"{name}.json").read_text(), values))
    return loaded


@dataclass
class Seen:
    method: str
    path: str
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class Replay:
    exchanges: list[dict[str, Any]]
    seen: list[Seen] = field(default_factory=list)
    url: str = ""  # where it listens (a client of one's own points its `base_addresses` here)

    def client(self, url: str) -> stripe.StripeClient:
        return stripe.StripeClient("sk_test_replay", base_addresses={"api": url}, http_client=stripe.UrllibClient(),
                                   max_network_retries=0)


@contextmanager
def replaying(*exchanges: dict[str, Any]) -> Iterator[tuple[Replay, stripe.StripeClient]]:
    replay = Replay(list(exchanges))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
            replay.seen.append(Seen("POST", self.path, form, {k.lower(): v for k, v in self.headers.items()}))
            answer = replay.exchanges.pop(0)["response"] if replay.exchanges else {
                "status": 500, "body": {"error": {"type": "api_error", "message": "no recorded exchange left"}}}
            payload = json.dumps(answer["body"]).encode()
            self.send_response(answer["status"])
            self.send_header("Content-Type", "application/json")
            self.send_header("Request-Id", "req_replayed")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    replay.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield replay, replay.client(replay.url)
    finally:
        server.shutdown()
        server.server_close()
