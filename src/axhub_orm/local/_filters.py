"""Compile the row-list query grammar (§9.1) to the store's neutral form.

The output is a :class:`~._store.RowSelection`: conditions naming a column of the table, an
operator and a value already parsed to the column's stored form, sort keys and a page. No SQL
is written here; the store compiles the selection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ._errors import ApiError, field_error
from ._like import compile_like
from ._store import DEFAULT_PER_PAGE, MAX_PER_PAGE, Condition, Paging, RowSelection, SortKey
from ._types import ORDERABLE_TYPES, ColumnDef, parse_literal

__all__ = [
    "compile_row_selection",
    "compile_select",
    "parse_paging",
]

RESERVED_PARAMS = frozenset({"sort", "_select", "page", "per_page"})
_COMPARISONS = frozenset({"eq", "ne", "gt", "gte", "lt", "lte"})
_ALL_OPS = _COMPARISONS | {"like", "in"}
_DIGITS = re.compile(r"[0-9]{1,12}")
_MAX_IN = 1000
#: Bounds of one query, so no store meets its own limits (SQLite: expression depth 1000,
#: 32,766 bound values): filters per query, and values across all ``in`` lists.
MAX_FILTERS = 100
MAX_FILTER_VALUES = 10_000
MAX_PAGE = 10**9


def _single(pairs: Sequence[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in pairs if k == name]
    if len(values) > 1:
        raise field_error("invalid_value", name, f"{name} may be given only once")
    return values[0] if values else None


def parse_paging(pairs: Sequence[tuple[str, str]]) -> Paging:
    """Validate ``page`` and ``per_page`` (§13.3): default 20, clamp at 100, reject < 1."""
    page_text = _single(pairs, "page")
    per_page_text = _single(pairs, "per_page")
    page = 1
    per_page = DEFAULT_PER_PAGE
    if page_text is not None:
        if not _DIGITS.fullmatch(page_text) or not 1 <= int(page_text) <= MAX_PAGE:
            raise field_error("invalid_value", "page", f"page must be an integer in 1..{MAX_PAGE}")
        page = int(page_text)
    if per_page_text is not None:
        if not re.fullmatch(r"[0-9]{1,30}", per_page_text) or int(per_page_text) < 1:
            raise field_error("invalid_value", "per_page", "per_page must be an integer >= 1")
        per_page = min(int(per_page_text), MAX_PER_PAGE)
    return Paging(page, per_page)


def _unknown_column(name: str) -> ApiError:
    return field_error("invalid_value", name, f"unknown column {name[:64]!r}")


def _column(columns: Mapping[str, ColumnDef], name: str) -> ColumnDef:
    column = columns.get(name)
    if column is None:
        raise _unknown_column(name)
    return column


def compile_filter(column: ColumnDef, raw: str) -> Condition:
    """One ``op.value`` filter on ``column`` as a :class:`Condition`."""
    op, dot, text = raw.partition(".")
    if not dot or op not in _ALL_OPS:
        raise field_error(
            "invalid_format",
            column.name,
            "a filter must be op.value with op one of eq ne gt gte lt lte like in",
        )
    if op in ("eq", "ne") and text == "null":
        return Condition(column.name, column.type, "null" if op == "eq" else "not_null")
    if op in _COMPARISONS:
        if op not in ("eq", "ne") and column.type not in ORDERABLE_TYPES:
            raise field_error("invalid_value", column.name, f"{op} does not apply to jsonb")
        return Condition(
            column.name, column.type, op, parse_literal(column.type, text, column.name)
        )
    if op == "like":
        if column.type != "text":
            raise field_error("invalid_value", column.name, "like applies to text columns only")
        compile_like(parse_literal("text", text, column.name), column.name)
        return Condition(column.name, column.type, "like", text)
    items = text.split(",")
    if len(items) > _MAX_IN:
        raise field_error("invalid_value", column.name, f"in takes at most {_MAX_IN} values")
    values = tuple(parse_literal(column.type, item, column.name) for item in items)
    return Condition(column.name, column.type, "in", values)


def _compile_sort(columns: Mapping[str, ColumnDef], text: str) -> tuple[SortKey, ...]:
    keys: dict[str, SortKey] = {}
    for item in text.split(","):
        descending = item.startswith("-")
        column = _column(columns, item[1:] if descending else item)
        if column.type not in ORDERABLE_TYPES:
            raise field_error("invalid_value", column.name, "cannot sort by a jsonb column")
        keys.setdefault(column.name, SortKey(column.name, descending))  # a repeat sorts nothing
    return tuple(keys.values())


def compile_select(columns: Mapping[str, ColumnDef], text: str) -> tuple[str, ...]:
    """Validate a ``_select`` list against ``columns``; return the names, first wins."""
    names: list[str] = []
    for item in text.split(","):
        name = _column(columns, item).name
        if name not in names:
            names.append(name)
    return tuple(names)


def compile_row_selection(
    pairs: Sequence[tuple[str, str]], columns: Mapping[str, ColumnDef]
) -> RowSelection:
    """Compile the query pairs of a row list or count against the table's ``columns``.

    ``columns`` maps every column name (implicit ones included) to its definition.
    """
    selection = RowSelection(paging=parse_paging(pairs))
    sort = _single(pairs, "sort")
    if sort is not None:
        selection.sort = _compile_sort(columns, sort)
    select = _single(pairs, "_select")
    if select is not None:
        selection.select = compile_select(columns, select)
    filters = [(key, value) for key, value in pairs if key not in RESERVED_PARAMS]
    if len(filters) > MAX_FILTERS or sum(v.count(",") for _, v in filters) > MAX_FILTER_VALUES:
        raise ApiError(
            "invalid_value",
            f"at most {MAX_FILTERS} filters and {MAX_FILTER_VALUES} in-list values per query",
            fields=[{"name": "where", "code": "invalid_value"}],
        )
    for key, value in filters:
        selection.conditions.append(compile_filter(_column(columns, key), value))
    selection.filter_count = len(selection.conditions)
    return selection
