"""The request bodies' schemas in the OpenAPI document, made as exact as the checks behind them
(docs/api.md, "Text"): a body the document accepts is one the API accepts, so that a client (or
schemathesis) generating from the document is not refused with 400.

- Every free string states what `invoicing.api.command.refuse_controls` lets through (no control or
  bidirectional formatting character; a line break only in a paragraph field), as a `pattern`.
- Currencies, countries and locales are the enumerations their validators check against (ISO 4217
  and ISO 3166-1 from CLDR through babel, the supported locales); an email address states its
  pattern.
- A decimal (a quantity, a percentage, a sub-minor-unit price: `invoicing.api.requests.DecimalText`)
  is an integer or a decimal string: pydantic calls it a number or a string, but the API takes no
  JSON float (a whole one, `2.0`, is the integer: `invoicing.api.edge`), and the string is a decimal
  within the field's bounds and decimal places (read from the request model's field, as pydantic
  checks them), written plainly (`"12.5"`, no exponent).

Built only with the document (the docs function), never at the API function's init."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any, get_args

from babel.numbers import list_currencies
from pydantic import BaseModel

from invoicing.api.command import PARAGRAPH_FIELDS, Command, text_pattern
from invoicing.domain.code_lists import CODE_LIST_KEY, codes
from invoicing.domain.party import EAS_CODES, EMAIL_PATTERN, SUPPORTED_LOCALES, countries

_REF = "#/components/schemas/"
# What `Decimal(text)` reads as a finite number, without the whitespace the API trims first.
DECIMAL_PATTERN = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


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
        **{_code_list_component(name): {"type": "string", "title": title, "enum": sorted(values)}
           for name, title, values in _code_lists()},
    }


def _code_lists() -> list[tuple[str, str, frozenset[str]]]:
    """The code lists request fields are checked against (`invoicing.domain.code_lists.listed`)."""
    return [("uncl5189", "UNCL 5189 allowance reason code", codes("uncl5189")),
            ("uncl7161", "UNCL 7161 charge reason code", codes("uncl7161")),
            ("iso6523_icd", "ISO/IEC 6523 ICD code", codes("iso6523_icd")),
            ("uncl7143", "UNTDID 7143 item classification list", codes("uncl7143")),
            ("uncl1153", "UNTDID 1153 reference scheme", codes("uncl1153")),
            ("iso3166_origin", "ISO 3166-1 country of origin", codes("iso3166_origin")),
            ("vatex", "CEF VATEX VAT exemption reason code", codes("vatex")),
            ("eas", "Electronic Address Scheme code", EAS_CODES)]


def _code_list_component(name: str) -> str:
    return "CodeList" + "".join(part.capitalize() for part in name.split("_"))


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
    models = _models()
    for name in sorted(_request_components(document, schemas)):
        model = models.get(name.removesuffix("-Input"))  # pydantic names a model "-Input" when its answer differs
        for field, node in schemas[name].get("properties", {}).items():
            _field(field, node)
            if model is not None and field in model.model_fields:
                _decimal_bounds(node, model.model_fields[field].metadata)
    schemas.update(code_schemas())


def _models() -> dict[str, type[BaseModel]]:
    """Every request body model, and every model a body carries (a dunning policy's late fees), by the
    names the document may give its component: the class's own, or (when two share it) its module's
    path and name, as pydantic writes it."""
    found: dict[str, type[BaseModel]] = {}
    todo: list[Any] = [Command]
    seen: set[Any] = set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        if isinstance(model, type) and issubclass(model, BaseModel):
            found[model.__name__] = model
            found[f"{model.__module__.replace('.', '__')}__{model.__name__}"] = model
            todo += model.__subclasses__()
            todo += [field.annotation for field in model.model_fields.values()]
        else:
            todo += get_args(model)
    return found


def _decimal_bounds(node: dict[str, Any], metadata: list[Any]) -> None:
    """A decimal string's pattern, from its field's bounds and decimal places (`Field(gt=0, le=100,
    decimal_places=4)`): the string form of what the integer form's bounds say."""
    strings = [s for s in _strings(node) if s.get("pattern") == DECIMAL_PATTERN]
    if not strings:
        return
    bounds = {name: getattr(m, name) for m in metadata for name in ("gt", "ge", "lt", "le", "decimal_places")
              if getattr(m, name, None) is not None}
    for string in strings:
        string["pattern"] = decimal_string_pattern(bounds)
        if bounds.get("gt") == 0:
            string.setdefault("allOf", []).append({"not": {"pattern": ZERO_PATTERN}})


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


# A decimal string of value 0.
ZERO_PATTERN = r"^[+-]?0*(?:\.0*)?$"


def decimal_string_pattern(bounds: dict[str, Any]) -> str:
    """A plainly written decimal within `bounds` (`ge`/`gt` 0 or a negative power of ten, `le` a
    power of ten or one less, `decimal_places`): sign, digits, fraction."""
    places = bounds.get("decimal_places")
    fraction = f"(?:\\.[0-9]{{1,{places}}})?" if places else r"(?:\.[0-9]+)?"
    zeros = f"(?:\\.0{{1,{places}}})?" if places else r"(?:\.0+)?"
    low = bounds.get("ge", bounds.get("gt"))
    sign = "" if low is not None and Decimal(low) >= 0 else "-?"
    high = bounds.get("le", bounds.get("lt"))
    if high is None:
        number = f"[0-9]+{fraction}"
    else:
        digits = len(str(int(Decimal(high))))
        if str(int(Decimal(high))) == "1" + "0" * (digits - 1):  # 10^k: k digits, or 10^k itself
            top = f"|1{'0' * (digits - 1)}{zeros}" if "le" in bounds else ""
            number = f"(?:[0-9]{{1,{digits - 1}}}{fraction}{top})" if digits > 1 else f"(?:0{fraction}{top})"
        else:  # 10^k - 1 (the largest amount): k digits
            number = f"[0-9]{{1,{digits}}}{fraction}"
    return f"^{sign}{number}$"


_BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}


