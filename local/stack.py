"""The local stack: the whole template running on this machine, for `make demo`, `make dev` and tests.

    with LocalRuntime(template="template.yaml", api_port=0) as stack:
        requests.post(f"{stack.api_url}/invoices", ...)
        stack.clock.advance(timedelta(days=30))
        stack.drain(timeout=30)

Starting it starts moto's server (and points boto3 at it through the environment), provisions the
template's resources, loads the functions, installs an `OffsetClock`, starts the SQS pump and serves
the API. Moto's state is global to a process, so one stack runs per process at a time.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import boto3

from invoicing.adapters import clock as application_clock
from local.apigateway import ApiGateway, ApiServer, DevRoute, load_routes
from local.clock import OffsetClock
from local.emulator import ACCOUNT_ID, DEFAULT_REGION, FAKE_CREDENTIALS, MotoEmulator
from local.functions import DEFAULT_MAX_CONTAINERS, FunctionRuntime, function_specs, routed_by_api
from local.pump import Pump
from local.resources import Resources
from local.streams import StreamCursor
from local.template import StackTemplate, Template
from local.triggers import load_triggers

REPO_ROOT = Path(__file__).resolve().parent.parent

_T = TypeVar("_T")
_running_lock = threading.Lock()
_running: list[LocalRuntime] = []


class LocalRuntime:
    """One template's resources, functions, API, pump and clock, running in this process."""

    def __init__(
        self,
        template: str | Path = "template.yaml",
        *,
        api_port: int = 0,
        stack_name: str = "invoicing-local",
        region: str = DEFAULT_REGION,
        parameters: Mapping[str, Any] | None = None,
        clock_start: datetime | None = None,
        retry_delay: float = 0.25,
        max_containers: int = DEFAULT_MAX_CONTAINERS,
        access_log: bool = False,
        one_at_a_time: Iterable[str] | None = None,
    ) -> None:
        self.template_path = _find_template(template)
        self.stack_name = stack_name
        self.region = region
        self._api_port = api_port
        # A local stack is a sandbox (its keys are sk_test_): test clocks are allowed (template's SandboxMode).
        self._parameters = {"SandboxMode": "true", **(parameters or {})}
        self._clock_start = clock_start
        self._retry_delay = retry_delay
        self._max_containers = max_containers
        self._access_log = access_log
        # Functions that run one invocation at a time in this process (local/functions.py says why):
        # by default every function API Gateway routes to, as each of this project's is a Powertools
        # event handler.
        self._one_at_a_time = None if one_at_a_time is None else tuple(one_at_a_time)
        self._exit = ExitStack()
        self._emulator: MotoEmulator | None = None
        self._stack: StackTemplate | None = None
        self._functions: FunctionRuntime | None = None
        self._pump: Pump | None = None
        self._api: ApiServer | None = None
        self._clock: OffsetClock | None = None
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LocalRuntime:
        with _running_lock:
            if _running:
                raise RuntimeError("a LocalRuntime is already running in this process (moto's state is global)")
            _running.append(self)
        self._exit.callback(_running.remove, self)
        try:
            self._start()
        except BaseException:
            self._exit.close()
            raise
        return self

    def _start(self) -> None:
        self._reserve_public_url()
        self._emulator = MotoEmulator(region=self.region)
        self._emulator.start()
        self._exit.callback(self._emulator.stop)

        self._stack = StackTemplate(
            Template.load(self.template_path),
            stack_name=self.stack_name,
            region=self.region,
            account_id=ACCOUNT_ID,
            endpoint_url=self._emulator.endpoint_url,
            parameters=self._parameters,
        )
        session = boto3.session.Session()
        clients: dict[str, Any] = {}

        def client_for(service: str) -> Any:
            if service not in clients:
                clients[service] = self._client(session, service)
            return clients[service]

        self._stack.provision(client_for)

        self._clock = OffsetClock(self._clock_start)
        self._exit.callback(application_clock.install, application_clock.install(self._clock))

        specs = function_specs(self._stack)
        one_at_a_time = routed_by_api(specs) if self._one_at_a_time is None else self._one_at_a_time
        self._functions = FunctionRuntime(specs, max_containers=self._max_containers, one_at_a_time=one_at_a_time)
        self._exit.callback(self._functions.close)

        triggers = load_triggers(self._stack, specs)
        self._pump = Pump(
            self._functions.invoke,
            client_for("sqs"),
            self._clock,
            triggers.queues,
            triggers.schedules,
            streams=[StreamCursor(s, client_for("dynamodbstreams"), self.region) for s in triggers.streams],
            region=self.region,
            account_id=ACCOUNT_ID,
            retry_delay=self._retry_delay,
        )
        self._pump.start()
        self._exit.callback(self._pump.stop)

        gateway = ApiGateway(
            load_routes(self._stack, specs),
            self._functions.invoke,
            region=self.region,
            account_id=ACCOUNT_ID,
            now=self._clock.now,
            dev_routes=self._dev_routes(),
            on_invoke=self._pump.wake,
        )
        self._api = ApiServer(gateway, port=self._api_port, access_log=self._access_log)
        self._api.start()
        self._exit.callback(self._api.stop)

    def _reserve_public_url(self) -> None:
        """Links to hosted pages (PDFs, emails) need the API's URL before the functions start: with the
        template's `PublicBaseUrl` parameter not given, the API's port is chosen first and the parameter
        set to the local URL."""
        declared = Template.load(self.template_path).body.get("Parameters") or {}
        if "PublicBaseUrl" not in declared or "PublicBaseUrl" in self._parameters:
            return
        if self._api_port == 0:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.bind(("127.0.0.1", 0))
                self._api_port = probe.getsockname()[1]
        self._parameters["PublicBaseUrl"] = f"http://127.0.0.1:{self._api_port}"

    def stop(self) -> None:
        """Stop serving, let running invocations finish, forget every resource, restore the environment."""
        self._exit.close()
        self._clients.clear()

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what callers use ----------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return _started(self._api).url

    @property
    def endpoint_url(self) -> str:
        return _started(self._emulator).endpoint_url

    @property
    def resources(self) -> Resources:
        return _started(self._stack).resources

    @property
    def functions(self) -> FunctionRuntime:
        """The emulated functions: their pools count invocations and the handlers' CPU time."""
        return _started(self._functions)

    @property
    def clock(self) -> OffsetClock:
        return _started(self._clock)

    @property
    def schedules(self) -> list[str]:
        return sorted(_started(self._pump).schedules)

    def drain(self, timeout: float = 30.0) -> bool:
        """Pump until every subscribed queue is empty and nothing runs (True), or `timeout` passes (False)."""
        return _started(self._pump).drain(timeout)

    def invoke(self, function: str, event: Any = None) -> Any:
        """Invoke a function directly (logical id, name or ARN) and return the handler's result."""
        try:
            return _started(self._functions).invoke(function, {} if event is None else event)
        finally:
            _started(self._pump).wake()

    def advance_clock(self, delta: timedelta) -> datetime:
        """Move the clock forward and let due schedules fire at once."""
        now = self.clock.advance(delta)
        _started(self._pump).wake()
        return now

    def fire_schedule(self, name: str) -> Any:
        """Run a schedule's function now ("Function.Event", the event name, or the function's id)."""
        return _started(self._pump).fire_schedule(name)

    def boto3_client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client pointed at the emulator, independent of the process environment.

        Clients are thread-safe and slow to create, so one per service is kept (unless options are given).
        """
        if kwargs:
            return self._client(boto3.session.Session(), service, **kwargs)
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = self._client(boto3.session.Session(), service)
            return self._clients[service]

    def _client(self, session: boto3.session.Session, service: str, **kwargs: Any) -> Any:
        return session.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            **kwargs,
        )

    # -- dev-only HTTP routes on the API emulator (make dev) -----------------------------------

    def _dev_routes(self) -> dict[tuple[str, str], DevRoute]:
        def now(_: dict[str, Any]) -> tuple[int, Any]:
            return 200, {"now": self.clock.now().isoformat()}

        def advance(body: dict[str, Any]) -> tuple[int, Any]:
            units = ("seconds", "minutes", "hours", "days")
            delta = timedelta(**{unit: float(body[unit]) for unit in units if unit in body})
            if not delta:
                return 400, {"message": 'send {"seconds": N} (or minutes, hours, days), N > 0'}
            return 200, {"now": self.advance_clock(delta).isoformat()}

        def drain(body: dict[str, Any]) -> tuple[int, Any]:
            return 200, {"idle": self.drain(float(body.get("timeout", 30)))}

        def schedules(_: dict[str, Any]) -> tuple[int, Any]:
            return 200, {"schedules": self.schedules}

        def fire(body: dict[str, Any]) -> tuple[int, Any]:
            try:
                return 200, {"result": self.fire_schedule(str(body.get("name", "")))}
            except KeyError as error:
                return 404, {"message": str(error)}

        return {
            ("GET", "/_local/clock"): now,
            ("POST", "/_local/clock/advance"): advance,
            ("POST", "/_local/drain"): drain,
            ("GET", "/_local/schedules"): schedules,
            ("POST", "/_local/schedules/fire"): fire,
        }


def _started(part: _T | None) -> _T:
    if part is None:
        raise RuntimeError("the LocalRuntime is not running: use `with LocalRuntime(...) as stack:`")
    return part


def _find_template(template: str | Path) -> Path:
    """The template as given, or relative to the repository (so `python -m local.dev` works anywhere)."""
    path = Path(template)
    if not path.is_absolute() and not path.exists() and (REPO_ROOT / path).exists():
        return REPO_ROOT / path
    return path
