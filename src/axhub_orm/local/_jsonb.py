"""Exact JSON numbers for ``jsonb`` (§13.25): parse, store and answer them as PostgreSQL does.

PostgreSQL keeps a jsonb number as ``numeric``: ``1E2`` comes back as ``100``, ``1.50`` as
``1.50``, a 40-digit decimal with all its digits, an integer of any size as that integer.
Python's ``json`` would turn them into floats, so request bodies and JSON literals are parsed
with :func:`loads_exact` (non-integers and very long integers become :class:`~decimal.Decimal`),
stored by :func:`canonical_text`, and answered as :class:`RawJson` (the stored text, written
into the response verbatim) whenever the stored text may hold such a number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

__all__ = [
    "MAX_TEXT",
    "JsonbTooLargeError",
    "RawJson",
    "canonical_text",
    "comparison_text",
    "decode_stored",
    "loads_exact",
]

#: Python refuses ``int(text)`` beyond 4,300 digits; longer integers are kept as Decimal.
_INT_DIGITS = 4000
#: PostgreSQL numeric: at most 131,072 digits before the point and 16,383 after.
_MAX_INTEGER_DIGITS = 131_072
_MAX_FRACTION_DIGITS = 16_383
#: The largest canonical text of one jsonb value (exponents can inflate small input).
MAX_TEXT = 4 * 1024 * 1024
#: A stored text that may hold a non-integer or a very long integer (strings may match too:
#: then the value is answered verbatim, which is still exact).
_MAY_NEED_RAW = re.compile(rf"[0-9](?:[.eE]|[0-9]{{{_INT_DIGITS}}})")


class JsonbTooLargeError(ValueError):
    """A number outside PostgreSQL's numeric range, or a canonical text over :data:`MAX_TEXT`."""


class RawJson:
    """A JSON value kept as its exact text; the emulator's response encoder writes it verbatim."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"RawJson({self.text[:60]!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RawJson) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def _parse_int(text: str) -> int | Decimal:
    return int(text) if len(text) <= _INT_DIGITS else Decimal(text)


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")


def loads_exact(text: str | bytes) -> Any:
    """``json.loads`` keeping every number exact; NaN/Infinity refused (``ValueError``)."""
    return json.loads(
        text, parse_float=Decimal, parse_int=_parse_int, parse_constant=_reject_constant
    )


def _display(number: Decimal) -> str:
    """PostgreSQL's numeric output: digits after the point as written, exponent expanded."""
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # noqa: S101 - JSON numbers are finite
    if len(digits) + exponent > _MAX_INTEGER_DIGITS or -exponent > _MAX_FRACTION_DIGITS:
        raise JsonbTooLargeError("a number outside PostgreSQL's numeric range")
    if number.is_zero():
        number = number.copy_abs()
    return format(number, "f")


def _normal(number: Decimal) -> str:
    """One spelling per numeric value (``1``, ``1.0`` and ``1E0`` alike), for comparisons."""
    if number.is_zero():
        return "0"
    return format(number.normalize(), "f")


def _encode(value: Any, number: Callable[[Decimal], str]) -> str:
    parts: list[str] = []
    size = 0

    def put(text: str) -> None:
        nonlocal size
        size += len(text)
        if size > MAX_TEXT:
            raise JsonbTooLargeError(f"a jsonb value longer than {MAX_TEXT} characters")
        parts.append(text)

    def walk(item: Any) -> None:
        if isinstance(item, str):
            put(json.dumps(item, ensure_ascii=False))
        elif item is None or isinstance(item, bool):
            put("null" if item is None else "true" if item else "false")
        elif isinstance(item, int):
            put(number(Decimal(item)) if number is _normal else str(item))
        elif isinstance(item, Decimal):
            put(number(item))
        elif isinstance(item, float):
            put(number(Decimal(repr(item))))
        elif isinstance(item, dict):
            put("{")
            for i, key in enumerate(sorted(item)):
                put("," if i else "")
                put(json.dumps(key, ensure_ascii=False) + ":")
                walk(item[key])
            put("}")
        elif isinstance(item, list):
            put("[")
            for i, element in enumerate(item):
                put("," if i else "")
                walk(element)
            put("]")
        else:
            raise TypeError(f"not a JSON value: {type(item).__name__}")

    walk(value)
    return "".join(parts)


def canonical_text(value: Any) -> str:
    """The stored text of a jsonb value: sorted keys, no spaces, numbers as PostgreSQL shows them.

    Raises :class:`JsonbTooLargeError` for numbers outside numeric's range or an oversized text.
    """
    return _encode(value, _display)


def decode_stored(text: str) -> Any:
    """A stored jsonb text as a JSON value (:class:`RawJson` when exact numbers may be inside)."""
    if _MAY_NEED_RAW.search(text):
        return RawJson(text)
    return json.loads(text)


def comparison_text(text: str) -> str:
    """The comparison key of a stored jsonb text: numbers compare by value (``1 = 1.0 = 1E0``)."""
    return _encode(loads_exact(text), _normal)