def _decimals(node: dict[str, Any]) -> None:
    """A decimal's schema (`anyOf` a number and a string, as pydantic writes a Decimal): an integer
    or a decimal string."""
    for choice in node.get("anyOf", []):
        _decimals(choice)
    kinds = {choice.get("type"): choice for choice in node.get("anyOf", [])}
    if "number" in kinds and "string" in kinds:
        kinds["number"]["type"] = "integer"
        kinds["string"]["pattern"] = DECIMAL_PATTERN
        # A nullable decimal's bounds, which pydantic leaves beside the choice under its own names.
        for raw, keyword in _BOUNDS.items():
            if raw in node:
                kinds["number"][keyword] = node.pop(raw)
        node.pop("decimal_places", None)
        node.pop("max_digits", None)


def _field(field: str, node: dict[str, Any]) -> None:
    _decimals(node)
    if listed := node.pop(CODE_LIST_KEY, None):  # one of a code list: its enumeration
        for string in _strings(node):
            kept: dict[str, Any] = {key: string[key] for key in ("title", "description", "default", "examples")
                                    if key in string}
            string.clear()
            string.update({"$ref": _REF + _code_list_component(listed), **kept})
        return
    paragraph = field in PARAGRAPH_FIELDS or field == "metadata"  # metadata values are free text
    for string in _strings(node):
        if string.get("pattern") == DECIMAL_PATTERN:
            continue
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
        elif len(keys := list(mapping.get("patternProperties", {}))) == 1:
            # Keys of their own pattern (a usage payload's): no other key either.
            mapping["propertyNames"] = {"pattern": keys[0]}
        else:
            _add_pattern(mapping.setdefault("propertyNames", {}), text_pattern(paragraph=False, required=True))


def _add_pattern(node: dict[str, Any], pattern: str) -> None:
    # A schema has one `pattern`; a second one goes into `allOf`, where both must match.
    if "pattern" not in node:
        node["pattern"] = pattern
    elif node["pattern"] != pattern:
        node.setdefault("allOf", []).append({"pattern": pattern})
