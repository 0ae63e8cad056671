"""Refusals and errors: what the wire cannot express fails before any request, typed.

Client-side refusals are :class:`QueryError` with ``status`` ``None`` and a message naming the
fix, and the counting transport proves nothing was sent. Backend answers become typed errors:
the where-required 400 is :class:`FilterRequiredError`; ``get()`` raises the query's
``DoesNotExist`` / ``MultipleObjectsReturned``, which are also ``NotFoundError`` /
``ConflictError`` and ``AxHubError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from axhub_orm import (
    AsyncAxHub,
    AxHubError,
    Column,
    ConflictError,
    FilterRequiredError,
    NotFoundError,
    QueryError,
    ValidationError,
)
from axhub_orm.testing import AsyncCountingTransport

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def tables(module_app: Any) -> tuple[Any, Any]:
    """An owner-scoped table and a table without owner column, three rows each."""
    owned = module_app.tables.create(
        "owned",
        columns=[
            Column("owner_id", "uuid", nullable=False),
            Column("title", "text"),
            Column("sort", "int"),
        ],
        owner_column="owner_id",
    )
    shared = module_app.tables.create("shared", columns=[Column("title", "text")])
    for table in (owned, shared):
        for title in ("a", "b", "b"):
            table.rows.create(title=title)
    return owned, shared


@pytest.fixture
async def owned(
    tables: tuple[Any, Any], async_counted: tuple[AsyncAxHub, AsyncCountingTransport]
) -> Any:
    """The owner-scoped table, loaded by the counting client (its loading forgotten)."""
    client, transport = async_counted
    loaded = await (await client.apps.get(str(tables[0].app.id))).tables.get("owned")
    transport.reset()
    return loaded


@pytest.fixture
async def shared(
    tables: tuple[Any, Any], async_counted: tuple[AsyncAxHub, AsyncCountingTransport]
) -> Any:
    """The table without owner column, loaded by the counting client (its loading forgotten)."""
    client, transport = async_counted
    loaded = await (await client.apps.get(str(tables[0].app.id))).tables.get("shared")
    transport.reset()
    return loaded


@pytest.fixture
def sent(async_counted: tuple[AsyncAxHub, AsyncCountingTransport]) -> AsyncCountingTransport:
    """The counting transport of the test's client."""
    return async_counted[1]


class NotAColumn:
    """A stand-in for a Django ``Q`` object: a positional filter argument."""


REFUSALS: list[tuple[str, Callable[[Any], Any], str, str]] = [
    (
        "unknown lookup",
        lambda rows: rows.filter(title__icontains="a"),
        "unknown_lookup",
        "case-sensitive",
    ),
    (
        "misspelt lookup",
        lambda rows: rows.filter(title__gtee="a"),
        "unknown_lookup",
        "did you mean __gte?",
    ),
    ("OR", lambda rows: rows.filter(title__or="a"), "unsupported_query", "one query per branch"),
    ("NOT", lambda rows: rows.filter(title__not="a"), "unsupported_query", "invert the condition"),
    (
        "Q-like group",
        lambda rows: rows.filter(NotAColumn()),
        "unsupported_query",
        "pass keyword lookups",
    ),
    (
        "nested lookup",
        lambda rows: rows.filter(title__owner__eq="a"),
        "unsupported_query",
        "one column with one lookup",
    ),
    (
        "unknown column",
        lambda rows: rows.filter(titel="a"),
        "unknown_column",
        "did you mean 'title'",
    ),
    (
        "unknown order column",
        lambda rows: rows.order_by("-priority"),
        "unknown_column",
        "use one of",
    ),
    ("unknown only column", lambda rows: rows.only("body"), "unknown_column", "use one of"),
    ("random order", lambda rows: rows.order_by("?"), "unsupported_query", "shuffle in Python"),
    (
        "per_page as a filter",
        lambda rows: rows.filter(per_page=10),
        "unsupported_query",
        "slice the query",
    ),
    ("page as a filter", lambda rows: rows.filter(page=2), "unsupported_query", "pages()"),
    (
        "filter on a column named sort",
        lambda rows: rows.filter(sort=1),
        "unsupported_query",
        "ordering by it works",
    ),
    ("negative index", lambda rows: rows[-1], "invalid_slice", "reverse order_by()"),
    ("negative slice", lambda rows: rows[-5:], "invalid_slice", "q.count()"),
    ("negative stop", lambda rows: rows[:-1], "invalid_slice", "non-negative int"),
    ("slice step", lambda rows: rows[::2], "invalid_slice", "[::step]"),
    ("negative limit", lambda rows: rows.limit(-1), "invalid_slice", "non-negative int"),
    (
        "filter after slicing",
        lambda rows: rows[:5].filter(title="a"),
        "unsupported_query",
        "before slicing",
    ),
    (
        "order after slicing",
        lambda rows: rows[:5].order_by("title"),
        "unsupported_query",
        "before slicing",
    ),
    (
        "text 'null' with eq",
        lambda rows: rows.filter(title="null"),
        "invalid_value",
        "title__like='null'",
    ),
    ("None with eq", lambda rows: rows.filter(title=None), "invalid_value", "title__isnull=True"),
    (
        "comma in an IN list",
        lambda rows: rows.filter(title__in=["a,b"]),
        "invalid_value",
        "its own query",
    ),
    ("empty IN list", lambda rows: rows.filter(title__in=[]), "invalid_value", "skip the query"),
    (
        "wildcard-only like",
        lambda rows: rows.filter(title__like="%%"),
        "invalid_value",
        "title__isnull=False",
    ),
]


