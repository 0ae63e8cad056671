r"""Differential tests: every query against the emulator equals the oracle's evaluation.

Hypothesis draws rows (all eight column types, NULLs, unicode, ``%``, ``_`` and ``\`` in text)
and queries (lookups, orders, projections, slices); the rows the emulator returns for ``all()``,
``count()``, ``exists()``, ``first()``, ``q[i]`` and ``pages()`` must equal what
``query_oracle`` computes from the same rows. With an order the ids must match in order (the
spec appends ``id`` for ties); without one the server returns insertion order, which the oracle
keeps, so the comparison is exact either way.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st
from query_oracle import OracleRejectedError, count, evaluate

from axhub_orm import AxHub, QueryError, ValidationError
from axhub_orm._query import QuerySpec
from axhub_orm.local import LocalAxHub

from .conftest import OWNED_TYPES, TYPED_COLUMNS, async_in_process, owned_columns

Row = dict[str, Any]

# --- values --------------------------------------------------------------------------------

TEXT_POOL = [
    "",
    "a",
    "A",
    "ab",
    "abc",
    "b",
    "a%b",
    "a_b",
    "aXb",
    "50%",
    "500",
    "%",
    "_",
    "x_y",
    "\\",
    "a\\b",
    "null",
    "é",
    "É",
    "ß",
    "日本",
    "😀",
    "a😀",
    " a",
    "a,b",
    "Null",
]
_CHARS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
_TEXT = st.one_of(
    st.sampled_from(TEXT_POOL),
    st.text(alphabet=st.one_of(_CHARS, st.sampled_from("%_\\aAb,")), max_size=6),
)
_TZ = st.sampled_from(
    [timezone.utc, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
)
_INSTANTS = [
    datetime(2024, 1, 1, tzinfo=timezone.utc),
    datetime(2024, 1, 1, 5, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),  # same instant
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
]
_DATETIMES = st.one_of(
    st.sampled_from(_INSTANTS),
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1), timezones=_TZ),
)
_UUIDS = st.one_of(
    st.sampled_from([UUID(int=0), UUID(int=1), UUID("ffffffff-ffff-4fff-bfff-ffffffffffff")]),
    st.uuids(),
)
_FLOATS = st.one_of(
    st.sampled_from([0.0, -0.0, 0.5, 1.0, -1.5, 3.0]),
    st.floats(allow_nan=False, allow_infinity=False),
)
_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.5, -2.25, 1.0, -0.0, 1e16]),
    st.text(alphabet="ab%é", max_size=3),
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text("abé", max_size=2), inner, max_size=3)
    ),
    max_leaves=5,
)

VALUES: dict[str, st.SearchStrategy[Any]] = {
    "text": _TEXT,
    "int": st.one_of(st.integers(-3, 3), st.integers(-(2**31), 2**31 - 1)),
    "bigint": st.one_of(st.integers(-3, 3), st.integers(-(2**63), 2**63 - 1)),
    "float": _FLOATS,
    "bool": st.booleans(),
    "timestamptz": _DATETIMES,
    "uuid": _UUIDS,
    "jsonb": _JSON.filter(lambda value: value is not None),
}
"""A value strategy per column type (``None`` is added separately, as SQL NULL)."""


def _column_value(type_: str) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), VALUES[type_])


ROWS = st.fixed_dictionaries({name: _column_value(type_) for name, type_ in TYPED_COLUMNS.items()})
"""One row to insert: every typed column, each possibly NULL."""

# --- queries -------------------------------------------------------------------------------

ORDERABLE = ["t", "i", "b", "f", "ok", "ts", "u", "id", "created_at"]
_OPS_BY_TYPE = {
    "text": [
        "eq",
        "ne",
        "gt",
        "gte",
        "lt",
        "lte",
        "in",
        "contains",
        "startswith",
        "endswith",
        "like",
        "isnull",
    ],
    "jsonb": ["eq", "ne", "isnull"],
}
_DEFAULT_OPS = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "isnull"]
_LIKE_PIECES = ["%", "_", "a", "b", "é", "\\%", "\\_", "\\\\", "%a", "b%"]


@st.composite
def lookup_values(draw: st.DrawFn, type_: str, seen: Sequence[Any]) -> Any:
    """A value for a lookup: often one present in the rows, so that filters match."""
    present = [value for value in seen if value is not None]
    if present and draw(st.booleans()):
        return draw(st.sampled_from(present))
    return draw(VALUES[type_])


@st.composite
def lookups(draw: st.DrawFn, rows: Sequence[Row], types: dict[str, str]) -> tuple[str, Any]:
    """One ``(key, value)`` filter lookup on a column of ``types``."""
    column = draw(st.sampled_from(sorted(types)))
    type_ = types[column]
    op = draw(st.sampled_from(_OPS_BY_TYPE.get(type_, _DEFAULT_OPS)))
    seen = [row.get(column) for row in rows]
    if op == "isnull":
        return f"{column}__isnull", draw(st.booleans())
    if op == "in":
        items = draw(st.lists(lookup_values(type_, seen), min_size=1, max_size=3))
        return f"{column}__in", items
    if op in ("contains", "startswith", "endswith"):
        text = draw(lookup_values(type_, seen))
        start = draw(st.integers(0, len(text)))
        return f"{column}__{op}", text[start : start + draw(st.integers(0, 3))]
    if op == "like":
        return f"{column}__like", "".join(draw(st.lists(st.sampled_from(_LIKE_PIECES), max_size=4)))
    value = draw(lookup_values(type_, seen))
    return (column if op == "eq" and draw(st.booleans()) else f"{column}__{op}"), value


@st.composite
def orders(draw: st.DrawFn) -> list[str]:
    """Zero to three order fields, each ascending or descending."""
    names = draw(st.lists(st.sampled_from(ORDERABLE), max_size=3, unique=True))
    return [f"-{name}" if draw(st.booleans()) else name for name in names]


@st.composite
def windows(draw: st.DrawFn, size: int) -> tuple[int | None, int | None] | None:
    """No slice, or ``(start, stop)`` around the row count (either end may be open)."""
    if draw(st.booleans()):
        return None
    start = draw(st.one_of(st.none(), st.integers(0, size + 3)))
    stop = draw(st.one_of(st.none(), st.integers(start or 0, size + 5)))
    return start, stop


def _build(
    base: Any,
    lookup_list: Sequence[tuple[str, Any]],
    order: Sequence[str],
    window: tuple[int | None, int | None] | None,
    select: Sequence[str] | None,
) -> Any:
    """Apply drawn lookups (skipping ones the wire cannot express), order, only and a slice."""
    query = base
    for key, value in lookup_list:
        try:
            query = query.filter(**{key: value})
        except QueryError as exc:
            # Refusals are their own tests; here they only mark an inexpressible lookup.
            _note(f"refused lookup: {exc.code}")
    if order:
        query = query.order_by(*order)
    if select:
        query = query.only(*select)
    if window is not None:
        query = query[window[0] : window[1]]
    return query


def _note(what: str) -> None:
    if currently_in_test_context():  # the fixed-case tests share the checks
        event(what)


def _dicts(rows: Sequence[Any]) -> list[Row]:
    return [row.to_dict() for row in rows]


def check_against_oracle(query: Any, rows: Sequence[Row], types: dict[str, str]) -> None:
    """Assert every terminal operation of ``query`` matches the oracle on ``rows``."""
    spec: QuerySpec = query.spec
    try:
        expected = evaluate(rows, spec, types)
        expected_count = count(rows, spec, types)
    except OracleRejectedError:
        _note("rejected by the oracle")
        with pytest.raises(ValidationError) as refused:
            query.count()
        assert refused.value.status == 400
        return
    got = _dicts(query.all())
    assert [row["id"] for row in got] == [row["id"] for row in expected]
    assert got == expected
    assert query.count() == expected_count
    assert query.exists() is bool(expected)
    first = query.first()
    assert (None if first is None else first.to_dict()) == (expected[0] if expected else None)
    _note(f"matched {'some' if expected else 'none'}")


# --- random rows, one batch per example ----------------------------------------------------

_batches = itertools.count(1)


@pytest.fixture(scope="module")
def owned(hub: AxHub, module_app: Any) -> Any:
    """An owner-scoped table with one column of each type (unfiltered queries are allowed)."""
    return module_app.tables.create("owned", columns=owned_columns(), owner_column="owner_id")


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), new_rows=st.lists(ROWS, max_size=40))
def test_random_rows_and_queries_match_the_oracle(
    owned: Any, data: st.DataObject, new_rows: list[Row]
) -> None:
    """Random rows of all eight types and random queries give exactly the oracle's rows."""
    batch = next(_batches)
    rows = [owned.rows.create(batch=batch, **values).to_dict() for values in new_rows]
    base = owned.rows.filter(batch=batch)
    for _ in range(3):
        lookup_list = data.draw(st.lists(lookups(rows, OWNED_TYPES), max_size=3))
        order = data.draw(orders())
        select = data.draw(
            st.one_of(
                st.none(), st.lists(st.sampled_from(sorted(TYPED_COLUMNS)), min_size=1, max_size=3)
            )
        )
        query = _build(base, lookup_list, order, data.draw(windows(len(rows))), select)
        check_against_oracle(query, rows, OWNED_TYPES)


