"""Each function's cold init against its floor:
`python -m bench.cold_start [--runs N] [--only NAME] [--baseline DIR]`.

For every function of template.yaml (each `functions/<name>/app.py`, new ones included) it starts
fresh Python processes, interleaved function, floor, function, floor... (N of each, default 7), and
prints the median and min milliseconds and their ratio as a Markdown table (bench/README.md,
"Cold starts"). `--baseline DIR` measures another checkout's functions in the same run, each round
right after this checkout's, against the same floor (before/after figures from one run).
`--tracer` instead measures what each Powertools Tracer option costs at init, `--breakdown NAME`
where one function's init goes, step by step, and `--libraries` what the libraries a function of
each kind needs (Powertools, pydantic) cost above the floor with no code of ours.

- **cold init**: the time to import the function's `app.py` the way Lambda's runtime does
  (`importlib.import_module("app")` with the function's folder and the layer package on
  `sys.path`), timed with `time.perf_counter` inside the child around that import only. The child
  has the function's environment from template.yaml (Globals merged under the function's own
  variables, intrinsics resolved to local names; paths into Lambda's file system such as
  FONTCONFIG_PATH are left out, as the local runtime does) plus what Lambda's runtime sets
  (LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME, AWS_REGION, AWS_EXECUTION_ENV, credentials, the
  X-Ray daemon address): Powertools sees Lambda, so the Tracer is enabled as it is on AWS.
- **floor**: the same environment, a process that imports boto3 and creates one client of each
  service the function created (found in the function's own child, after its timing), plus
  WeasyPrint for a function that imports it.
- **no network at init**: before the timed runs one untimed process per function imports it under
  an audit hook (`sys.addaudithook`) that records every socket connect, send and name lookup during
  the init; any is an error.
- **first requests** (`FIRST_REQUESTS`: the api): after its timed init, the same child calls the
  handler as Lambda does with fixture events (events/api/get_account.json, create_customer.json:
  the bench's seller as the authorizer's account, a fresh Idempotency-Key per POST), then the same
  two again, each timed (wall and CPU), so that work moved out of the init into the first request
  shows. AWS is moto's server (`local.emulator.MotoEmulator`, the local stack's) in this process,
  provisioned from template.yaml, which every child's `AWS_ENDPOINT_URL` points at; the child has
  the trace header Lambda sets (`_X_AMZN_TRACE_ID`), so the Tracer records its subsegments.
- The document function calls `warm_up()` at module scope (fonts, stylesheets, a tiny render).
  Its child imports WeasyPrint first (the floor's extra import), then the app, and times the
  `warm_up()` call inside that same import with `sys.monitoring`: the table shows the whole init,
  the init without the time inside `warm_up()` ("import + clients", the part the 1.3x goal is
  about) and `warm_up()` alone.

Nothing is asserted; the timings are noisy on a shared machine, so compare rows of one run. The
last column compares the children's CPU time (`time.process_time`, same span), which other work on
the machine disturbs less than wall time.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from local.functions import FunctionSpec, function_specs  # noqa: E402 - the template's functions, as `make dev` runs them
from local.template import StackTemplate, Template  # noqa: E402

REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"
# Functions whose init imports WeasyPrint: their floor imports it too.
PDF_FUNCTIONS = {"documents"}
# The document function's module-scope warm-up, timed inside its import.
WARM_UP = {"documents": "invoicing.documents.pdf:warm_up"}
# What the child reports about itself after the timing (never timed).
# The first requests after the init, through the handler (`FIRST_REQUESTS`): work moved out of the
# init into the first request shows here. Each child calls its handler with these fixture events
# (events/<function>/), each twice: the first call of a container, then the same again (warm).
FIRST_REQUESTS = {"api": (("GET /account", "get_account.json"), ("POST /customers", "create_customer.json"))}
# The Lambda runtime's trace header for the invocation: the Tracer records subsegments as on AWS
# (sent over UDP to the daemon address, where nothing listens).
TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
WATCHED_MODULES = ("pydantic", "aws_xray_sdk.core", "aws_lambda_powertools.event_handler.appsync",
                   "aws_lambda_powertools.event_handler.openapi.models",
                   "asyncio", "invoicing.domain", "invoicing.services", "weasyprint")

# The child: only `sys` and `time` (both built in) are imported before the clock starts.
CHILD = r"""
import sys, time
kind, audit, pre_imports, timed_call, payload, requests, *paths = sys.argv[1:]
network = []
in_init = [True]
if audit == "1":
    def _hook(event, args):
        if in_init[0] and event in ("socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
                                    "socket.gethostbyname", "socket.gethostbyaddr"):
            network.append(event + " " + repr(args[1:]))
    sys.addaudithook(_hook)
