"""The EN 16931 code lists a line's item data, a document's allowances and charges and a manual VAT
rate's exemption reason code are checked
against, from data/en16931_code_lists.json: the lists the official CEN rules check (BR-CL-07, -13,
-15, -19, -20, -21, -22), taken from the pinned rule files themselves, with the file's source and date.
A code outside its list is refused at the edge (400) rather than written into an e-invoice every
receiver would reject.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic.json_schema import JsonDict

CodeList = Literal["uncl5189", "uncl7161", "iso6523_icd", "uncl7143", "uncl1153", "iso3166_origin", "vatex"]
# A request field checked against a list says which, for the OpenAPI document (`json_schema_extra=
# listed("uncl7143")`): the document states the list as an enumeration (invoicing.api.request_schemas).
CODE_LIST_KEY = "x-code-list"


def listed(name: CodeList | Literal["eas"]) -> JsonDict:
    return {CODE_LIST_KEY: name}


# The one reason code an allowance has when it gives none (what every allowance was before codes).
DEFAULT_ALLOWANCE_REASON_CODE = "95"  # UNCL 5189 "Discount"


@cache
def _lists() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(
        resources.files("invoicing.domain").joinpath("data/en16931_code_lists.json").read_text())
    return raw


def source() -> tuple[str, str]:
    """(where the lists come from, the date of that release)."""
    raw = _lists()
    return raw["source"], raw["date"]


def codes(name: CodeList) -> frozenset[str]:
    return frozenset(_lists()["lists"][name]["codes"])


def allowance_reason(code: str) -> str:
    """The UNCL 5189 name of an allowance reason code ("95" -> "Discount")."""
    names: dict[str, str] = _lists()["lists"]["uncl5189"]["codes"]
    return names[code]


def check_code(name: CodeList, code: str, what: str) -> str:
    """`code` when it is in the list; else ValueError naming the list and the rule that checks it."""
    if code not in codes(name):
        entry = _lists()["lists"][name]
        examples = ", ".join(sorted(codes(name))[:6])
        raise ValueError(f"{code!r} is not a {what} of the {name.upper()} code list that EN 16931 checks "
                         f"({entry['rule']}); e.g. {examples}")
    return code