# --- one dataset of 150 rows, slices across page boundaries --------------------------------

_SMALL_POOLS: dict[str, list[Any]] = {
    "t": [
        "a",
        "ab",
        "A",
        "a%b",
        "a_b",
        "aXb",
        "a\\%b",
        "50%",
        "500",
        "é",
        "😀",
        "null",
        "",
        "x\\y",
    ],
    "i": [-1, 0, 1, 2, 2**31 - 1],
    "b": [-(2**63), 0, 7, 2**63 - 1],
    "f": [-1.5, 0.0, 0.5, 1e300],
    "ok": [True, False],
    "ts": [datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(hours=h) for h in (0, 1, 30)],
    "u": [UUID(int=n) for n in (1, 2, 3)],
    "j": [{"a": 1}, [1, 2], 3, "x", True],
}
BIG = 150


def _big_rows() -> Iterator[Row]:
    rng = random.Random(5)  # noqa: S311  # test data, not crypto
    for _ in range(BIG):
        yield {
            name: None if rng.random() < 0.15 else rng.choice(pool)
            for name, pool in _SMALL_POOLS.items()
        }


@dataclass(frozen=True, repr=False)
class Dataset:
    """A table and its rows as inserted; a short repr keeps Hypothesis' reports readable."""

    table: Any
    rows: list[Row]

    def __repr__(self) -> str:
        return f"<Dataset {self.table.name}: {len(self.rows)} rows>"


