"""The eight column types: validation and conversion between JSON, query text and stored form.

Stored forms (one per type, so comparisons follow the type's order; a store adapts them to
its engine — the SQLite store keeps them as they are):

=============  ==============  ==================================================
type           SQLite          stored value
=============  ==============  ==================================================
text           TEXT            the string
int, bigint    INTEGER         the integer (32-bit / 64-bit range checked)
float          REAL            a finite float
bool           INTEGER         0 or 1
timestamptz    TEXT            ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (sorts in time order)
uuid           TEXT            lowercase canonical form
jsonb          TEXT            canonical JSON (sorted keys, no spaces, exact numbers)
=============  ==============  ==================================================
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from .._time import parse_rfc3339
from .._wire import COLUMN_TYPES
from ._errors import ApiError, field_error
from ._jsonb import JsonbTooLargeError, canonical_text, comparison_text, decode_stored, loads_exact

__all__ = [
    "COLUMN_TYPES",
    "IMPLICIT_COLUMNS",
    "IMPLICIT_NAMES",
    "ORDERABLE_TYPES",
    "SYSTEM_COLUMNS",
    "ColumnDef",
    "canonical_json",
    "check_text",
    "format_timestamp",
    "from_db",
    "parse_literal",
    "to_db",
    "utc_now",
]


#: Types that accept ``gt gte lt lte`` and sorting (everything but jsonb).
ORDERABLE_TYPES: frozenset[str] = frozenset(COLUMN_TYPES) - {"jsonb"}

_INT_RANGES: Mapping[str, tuple[int, int]] = {
    "int": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
_INT_TEXT = re.compile(r"[+-]?[0-9]{1,20}")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_MAX_JSON_DEPTH = 64
_MAX_OFFSET_HOURS = 15
_OFFSET = re.compile(r"[+-]([0-9]{2}):?([0-9]{2})$")
_FRACTION = re.compile(r":[0-9]{2}\.([0-9]+)")
_HEX4 = "[0-9a-fA-F]{4}"
_UUID_INPUT = re.compile(rf"\{{{_HEX4}(?:-?{_HEX4}){{7}}\}}|{_HEX4}(?:-?{_HEX4}){{7}}")
#: PostgreSQL's system column names: refused as column names (§13.25).
SYSTEM_COLUMNS: frozenset[str] = frozenset({"xmin", "xmax", "cmin", "cmax", "ctid", "tableoid"})


def _bad(name: str, expected: str) -> ApiError:
    return field_error("invalid_value", name, f"column {name[:64]!r} expects {expected}")


def check_text(value: str, name: str) -> str:
    """Reject strings PostgreSQL cannot store: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise field_error("invalid_value", name, "text cannot contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise field_error("invalid_value", name, "text is not valid Unicode") from None
    return value


def format_timestamp(moment: datetime) -> str:
    """Render an aware datetime as RFC 3339 UTC with six fractional digits and ``Z``."""
    d = moment.astimezone(timezone.utc)
    return (
        f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:"
        f"{d.second:02d}.{d.microsecond:06d}Z"
    )


def utc_now() -> str:
    """The current time in the stored timestamp format."""
    return format_timestamp(datetime.now(timezone.utc))


def _check_json(value: Any, name: str, depth: int = 0) -> None:
    if depth > _MAX_JSON_DEPTH:
        raise _bad(name, f"JSON nested at most {_MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        check_text(value, name)
    elif (isinstance(value, float) and not math.isfinite(value)) or (
        isinstance(value, Decimal) and not value.is_finite()
    ):
        raise _bad(name, "finite numbers")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, name)
            _check_json(item, name, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, name, depth + 1)


def canonical_json(value: Any, name: str) -> str:
    """Validate a JSON value for a jsonb column and render it canonically, numbers exact.

    Numbers keep their digits as PostgreSQL's numeric does (``1E2`` → ``100``, ``1.50`` →
    ``1.50``); one outside numeric's range → 400 ``invalid_value``.
    """
    _check_json(value, name)
    try:
        return canonical_text(value)
    except JsonbTooLargeError as exc:
        raise _bad(name, f"JSON within PostgreSQL's limits ({exc})") from None


def jsonb_key(stored: str | None) -> str | None:
    """The comparison key of a stored jsonb value: numbers compare numerically (``1 = 1.0``).

    Registered in SQLite as ``ax_jsonb_key`` for ``eq``/``ne``/``in`` on jsonb columns, as
    PostgreSQL's jsonb equality compares numbers by value, not by spelling.
    """
    return None if stored is None else comparison_text(stored)


def _int(value: Any, ctype: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(name, "an integer")
    low, high = _INT_RANGES[ctype]
    if not low <= value <= high:
        raise _bad(name, f"an integer in [{low}, {high}]")
    return value


def _float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise _bad(name, "a number")
    try:
        result = float(value)
    except OverflowError:
        raise _bad(name, "a finite number") from None
    if not math.isfinite(result):
        raise _bad(name, "a finite number")
    return result


def _timestamp(value: Any, name: str) -> str:
    """Stored form of a timestamptz: UTC, microseconds rounded half to even (as PostgreSQL).

    The UTC offset must be within ±15:59 (PostgreSQL's limit), with minutes below 60.
    """
    if not isinstance(value, str) or len(value) > 64:
        raise _bad(name, "an RFC 3339 timestamp string")
    try:
        moment = parse_rfc3339(value)
    except ValueError:
        raise _bad(name, "an RFC 3339 timestamp string") from None
    if moment.tzinfo is None:
        raise _bad(name, "a timestamp with a UTC offset")
    offset = _OFFSET.search(value)
    if offset and (int(offset.group(1)) > _MAX_OFFSET_HOURS or int(offset.group(2)) > 59):
        raise _bad(name, "a UTC offset within ±15:59")
    fraction = _FRACTION.search(value)
    try:
        if fraction and _rounds_up(fraction.group(1)):
            moment += timedelta(microseconds=1)
        return format_timestamp(moment)
    except OverflowError:
        raise _bad(name, "a timestamp in range") from None


def _rounds_up(digits: str) -> bool:
    """Whether a 7-9 digit fraction rounds its truncated microseconds up (half to even)."""
    if len(digits) <= 6:
        return False
    micros, rest = int(digits[:6]), digits[6:].ljust(3, "0")
    half = int(rest) - 500
    return half > 0 or (half == 0 and micros % 2 == 1)


def _uuid(value: Any, name: str) -> str:
    """Stored form of a uuid, lowercased; ``urn:uuid:`` and other prefixes are refused.

    Accepted are the forms PostgreSQL reads: hyphens after any group of four hex digits,
    optionally in braces.
    """
    if not isinstance(value, str) or not _UUID_INPUT.fullmatch(value):
        raise _bad(name, "a UUID string")
    return str(uuid.UUID(value.strip("{}")))


def to_db(ctype: str, value: Any, name: str) -> Any:
    """Convert a JSON value sent for column ``name`` of type ``ctype`` to its stored form.

    ``None`` passes through (nullability is checked by the caller).
    """
    if value is None:
        return None
    if ctype == "text":
        if not isinstance(value, str):
            raise _bad(name, "a string")
        return check_text(value, name)
    if ctype in _INT_RANGES:
        return _int(value, ctype, name)
    if ctype == "float":
        return _float(value, name)
    if ctype == "bool":
        if not isinstance(value, bool):
            raise _bad(name, "a boolean")
        return int(value)
    if ctype == "timestamptz":
        return _timestamp(value, name)
    if ctype == "uuid":
        return _uuid(value, name)
    return canonical_json(value, name)


def from_db(ctype: str, stored: Any) -> Any:
    """Convert a stored value back to its JSON form."""
    if stored is None:
        return None
    if ctype == "bool":
        return bool(stored)
    if ctype == "float":
        return float(stored)
    if ctype == "jsonb":
        return decode_stored(stored)
    return stored


def parse_literal(ctype: str, text: str, name: str) -> Any:
    """Parse query or default text (``"42"``, ``"true"``, JSON text, …) into the stored form."""
    if ctype == "text":
        return check_text(text, name)
    if ctype in _INT_RANGES:
        if not _INT_TEXT.fullmatch(text):
            raise _bad(name, "an integer")
        return _int(int(text), ctype, name)
    if ctype == "float":
        if not _FLOAT_TEXT.fullmatch(text) or len(text) > 64:
            raise _bad(name, "a number")
        return _float(float(text), name)
    if ctype == "bool":
        if text not in ("true", "false"):
            raise _bad(name, "true or false")
        return int(text == "true")
    if ctype in ("timestamptz", "uuid"):
        return to_db(ctype, text, name)
    try:
        value = loads_exact(text)
    except (ValueError, RecursionError):
        raise _bad(name, "JSON text") from None
    return canonical_json(value, name)


class ColumnDef:
    """A column of an app table: name, type, nullability and default literal."""

    __slots__ = ("default", "name", "nullable", "type")

    def __init__(self, name: str, ctype: str, nullable: bool = True, default: str | None = None):
        self.name = name
        self.type = ctype
        self.nullable = nullable
        self.default = default

    def to_json(self) -> dict[str, Any]:
        """The wire form ``{name, type, nullable, default}`` (§13.9)."""
        return {
            "name": self.name,
            "type": self.type,
            "nullable": self.nullable,
            "default": self.default,
        }

    def __repr__(self) -> str:
        return f"ColumnDef({self.name!r}, {self.type!r}, nullable={self.nullable!r})"


#: The columns every table has, maintained by the store.
IMPLICIT_COLUMNS: tuple[ColumnDef, ...] = (
    ColumnDef("id", "uuid", False),
    ColumnDef("created_at", "timestamptz", False),
    ColumnDef("updated_at", "timestamptz", False),
)
IMPLICIT_NAMES: frozenset[str] = frozenset(c.name for c in IMPLICIT_COLUMNS)
