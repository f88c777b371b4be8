"""CloudFormation intrinsic functions, resolved the way CloudFormation would for one local stack.

Only what a template needs to wire functions to their resources is supported: `Ref`, `Fn::GetAtt`,
`Fn::Sub` (both forms), `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If` with the template's
`Conditions` (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`), `Fn::FindInMap`,
`Fn::GetAZs`, `Fn::Base64`, `Fn::ToJsonString` and the pseudo parameters. Anything else raises
`TemplateError` naming the function, rather than passing an unresolved dict to a handler.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from typing import Any


class TemplateError(Exception):
    """The template uses something the local runtime cannot reproduce faithfully."""


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """Resolves intrinsic functions; resource references are answered by the `ref`/`get_att` callbacks."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        region: str,
        account_id: str,
        stack_name: str,
        parameters: Mapping[str, Any],
        ref: Callable[[str], Any],
        get_att: Callable[[str, str], Any],
    ) -> None:
        self._template = template
        self._parameters = parameters
        self._ref = ref
        self._get_att = get_att
        self._conditions: dict[str, bool] = {}
        self.pseudo: dict[str, Any] = {
            "AWS::Region": region,
            "AWS::AccountId": account_id,
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/local",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }

    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic function replaced by its result; `AWS::NoValue` drops keys."""
        if isinstance(value, Mapping):
            if len(value) == 1:
                (key, argument), *_ = value.items()
                if key == "Ref" or key.startswith("Fn::"):
                    return self._function(key, argument)
            resolved = {str(k): self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not NO_VALUE]
        return value

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self._template.get("Conditions") or {}
            if name not in conditions:
                raise TemplateError(f"unknown condition {name!r}")
            self._conditions[name] = self._evaluate(conditions[name])
        return self._conditions[name]

    def ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in (self._template.get("Parameters") or {}):
            return self._parameter(name)
        return self._ref(name)

    def _parameter(self, name: str) -> Any:
        definition = self._template["Parameters"][name] or {}
        if name in self._parameters:
            value = self._parameters[name]
        elif "Default" in definition:
            value = definition["Default"]
        else:
            raise TemplateError(f"parameter {name!r} has no Default and no override")
        if str(definition.get("Type", "String")).startswith(("List<", "CommaDelimitedList")):
            return value if isinstance(value, list) else [part.strip() for part in str(value).split(",")]
        return _text(value)

    def _function(self, key: str, argument: Any) -> Any:
        handlers: dict[str, Callable[[Any], Any]] = {
            "Ref": lambda arg: self.ref(str(arg)),
            "Fn::GetAtt": self._fn_get_att,
            "Fn::Sub": self._fn_sub,
            "Fn::Join": self._fn_join,
            "Fn::Select": self._fn_select,
            "Fn::Split": self._fn_split,
            "Fn::If": self._fn_if,
            "Fn::FindInMap": self._fn_find_in_map,
            "Fn::GetAZs": lambda arg: [f"{self.pseudo['AWS::Region']}{zone}" for zone in "abc"],
            "Fn::Base64": lambda arg: base64.b64encode(_text(self.resolve(arg)).encode()).decode(),
            "Fn::ToJsonString": lambda arg: json.dumps(self.resolve(arg), separators=(",", ":")),
            "Fn::Equals": self._evaluate_wrapped(key),
            "Fn::Not": self._evaluate_wrapped(key),
            "Fn::And": self._evaluate_wrapped(key),
            "Fn::Or": self._evaluate_wrapped(key),
        }
        if key not in handlers:
            raise TemplateError(f"intrinsic function {key} is not supported by the local runtime")
        return handlers[key](argument)

    def _evaluate_wrapped(self, key: str) -> Callable[[Any], bool]:
        return lambda argument: self._evaluate({key: argument})

    def _fn_get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            logical_id, _, attribute = argument.partition(".")
        else:
            logical_id, attribute = argument[0], self.resolve(argument[1])
        return self._get_att(logical_id, attribute)

    def _fn_sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], {k: self.resolve(v) for k, v in argument[1].items()}
        else:
            text, variables = argument, {}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return _text(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, _, attribute = name.partition(".")
                return _text(self._get_att(logical_id, attribute))
            return _text(self.ref(name))

        return _SUB_VARIABLE.sub(substitute, text)

    def _fn_join(self, argument: Any) -> str:
        delimiter, items = argument
        return str(delimiter).join(_text(item) for item in self.resolve(items))

    def _fn_select(self, argument: Any) -> Any:
        index, items = self.resolve(argument)
        return items[int(index)]

    def _fn_split(self, argument: Any) -> list[str]:
        delimiter, text = argument
        return _text(self.resolve(text)).split(delimiter)

    def _fn_if(self, argument: Any) -> Any:
        name, when_true, when_false = argument
        return self.resolve(when_true if self.condition(name) else when_false)

    def _fn_find_in_map(self, argument: Any) -> Any:
        map_name, top, second = (self.resolve(part) for part in argument[:3])
        try:
            return self.resolve(self._template["Mappings"][map_name][top][second])
        except KeyError as missing:
            raise TemplateError(f"Fn::FindInMap {map_name}.{top}.{second}: missing {missing}") from None

    def _evaluate(self, expression: Any) -> bool:
        if isinstance(expression, Mapping) and len(expression) == 1:
            (key, argument), *_ = expression.items()
            if key == "Condition":
                return self.condition(argument)
            if key == "Fn::Equals":
                left, right = (self.resolve(side) for side in argument)
                return _text(left) == _text(right)
            if key == "Fn::Not":
                return not self._evaluate(argument[0])
            if key == "Fn::And":
                return all(self._evaluate(item) for item in argument)
            if key == "Fn::Or":
                return any(self._evaluate(item) for item in argument)
        resolved = self.resolve(expression)
        if isinstance(resolved, bool):
            return resolved
        raise TemplateError(f"cannot evaluate condition {expression!r}")


def _text(value: Any) -> str:
    """How CloudFormation renders a scalar inside a string (booleans are lower case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    return str(value)