@pytest.fixture(scope="module")
def big(hub: AxHub, module_app: Any) -> Dataset:
    """An owner-scoped table of 150 rows with many ties and NULLs, and its rows as inserted."""
    table = module_app.tables.create("big", columns=owned_columns(), owner_column="owner_id")
    return Dataset(table, [table.rows.create(**values).to_dict() for values in _big_rows()])


_PAGE_EDGES = st.one_of(st.integers(0, BIG + 5), st.sampled_from([95, 99, 100, 101, 105, 149, 150]))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_queries_over_150_rows_match_the_oracle(big: Dataset, data: st.DataObject) -> None:
    """Lookups, orders and slices crossing the 100-row page boundary match the oracle."""
    table, rows = big.table, big.rows
    lookup_list = data.draw(st.lists(lookups(rows, OWNED_TYPES), max_size=2))
    start = data.draw(st.one_of(st.none(), _PAGE_EDGES))
    stop = data.draw(st.one_of(st.none(), _PAGE_EDGES))
    query = _build(table.rows, lookup_list, data.draw(orders()), (start, stop), None)
    check_against_oracle(query, rows, OWNED_TYPES)


_WILDCARD_PROBES = st.tuples(
    st.sampled_from(["t__contains", "t__startswith", "t__endswith"]),
    st.sampled_from(["_", "%", "a_", "_b", "a%", "%b", "\\", "\\%", "a_b", "a%b", "0%", "X"]),
)
"""Substring lookups whose text holds LIKE wildcards: they must match literally."""


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_text_lookups_match_the_oracle(big: Dataset, data: st.DataObject) -> None:
    """Text lookups (wildcards and backslashes in values, raw like patterns) match the oracle."""
    table, rows = big.table, big.rows
    text_lookups = st.one_of(lookups(rows, {"t": "text"}), _WILDCARD_PROBES)
    lookup_list = data.draw(st.lists(text_lookups, min_size=1, max_size=2))
    query = _build(table.rows, lookup_list, data.draw(orders()), None, None)
    check_against_oracle(query, rows, OWNED_TYPES)
    # The oracle reads the compiled wire values; check the intent too, in plain Python.
    applied = [(key, value) for key, value in lookup_list if _expressible(key, value)]
    if any(key.endswith("__like") for key, _ in applied):
        return  # a raw pattern means what the oracle says
    intended = {row["id"] for row in rows if all(_means(row["t"], k, v) for k, v in applied)}
    assert {row.id for row in query} == intended


def _expressible(key: str, value: Any) -> bool:
    try:
        QuerySpec().filter(**{key: value})
    except QueryError:
        return False
    return True