sys.path[:0] = paths
span = []
c0 = time.process_time()
t0 = time.perf_counter()
for name in filter(None, pre_imports.split(",")):
    __import__(name)
if kind == "function":
    if timed_call != "-":
        module, function = timed_call.split(":")
        __import__(module)
        code = getattr(sys.modules[module], function).__code__
        mon = sys.monitoring
        mon.use_tool_id(mon.PROFILER_ID, "bench.cold_start")
        mon.register_callback(mon.PROFILER_ID, mon.events.PY_START,
                              lambda c, o: span.append(time.perf_counter()) if c is code else None)
        mon.register_callback(mon.PROFILER_ID, mon.events.PY_RETURN,
                              lambda c, o, r: span.append(time.perf_counter()) if c is code else None)
        mon.set_local_events(mon.PROFILER_ID, code, mon.events.PY_START | mon.events.PY_RETURN)
    import importlib
    module_name, _, handler_name = payload.partition(":")
    importlib.import_module(module_name)
else:
    import boto3
    for service in filter(None, payload.split(",")):
        boto3.client(service)
t1 = time.perf_counter()
c1 = time.process_time()
in_init[0] = False

import gc, json
answered = []
if requests != "-":
    # After the init, the handler as Lambda calls it: each event timed on its own.
    handler = getattr(sys.modules[module_name], handler_name)
    class Context:
        function_name = "bench"; function_version = "$LATEST"; memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
        aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"; log_group_name = log_stream_name = "bench"
        def get_remaining_time_in_millis(self): return 29000
    with open(requests) as events:
        for label, event in json.load(events):
            r0, q0 = time.perf_counter(), time.process_time()
            response = handler(event, Context())
            answered.append([label, (time.perf_counter() - r0) * 1000, (time.process_time() - q0) * 1000,
                             response.get("statusCode")])
report = {"ms": (t1 - t0) * 1000, "cpu_ms": (c1 - c0) * 1000, "network": network, "clients": [], "sessions": 0,
          "timed_call_ms": (span[1] - span[0]) * 1000 if len(span) >= 2 else None, "requests": answered}
if "boto3" in sys.modules:
    import botocore.client, botocore.session
    objects = gc.get_objects()
    report["clients"] = sorted(o.meta.service_model.service_name for o in objects
                               if isinstance(o, botocore.client.BaseClient))
    report["sessions"] = sum(isinstance(o, botocore.session.Session) for o in objects)
