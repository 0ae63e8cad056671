"""Rows to and from JSON Lines and CSV, typed by the table's column types (sans-IO).

JSON Lines: one JSON object per line, the row's wire values (``jsonb`` values as JSON).

CSV (RFC 4180): a header line of column names, then one record per row. A NULL is an empty,
unquoted field; every other value is written quoted, so an empty string is ``""``. On import an
unquoted value is read as is (hand-written ``1,abc,true`` works). Cells are converted by the
column type: ``int``/``bigint`` base-10 integers in range, ``float`` finite decimals, ``bool``
``true``/``false`` (also ``t f yes no on off 1 0``), ``timestamptz`` RFC 3339, ``uuid`` a UUID,
``jsonb`` JSON text.

On import the implicit columns ``id``, ``created_at`` and ``updated_at`` are ignored (AX Hub
assigns them). A value that does not fit raises :class:`RecordError` naming the line and the
column.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TextIO

from .._time import parse_rfc3339

__all__ = [
    "FORMATS",
    "IMPLICIT_COLUMNS",
    "CsvWriter",
    "RecordError",
    "read_csv",
    "read_jsonl",
    "write_jsonl",
]

FORMATS = ("jsonl", "csv")
IMPLICIT_COLUMNS = ("id", "created_at", "updated_at")
_IMPLICIT_TYPES = {"id": "uuid", "created_at": "timestamptz", "updated_at": "timestamptz"}

_INT_RANGE = {"int": 2**31, "bigint": 2**63}
_INTEGER = re.compile(r"[+-]?\d+")
_BOOLS = {
    **dict.fromkeys(("true", "t", "yes", "y", "on", "1"), True),
    **dict.fromkeys(("false", "f", "no", "n", "off", "0"), False),
}
# One CSV field: quoted ("" escapes a quote) or bare; then a comma or the end of the record.
_FIELD = re.compile(r'"((?:[^"]|"")*)"|([^,"\r\n]*)')


class RecordError(ValueError):
    """A record that cannot be written: ``line`` (1-based), ``column`` (or None) and why."""

    def __init__(self, line: int, message: str, column: str | None = None) -> None:
        self.line = line
        self.column = column
        self.reason = message
        where = f"line {line}" if column is None else f"line {line}, column {column!r}"
        super().__init__(f"{where}: {message}")


# --- checking values against a column type ----------------------------------------------------


def _check_int(value: Any, kind: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not an integer")
    limit = _INT_RANGE[kind]
    if not -limit <= value < limit:
        raise ValueError(f"{value} is out of range for {kind}")
    return value


def _check_float(value: Any, kind: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is not a number")
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    return value


def _check_bool(value: Any, kind: str) -> Any:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")
    return value


def _check_text(value: Any, kind: str) -> Any:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a string")
    if kind == "timestamptz":
        parsed = parse_rfc3339(value)
        if parsed.tzinfo is None:
            raise ValueError(f"{value!r} has no time zone offset (add Z or +HH:MM)")
    elif kind == "uuid":
        uuid.UUID(value)
    return value


def _any(value: Any, kind: str) -> Any:
    return value


_CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "text": _check_text,
    "int": _check_int,
    "bigint": _check_int,
    "float": _check_float,
    "bool": _check_bool,
    "timestamptz": _check_text,
    "uuid": _check_text,
    "jsonb": _any,
}


def _typed(
    line: int, record: Mapping[str, Any], types: Mapping[str, str], convert: bool
) -> dict[str, Any]:
    """The writable values of ``record``, each checked (and converted from text) by its type."""
    values: dict[str, Any] = {}
    for column, value in record.items():
        if column in IMPLICIT_COLUMNS:
            continue
        kind = types.get(column)
        if kind is None:
            raise RecordError(line, "no such column in the table", column)
        if value is None:
            values[column] = None
            continue
        try:
            values[column] = _CHECKS[kind](_from_text(value, kind) if convert else value, kind)
        except ValueError as exc:
            raise RecordError(line, f"not a valid {kind}: {exc}", column) from None
    return values


# --- JSON Lines -------------------------------------------------------------------------------


def write_jsonl(out: TextIO, row: Mapping[str, Any]) -> None:
    """Write ``row`` as one JSON line (UTF-8 text, not ASCII-escaped)."""
    out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":"), allow_nan=False))
    out.write("\n")


def read_jsonl(
    lines: Iterable[str], types: Mapping[str, str]
) -> Iterator[tuple[int, dict[str, Any] | RecordError]]:
    """``(line number, values or the RecordError)`` for each non-blank line of JSON Lines."""
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except ValueError as exc:
            yield number, RecordError(number, f"not JSON: {exc}")
            continue
        if not isinstance(record, dict):
            yield number, RecordError(number, "not a JSON object")
            continue
        try:
            yield number, _typed(number, record, types, convert=False)
        except RecordError as exc:
            yield number, exc


# --- CSV --------------------------------------------------------------------------------------


def _to_text(value: Any, kind: str) -> str:
    if kind == "jsonb":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if kind == "bool":
        return "true" if value else "false"
    if kind == "float":
        return repr(float(value))
    return str(value)


def _from_text(text: str, kind: str) -> Any:
    if kind in ("int", "bigint"):
        if not _INTEGER.fullmatch(text):
            raise ValueError(f"{text!r} is not an integer")
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "bool":
        if text.lower() not in _BOOLS:
            raise ValueError(f"{text!r} is not true or false")
        return _BOOLS[text.lower()]
    if kind == "jsonb":
        return json.loads(text)
    return text


class CsvWriter:
    """Write rows as CSV records of ``columns`` (header first), converted by ``types``."""

    def __init__(self, out: TextIO, columns: Sequence[str], types: Mapping[str, str]) -> None:
        self._out = out
        self._columns = list(columns)
        self._kinds = [types.get(c) or _IMPLICIT_TYPES.get(c, "text") for c in self._columns]
        out.write(",".join(_quote(c) for c in self._columns) + "\r\n")

    def write(self, row: Mapping[str, Any]) -> None:
        """Write one row (a NULL as an empty unquoted field, every other value quoted)."""
        cells = []
        for column, kind in zip(self._columns, self._kinds, strict=True):
            value = row.get(column)
            cells.append("" if value is None else _quote(_to_text(value, kind)))
        self._out.write(",".join(cells) + "\r\n")


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _records(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """``(first line number, record text)``: a quoted field may span lines."""
    pending: list[str] = []
    start = 0
    quotes = 0
    for number, text in enumerate(lines, 1):
        if not pending:
            start = number
        pending.append(text)
        quotes += text.count('"')
        if quotes % 2 == 0:
            yield start, "".join(pending).rstrip("\r\n")
            pending, quotes = [], 0
    if pending:
        yield start, "".join(pending).rstrip("\r\n")


def _split(line: int, record: str) -> list[str | None]:
    """The fields of one record: ``None`` for an empty unquoted field."""
    fields: list[str | None] = []
    position = 0
    while True:
        match = _FIELD.match(record, position)
        if match is None:  # pragma: no cover - the bare alternative matches the empty string
            raise RecordError(line, "malformed CSV")
        quoted, bare = match.groups()
        fields.append(quoted.replace('""', '"') if quoted is not None else (bare or None))
        position = match.end()
        if position == len(record):
            return fields
        if record[position] != ",":
            raise RecordError(line, f"malformed CSV near character {position + 1}")
        position += 1


def read_csv(
    lines: Iterable[str], types: Mapping[str, str]
) -> Iterator[tuple[int, dict[str, Any] | RecordError]]:
    """``(line number, values or the RecordError)`` for each CSV record after the header.

    ``lines`` should keep their line endings (open the file with ``newline=""``) so a quoted
    field spanning lines keeps its own line breaks.
    """
    records = _records(lines)
    header_line, header_text = next(records, (1, ""))
    header = _split(header_line, header_text)
    if not header or any(not name for name in header):
        raise RecordError(header_line, "the header needs a name for every column")
    names = [str(name) for name in header]
    unknown = [name for name in names if name not in types and name not in IMPLICIT_COLUMNS]
    if unknown:
        raise RecordError(header_line, f"no such column in the table: {', '.join(unknown)}")
    for number, text in records:
        if not text:
            continue
        try:
            fields = _split(number, text)
            if len(fields) != len(names):
                raise RecordError(number, f"{len(fields)} fields, the header has {len(names)}")
            yield number, _typed(number, dict(zip(names, fields, strict=True)), types, True)
        except RecordError as exc:
            yield number, exc
