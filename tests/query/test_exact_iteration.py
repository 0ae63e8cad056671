"""Exact iteration against the emulator: the loop that updates or deletes what it reads.

Issue #12's reproduction: iterating ``filter(status="pending")`` and closing (or deleting)
every row used to skip rows, because offset pages shifted under the loop. Iteration now pages
by key, so the loop leaves nothing pending, whatever the order.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from axhub_orm import Column

from .conftest import async_in_process

_tables = itertools.count(1)
_COLUMNS = [
    Column("owner_id", "uuid", nullable=False),
    Column("status", "text", nullable=False),
    Column("a", "int"),
    Column("t", "text"),
    Column("f", "float"),
    Column("ts", "timestamptz"),
]
_KEYS = ["status", "a", "t", "f", "ts", "id", "created_at"]
orders = st.lists(st.tuples(st.sampled_from(_KEYS), st.booleans()), min_size=0, max_size=2).map(
    lambda fields: [f"-{name}" if desc else name for name, desc in fields]
)


def _values(i: int) -> dict[str, Any]:
    """Row ``i``: many ties and NULLs in every key column."""
    return {
        "status": "pending",
        "a": None if i % 7 == 0 else i % 5,
        "t": [None, "x", "null", "y"][i % 4],
        "f": None if i % 11 == 0 else (i % 3) / 2,
        "ts": None if i % 6 == 0 else f"2024-01-0{1 + i % 3}T00:00:00Z",
    }


def _pending_table(app: Any, rows: int) -> Any:
    table = app.tables.create(f"pending{next(_tables)}", columns=_COLUMNS, owner_column="owner_id")
    table.rows.bulk_create(_values(i) for i in range(rows))
    return table


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(order=orders, delete=st.booleans())
def test_loop_that_closes_what_it_reads_leaves_nothing_pending(
    module_app: Any, order: list[str], delete: bool
) -> None:
    """Updating (or deleting) each row of 250 pending ones while iterating reaches all 250."""
    table = _pending_table(module_app, 250)
    seen = 0
    for row in table.rows.filter(status="pending").order_by(*order):
        seen += 1
        if delete:
            row.delete()
        else:
            row["status"] = "closed"
            row.save()
    assert seen == 250
    assert table.rows.filter(status="pending").count() == 0
    assert table.rows.count() == (0 if delete else 250)
    table.delete()


@pytest.mark.parametrize("delete", [False, True])
def test_1000_rows_all_closed_or_deleted(module_app: Any, delete: bool) -> None:
    """The same loop over 1,000 rows ordered by a column full of ties and NULLs."""
    table = _pending_table(module_app, 1000)
    for row in table.rows.filter(status="pending").order_by("-a", "t"):
        if delete:
            row.delete()
        else:
            row["status"] = "closed"
            row.save()
    assert table.rows.filter(status="pending").count() == 0
    assert table.rows.count() == (0 if delete else 1000)
    table.delete()


@pytest.mark.anyio
async def test_async_loop_leaves_nothing_pending(axhub_local: Any, module_app: Any) -> None:
    """``async for`` pages by key too: closing and deleting while iterating reach every row."""
    table = _pending_table(module_app, 250)
    async with async_in_process(axhub_local) as client:
        app = await client.apps.get(str(module_app.id))
        rows = (await app.tables.get(table.name)).rows
        async for row in rows.filter(status="pending").order_by("ts", "-f"):
            row["status"] = "closed"
            await row.save()
        assert await rows.filter(status="pending").count() == 0
        async for row in rows.order_by("t"):
            await row.delete()
        assert await rows.count() == 0
    table.delete()


def test_pages_are_full_and_numbered_while_rows_are_deleted(module_app: Any) -> None:
    """``pages()`` yields pages of 100 rows numbered 1, 2, 3 while the loop deletes them."""
    table = _pending_table(module_app, 250)
    sizes = []
    for number, page in table.rows.order_by("a").pages():
        sizes.append((number, len(page)))
        for row in page:
            row.delete()
    assert sizes == [(1, 100), (2, 100), (3, 50)]
    assert table.rows.count() == 0
    table.delete()


def test_projection_keeps_only_the_selected_columns(module_app: Any) -> None:
    """only() rows carry just the chosen columns, though the sort key is fetched to page."""
    table = _pending_table(module_app, 120)
    rows = list(table.rows.order_by("-a").only("t"))
    assert len(rows) == 120
    assert {frozenset(row) for row in rows} == {frozenset({"t", "id"})}
    table.delete()