report["loaded"] = sorted(sys.modules)
print("COLD_START_REPORT " + json.dumps(report))
"""


# What a Powertools Tracer costs at init, by option (`--tracer`): after boto3 and one client, as in
# a function, the Tracer's construction alone (X-Ray SDK import and patching).
TRACER_OPTIONS = {
    "Tracer() (patches every supported library)": ("{}", {}),
    "Tracer(patch_modules=(\"botocore\",))": ("{'patch_modules': ('botocore',)}", {}),
    "Tracer(auto_patch=False)": ("{'auto_patch': False}", {}),
    "Tracer() with POWERTOOLS_TRACE_DISABLED=true": ("{}", {"POWERTOOLS_TRACE_DISABLED": "true"}),
}
TRACER_CHILD = r"""
import ast, sys, time
import boto3
boto3.client("dynamodb")
from aws_lambda_powertools import Tracer
kwargs = ast.literal_eval(sys.argv[1])
t0 = time.perf_counter()
Tracer(**kwargs)
t1 = time.perf_counter()
print("COLD_START_REPORT %.3f %s" % ((t1 - t0) * 1000, "requests" in sys.modules))
"""


# `--libraries`: what the libraries every function of a kind needs cost above the floor, with none of
# our code: the lowest ratio such a function can have. Each is a list of statements run in a fresh
# process after `import boto3` and one DynamoDB client (the floor, timed alone too).
LIBRARY_STACKS = {
    "floor: boto3 + a DynamoDB client": [],
    "+ Logger, Metrics": ["from aws_lambda_powertools import Logger, Metrics", "Logger(); Metrics()"],
    "+ Logger, Metrics, BatchProcessor (an SQS worker)": [
        "from aws_lambda_powertools import Logger, Metrics",
        "from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType",
        "Logger(); Metrics(); BatchProcessor(event_type=EventType.SQS)"],
    "+ the same and Tracer(patch_modules=('botocore',))": [
        "from aws_lambda_powertools import Logger, Metrics, Tracer",
        "from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType",
        "Logger(); Metrics(); BatchProcessor(event_type=EventType.SQS); Tracer(patch_modules=('botocore',))"],
    "+ the same and a pydantic model": [
        "from aws_lambda_powertools import Logger, Metrics, Tracer",
        "from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType",
        "Logger(); Metrics(); BatchProcessor(event_type=EventType.SQS); Tracer(patch_modules=('botocore',))",
        "from pydantic import BaseModel", "type('Body', (BaseModel,), {'__annotations__': {'name': str}})"],
    "+ Logger, Metrics, Tracer, APIGatewayRestResolver(enable_validation=True) with one validated route (the api)": [
        "from aws_lambda_powertools import Logger, Metrics, Tracer",
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver",
        "from aws_lambda_powertools.event_handler.openapi.params import Body",
        "from typing import Annotated", "from pydantic import BaseModel",
        "Logger(); Metrics(); Tracer(patch_modules=('botocore',))",
        "app = APIGatewayRestResolver(enable_validation=True)",
        "Named = type('Named', (BaseModel,), {'__annotations__': {'name': str}})",
        "def create(body: Annotated[Named, Body()]): return {}",
        "app.post('/x')(create)"],
}
LIBRARIES_CHILD = r"""
import sys, time
statements = sys.argv[1:]
c0 = time.process_time(); t0 = time.perf_counter()
import boto3
boto3.client("dynamodb")
for statement in statements:
    exec(statement)