def _means(text: str | None, key: str, value: Any) -> bool:
    """What a text lookup means in Python, independent of its wire encoding."""
    lookup = key.partition("__")[2] or "eq"
    if lookup == "isnull":
        return (text is None) is value
    if text is None:
        return False
    tests: dict[str, Callable[[str], bool]] = {
        "eq": lambda t: t == value,
        "ne": lambda t: t != value,
        "gt": lambda t: t > value,
        "gte": lambda t: t >= value,
        "lt": lambda t: t < value,
        "lte": lambda t: t <= value,
        "in": lambda t: t in value,
        "contains": lambda t: value in t,
        "startswith": lambda t: t.startswith(value),
        "endswith": lambda t: t.endswith(value),
    }
    return tests[lookup](text)


@pytest.mark.parametrize(
    ("start", "stop"),
    [(95, 105), (0, 150), (99, 101), (100, None), (None, 101), (120, 250), (149, 150)],
)
def test_fixed_slices_cross_pages_like_the_oracle(
    big: Dataset, start: int | None, stop: int | None
) -> None:
    """Slices at and across the page boundary return the oracle's rows, ordered and not."""
    table, rows = big.table, big.rows
    for base in (table.rows, table.rows.order_by("-t", "f")):
        check_against_oracle(base[start:stop], rows, OWNED_TYPES)


def test_pages_and_indexing_match_the_oracle(big: Dataset) -> None:
    """``pages()`` yields numbered pages whose rows concatenate to the oracle's; ``q[i]`` too."""
    table, rows = big.table, big.rows
    query = table.rows.order_by("ts", "-i")
    expected = evaluate(rows, query.spec, OWNED_TYPES)
    pages = list(query.pages())
    assert [number for number, _ in pages] == [1, 2]
    assert [len(page) for _, page in pages] == [100, 50]
    assert [row.to_dict() for _, page in pages for row in page] == expected
    for index in (0, 99, 100, 149):
        assert query[index].to_dict() == expected[index]
    with pytest.raises(IndexError):
        query[150]


def test_projection_returns_only_the_selected_columns(big: Dataset) -> None:
    """``only()`` rows hold the selected columns plus ``id``, as the oracle projects them."""
    table, rows = big.table, big.rows
    query = table.rows.filter(ok__isnull=False).only("t", "j").order_by("u")[90:110]
    expected = evaluate(rows, query.spec, OWNED_TYPES)
    assert expected and set(expected[0]) == {"t", "j", "id"}
    assert _dicts(query.all()) == expected


PARITY_QUERIES = [
    lambda rows: rows.filter(t__contains="%").order_by("-ts"),
    lambda rows: rows.filter(ok__isnull=False).order_by("f", "-u")[95:105],
    lambda rows: rows.filter(j={"a": 1}),
    lambda rows: rows.order_by("t")[140:],
    lambda rows: rows.filter(b__in=[0, 7]).only("b", "ts")[:120],
]


@pytest.mark.anyio
async def test_async_queries_return_what_sync_and_the_oracle_do(
    big: Dataset, axhub_local: LocalAxHub
) -> None:
    """The async twin returns the same rows, count, first row and ``await q[0]`` as sync."""
    table, rows = big.table, big.rows
    async with async_in_process(axhub_local) as client:
        app = await client.apps.get(str(table.app.id))
        async_table = await app.tables.get(table.name)
        for make in PARITY_QUERIES:
            query, async_query = make(table.rows), make(async_table.rows)
            expected = evaluate(rows, query.spec, OWNED_TYPES)
            assert expected, "a parity query should match rows"
            assert _dicts(query.all()) == expected
            assert [row.to_dict() async for row in async_query] == expected
            assert await async_query.count() == query.count() == len(expected)
            assert await async_query.exists() is True
            assert (await async_query.first()).to_dict() == expected[0]
            assert (await async_query[0]).to_dict() == expected[0]
            pages = [page async for page in async_query.pages()]
            assert [row.to_dict() for _, page in pages for row in page] == expected


def test_jsonb_numbers_compare_numerically(owned: Any) -> None:
    """A jsonb filter on 1 matches rows holding 1.0 (and [1] matches [1.0]), as in PostgreSQL."""
    batch = next(_batches)
    values = [1, 1.0, [1], [1.0], {"a": 1}, {"a": 1.0}, 10**16, 1e16]
    stored = [owned.rows.create(batch=batch, j=value).to_dict() for value in values]
    base = owned.rows.filter(batch=batch)
    for value in (1, [1.0], {"a": 1}, 1e16):
        query = base.filter(j=value)
        expected = evaluate(stored, query.spec, OWNED_TYPES)
        assert len(expected) == 2  # the oracle: 1 and 1.0 are the same jsonb number
        assert _dicts(query.all()) == expected
        assert query.count() == 2
    assert base.filter(j__in=[1, 2]).count() == 2
    assert base.filter(j__ne=1.0).count() == len(values) - 2
