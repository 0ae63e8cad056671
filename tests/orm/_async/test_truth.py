"""Queries and values that tell the truth (#13 items 8, 14-16) against the emulator."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from uuid import UUID

import pytest
from typed.models import Ticket

from axhub_orm import AsyncApp, AsyncTable, Column, DoesNotExist, ValidationError
from axhub_orm.testing import AsyncCountingTransport

pytestmark = pytest.mark.anyio


async def _typed_tickets(app: AsyncApp) -> AsyncTable:
    """A `tickets` table made from the Ticket model, with one open and one closed row."""
    await app.tables.sync(Ticket)
    table = await app.tables.get("tickets")
    await table.rows.create(title="a", status="open")
    await table.rows.create(title="b", status="closed")
    return table


async def test_truth_test_of_a_query_refuses_and_points_to_exists(
    tickets: AsyncTable, counter: AsyncCountingTransport
) -> None:
    """bool(query) and `in` raise TypeError pointing to .exists(), and send no request."""
    query = tickets.rows.filter(title="gone")
    with pytest.raises(TypeError, match=r"\.exists\(\)"):
        bool(query)
    with pytest.raises(TypeError, match=r"\.exists\(\)"):
        assert "x" in query  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"\.exists\(\)"):
        bool(query.typed(Ticket))
    assert counter.requests == []
    assert await query.exists() is False


async def test_typed_query_verbs_act_only_on_rows_the_query_matches(
    counted_app: AsyncApp,
) -> None:
    """delete/save/refresh on a filtered typed query refuse a row the query does not match."""
    table = await _typed_tickets(counted_app)
    tickets = table.rows.typed(Ticket)
    closed = await tickets.get(title="b")
    open_tickets = tickets.filter(status="open")
    with pytest.raises(DoesNotExist, match="delete"):
        await open_tickets.delete(closed)
    with pytest.raises(DoesNotExist, match="refresh"):
        await open_tickets.refresh(closed)
    closed.priority = 9
    with pytest.raises(DoesNotExist, match="save"):
        await open_tickets.save(closed)
    assert (await table.rows.get(title="b"))["priority"] == 0
    opened = await open_tickets.get(title="a")
    opened.priority = 2
    await open_tickets.save(opened)
    await open_tickets.refresh(opened)
    assert opened.priority == 2
    await open_tickets.delete(opened)
    assert await table.rows.filter(title="a").exists() is False


async def test_does_not_exist_shows_the_public_query_and_no_transport_wording(
    tickets: AsyncTable,
) -> None:
    """DoesNotExist shows the public request (explain()), no QuerySpec and no transport wording."""
    with pytest.raises(DoesNotExist) as info:
        await tickets.rows.filter(status="gone").get()
    text = str(info.value)
    assert "QuerySpec" not in text and "not sent" not in text
    assert "status=eq.gone" in text


COLUMNS = [Column("f", "float"), Column("meta", "jsonb"), Column("title", "text")]
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
NESTED = {"due": date(2026, 1, 2), "at": [WHEN], "ref": UUID(int=1), "cost": Decimal("2.25")}
ENCODED = {
    "due": "2026-01-02",
    "at": ["2026-01-02T03:04:05.000000Z"],
    "ref": "00000000-0000-0000-0000-000000000001",
    "cost": 2.25,
}
REFUSED = [
    ({"f": float("nan")}, "f", "nan"),
    ({"f": Decimal("NaN")}, "f", "NaN"),
    ({"f": Decimal("0.1234567890123456789012")}, "f", "digits"),
    ({"meta": {"tags": {"a", "b"}}}, "meta at $.tags", "set"),
    ({"meta": {"log": [1, {"when": datetime(2026, 1, 1)}]}}, "meta at $.log[1].when", "naive"),
    ({"meta": {"blob": b"x"}}, "meta at $.blob", "bytes"),
    ({"meta": {1: "x"}}, "meta", "key"),
]


async def test_rows_encode_decimal_date_uuid_anywhere_and_refuse_the_rest(
    counted_app: AsyncApp, counter: AsyncCountingTransport
) -> None:
    """Decimal, date, datetime, UUID encode at any depth; the rest is refused by column and path."""
    table = await counted_app.tables.create("things", columns=COLUMNS)
    row = await table.rows.create(f=Decimal("1.5"), meta=NESTED, title="a")
    stored = await table.rows.get(row.id)
    assert (stored["f"], stored["meta"]) == (1.5, ENCODED)
    before = len(counter.requests)
    for values, where, problem in REFUSED:
        with pytest.raises(ValidationError) as info:
            await table.rows.create(title="b", **values)
        assert info.value.message.startswith(where + ":") and problem in info.value.message
        assert info.value.fields[0]["name"] == where.split()[0]
    assert len(counter.requests) == before