print("COLD_START_REPORT %.3f %.3f" % ((time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000))
"""


# `--breakdown NAME`: where a function's init goes. These packages are imported first, one after
# another, then app.py runs statement by statement; each step is timed (what a step costs is what
# the steps before it had not loaded yet).
BREAKDOWN_FIRST = {
    "api": ["boto3", "aws_lambda_powertools", "aws_lambda_powertools.event_handler", "pydantic.main",
            "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
            "aws_lambda_powertools.utilities.idempotency", "invoicing.domain.invoice", "invoicing.services.invoices",
            "invoicing.api.requests", "invoicing.api.routes"],
    "documents": ["boto3", "weasyprint", "aws_lambda_powertools", "aws_lambda_powertools.utilities.batch",
                  "pydantic.main", "invoicing.domain.invoice", "invoicing.services.documents", "jinja2", "babel"],
}
BREAKDOWN_CHILD = r"""
import ast, importlib, sys, time
path, first, *paths = sys.argv[1:]
sys.path[:0] = paths
steps = [("import " + name, "import " + name) for name in filter(None, first.split(","))]
for node in ast.parse(open(path).read()).body:
    steps.append((ast.unparse(node).splitlines()[0][:90], ast.Module([node], [])))
scope = {"__name__": "app", "__file__": path}
times = []
for label, code in steps:
    start = time.perf_counter()
    exec(compile(code, path, "exec"), scope)
    times.append((label, (time.perf_counter() - start) * 1000))
print("COLD_START_REPORT " + repr(times))
"""


@dataclass(frozen=True)
class Target:
    name: str  # the function's folder
    label: str  # "" for this checkout, "before" for --baseline
    spec: FunctionSpec
    env: dict[str, str]


def closed_port() -> int:
    """A local port nothing listens on (bound, then released): a request to it fails at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def targets(root: Path, label: str, endpoint: str, only: set[str] | None) -> dict[str, Target]:
    stack = StackTemplate(Template.load(root / "template.yaml"), stack_name="bench", region=REGION,
                          account_id=ACCOUNT_ID, endpoint_url=endpoint)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "POWERTOOLS_", "LAMBDA_"))}
    found = {}
    for spec in function_specs(stack).values():
        name = spec.module_path.parent.name
        if only and name not in only:
            continue
        env = {
            **base,
            **spec.environment,
            # What Lambda's runtime sets for every function.
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "LAMBDA_TASK_ROOT": str(spec.module_path.parent),
            "_HANDLER": f"{spec.handler_module}.{spec.handler_name}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_SESSION_TOKEN": "bench",
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "_X_AMZN_TRACE_ID": TRACE_HEADER,
            # No shared config or credentials files on Lambda; none from this machine either.
            "AWS_CONFIG_FILE": "/nonexistent/aws-config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
            "AWS_ENDPOINT_URL": endpoint,
        }
        found[name] = Target(name, label, spec, env)
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class World:
    """Moto's server (the local stack's emulator) with the template's resources and one seller
    account: what the first requests read and write."""

    endpoint: str
    account_id: str
    scratch: Path

    @classmethod
    def start(cls, exit_stack: contextlib.ExitStack) -> World:
        import boto3

        from invoicing.onboarding import create_account_with_key
        from local.emulator import MotoEmulator

        emulator = exit_stack.enter_context(MotoEmulator(region=REGION))
        stack = StackTemplate(Template.load(ROOT / "template.yaml"), stack_name="bench", region=REGION,
                              account_id=ACCOUNT_ID, endpoint_url=emulator.endpoint_url)
        stack.provision(lambda service: boto3.client(service, endpoint_url=emulator.endpoint_url, region_name=REGION))
        account, _ = create_account_with_key(boto3.client("dynamodb", endpoint_url=emulator.endpoint_url,
                                                          region_name=REGION),
                                             stack.resources.name("InvoicingTable"), name="Bench AB", mode="test")
        scratch = Path(exit_stack.enter_context(tempfile.TemporaryDirectory(prefix="cold-start-")))
        return cls(emulator.endpoint_url, account.id, scratch)

    def requests(self, name: str) -> str:
        """A file of the function's first-request events (`FIRST_REQUESTS`), each twice, for one child:
        this world's account, a fresh `Idempotency-Key` for every POST."""
        if name not in FIRST_REQUESTS:
            return "-"
        events = []
        for round_ in ("first", "again"):
            for label, fixture in FIRST_REQUESTS[name]:
                event = json.loads((ROOT / "events" / name / fixture).read_text())
                event["requestContext"]["authorizer"] = {"account_id": self.account_id, "principalId": self.account_id}
                if event.get("headers", {}).get("Idempotency-Key"):
                    key = f"bench-{uuid.uuid4()}"
                    event["headers"]["Idempotency-Key"] = key
                    event["multiValueHeaders"]["Idempotency-Key"] = [key]
                events.append([f"{label} ({round_})", event])
        path = self.scratch / f"{uuid.uuid4()}.json"
        path.write_text(json.dumps(events))
        return str(path)


