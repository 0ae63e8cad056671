"""The JSONL and CSV codecs of `axhub-orm rows`: exact round trips and typed, located errors."""

from __future__ import annotations

import io
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from axhub_orm._cli._codecs import CsvWriter, RecordError, read_csv, read_jsonl, write_jsonl

TYPES = {
    "t": "text",
    "i": "int",
    "b": "bigint",
    "f": "float",
    "ok": "bool",
    "at": "timestamptz",
    "u": "uuid",
    "j": "jsonb",
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text() | st.floats(-1e9, 1e9),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)

rows = st.fixed_dictionaries(
    {
        "t": st.none() | st.text(st.characters(exclude_categories=("Cs",))),
        "i": st.none() | st.integers(-(2**31), 2**31 - 1),
        "b": st.none() | st.integers(-(2**63), 2**63 - 1),
        "f": st.none() | st.floats(allow_nan=False, allow_infinity=False),
        "ok": st.none() | st.booleans(),
        "at": st.none() | st.just("2026-06-02T12:45:09.123456Z"),
        "u": st.none() | st.uuids().map(str),
        "j": json_values,
    }
)


def csv_round_trip(values: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """Write ``values`` as CSV and read them back."""
    out = io.StringIO(newline="")
    writer = CsvWriter(out, list(TYPES), TYPES)
    for row in values:
        writer.write(row)
    return list(read_csv(io.StringIO(out.getvalue(), newline="").readlines(), TYPES))


def same(a: Any, b: Any) -> bool:
    """Equal, with -0.0 and 0.0 told apart."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b) and type(a) is type(b)


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, max_size=4))
def test_csv_round_trips_every_type(values: list[dict[str, Any]]) -> None:
    """Any rows of the eight types, nulls and empty strings included, come back from CSV equal."""
    back = csv_round_trip(values)
    assert [number for number, _ in back][:1] in ([], [2])
    decoded = [record for _, record in back]
    assert len(decoded) == len(values)
    for got, want in zip(decoded, values, strict=True):
        assert isinstance(got, dict)
        assert all(same(got[k], want[k]) for k in TYPES), (got, want)


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, max_size=4))
def test_jsonl_round_trips_every_type(values: list[dict[str, Any]]) -> None:
    """Any rows of the eight types come back from JSON Lines equal."""
    out = io.StringIO()
    for row in values:
        write_jsonl(out, row)
    lines = io.StringIO(out.getvalue(), newline="")  # as the CLI reads a file (not splitlines)
    decoded = [record for _, record in read_jsonl(lines, TYPES)]
    assert decoded == values


def test_csv_null_and_empty_string_differ() -> None:
    """An empty unquoted field is NULL and a quoted "" is the empty string."""
    lines = ['"t","i"\r\n', ",\r\n", '"",\r\n', "plain,7\n"]
    decoded = [record for _, record in read_csv(lines, TYPES)]
    assert decoded == [{"t": None, "i": None}, {"t": "", "i": None}, {"t": "plain", "i": 7}]


def test_csv_quoted_field_spans_lines_and_keeps_line_numbers() -> None:
    """A quoted field with line breaks is one record; the next record reports its own line."""
    lines = ["t,i\n", '"a\n', 'b",1\n', "c,x\n"]
    result = list(read_csv(lines, TYPES))
    assert result[0] == (2, {"t": "a\nb", "i": 1})
    number, error = result[1]
    assert number == 4 and isinstance(error, RecordError)
    assert (error.line, error.column) == (4, "i")
    assert str(error) == "line 4, column 'i': not a valid int: 'x' is not an integer"


@pytest.mark.parametrize(
    ("column", "cell", "reason"),
    [
        ("i", "1.5", "'1.5' is not an integer"),
        ("i", "2147483648", "2147483648 is out of range for int"),
        ("f", "nan", "is not a finite number"),
        ("ok", "maybe", "'maybe' is not true or false"),
        ("at", "2026-06-02T12:45:09", "has no time zone offset"),
        ("at", "yesterday", "not an RFC 3339 timestamp"),
        ("u", "not-a-uuid", "badly formed hexadecimal UUID string"),
        ("j", "{oops", "Expecting property name"),
    ],
)
def test_csv_type_errors_name_line_and_column(column: str, cell: str, reason: str) -> None:
    """A cell that does not fit its column's type is a RecordError naming line 2 and the column."""
    [(number, error)] = list(read_csv([f"{column}\n", f"{cell}\n"], TYPES))
    assert number == 2 and isinstance(error, RecordError)
    assert (error.line, error.column) == (2, column)
    assert reason in str(error)


def test_jsonl_checks_types_and_skips_implicit_columns() -> None:
    """JSONL values are checked strictly by type; id/created_at/updated_at are ignored."""
    lines = [
        '{"id": "x", "created_at": "y", "t": "a", "i": 1}',
        "",
        '{"i": true}',
        '{"f": 1}',
        "[1]",
        "{broken",
    ]
    result = list(read_jsonl(lines, TYPES))
    assert result[0] == (1, {"t": "a", "i": 1})
    assert str(result[1][1]) == "line 3, column 'i': not a valid int: True is not an integer"
    assert result[2] == (4, {"f": 1})
    assert str(result[3][1]) == "line 5: not a JSON object"
    assert str(result[4][1]).startswith("line 6: not JSON")


def test_malformed_csv_is_a_located_error() -> None:
    """Text after a closing quote and a wrong field count are errors on their line."""
    result = list(read_csv(["t,i\n", '"a"b,1\n', "a,1,2\n"], TYPES))
    assert str(result[0][1]) == "line 2: malformed CSV near character 4"
    assert str(result[1][1]) == "line 3: 3 fields, the header has 2"


def test_csv_header_with_an_unknown_column_is_refused() -> None:
    """A header naming a column the table lacks fails on line 1, before any record is read."""
    with pytest.raises(RecordError, match="line 1: no such column in the table: nope, zz"):
        list(read_csv(["t,nope,id,zz\n", "a,1,x,2\n"], TYPES))
