"""template.yaml as the single source of truth for the local stack.

The template is read with cfn-lint's decoder (it understands the `!Ref`/`!GetAtt`/`!Sub` short forms)
and every resource the code talks to is created in the emulator from its definition: DynamoDB tables
(keys, GSIs/LSIs, streams, TTL), S3 buckets (versioning, encryption, public access block, CORS),
SQS queues (FIFO, visibility timeout, redrive policies), EventBridge buses and pattern rules. Nothing is
declared twice, so the template and the local resources cannot drift apart. Why these are created by
the runtime's own provisioners rather than by moto's CloudFormation: local/README.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

from local.intrinsics import Resolver, TemplateError
from local.provisioners import PROVISIONERS
from local.resources import NAME_PROPERTIES, PhysicalResource, Resources, default_name, describe

IMPLICIT_API = "ServerlessRestApi"  # what SAM calls the API it creates for events without RestApiId


class Template:
    """A parsed template: plain dicts, lists and strings, with helpers for SAM's Globals."""

    def __init__(self, path: Path, body: dict[str, Any]) -> None:
        self.path = path
        self.body = body

    @classmethod
    def load(cls, path: str | Path) -> Template:
        path = Path(path).resolve()
        body, errors = decode_str(path.read_text(encoding="utf-8"))
        if body is None:
            raise TemplateError(f"cannot parse {path}: {'; '.join(str(error) for error in errors)}")
        return cls(path, _plain(body))

    @property
    def root(self) -> Path:
        """The folder that CodeUri and ContentUri paths are relative to."""
        return self.path.parent

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.body.get("Resources") or {}

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {lid: definition for lid, definition in self.resources.items() if definition.get("Type") in types}

    def globals(self, section: str) -> dict[str, Any]:
        return (self.body.get("Globals") or {}).get(section) or {}


class StackTemplate:
    """A template bound to one local stack: physical names, intrinsic resolution and provisioning."""

    def __init__(
        self,
        template: Template,
        *,
        stack_name: str,
        region: str,
        account_id: str,
        endpoint_url: str,
        parameters: Mapping[str, Any] | None = None,
    ) -> None:
        self.template = template
        self.stack_name = stack_name
        self.region = region
        self.account_id = account_id
        self.endpoint_url = endpoint_url
        self.resources = Resources()
        self._describing: set[str] = set()
        self.resolver = Resolver(
            template.body,
            region=region,
            account_id=account_id,
            stack_name=stack_name,
            parameters=parameters or {},
            ref=lambda logical_id: self.resource(logical_id).ref,
            get_att=lambda logical_id, attribute: self.resource(logical_id).get_att(attribute),
        )
        for logical_id in template.resources:
            if self.is_enabled(logical_id):
                self.resource(logical_id)

    def resolve(self, value: Any) -> Any:
        return self.resolver.resolve(value)

    def is_enabled(self, logical_id: str) -> bool:
        """False for a resource whose `Condition` is false: CloudFormation would not create it."""
        condition = self.template.resources.get(logical_id, {}).get("Condition")
        return condition is None or self.resolver.condition(condition)

    def resource(self, logical_id: str) -> PhysicalResource:
        if logical_id not in self.resources:
            self._describe(logical_id)
        return self.resources[logical_id]

    def _describe(self, logical_id: str) -> None:
        if logical_id in self._describing:
            raise TemplateError(f"the name of {logical_id} refers to itself")
        definition = self.template.resources.get(logical_id)
        if definition is None and logical_id == IMPLICIT_API:
            definition = {"Type": "AWS::Serverless::Api"}
        if definition is None:
            raise TemplateError(f"!Ref/!GetAtt to {logical_id!r}, which is not in the template")
        self._describing.add(logical_id)
        try:
            type_ = definition["Type"]
            props = definition.get("Properties") or {}
            name_property = NAME_PROPERTIES.get(type_)
            if name_property and name_property in props:
                name = str(self.resolve(props[name_property]))
            else:
                fifo = {"FifoQueue": self.resolve(props.get("FifoQueue", False))}
                name = default_name(logical_id, type_, self.stack_name, fifo)
            self.resources.add(
                describe(
                    logical_id,
                    type_,
                    name,
                    region=self.region,
                    account_id=self.account_id,
                    endpoint_url=self.endpoint_url,
                )
            )
        finally:
            self._describing.discard(logical_id)

    def provision(self, client_for: Callable[[str], Any]) -> Resources:
        """Create every supported resource, each after the resources its properties refer to."""
        for logical_id in self._creation_order():
            definition = self.template.resources[logical_id]
            props = self.resolve(definition.get("Properties") or {})
            PROVISIONERS[definition["Type"]](client_for, self.resource(logical_id), props)
        return self.resources

    def _creation_order(self) -> list[str]:
        wanted = {
            lid
            for lid, definition in self.template.resources.items()
            if definition.get("Type") in PROVISIONERS and self.is_enabled(lid)
        }
        order: list[str] = []
        visiting: set[str] = set()

        def visit(logical_id: str) -> None:
            if logical_id in order:
                return
            if logical_id in visiting:
                raise TemplateError(f"circular reference through {logical_id}")
            visiting.add(logical_id)
            definition = self.template.resources[logical_id]
            depends_on = definition.get("DependsOn") or []
            depends_on = [depends_on] if isinstance(depends_on, str) else depends_on
            for dependency in sorted((references(definition.get("Properties")) | set(depends_on)) & wanted):
                visit(dependency)
            visiting.discard(logical_id)
            order.append(logical_id)

        for logical_id in self.template.resources:
            if logical_id in wanted:
                visit(logical_id)
        return order


def references(value: Any) -> set[str]:
    """Logical ids (and parameter names) that a value refers to through Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        if len(value) == 1 and "Ref" in value and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        elif len(value) == 1 and "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            found.add(target.partition(".")[0] if isinstance(target, str) else target[0])
        elif len(value) == 1 and "Fn::Sub" in value:
            argument = value["Fn::Sub"]
            text = argument[0] if isinstance(argument, list) else argument
            found.update(name.partition(".")[0] for name in _sub_names(text))
            if isinstance(argument, list):
                found.update(references(argument[1]))
        else:
            for item in value.values():
                found.update(references(item))
    elif isinstance(value, list):
        for item in value:
            found.update(references(item))
    return found


def _sub_names(text: str) -> list[str]:
    names, rest = [], text
    while "${" in rest:
        _, _, rest = rest.partition("${")
        name, _, rest = rest.partition("}")
        if not name.startswith("!"):
            names.append(name)
    return names


def _plain(value: Any) -> Any:
    """cfn-lint's node classes (with line marks) as plain Python values, safe to copy and compare."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value