def run_child(target: Target, kind: str, *, audit: bool = False, services: list[str] | None = None,
              requests: str = "-") -> dict[str, Any]:
    spec = target.spec
    if kind == "function":
        pre = "weasyprint" if target.name in WARM_UP else ""
        timed = WARM_UP.get(target.name, "-")
        payload = f"{spec.handler_module}:{spec.handler_name}"
        paths = [str(spec.module_path.parent), *map(str, spec.layer_paths)]
    else:
        pre = "weasyprint" if target.name in PDF_FUNCTIONS else ""
        timed, payload, paths = "-", ",".join(services or []), []
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, "1" if audit else "0", pre, timed, payload, requests, *paths],
        env=target.env, cwd=str(spec.module_path.parent), capture_output=True, text=True, check=False,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("COLD_START_REPORT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"{target.name} {kind}: exit {done.returncode}\n{done.stderr[-3000:]}")
    return dict(json.loads(line.removeprefix("COLD_START_REPORT ")))


def stats(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), min(values)


@dataclass
class Row:
    target: Target
    check: dict[str, Any]
    init: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    warm_up: list[float] = field(default_factory=list)
    requests: dict[str, list[float]] = field(default_factory=dict)  # label -> ms of each child
    requests_cpu: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, set[int]] = field(default_factory=dict)


Floors = dict[str, dict[str, list[float]]]


def measure(groups: dict[str, list[Target]], runs: int, world: World) -> tuple[dict[str, list[Row]], Floors]:
    """Per function: its variants (this checkout first, then --baseline) and one floor, interleaved."""
    rows: dict[str, list[Row]] = {}
    services: dict[str, list[str]] = {}
    # One untimed process per variant first: compiles the bytecode, checks that no network call
    # happens at init, and finds the clients the floor must create (those of this checkout).
    for name, variants in groups.items():
        rows[name] = []
        for target in variants:
            check = run_child(target, "function", audit=True)
            if check["network"]:
                raise RuntimeError(f"{target.name} {target.label} makes network calls at init: {check['network']}")
            rows[name].append(Row(target, check))
        services[name] = sorted(set(rows[name][0].check["clients"]))
        run_child(variants[0], "floor", services=services[name])
    floors: Floors = {name: {"ms": [], "cpu_ms": []} for name in groups}
    for round_ in range(runs):
        for name, variant_rows in rows.items():
            # function, floor, function: with a baseline, the two swap places every round, so
            # neither always runs first (or right after the same process).
            ordered = variant_rows if round_ % 2 == 0 else variant_rows[::-1]
            for index, row in enumerate(ordered):
                result = run_child(row.target, "function", requests=world.requests(name))
                for label, ms, cpu_ms, status in result["requests"]:
                    row.requests.setdefault(label, []).append(ms)
                    row.requests_cpu.setdefault(label, []).append(cpu_ms)
                    row.statuses.setdefault(label, set()).add(status)
                row.init.append(result["ms"])
                row.cpu.append(result["cpu_ms"])
                if result["timed_call_ms"] is not None:
                    row.warm_up.append(result["timed_call_ms"])
                if index == 0:
                    floor = run_child(row.target, "floor", services=services[name])
                    floors[name]["ms"].append(floor["ms"])
                    floors[name]["cpu_ms"].append(floor["cpu_ms"])
    return rows, floors


