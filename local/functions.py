"""Lambda functions from the template, run in-process in emulated execution environments.

A handler module keeps state in module-level singletons (clients, Powertools resolvers that hold the
current event), which is safe on Lambda because an execution environment serves one invocation at a
time. Locally each "container" is therefore its own copy of the function's `app.py`, imported under a
unique module name; a pool per function keeps warm containers and creates another (a cold start) only
when every warm one is busy. The shared layer code (`invoicing.*`) is imported once per process.

Like Lambda, events and results go through JSON, so a handler that returns something Lambda could not
serialize (a Decimal, a datetime) fails here too.

A private module copy is not enough where a library keeps its state on a class, once per process:
Powertools' event handler sets the event it resolves on `BaseRouter` itself (`BaseRouter.current_event`),
so two API invocations running at once in one process would read each other's event (a route would
validate another request's body, or act for another account). On Lambda every environment is a process
of its own. Functions named `one_at_a_time` therefore run one invocation at a time across the process
(each still in a container of its own); the others keep running side by side.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from local.environ import EnvironPatch, FunctionEnvironments
from local.intrinsics import NO_VALUE, TemplateError
from local.template import StackTemplate

FUNCTION_TYPES = ("AWS::Serverless::Function",)
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")
DEFAULT_MAX_CONTAINERS = 16


@dataclass(frozen=True)
class FunctionSpec:
    """What the template says about one function, with intrinsics resolved."""

    logical_id: str
    name: str
    arn: str
    module_path: Path
    handler_module: str
    handler_name: str
    environment: Mapping[str, str]
    layer_paths: tuple[Path, ...]
    memory_mb: int = 128
    timeout_seconds: float = 3.0
    reserved_concurrency: int | None = None
    events: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def function_specs(stack: StackTemplate) -> dict[str, FunctionSpec]:
    """Every enabled `AWS::Serverless::Function`, its properties merged over Globals.Function."""
    defaults = stack.template.globals("Function")
    specs = {}
    for logical_id, definition in stack.template.of_type(*FUNCTION_TYPES).items():
        if stack.is_enabled(logical_id):
            specs[logical_id] = _spec(stack, logical_id, definition.get("Properties") or {}, defaults)
    return specs


def routed_by_api(specs: Mapping[str, FunctionSpec]) -> tuple[str, ...]:
    """The functions API Gateway routes to (an `Api` event)."""
    return tuple(lid for lid, spec in specs.items()
                 if any(event.get("Type") == "Api" for event in spec.events.values()))


def _spec(stack: StackTemplate, logical_id: str, props: Mapping[str, Any], defaults: Mapping[str, Any]) -> FunctionSpec:
    code_uri = props.get("CodeUri", defaults.get("CodeUri"))
    handler = props.get("Handler", defaults.get("Handler"))
    if not isinstance(code_uri, str) or not isinstance(handler, str):
        raise TemplateError(f"{logical_id}: the local runtime needs a local CodeUri folder and a Handler")
    module, _, handler_name = handler.rpartition(".")
    module_path = stack.template.root / code_uri / (module.replace(".", "/") + ".py")
    if not module_path.is_file():
        raise TemplateError(f"{logical_id}: handler module {module_path} does not exist")
    variables = {
        **((defaults.get("Environment") or {}).get("Variables") or {}),
        **((props.get("Environment") or {}).get("Variables") or {}),
    }
    environment = {
        key: text for key, value in stack.resolve(variables).items() if not _lambda_filesystem(text := _env_text(value))
    }
    resource = stack.resource(logical_id)
    return FunctionSpec(
        logical_id=logical_id,
        name=resource.name,
        arn=resource.arn,
        module_path=module_path,
        handler_module=module,
        handler_name=handler_name,
        environment=environment,
        layer_paths=_layer_paths(stack, [*defaults.get("Layers", []), *props.get("Layers", [])]),
        memory_mb=int(stack.resolve(props.get("MemorySize", defaults.get("MemorySize", 128)))),
        timeout_seconds=float(stack.resolve(props.get("Timeout", defaults.get("Timeout", 3)))),
        reserved_concurrency=_optional_int(stack.resolve(props.get("ReservedConcurrentExecutions"))),
        events=props.get("Events") or {},
    )


def _lambda_filesystem(value: str) -> bool:
    """Variables that point into Lambda's file system (layers under /opt, e.g. FONTCONFIG_PATH,
    LD_LIBRARY_PATH) mean nothing here: locally the venv and the machine's libraries serve."""
    return any(part.startswith(("/opt/", "/var/task", "/var/lang")) or part == "/opt" for part in value.split(":"))


