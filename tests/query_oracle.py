r"""A pure-Python evaluator of a :class:`~axhub_orm._query.QuerySpec`: the differential oracle.

It answers "which rows, in which order, should the server return?" with PostgreSQL semantics,
reading each condition's wire value according to the column's type — never by re-running the
compiler's Python-side encoding. Rows look like the server's JSON (wire-contract §13.7):
timestamps are RFC 3339 strings, uuids lowercase strings, jsonb plain Python objects.

Semantics modelled:

- ``eq.null`` / ``ne.null`` are IS NULL / IS NOT NULL; any other comparison with NULL is false.
- ``in`` splits on ``,`` and parses each item as the column type.
- ``like`` is case-sensitive; ``%`` is any run, ``_`` one character, ``\`` escapes the next.
- Order: ascending puts NULLs last, descending first; text by code point; ``id`` is appended
  as the final tie-breaker unless already ordered by; no order at all is ``id`` order (the
  client always sends ``sort``, at least ``sort=id``).
- jsonb equality compares parsed JSON (``1 == 1.0``, but ``true != 1``).

Checked against a real PostgreSQL (``test_oracle_postgres.py``): LIKE, NULL order, number,
timestamp and uuid comparison and jsonb equality are PostgreSQL's own. Text order by code point
is the contract's choice, not PostgreSQL's default (a linguistic collation such as ICU en-US
orders ``_x 1 a A ä b B``): the emulator's PostgreSQL store declares text columns
``COLLATE "C"``, which orders by code point, and the test shows both orders.

A wire value the server would refuse (it does not parse as the column's type, an unknown
column, LIKE on a non-text column) raises :class:`OracleRejectedError`; what the oracle does not
model (ordering comparisons on jsonb) raises :class:`NotImplementedError`.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from axhub_orm._query import Condition, QuerySpec
from axhub_orm._time import parse_rfc3339

__all__ = ["IMPLICIT_TYPES", "OracleRejectedError", "count", "evaluate"]

Row = Mapping[str, Any]

IMPLICIT_TYPES = {"id": "uuid", "created_at": "timestamptz", "updated_at": "timestamptz"}
"""The types of the columns every table has."""

_INT = re.compile(r"[+-]?[0-9]+")


class OracleRejectedError(ValueError):
    """The server would answer 400 ``invalid_value`` for this query (wire-contract §13.5)."""


def evaluate(
    rows: Sequence[Row], spec: QuerySpec, column_types: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Return the rows the server should send for ``spec``, in order, projected and windowed."""
    types = {**IMPLICIT_TYPES, **column_types}
    matched = _filter(rows, spec.conditions, types)
    ordered = _sort(matched, spec.order or ("id",), types)
    stop = None if spec.limit is None else spec.offset + spec.limit
    return [_project(row, spec.select) for row in ordered[spec.offset : stop]]


def count(rows: Sequence[Row], spec: QuerySpec, column_types: Mapping[str, str]) -> int:
    """Return what ``count()`` of ``spec`` should be: matching rows, within the slice window."""
    total = len(_filter(rows, spec.conditions, {**IMPLICIT_TYPES, **column_types}))
    remaining = max(0, total - spec.offset)
    return remaining if spec.limit is None else min(remaining, spec.limit)


# --- conditions ----------------------------------------------------------------------------

Predicate = Callable[[Row], bool]


def _filter(
    rows: Sequence[Row], conditions: Sequence[Condition], types: Mapping[str, str]
) -> list[Row]:
    # Conditions are read before any row is, so a refusal never depends on the data.
    predicates = [_predicate(condition, types) for condition in conditions]
    return [row for row in rows if all(predicate(row) for predicate in predicates)]


def _predicate(condition: Condition, types: Mapping[str, str]) -> Predicate:
    column, op, text = condition.column, condition.op, condition.wire_value
    type_ = _type_of(column, types)
    if op in ("eq", "ne") and text == "null":
        return lambda row: (row.get(column) is None) == (op == "eq")
    test = _value_test(op, text, type_)
    return lambda row: (value := _from_row(row.get(column), type_)) is not None and test(value)