def table(rows: dict[str, list[Row]], floors: Floors) -> str:
    lines = [
        "| function | init, ms median (min) | floor, ms median (min) | ratio, medians (mins) | CPU ratio, medians |",
        "|---|---|---|---|---|",
    ]
    notes = []
    for name, variant_rows in rows.items():
        floor_median, floor_min = stats(floors[name]["ms"])
        floor_cpu = statistics.median(floors[name]["cpu_ms"])
        for row in variant_rows:
            title = f"{name} ({row.target.label})" if row.target.label else name
            variants = [("", row.init, row.cpu)]
            if row.warm_up:
                without = [init - warm for init, warm in zip(row.init, row.warm_up, strict=True)]
                variants = [(", whole init", row.init, row.cpu), (", import + clients (without warm_up)", without, [])]
            for what, values, cpu in variants:
                median, low = stats(values)
                cpu_ratio = f"{statistics.median(cpu) / floor_cpu:.2f}×" if cpu else ""
                lines.append(f"| {title}{what} | {median:.0f} ({low:.0f}) | {floor_median:.0f} ({floor_min:.0f}) "
                             f"| {median / floor_median:.2f}× ({low / floor_min:.2f}×) | {cpu_ratio} |")
            if row.warm_up:
                median, low = stats(row.warm_up)
                lines.append(f"| {title}, `warm_up()` alone | {median:.0f} ({low:.0f}) | | | |")
            check = row.check
            loaded = set(check["loaded"])
            watched = [m for m in WATCHED_MODULES if m in loaded]
            notes.append(f"- {title}: created clients {', '.join(check['clients'])}; "
                         f"{check['sessions']} botocore session(s); {len(loaded)} modules loaded, "
                         f"of note: {', '.join(watched) or 'none'}")
        services = ", ".join(sorted(set(variant_rows[0].check["clients"])))
        extra = " + WeasyPrint" if name in PDF_FUNCTIONS else ""
        notes.append(f"- {name} floor: boto3 + one client each of {services}{extra}")
    return "\n".join([*lines, "", *notes])


def requests_table(rows: dict[str, list[Row]]) -> str:
    """The first requests after the init (and the same again), ms median (min), with their answers."""
    lines = ["| function | request | ms median (min) | CPU ms, median | status |", "|---|---|---|---|---|"]
    for name, variant_rows in rows.items():
        for row in variant_rows:
            title = f"{name} ({row.target.label})" if row.target.label else name
            for label, values in row.requests.items():
                median, low = stats(values)
                statuses = ", ".join(str(status) for status in sorted(row.statuses[label]))
                cpu = statistics.median(row.requests_cpu[label])
                lines.append(f"| {title} | {label} | {median:.0f} ({low:.0f}) | {cpu:.0f} | {statuses} |")
    return "\n".join(lines)


def libraries_table(target: Target, runs: int) -> str:
    wall: dict[str, list[float]] = {name: [] for name in LIBRARY_STACKS}
    cpu: dict[str, list[float]] = {name: [] for name in LIBRARY_STACKS}
    for _ in range(runs):
        for name, statements in LIBRARY_STACKS.items():
            done = subprocess.run([sys.executable, "-c", LIBRARIES_CHILD, *statements], env=target.env,
                                  cwd=str(target.spec.module_path.parent), capture_output=True, text=True, check=True)
            line = next(ln for ln in done.stdout.splitlines() if ln.startswith("COLD_START_REPORT "))
            ms, cpu_ms = map(float, line.split()[1:])
            wall[name].append(ms)
            cpu[name].append(cpu_ms)
    floor = next(iter(LIBRARY_STACKS))
    floor_ms, floor_cpu = statistics.median(wall[floor]), statistics.median(cpu[floor])
    lines = [f"The libraries alone, no code of ours ({runs} fresh processes each, interleaved):", "",
             "| process | ms median (min) | ratio to the floor, medians | CPU ratio, medians |", "|---|---|---|---|"]
    for name in LIBRARY_STACKS:
        median, low = stats(wall[name])
        lines.append(f"| {name} | {median:.0f} ({low:.0f}) | {median / floor_ms:.2f}× "
                     f"| {statistics.median(cpu[name]) / floor_cpu:.2f}× |")
    return "\n".join(lines)