def _layer_paths(stack: StackTemplate, layers: list[Any]) -> tuple[Path, ...]:
    """Folders of the template's own layers; published layer ARNs are served by the venv instead."""
    paths = []
    for layer in layers:
        logical_id = layer.get("Ref") if isinstance(layer, dict) else None
        definition = stack.template.resources.get(logical_id or "")
        if not definition or definition.get("Type") not in LAYER_TYPES:
            continue
        props = definition.get("Properties") or {}
        content = props.get("ContentUri") or props.get("Content")
        if not isinstance(content, str):
            continue
        folder = stack.template.root / content
        # A prebuilt layer keeps packages under python/; a SAM-built one has them at its root.
        paths.append(folder / "python" if (folder / "python").is_dir() else folder)
    return tuple(path.resolve() for path in paths)


def _optional_int(value: Any) -> int | None:
    """An optional number; absent, or `!Ref AWS::NoValue` (e.g. the false branch of an `!If`), is None."""
    return None if value is None or value is NO_VALUE else int(value)


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise TemplateError(f"environment variable value {value!r} did not resolve to a string")
    return str(value)


class LambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.arn
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.name}"
        self.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + spec.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Container:
    """One execution environment: a private copy of the handler module and its singletons."""

    _numbers = itertools.count(1)

    def __init__(self, spec: FunctionSpec) -> None:
        self.number = next(self._numbers)
        self.module_name = f"_local_lambda_{spec.logical_id}_{self.number}"
        import_spec = importlib.util.spec_from_file_location(self.module_name, spec.module_path)
        if import_spec is None:
            raise ImportError(f"cannot load {spec.module_path}")
        module = importlib.util.module_from_spec(import_spec)
        # Code that names its module (Powertools idempotency keys, pydantic) must see one stable name
        # per function, as on Lambda where every environment imports the same `app`; the loader
        # insists on the unique name, so the module's code is run here directly.
        stable_name = f"{spec.logical_id}.{spec.handler_module}"
        module.__name__ = stable_name
        previous = sys.modules.get(stable_name)
        sys.modules[self.module_name] = sys.modules[stable_name] = module
        try:
            code = compile(spec.module_path.read_bytes(), str(spec.module_path), "exec")
            exec(code, module.__dict__)  # noqa: S102 (the template's own handler module)
        except BaseException:
            sys.modules.pop(self.module_name, None)
            if previous is None:
                sys.modules.pop(stable_name, None)
            else:
                sys.modules[stable_name] = previous
            raise
        self.module: ModuleType = module
        self.handler = getattr(module, spec.handler_name)


