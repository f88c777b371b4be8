"""A body's rules between its fields ("give a or b, not both"), as JSON Schema for the OpenAPI
document: `json_schema_extra={"allOf": [...]}` beside the validator that checks the rule, on request
bodies (invoicing.api) and on the domain models a body carries (a contact, a delivery)."""

from __future__ import annotations

from typing import Any

__all__ = ["any_of", "at_most_one", "exactly_one", "given", "none_of"]


def given(name: str) -> dict[str, Any]:
    """JSON Schema for "the body gives `name`" (a value other than `null`)."""
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}


def at_most_one(first: str, second: str, *others: str) -> dict[str, Any]:
    """A body's rule "give `first` or `second`, not both" (or at most one of more), as JSON Schema for
    the OpenAPI document (`null` is not given), for `json_schema_extra={"allOf": [...]}` beside the
    validator that checks it."""
    if not others:
        return {"not": {"allOf": [given(first), given(second)]}}
    names = (first, second, *others)
    return {"not": {"anyOf": [{"allOf": [given(a), given(b)]} for i, a in enumerate(names) for b in names[i + 1:]]}}


def exactly_one(first: str, second: str) -> dict[str, Any]:
    """A body's rule "give exactly one of `first` or `second`", as JSON Schema (see `at_most_one`)."""
    return {"oneOf": [given(first), given(second)]}


def any_of(*names: str) -> dict[str, Any]:
    """JSON Schema for "give at least one of `names`" (see `at_most_one`)."""
    return {"anyOf": [given(name) for name in names]}


def none_of(*names: str) -> dict[str, Any]:
    """JSON Schema for "give none of `names`" (each absent or `null`), without a `not`: the form
    schemathesis still generates from inside a `oneOf` of a nested body."""
    return {"properties": {name: {"type": "null"} for name in names}}
