"""The request bodies' schemas in the OpenAPI document, made as exact as the checks behind them
(docs/api.md, "Text"): a body the document accepts is one the API accepts, so that a client (or
schemathesis) generating from the document is not refused with 400.

- Every free string states what `invoicing.api.command.refuse_controls` lets through (no control or
  bidirectional formatting character; a line break only in a paragraph field), as a `pattern`.
- Currencies, countries and locales are the enumerations their validators check against (ISO 4217
  and ISO 3166-1 from CLDR through babel, the supported locales); an email address states its
  pattern.

Built only with the document (the docs function), never at the API function's init."""

from __future__ import annotations

from functools import cache
from typing import Any

from babel.numbers import list_currencies

from invoicing.api.command import PARAGRAPH_FIELDS, text_pattern
from invoicing.domain.party import EMAIL_PATTERN, SUPPORTED_LOCALES, countries

_REF = "#/components/schemas/"


@cache
def code_schemas() -> dict[str, dict[str, Any]]:
    """The components that the fields below refer to: what each validator accepts (upper case, or
    lower case as Stripe writes currencies)."""
    currencies = sorted(list_currencies())
    country_codes = sorted(countries())
    return {
        "CurrencyCode": {"type": "string", "title": "Currency", "enum": currencies + [c.lower() for c in currencies],
                         "description": "An ISO 4217 code (upper or lower case); answers give it in upper case"},
        "CountryCode": {"type": "string", "title": "Country",
                        "enum": country_codes + [c.lower() for c in country_codes],
                        "description": "An ISO 3166-1 alpha-2 code (upper or lower case)"},
        "Locale": {"type": "string", "title": "Locale", "enum": list(SUPPORTED_LOCALES)},
    }


# A request field by its name → the component its value is.
CODE_FIELDS = {"currency": "CurrencyCode", "default_currency": "CurrencyCode", "country": "CountryCode",
               "locale": "Locale", "default_locale": "Locale"}
# A request field by its name → the pattern its validator checks.
PATTERN_FIELDS = {"email": EMAIL_PATTERN}
# Fields whose keys are codes: `currency_options` maps currencies to amounts.
CODE_KEYS = {"currency_options": "CurrencyCode"}


def exact_requests(document: dict[str, Any]) -> None:
    """Make the schemas of every request body exact (in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in sorted(_request_components(document, schemas)):
        for field, node in schemas[name].get("properties", {}).items():
            _field(field, node)
    schemas.update(code_schemas())


def _request_components(document: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    todo = [op["requestBody"] for ops in document.get("paths", {}).values() for op in ops.values()
            if isinstance(op, dict) and "requestBody" in op]
    while todo:
        for ref in _refs(todo.pop()):
            if ref not in found and ref in schemas:
                found.add(ref)
                todo.append(schemas[ref])
    return found


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"].removeprefix(_REF)] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _strings(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The string schemas a field's schema may be: itself, an `anyOf`/`oneOf` choice, a list's items,
    an object's values."""
    found = [node] if node.get("type") == "string" else []
    for key in ("anyOf", "oneOf"):
        for choice in node.get(key, []):
            found += _strings(choice)
    if isinstance(node.get("items"), dict):
        found += _strings(node["items"])
    values = [node["additionalProperties"]] if isinstance(node.get("additionalProperties"), dict) else []
    for value in values + list(node.get("patternProperties", {}).values()):
        found += _strings(value)
    return found


def _objects(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The maps (objects with free keys) a field's schema may be."""
    found = [node] if node.get("type") == "object" and "properties" not in node else []
    for key in ("anyOf", "oneOf"):
        for choice in node.get(key, []):
            found += _objects(choice)
    return found


def _field(field: str, node: dict[str, Any]) -> None:
    paragraph = field in PARAGRAPH_FIELDS or field == "metadata"  # metadata values are free text
    for string in _strings(node):
        if {"enum", "const", "format"} & string.keys():
            continue
        if field in CODE_FIELDS:
            string.clear()
            string["$ref"] = _REF + CODE_FIELDS[field]
            continue
        _add_pattern(string, text_pattern(paragraph=paragraph, required=string.get("minLength", 0) >= 1))
        if field in PATTERN_FIELDS:
            _add_pattern(string, PATTERN_FIELDS[field])
    for mapping in _objects(node):
        if field in CODE_KEYS:
            mapping["propertyNames"] = {"$ref": _REF + CODE_KEYS[field]}
        elif not mapping.get("patternProperties"):  # keys of their own pattern (a usage payload's)
            _add_pattern(mapping.setdefault("propertyNames", {}), text_pattern(paragraph=False, required=True))


def _add_pattern(node: dict[str, Any], pattern: str) -> None:
    # A schema has one `pattern`; a second one goes into `allOf`, where both must match.
    if "pattern" not in node:
        node["pattern"] = pattern
    elif node["pattern"] != pattern:
        node.setdefault("allOf", []).append({"pattern": pattern})
