"""Python values on the wire: the one home of value encoding and of the data API's names (sans-IO).

Everything that turns a Python value into what a request carries lives here, so rows, apps,
typed rows and queries encode alike (wire-contract §9.1 "value encoding", §12.3):

- :func:`to_json` — a value inside a JSON request body (row and app bodies);
- :func:`to_text` — a value inside a query parameter (``status=eq.<text>``).

Both share one rule per type: a timezone-aware ``datetime`` is sent as RFC 3339 UTC with
microseconds and ``Z``; a naive one is refused (it would mean whatever the server's zone is);
a ``date`` as ``YYYY-MM-DD``; a ``UUID`` as its text. A value that cannot be sent raises a
:class:`~axhub_orm.ValidationError` (the caller may ask for a subclass) before anything is sent.

Example::

    >>> to_json(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), where="due")
    '2026-01-02T03:04:05.000000Z'
    >>> to_text(True, where="done")
    'true'
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, timezone
from typing import Any, Final, TypeGuard
from uuid import UUID

from ._errors import ValidationError

__all__ = [
    "COLUMN_TYPES",
    "IDENTIFIER",
    "IMPLICIT_COLUMNS",
    "is_identifier",
    "to_json",
    "to_text",
]

COLUMN_TYPES: Final = ("text", "int", "bigint", "float", "bool", "timestamptz", "uuid", "jsonb")
"""The eight column types of the AX Hub data API."""

IMPLICIT_COLUMNS: Final = frozenset({"id", "created_at", "updated_at"})
"""Columns every table has without declaring them; the server sets them (read-only)."""

IDENTIFIER: Final = re.compile(r"[a-z][a-z0-9_]{0,62}")
"""A table or column name the backend accepts (wire-contract §13.12); use with ``fullmatch``."""

_TYPES_FIX = (
    "pass a str, int, float, bool, timezone-aware datetime, date, UUID, "
    "or a dict/list for JSON (convert tuples and sets to a list)"
)


def is_identifier(name: object) -> TypeGuard[str]:
    """Whether ``name`` is a valid table or column name."""
    return isinstance(name, str) and IDENTIFIER.fullmatch(name) is not None


def _refuse(error: type[ValidationError], message: str, field: str | None) -> ValidationError:
    fields = [{"name": field, "code": "invalid_value"}] if field else []
    return error(message, code="invalid_value", fields=fields)


def _datetime_text(
    value: datetime, where: str, error: type[ValidationError], field: str | None
) -> str:
    if value.utcoffset() is None:
        raise _refuse(
            error,
            f"{where}: naive datetime {value.isoformat()} is ambiguous; make it timezone-aware, "
            "e.g. value.replace(tzinfo=timezone.utc)",
            field,
        )
    try:
        utc = value.astimezone(timezone.utc)
    except OverflowError:
        raise _refuse(error, f"{where}: {value!r} is out of range in UTC", field) from None
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def to_json(
    value: Any,
    *,
    where: str = "value",
    error: type[ValidationError] = ValidationError,
    field: str | None = None,
) -> Any:
    """``value`` as it goes into a JSON request body.

    ``where`` names the value in error messages; ``error`` is the class raised (a
    :class:`ValidationError` subclass) and ``field`` the name put in its ``fields``.
    """
    if isinstance(value, datetime):  # before date: datetime is a date
        return _datetime_text(value, where, error, field)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def to_text(
    value: object,
    *,
    where: str = "value",
    error: type[ValidationError] = ValidationError,
) -> str:
    """``value`` as the text of a query parameter.

    Example::

        >>> to_text(True), to_text(3), to_text({"b": 1, "a": [1, 2]})
        ('true', '3', '{"a":[1,2],"b":1}')
    """
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)  # IntEnum members encode as their number
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _refuse(error, f"{where}: {value!r} cannot be sent; pass a finite number", None)
        return float.__repr__(value)
    if isinstance(value, str):
        return str.__str__(value)  # (str, Enum) members encode as their value
    if isinstance(value, (datetime, date, UUID)):
        return str(to_json(value, where=where, error=error))
    if isinstance(value, (dict, list)):
        return _json_text(value, where, error)
    raise _refuse(error, f"{where}: cannot send a {type(value).__name__}; {_TYPES_FIX}", None)


def _json_text(
    value: dict[object, object] | list[object], where: str, error: type[ValidationError]
) -> str:
    try:
        return json.dumps(value, separators=(",", ":"), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise _refuse(
            error, f"{where}: not JSON-serializable ({exc}); pass only JSON types", None
        ) from None
