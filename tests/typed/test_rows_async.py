"""Typed rows through the async client: the same behavior as the sync twin, awaited."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from uuid import UUID

import pytest

from axhub_orm import (
    AsyncApp,
    AsyncTable,
    Column,
    LocalAxHub,
    QueryError,
    RowValidationError,
    StateError,
)
from axhub_orm.testing import AsyncCountingTransport, unique_slug

from .models import Address, Everything, Ticket

pytestmark = pytest.mark.anyio


async def test_async_typed_rows_round_trip_and_patch_one_column(axhub_local: LocalAxHub) -> None:
    """Every type round-trips; editing one field PATCHes only its alias; nothing bad is sent."""
    counter = AsyncCountingTransport()
    async with axhub_local.async_client(transport=counter) as hub:
        app = await hub.apps.create(slug=unique_slug("atyped"), name="async typed")
        await app.tables.sync(Everything, owner_column="owner_id")
        rows = (await app.tables.get("everything")).rows.typed(Everything)
        when = datetime(2024, 2, 29, 23, 59, 59, 1, tzinfo=timezone(timedelta(hours=-5)))
        ref = UUID(int=7)
        item = await rows.create(
            text="t",
            number=3,
            big=2**50,
            ratio=1.5,
            flag=True,
            when=when,
            ref=ref,
            address=Address(city="Busan", tags=["x"]),
            items=[4],
            klass="q",
        )
        loaded = await rows.get(str(item.id))
        assert loaded.model_dump() == item.model_dump()
        assert (loaded.when, loaded.ref) == (when, ref)
        assert loaded.address == Address(city="Busan", tags=["x"])

        counter.reset()
        with pytest.raises(RowValidationError):
            await rows.create(text="t", number="three")
        with pytest.raises(QueryError):
            await rows.filter(number="3").count()
        assert counter.requests == []

        loaded.klass = "r"
        assert await rows.save(loaded) == {"class": "r"}
        assert [(r.method, json.loads(r.content)) for r in counter.requests] == [
            ("PATCH", {"class": "r"})
        ]
        assert [e.klass async for e in rows.filter(klass="r")] == ["r"]
        await app.delete(permanent=True)


async def test_async_instance_verbs_and_typed_table(axhub_local: LocalAxHub) -> None:
    """Awaited save/refresh/delete of an instance through its query; a model table is typed."""
    async with axhub_local.async_client() as hub:
        app = await hub.apps.create(slug=unique_slug("atyped"), name="async typed")
        await app.tables.sync(Ticket, owner_column="owner_id")
        table: AsyncTable[Ticket] = await app.tables.get("tickets", model=Ticket)
        ticket = table.typed_rows.new(title="draft")
        assert ticket.id is None
        rows = table.typed_rows
        assert await rows.save(ticket) == {"title": "draft", "status": "new", "priority": 0}
        ticket.title = "edited"
        await rows.refresh(ticket)
        assert ticket.title == "draft"
        assert (await table.typed_rows.first()) == ticket
        assert [t.title for t in await table.typed_rows.all()] == ["draft"]
        assert [[t.id for t in page] async for _, page in table.typed_rows.pages()] == [[ticket.id]]
        assert (await table.typed_rows[0]).id == ticket.id
        await rows.delete(ticket)
        assert not await table.typed_rows.exists()
        with pytest.raises(StateError):
            await rows.save(ticket)
        await app.delete(permanent=True)


async def test_async_server_row_that_does_not_fit(axhub_async_app: AsyncApp) -> None:
    """A stored row that does not fit the model raises naming table, row id and field."""
    table = await axhub_async_app.tables.create("tickets", columns=[Column("title", "text")])
    row = await table.rows.create(title=None)
    with pytest.raises(RowValidationError) as caught:
        await table.rows.typed(Ticket).get(str(row.id))
    assert caught.value.details == {"table": "tickets", "row_id": row.id}
    assert caught.value.fields[0]["name"] == "title"
