"""The base of every request body: `Command` refuses, in every string of the body (nested bodies
and metadata included), what no text may hold (docs/api.md, "Text"). Apart from the bodies
themselves (`invoicing.api.requests`), so that a function parsing one kind of body (the usage
worker) does not import every body and the whole invoice domain with it."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import get_args

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

# What no text may hold: C0 and C1 control characters (NUL, ESC, ...) and DEL, which print as
# nothing or boxes in a PDF and cannot be written to XML at all; the bidirectional embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069), which make a reader see other text than
# what is stored ("invoice\u202egpj.exe"); lone surrogates and the noncharacters U+FFFE, U+FFFF.
# The classes are written as escapes, so that the OpenAPI document can state them (`text_pattern`);
# a lone surrogate is no character at all (no UTF-8 can hold one, nor a regular expression of the
# document's readers), so the document leaves it out.
NOT_TEXT = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff"
_NOT_TEXT = re.compile(f"[{NOT_TEXT}\ud800-\udfff]")
# Tab, line feed, carriage return and the Unicode line and paragraph separators: whitespace that
# breaks a line. Allowed only in the free texts that print as paragraphs (and in metadata values).
LINE_BREAKS = r"\t\n\r\u2028\u2029"
_LINE_BREAKS = re.compile(f"[{LINE_BREAKS}]")
# The other whitespace that a body's strings are stripped of at both ends (Unicode White_Space, less
# the characters above): a line break there is stripped with it, so it is no line break.
SPACES = r" \xa0\u1680\u2000-\u200a\u202f\u205f\u3000"


def text_pattern(*, paragraph: bool, required: bool) -> str:
    """What `refuse_controls` lets through, as a regular expression for the OpenAPI document: no
    character no text may hold, a line break only in a paragraph; with `required` (a `minLength`),
    not empty. The document leaves out the whitespace at either end, which a body's strings are
    stripped of before their lengths are checked: so that a string the document calls too long is
    one the API refuses."""
    word = f"[^{NOT_TEXT}{LINE_BREAKS}{SPACES}]"
    inner = f"[^{NOT_TEXT}]*" if paragraph else f"[^{NOT_TEXT}{LINE_BREAKS}]*"
    core = f"{word}(?:{inner}{word})?"
    return f"^{core}$" if required else f"^(?:{core})?$"
# An SVG logo is an XML document: its lines break too (the demo seller's does).
PARAGRAPH_FIELDS = frozenset({"description", "footer", "memo", "message", "payment_terms", "exemption_reason",
                              "logo_svg"})


def refuse_controls(value: object, *, paragraphs: bool = False, at: str = "") -> None:
    """Refuse (ValueError) a string, or any string inside lists and objects, holding a character no
    text may hold; a line break or tab only where `paragraphs` (a field of PARAGRAPH_FIELDS, or
    inside one) allows it. `at` is the path inside the field, for the message."""
    if isinstance(value, str):
        bad = _NOT_TEXT.search(value) or (None if paragraphs else _LINE_BREAKS.search(value.strip()))
        if bad:
            where = f"'{at}' " if at else ""
            kind = "a line break or tab, which only free texts may hold" if _LINE_BREAKS.match(bad.group()) \
                else "a control or bidirectional formatting character, which no text may hold"
            raise ValueError(f"{where}contains U+{ord(bad.group()):04X}, {kind}".strip())
    elif isinstance(value, dict):
        for key, item in value.items():
            name = str(key) if len(str(key)) <= 40 else str(key)[:40] + "…"
            refuse_controls(key, at=f"{at}.{name}" if at else name)
            refuse_controls(item, paragraphs=paragraphs or key in PARAGRAPH_FIELDS,
                            at=f"{at}.{name}" if at else name)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            refuse_controls(item, paragraphs=paragraphs, at=f"{at}[{i}]")


def _holds_command(annotation: object) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, Command):
        return True
    return any(_holds_command(arg) for arg in get_args(annotation))


@cache
def _nested_commands(model: type[Command]) -> frozenset[str]:
    return frozenset(name for name, f in model.model_fields.items() if _holds_command(f.annotation))


def _holds_time(annotation: object) -> bool:
    if annotation in (date, datetime):
        return True
    return any(_holds_time(arg) for arg in get_args(annotation))


@cache
def _time_fields(model: type[Command]) -> frozenset[str]:
    """The fields that are a date or a date and time, which the document declares as ISO 8601 strings."""
    return frozenset(name for name, f in model.model_fields.items() if _holds_time(f.annotation))


class Command(BaseModel):
    # Each body's validator is built on the first request that carries one (pydantic's defer_build),
    # not at init for all ~40 of them: a container builds only the bodies its requests use
    # (bench/README.md, "Cold starts").
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    @field_validator("*", mode="before")
    @classmethod
    def _text_only(cls, value: object, info: ValidationInfo) -> object:
        # Every field of every body, before anything else reads it; metadata values are free text.
        # A field holding bodies of their own (lines, discounts, tax ids) leaves them to their own
        # check, which names the field at fault (`lines[0].description`).
        name = info.field_name or ""
        if name in _nested_commands(cls):
            return value
        if name in _time_fields(cls) and isinstance(value, int | float):
            # pydantic alone would take a number as a Unix time (0 as 1970-01-01); the document says a string.
            raise ValueError("must be an ISO 8601 string (2026-11-30, or 2026-11-30T00:00:00Z), not a number")
        if name == "metadata" and isinstance(value, dict):
            for key, item in value.items():
                refuse_controls(key)
                refuse_controls(item, paragraphs=True)
            return value
        refuse_controls(value, paragraphs=name in PARAGRAPH_FIELDS)
        return value