@pytest.mark.parametrize(
    ("make", "code", "fix"), [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS]
)
async def test_inexpressible_queries_are_refused_before_sending(
    owned: Any, sent: AsyncCountingTransport, make: Callable[[Any], Any], code: str, fix: str
) -> None:
    """Each inexpressible query raises a typed QueryError naming the fix, and sends nothing."""
    with pytest.raises(QueryError) as refused:
        make(owned.rows)
    assert (refused.value.code, refused.value.status) == (code, None)
    assert fix in refused.value.message
    assert isinstance(refused.value, ValidationError)
    assert sent.requests == []


async def test_unfiltered_query_on_a_table_without_owner_needs_a_filter(
    shared: Any, sent: AsyncCountingTransport
) -> None:
    """Listing or counting an owner-less table unfiltered raises FilterRequiredError (400)."""
    for consume in (lambda q: q.count(), lambda q: q.all(), lambda q: q.first()):
        with pytest.raises(FilterRequiredError) as required:
            await consume(shared.rows.order_by("title")[:10])
        error = required.value
        assert (error.status, error.code) == (400, "required")
        assert "add one, e.g. .filter(" in error.message and "'shared'" in error.message
        assert isinstance(error, QueryError)
    assert len(sent.requests) == 3
    assert await shared.rows.filter(title="b").count() == 2


async def test_does_not_exist_is_catchable_three_ways(owned: Any) -> None:
    """``get()`` of nothing raises the query's DoesNotExist, a NotFoundError and an AxHubError."""
    for error_type in (owned.rows.DoesNotExist, NotFoundError, AxHubError):
        with pytest.raises(error_type) as missing:
            await owned.rows.get(title="zzz")
        assert isinstance(missing.value, owned.rows.DoesNotExist)
        assert "title=eq.zzz" in missing.value.message


async def test_multiple_objects_returned_is_catchable_three_ways(owned: Any) -> None:
    """``get()`` of two rows raises MultipleObjectsReturned, a ConflictError, an AxHubError."""
    for error_type in (owned.rows.MultipleObjectsReturned, ConflictError, AxHubError):
        with pytest.raises(error_type) as many:
            await owned.rows.filter(title="b").get()
        assert isinstance(many.value, owned.rows.MultipleObjectsReturned)
        assert "add filters" in many.value.message


async def test_get_of_a_deleted_row_raises_does_not_exist(owned: Any) -> None:
    """``get(row_id)`` of a row deleted meanwhile raises DoesNotExist with the 404."""
    row = await owned.rows.create(title="gone")
    await row.delete()
    with pytest.raises(owned.rows.DoesNotExist) as gone:
        await owned.rows.get(row.id)
    assert gone.value.status in (404, 410)
    assert row.id in gone.value.message


async def test_get_by_id_on_a_filtered_query_also_checks_the_filters(
    owned: Any, sent: AsyncCountingTransport
) -> None:
    """``filter(...).get(row_id)`` returns the row only if it matches the filters too."""
    row = await owned.rows.get(title="a")
    assert (await owned.rows.filter(title="a").get(row.id)).to_dict() == row.to_dict()
    with pytest.raises(owned.rows.DoesNotExist):
        await owned.rows.filter(title="b").get(row.id)
    assert (await owned.rows.only("title").get(row.id)).to_dict() == {"id": row.id, "title": "a"}
    assert [r.url.params.get("id") for r in sent.requests[1:]] == [f"eq.{row.id}"] * 3
    sent.reset()
    with pytest.raises(ValidationError, match="not both"):
        await owned.rows.get(row.id, title="a")
    with pytest.raises(QueryError, match="before slicing"):
        await owned.rows[:2].get(row.id)
    assert sent.requests == []


async def test_get_on_a_slice_looks_inside_the_slice(owned: Any) -> None:
    """``q[:1].get()`` finds the one row of the window, as in Django."""
    assert (await owned.rows.order_by("title")[:1].get())["title"] == "a"
    with pytest.raises(owned.rows.MultipleObjectsReturned):
        await owned.rows.order_by("-title")[:2].get()


async def test_index_beyond_the_end_raises_index_error(owned: Any) -> None:
    """``q[i]`` past the last row raises IndexError; within range it returns the row."""
    query = owned.rows.filter(title__in=["a", "b"]).order_by("title")
    assert (await query[2])["title"] == "b"
    with pytest.raises(IndexError):
        await query[3]


async def test_pages_yield_page_numbers_and_rows(owned: Any) -> None:
    """``pages()`` yields ``(page_number, rows)``; an empty result yields nothing."""
    query = owned.rows.filter(title__in=["a", "b"]).order_by("title")
    pages = [page async for page in query.pages()]
    assert [(number, [row["title"] for row in rows]) for number, rows in pages] == [
        (1, ["a", "b", "b"])
    ]
    assert [page async for page in owned.rows.filter(title="zzz").pages()] == []
