"""The embedded AWS emulator: moto's server on 127.0.0.1, serving one request at a time.

Moto does not make concurrent requests atomic: two TransactWriteItems with the same condition that
arrive together can both succeed, where DynamoDB's transactions are serializable. So moto's WSGI
application is wrapped in a lock: the HTTP server stays threaded (slow clients do not block others),
but moto itself only ever sees one request at a time.

Consequence: a request that blocks inside moto blocks every other client. The SQS pump therefore
never long-polls (WaitTimeSeconds=0), and neither should application code running locally.
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from local.environ import EnvironPatch

DEFAULT_REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"  # moto's default account: the ARNs moto builds use it too
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SerializedApp:
    """A WSGI application that runs the wrapped one for one request at a time.

    The response body is read inside the lock too, so that a streamed response cannot interleave
    with the next request's work on moto's shared state.
    """

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            response = self._app(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()


class _QuietRequestHandler(MotoRequestHandler):
    """Moto's request handler without one access-log line per AWS call."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class MotoEmulator:
    """Moto's server in a background thread, and the environment that points boto3 at it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, region: str = DEFAULT_REGION) -> None:
        self.host = host
        self.region = region
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._environ = EnvironPatch()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.port)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client_environment(self) -> dict[str, str]:
        """What boto3 needs to reach this emulator, and only it."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            **FAKE_CREDENTIALS,
        }

    def start(self) -> None:
        app = SerializedApp(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self.host, self._requested_port, app, threaded=True, request_handler=_QuietRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="moto-server", daemon=True
        )
        self._thread.start()
        # A profile or session token from the developer's shell must not leak into local calls.
        self._environ.unset(["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"])
        self._environ.set(self.client_environment())
        self.reset()

    def reset(self) -> None:
        """Forget every resource: moto's state is global to the process, not to one server."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own server)
            response.read()

    def stop(self) -> None:
        if self._server is not None:
            try:
                self.reset()
            finally:
                self._server.shutdown()
                self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None
        self._environ.restore()

    def __enter__(self) -> MotoEmulator:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