def _value_test(op: str, text: str, type_: str) -> Callable[[Any], bool]:
    """Build the test of a non-NULL row value; comparisons with NULL are false."""
    if op == "like":
        if type_ != "text":
            raise OracleRejectedError(f"LIKE on a {type_} column")
        regex = _like_regex(text)
        return lambda value: regex.fullmatch(value) is not None
    if op == "in":
        items = [_parse(item, type_) for item in text.split(",")]
        return lambda value: any(_equal(value, item, type_) for item in items)
    if type_ == "jsonb" and op not in ("eq", "ne"):
        raise NotImplementedError("the oracle does not model jsonb ordering")
    right = _parse(text, type_)
    return lambda value: _compare_op(op, value, right, type_)


def _type_of(column: str, types: Mapping[str, str]) -> str:
    if column not in types:
        raise OracleRejectedError(f"unknown column {column!r}")
    return types[column]


def _compare_op(op: str, left: Any, right: Any, type_: str) -> bool:
    if op == "eq":
        return _equal(left, right, type_)
    if op == "ne":
        return not _equal(left, right, type_)
    checks: dict[str, Callable[[Any, Any], bool]] = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    return checks[op](left, right)


def _equal(left: Any, right: Any, type_: str) -> bool:
    if type_ == "jsonb":
        return _canonical_json(left) == _canonical_json(right)
    return bool(left == right)


def _canonical_json(value: Any) -> Any:
    """Build a comparable form where numbers compare numerically but never equal booleans."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, list):
        return ("array", tuple(_canonical_json(item) for item in value))
    if isinstance(value, dict):
        return ("object", tuple(sorted((k, _canonical_json(v)) for k, v in value.items())))
    return (type(value).__name__, value)


@functools.lru_cache(maxsize=256)
def _like_regex(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise OracleRejectedError("LIKE pattern must not end with the escape character")
            parts.append(re.escape(escaped))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


# --- typed values --------------------------------------------------------------------------


def _parse(text: str, type_: str) -> Any:
    """Read one wire value as the column's type, as the server would."""
    try:
        return _PARSERS[type_](text)
    except (ValueError, KeyError, TypeError) as exc:
        raise OracleRejectedError(f"{text!r} is not a valid {type_}") from exc


def _parse_int(text: str) -> int:
    if not _INT.fullmatch(text):
        raise ValueError(text)
    return int(text)


def _parse_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def _parse_bool(text: str) -> bool:
    return {"true": True, "false": False}[text]


def _parse_timestamp(text: str) -> datetime:
    stamp = parse_rfc3339(text)
    # A value without an offset is read in the session time zone, UTC.
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


_PARSERS: dict[str, Callable[[str], Any]] = {
    "text": str,
    "int": _parse_int,
    "bigint": _parse_int,
    "float": _parse_float,
    "bool": _parse_bool,
    "timestamptz": _parse_timestamp,
    "uuid": UUID,
    "jsonb": json.loads,
}


def _from_row(value: Any, type_: str) -> Any:
    """Bring a row's JSON value to the type its wire counterpart parses to."""
    if value is None:
        return None
    if type_ == "timestamptz":
        return _parse_timestamp(value)
    if type_ == "uuid":
        return UUID(value)
    if type_ == "float":
        return float(value)
    return value


# --- order, projection ---------------------------------------------------------------------


def _sort(rows: list[Row], order: Sequence[str], types: Mapping[str, str]) -> list[Row]:
    keys = [(field.lstrip("-"), field.startswith("-")) for field in order]
    if not any(name == "id" for name, _ in keys):
        keys.append(("id", False))

    def compare(left: Row, right: Row) -> int:
        for name, descending in keys:
            result = _compare_nullable(left, right, name, types)
            if result:
                return -result if descending else result
        return 0

    return sorted(rows, key=functools.cmp_to_key(compare))


def _compare_nullable(left: Row, right: Row, name: str, types: Mapping[str, str]) -> int:
    type_ = _type_of(name, types)
    if type_ == "jsonb":
        raise NotImplementedError("the oracle does not model jsonb ordering")
    a, b = _from_row(left.get(name), type_), _from_row(right.get(name), type_)
    if a is None or b is None:
        # PostgreSQL sorts NULL as larger than every value: last ascending, first descending.
        return (a is None) - (b is None)
    return int(a > b) - int(a < b)


def _project(row: Row, select: Sequence[str] | None) -> dict[str, Any]:
    if select is None:
        return dict(row)
    names = dict.fromkeys([*select, "id"])
    return {name: row.get(name) for name in names}
