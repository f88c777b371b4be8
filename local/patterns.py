"""Lambda event filter patterns (an event source mapping's `FilterCriteria`), matched as Lambda does.

Lambda filters with EventBridge's pattern syntax. Moto's EventBridge matches patterns for its own rules,
but offers no public API for matching an arbitrary record (`TestEventPattern` is not implemented), and
moto's Lambda event source mappings are not used locally; so the syntax is implemented here:

- a pattern is an object whose keys must all match; a nested object matches a nested object;
- a leaf is a list of conditions, any of which may match; when the record's value is a list, any of its
  elements may match;
- a condition is an exact value (string, number, boolean, null) or one of `{"prefix": s}`, `{"suffix": s}`,
  `{"equals-ignore-case": s}`, `{"anything-but": value | [values] | {"prefix": s} | {"suffix": s}}`,
  `{"exists": true | false}`, `{"numeric": [">", 0, "<=", 5]}`.

A missing field matches only `{"exists": false}`.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from typing import Any

from local.intrinsics import TemplateError

_MISSING = object()
_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def parse_filters(filter_criteria: Mapping[str, Any] | None, where: str) -> tuple[dict[str, Any], ...]:
    """The patterns of `FilterCriteria.Filters` (each a JSON string in the template)."""
    patterns = []
    for entry in (filter_criteria or {}).get("Filters") or []:
        pattern = entry.get("Pattern")
        try:
            parsed = json.loads(pattern) if isinstance(pattern, str) else pattern
        except ValueError as error:
            raise TemplateError(f"{where}: FilterCriteria pattern is not JSON: {error}") from None
        if not isinstance(parsed, dict):
            raise TemplateError(f"{where}: a FilterCriteria pattern must be a JSON object, got {pattern!r}")
        patterns.append(parsed)
    return tuple(patterns)


def matches_any(patterns: tuple[Mapping[str, Any], ...], record: Mapping[str, Any]) -> bool:
    """True when there are no filters or one of them matches (Lambda ORs the filters of a mapping)."""
    return not patterns or any(matches(pattern, record) for pattern in patterns)


def matches(pattern: Mapping[str, Any], value: Any) -> bool:
    for key, rule in pattern.items():
        field = value.get(key, _MISSING) if isinstance(value, Mapping) else _MISSING
        if isinstance(rule, Mapping):
            if not isinstance(field, Mapping) or not matches(rule, field):
                return False
        elif isinstance(rule, list):
            candidates = field if isinstance(field, list) else [field]
            if not any(_condition(condition, candidate) for condition in rule for candidate in candidates):
                return False
        else:
            raise TemplateError(f"filter pattern: {key!r} must map to an object or a list, got {rule!r}")
    return True


def _condition(condition: Any, value: Any) -> bool:
    if not isinstance(condition, Mapping):
        return value is not _MISSING and _same(condition, value)
    if len(condition) != 1:
        raise TemplateError(f"filter pattern: one operator per condition, got {condition!r}")
    ((name, argument),) = condition.items()
    if name == "exists":
        return (value is not _MISSING) is bool(argument)
    if value is _MISSING:
        return False
    if name == "prefix":
        return isinstance(value, str) and value.startswith(argument)
    if name == "suffix":
        return isinstance(value, str) and value.endswith(argument)
    if name == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == str(argument).casefold()
    if name == "anything-but":
        if isinstance(argument, Mapping):
            return isinstance(value, str) and not _condition(argument, value)
        excluded = argument if isinstance(argument, list) else [argument]
        return not any(_same(item, value) for item in excluded)
    if name == "numeric":
        return _numeric(argument, value)
    raise TemplateError(f"filter pattern operator {name!r} is not supported by the local runtime")


def _same(expected: Any, value: Any) -> bool:
    """Exact match; numbers compare as numbers (5 matches 5.0), never booleans as numbers."""
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    if isinstance(expected, int | float) and isinstance(value, int | float):
        return float(expected) == float(value)
    return type(expected) is type(value) and expected == value


def _numeric(bounds: list[Any], value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    pairs = list(zip(bounds[::2], bounds[1::2], strict=True))
    for op, limit in pairs:
        if op not in _NUMERIC:
            raise TemplateError(f"filter pattern: unknown numeric operator {op!r}")
        if not _NUMERIC[op](float(value), float(limit)):
            return False
    return True