class FunctionPool:
    """Warm containers of one function; each serves one invocation at a time."""

    def __init__(self, spec: FunctionSpec, runtime: FunctionRuntime, max_containers: int) -> None:
        self.spec = spec
        self._runtime = runtime
        # ReservedConcurrentExecutions caps the environments as on Lambda (0 would mean never; keep 1).
        reserved = spec.reserved_concurrency
        self._max = max_containers if reserved is None else max(1, min(max_containers, reserved))
        self._idle: list[Container] = []
        self._count = 0
        self._available = threading.Condition()
        self.containers: list[Container] = []
        # The handlers' own CPU time (this thread's, not moto's server thread's) and invocations:
        # what a benchmark divides by the work done.
        self.cpu_seconds = 0.0
        self.invocations = 0

    def invoke(self, event: Any) -> Any:
        with self._runtime.turn(self.spec.logical_id):
            return self._invoke(event)

    def _invoke(self, event: Any) -> Any:
        payload = json.loads(json.dumps(event))
        container = self._acquire()
        started, cpu = time.monotonic(), time.thread_time()
        try:
            with self._runtime.environments.of(self.spec.logical_id):
                result = container.handler(payload, LambdaContext(self.spec))
        finally:
            with self._available:
                self.cpu_seconds += time.thread_time() - cpu
                self.invocations += 1
            self._release(container)
        elapsed = time.monotonic() - started
        if elapsed > self.spec.timeout_seconds:
            print(
                f"[local] {self.spec.logical_id} ran {elapsed:.1f} s, longer than its Timeout of "
                f"{self.spec.timeout_seconds:g} s: Lambda would have stopped it",
                file=sys.stderr,
            )
        return json.loads(json.dumps(result))

    def _acquire(self) -> Container:
        with self._available:
            while not self._idle and self._count >= self._max:
                self._available.wait()
            if self._idle:
                return self._idle.pop()
            self._count += 1
        try:
            container = self._runtime.cold_start(self.spec)
        except BaseException:
            with self._available:
                self._count -= 1
                self._available.notify()
            raise
        with self._available:
            self.containers.append(container)
        return container

    def _release(self, container: Container) -> None:
        with self._available:
            self._idle.append(container)
            self._available.notify()


class FunctionRuntime:
    """All functions of the stack: invoke by logical id, physical name or ARN."""

    def __init__(self, specs: Mapping[str, FunctionSpec], max_containers: int = DEFAULT_MAX_CONTAINERS,
                 one_at_a_time: Iterable[str] = ()) -> None:
        self.specs = dict(specs)
        # Functions whose handlers share state kept once per process (see the module's docstring).
        self.one_at_a_time = frozenset(one_at_a_time)
        unknown = self.one_at_a_time - set(self.specs)
        if unknown:
            raise KeyError(f"one_at_a_time names functions not in the template: {sorted(unknown)}")
        self._turn = threading.RLock()
        self._environ = EnvironPatch()
        self.environments = FunctionEnvironments(
            {lid: spec.environment for lid, spec in self.specs.items()}, self._environ
        )
        self._cold_start_lock = threading.Lock()
        for path in dict.fromkeys(path for spec in self.specs.values() for path in spec.layer_paths):
            if str(path) not in sys.path:
                sys.path.insert(0, str(path))
        self.pools = {lid: FunctionPool(spec, self, max_containers) for lid, spec in self.specs.items()}

    def invoke(self, function: str, event: Any) -> Any:
        """Run the handler with `event` and return its result; a handler's exception propagates."""
        return self.pools[self.logical_id(function)].invoke(event)

    @contextmanager
    def turn(self, logical_id: str) -> Iterator[None]:
        """While a `one_at_a_time` function runs, no other one does (in this process)."""
        if logical_id not in self.one_at_a_time:
            yield
            return
        with self._turn:
            yield

    def logical_id(self, function: str) -> str:
        if function in self.specs:
            return function
        for spec in self.specs.values():
            if function in (spec.name, spec.arn):
                return spec.logical_id
        raise KeyError(f"no function {function!r} in the template")

    def cold_start(self, spec: FunctionSpec) -> Container:
        # The module runs with its function's variables (settings are read at import), one import at a time.
        with self.environments.of(spec.logical_id), self._cold_start_lock:
            return Container(spec)

    def close(self) -> None:
        for pool in self.pools.values():
            for container in pool.containers:
                sys.modules.pop(container.module_name, None)
            sys.modules.pop(f"{pool.spec.logical_id}.{pool.spec.handler_module}", None)
        self._environ.restore()
