"""``app.tables.sync(Model)`` against the emulator: create, add, conflicts, dry run, drop."""

from __future__ import annotations

import pytest

from axhub_orm import AsyncApp, Column, LocalAxHub, RowModel
from axhub_orm.testing import AsyncCountingTransport, unique_slug

from ..models import OwnedTicket, OwnedTicketV2, Ticket, TicketV2

pytestmark = pytest.mark.anyio


class TicketPriorityText(RowModel):
    __table_name__ = "tickets"

    title: str
    status: str = "new"
    priority: str = "low"
    meta: dict[str, object] | None = None


async def _server_columns(app: AsyncApp, name: str) -> dict[str, tuple[str, bool]]:
    table = await app.tables.get(name)
    return {c.name: (c.type, c.nullable) for c in table.columns}


async def test_sync_creates_the_table_from_the_model(axhub_async_app: AsyncApp) -> None:
    """A missing table is created with the model's columns and the owner column."""
    plan = await axhub_async_app.tables.sync(OwnedTicket, owner_column="owner_id")
    assert (plan.create, plan.applied, plan.table) == (True, True, "tickets")
    assert await _server_columns(axhub_async_app, "tickets") == {
        "title": ("text", False),
        "status": ("text", False),
        "priority": ("int", False),
        "meta": ("jsonb", True),
        "owner_id": ("uuid", False),
    }
    assert (await axhub_async_app.tables.get("tickets")).owner_column == "owner_id"


async def test_sync_of_an_added_field_plans_exactly_one_add(axhub_async_app: AsyncApp) -> None:
    """A model with one more field adds exactly that column; a second sync is empty."""
    await axhub_async_app.tables.sync(OwnedTicket, owner_column="owner_id")
    plan = await axhub_async_app.tables.sync(TicketV2)
    assert [(c.name, c.type, c.nullable) for c in plan.add] == [("due", "timestamptz", True)]
    assert (plan.create, plan.drop, plan.conflicts) == (False, (), ())
    assert (await _server_columns(axhub_async_app, "tickets"))["due"] == ("timestamptz", True)
    assert (await axhub_async_app.tables.sync(TicketV2)).is_empty


async def test_changed_type_is_a_conflict_and_is_not_applied(axhub_async_app: AsyncApp) -> None:
    """A field whose type changed is reported as a conflict and the column stays as it was."""
    await axhub_async_app.tables.sync(OwnedTicket, owner_column="owner_id")
    plan = await axhub_async_app.tables.sync(TicketPriorityText)
    assert [str(c) for c in plan.conflicts] == [
        "priority: type text in the model, int on the server"
    ]
    assert "conflict priority" in str(plan)
    assert (await _server_columns(axhub_async_app, "tickets"))["priority"] == ("int", False)


async def test_dry_run_sends_only_gets(axhub_local: LocalAxHub) -> None:
    """dry_run computes the plan (missing table, then one add) with GET requests only."""
    counter = AsyncCountingTransport()
    async with axhub_local.async_client(transport=counter) as hub:
        app = await hub.apps.create(slug=unique_slug("dry"), name="dry run")
        counter.reset()
        missing = await app.tables.sync(OwnedTicket, owner_column="owner_id", dry_run=True)
        assert (missing.create, missing.applied) == (True, False)
        assert {r.method for r in counter.requests} == {"GET"}
        assert not await app.tables.exists("tickets")
        await app.tables.sync(OwnedTicket, owner_column="owner_id")
        counter.reset()
        plan = await app.tables.sync(TicketV2, dry_run=True)
        assert [c.name for c in plan.add] == ["due"]
        assert [r.method for r in counter.requests] == ["GET"]
        assert "due" not in (await app.tables.get("tickets")).columns
        await app.delete(permanent=True)


async def test_extra_columns_are_dropped_only_when_asked(axhub_async_app: AsyncApp) -> None:
    """Server columns the model lacks are listed; drop=True removes them (never the owner)."""
    await axhub_async_app.tables.sync(OwnedTicketV2, owner_column="owner_id")
    kept = await axhub_async_app.tables.sync(Ticket)
    assert kept.drop == ("due",)
    assert "due" in (await axhub_async_app.tables.get("tickets")).columns
    dropped = await axhub_async_app.tables.sync(Ticket, drop=True)
    assert (dropped.drop, dropped.drop_applied) == (("due",), True)
    assert set(await _server_columns(axhub_async_app, "tickets")) == {
        "title",
        "status",
        "priority",
        "meta",
        "owner_id",
    }


async def test_sync_uses_an_explicit_name(axhub_async_app: AsyncApp) -> None:
    """``name=`` overrides the model's table name."""
    plan = await axhub_async_app.tables.sync(
        OwnedTicket, name="other_tickets", owner_column="owner_id"
    )
    assert plan.table == "other_tickets"
    assert await axhub_async_app.tables.exists("other_tickets")


async def test_column_declared_by_hand_matches_the_model_mapping(axhub_async_app: AsyncApp) -> None:
    """A table created by hand with the mapped types fits the model: nothing to do."""
    await axhub_async_app.tables.create(
        "tickets",
        columns=[
            Column("title", "text", nullable=False),
            Column("status", "text", nullable=False),
            Column("priority", "int", nullable=False),
            Column("meta", "jsonb"),
        ],
    )
    assert (await axhub_async_app.tables.sync(Ticket)).is_empty


class TicketWithRequiredCode(RowModel):
    __table_name__ = "tickets"

    title: str
    status: str = "new"
    priority: int = 0
    meta: dict[str, object] | None = None
    code: str  # not null, no default


async def test_not_null_column_without_default_on_a_table_with_rows_is_a_conflict(
    axhub_async_app: AsyncApp,
) -> None:
    """A not-null column without default, added to a table with rows, is a conflict, not a 400."""
    await axhub_async_app.tables.sync(OwnedTicket, owner_column="owner_id")
    empty = await axhub_async_app.tables.sync(TicketWithRequiredCode, dry_run=True)
    assert [c.name for c in empty.add] == ["code"] and empty.conflicts == ()
    await (await axhub_async_app.tables.get("tickets")).rows.create(title="t")
    plan = await axhub_async_app.tables.sync(TicketWithRequiredCode)
    assert (plan.add, [c.column for c in plan.conflicts]) == ((), ["code"])
    assert "not null without a default" in str(plan)
    assert "code" not in await _server_columns(axhub_async_app, "tickets")
