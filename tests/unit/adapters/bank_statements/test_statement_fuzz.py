"""Whatever bytes arrive, a parser returns a statement or raises `StatementRejected`: never another
error (which would be a 5xx, or a poison message, instead of a file kept with its reason)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.adapters.bank_statements import parse_statement
from invoicing.domain.bank_statement import BankStatement, StatementRejected

STATEMENTS = Path(__file__).parent / "statements"
SAMPLES = [p.read_bytes() for p in sorted(STATEMENTS.iterdir()) if p.suffix in (".xml", ".sta")]


def parses_or_is_rejected(data: bytes) -> None:
    try:
        statement = parse_statement(data)
    except StatementRejected as error:
        assert error.message
    else:
        assert isinstance(statement, BankStatement)
        assert all(entry.amount >= 0 for entry in statement.entries)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SAMPLES), st.data())
def test_a_damaged_statement_parses_or_is_rejected(sample: bytes, data: st.DataObject) -> None:
    start = data.draw(st.integers(min_value=0, max_value=len(sample)))
    end = data.draw(st.integers(min_value=start, max_value=min(len(sample), start + 40)))
    junk = data.draw(st.binary(max_size=20) | st.sampled_from(
        [b"", b"<", b"&", b"]]>", b":61:", b"\n:86:", b"RC", b"-1.5", b"\xff\xfe", b"\x00"]))
    parses_or_is_rejected(sample[:start] + junk + sample[end:])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: (":20:" + t).encode()))
def test_random_input_parses_or_is_rejected(data: bytes) -> None:
    parses_or_is_rejected(data)
