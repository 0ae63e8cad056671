"""Python values on the wire: the one home of value encoding and of the data API's names (sans-IO).

Everything that turns a Python value into what a request carries lives here, so rows, apps,
typed rows and queries encode alike (wire-contract §9.1 "value encoding", §12.3):

- :func:`to_json` — a value inside a JSON request body (row and app bodies);
- :func:`to_text` — a value inside a query parameter (``status=eq.<text>``).

Both share one rule per type: a timezone-aware ``datetime`` is sent as RFC 3339 UTC with
microseconds and ``Z``; a naive one is refused (it would mean whatever the server's zone is);
a ``date`` as ``YYYY-MM-DD``; a ``UUID`` as its text; a ``Decimal`` as the JSON number with the
same value (refused when a JSON number cannot hold it exactly). In a body these apply anywhere
inside a value (a ``jsonb`` dict or list, at any depth). A value that cannot be sent (a ``set``,
``bytes``, NaN or infinity, a dict key that is not a ``str``, any other object) raises a
:class:`~axhub_orm.ValidationError` (the caller may ask for a subclass) naming the column and the
path inside the value (``meta at $.tags[2]``) before anything is sent.

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
from decimal import Decimal
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
_JSON_FIX = (
    "pass a str, int, float, bool, None, timezone-aware datetime, date, UUID, Decimal, "
    "or a dict/list of those (convert a set to a list)"
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


_PLAIN: Final = frozenset({str, int, bool, type(None)})


def to_json(
    value: Any,
    *,
    where: str = "value",
    error: type[ValidationError] = ValidationError,
    field: str | None = None,
) -> Any:
    """``value`` as it goes into a JSON request body, encoded or refused at any depth.

    ``where`` names the value in error messages; ``error`` is the class raised (a
    :class:`ValidationError` subclass) and ``field`` the name put in its ``fields`` (``where``
    when not given).

    Example::

        >>> to_json({"due": date(2026, 1, 2), "cost": Decimal("1.5")}, where="meta")
        {'due': '2026-01-02', 'cost': 1.5}
    """
    if type(value) in _PLAIN:  # the common case, untouched
        return value
    return _Encoder(where, error, where if field is None else field).encode(value, "$")


class _Encoder:
    """One walk over a value: JSON types kept, known types encoded, the rest refused by path."""

    def __init__(self, where: str, error: type[ValidationError], field: str) -> None:
        self.where = where
        self.error = error
        self.field = field

    def refuse(self, path: str, problem: str) -> ValidationError:
        at = self.where if path == "$" else f"{self.where} at {path}"
        return _refuse(self.error, f"{at}: {problem}", self.field)

    def encode(self, value: Any, path: str) -> Any:
        if isinstance(value, (str, int)) or value is None:  # bool is an int; enums keep theirs
            return value
        if isinstance(value, float):
            if math.isfinite(value):
                return value
            raise self.refuse(path, f"{value!r} cannot be sent; JSON has no NaN or infinity")
        if isinstance(value, dict):
            return {key: self.encode(item, self.key_path(path, key)) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.encode(item, f"{path}[{i}]") for i, item in enumerate(value)]
        return self.scalar(value, path)

    def key_path(self, path: str, key: object) -> str:
        if not isinstance(key, str):
            raise self.refuse(path, f"a JSON object key must be a str, got {key!r}")
        return f"{path}.{key}" if IDENTIFIER.fullmatch(key) else f"{path}[{json.dumps(key)}]"

    def scalar(self, value: object, path: str) -> Any:
        if isinstance(value, datetime):  # before date: datetime is a date
            where = self.where if path == "$" else f"{self.where} at {path}"
            return _datetime_text(value, where, self.error, self.field)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, UUID):
            return str(value)
        if isinstance(value, Decimal):
            return self.decimal(value, path)
        raise self.refuse(path, f"cannot send a {type(value).__name__}; {_JSON_FIX}")

    def decimal(self, value: Decimal, path: str) -> int | float:
        """The JSON number equal to ``value``: an int when integral, else a float that holds it."""
        if not value.is_finite():
            raise self.refuse(path, f"{value!r} cannot be sent; JSON has no NaN or infinity")
        if value == value.to_integral_value():
            return int(value)
        number = float(value)
        if Decimal(repr(number)) != value:
            raise self.refuse(
                path,
                f"{value!r} has more digits than a JSON number keeps exactly; "
                "round it, or send it as a str",
            )
        return number


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