def tracer_table(target: Target, runs: int) -> str:
    samples: dict[str, list[float]] = {name: [] for name in TRACER_OPTIONS}
    imports_requests: dict[str, bool] = {}
    for _ in range(runs):
        for name, (kwargs, extra_env) in TRACER_OPTIONS.items():
            done = subprocess.run([sys.executable, "-c", TRACER_CHILD, kwargs], env={**target.env, **extra_env},
                                  cwd=str(target.spec.module_path.parent), capture_output=True, text=True, check=True)
            _, ms, requests = done.stdout.split()
            samples[name].append(float(ms))
            imports_requests[name] = requests == "True"
    lines = [f"Tracer options, in the {target.name} function's environment (the Tracer's construction alone):", "",
             "| option | ms median (min) | imports requests |", "|---|---|---|"]
    for name, values in samples.items():
        median, low = stats(values)
        lines.append(f"| `{name}` | {median:.1f} ({low:.1f}) | {'yes' if imports_requests[name] else 'no'} |")
    return "\n".join(lines)


def breakdown_table(target: Target, runs: int) -> str:
    samples: dict[str, list[float]] = {}
    first = ",".join(BREAKDOWN_FIRST.get(target.name, ["boto3", "aws_lambda_powertools"]))
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", BREAKDOWN_CHILD, str(target.spec.module_path), first,
             str(target.spec.module_path.parent), *map(str, target.spec.layer_paths)],
            env=target.env, cwd=str(target.spec.module_path.parent), capture_output=True, text=True, check=True)
        line = next(ln for ln in done.stdout.splitlines() if ln.startswith("COLD_START_REPORT "))
        for label, ms in ast.literal_eval(line.removeprefix("COLD_START_REPORT ")):
            samples.setdefault(label, []).append(ms)
    lines = [f"Where the {target.name} function's init goes ({runs} fresh processes):", "",
             "| step | ms median (min) |", "|---|---|"]
    for label, values in samples.items():
        median, low = stats(values)
        if median >= 1:
            lines.append(f"| `{label}` | {median:.0f} ({low:.0f}) |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per function and per floor")
    parser.add_argument("--only", action="append", help="a function folder name (repeatable)")
    parser.add_argument("--baseline", type=Path,
                        help="another checkout (e.g. `git archive main | tar -x -C /tmp/before`) measured in the same "
                             "run, interleaved, against the same floors")
    parser.add_argument("--tracer", action="store_true", help="only what each Tracer option costs at init")
    parser.add_argument("--breakdown", metavar="NAME", help="only where this function's init goes, step by step")
    parser.add_argument("--libraries", action="store_true",
                        help="only what the libraries a function needs cost above the floor, with no code of ours")
    args = parser.parse_args(argv)
    only = set(args.only) if args.only else None
    endpoint = f"http://127.0.0.1:{closed_port()}"
    current = targets(ROOT, "", endpoint, only)
    if args.breakdown:
        print(breakdown_table(targets(ROOT, "", endpoint, {args.breakdown})[args.breakdown], args.runs))
        return 0
    if args.libraries:
        print(libraries_table(current.get("api") or next(iter(current.values())), args.runs))
        return 0
    if args.tracer:
        print(tracer_table(current.get("api") or next(iter(current.values())), args.runs))
        return 0
    with contextlib.ExitStack() as exit_stack:
        world = World.start(exit_stack)
        current = targets(ROOT, "", world.endpoint, only)
        before = targets(args.baseline.resolve(), "before", world.endpoint, only) if args.baseline else {}
        groups = {name: [target, *([before[name]] if name in before else [])] for name, target in current.items()}
        load_before = os.getloadavg()
        rows, floors = measure(groups, args.runs, world)
        load_after = os.getloadavg()
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {args.runs} fresh processes per row, "
          f"interleaved; load average (1, 5, 15 min) {', '.join(f'{x:.1f}' for x in load_before)} at the start, "
          f"{', '.join(f'{x:.1f}' for x in load_after)} at the end\n")
    print(table(rows, floors))
    if any(row.requests for variants in rows.values() for row in variants):
        print()
        print(requests_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
