"""``app.tables.sync(Model)`` against the emulator: create, add, conflicts, dry run, drop."""

from __future__ import annotations

import pytest

from axhub_orm import App, AsyncApp, Column, LocalAxHub, RowModel
from axhub_orm.testing import AsyncCountingTransport, CountingTransport, unique_slug

from .models import Ticket, TicketV2


class TicketPriorityText(RowModel):
    __table_name__ = "tickets"

    title: str
    status: str = "new"
    priority: str = "low"
    meta: dict[str, object] | None = None


def _server_columns(app: App, name: str) -> dict[str, tuple[str, bool]]:
    table = app.tables.get(name)
    return {c.name: (c.type, c.nullable) for c in table.columns}


def test_sync_creates_the_table_from_the_model(axhub_app: App) -> None:
    """A missing table is created with the model's columns and the owner column."""
    plan = axhub_app.tables.sync(Ticket, owner_column="owner_id")
    assert (plan.create, plan.applied, plan.table) == (True, True, "tickets")
    assert _server_columns(axhub_app, "tickets") == {
        "title": ("text", False),
        "status": ("text", False),
        "priority": ("int", False),
        "meta": ("jsonb", True),
        "owner_id": ("uuid", False),
    }
    assert axhub_app.tables.get("tickets").owner_column == "owner_id"


def test_sync_of_an_added_field_plans_exactly_one_add(axhub_app: App) -> None:
    """A model with one more field adds exactly that column; a second sync is empty."""
    axhub_app.tables.sync(Ticket, owner_column="owner_id")
    plan = axhub_app.tables.sync(TicketV2)
    assert [(c.name, c.type, c.nullable) for c in plan.add] == [("due", "timestamptz", True)]
    assert (plan.create, plan.drop, plan.conflicts) == (False, (), ())
    assert _server_columns(axhub_app, "tickets")["due"] == ("timestamptz", True)
    assert axhub_app.tables.sync(TicketV2).is_empty


def test_changed_type_is_a_conflict_and_is_not_applied(axhub_app: App) -> None:
    """A field whose type changed is reported as a conflict and the column stays as it was."""
    axhub_app.tables.sync(Ticket, owner_column="owner_id")
    plan = axhub_app.tables.sync(TicketPriorityText)
    assert [str(c) for c in plan.conflicts] == [
        "priority: type text in the model, int on the server"
    ]
    assert "conflict priority" in str(plan)
    assert _server_columns(axhub_app, "tickets")["priority"] == ("int", False)


def test_dry_run_sends_only_gets(axhub_local: LocalAxHub) -> None:
    """dry_run computes the plan (missing table, then one add) with GET requests only."""
    counter = CountingTransport()
    with axhub_local.client(transport=counter) as hub:
        app = hub.apps.create(slug=unique_slug("dry"), name="dry run")
        counter.reset()
        missing = app.tables.sync(Ticket, owner_column="owner_id", dry_run=True)
        assert (missing.create, missing.applied) == (True, False)
        assert {r.method for r in counter.requests} == {"GET"}
        assert not app.tables.exists("tickets")
        app.tables.sync(Ticket, owner_column="owner_id")
        counter.reset()
        plan = app.tables.sync(TicketV2, dry_run=True)
        assert [c.name for c in plan.add] == ["due"]
        assert [r.method for r in counter.requests] == ["GET"]
        assert "due" not in app.tables.get("tickets").columns
        app.delete(permanent=True)


def test_extra_columns_are_dropped_only_when_asked(axhub_app: App) -> None:
    """Server columns the model lacks are listed; drop=True removes them (never the owner)."""
    axhub_app.tables.sync(TicketV2, owner_column="owner_id")
    kept = axhub_app.tables.sync(Ticket)
    assert kept.drop == ("due",)
    assert "due" in axhub_app.tables.get("tickets").columns
    dropped = axhub_app.tables.sync(Ticket, drop=True)
    assert (dropped.drop, dropped.drop_applied) == (("due",), True)
    assert set(_server_columns(axhub_app, "tickets")) == {
        "title",
        "status",
        "priority",
        "meta",
        "owner_id",
    }


def test_sync_uses_an_explicit_name(axhub_app: App) -> None:
    """``name=`` overrides the model's table name."""
    plan = axhub_app.tables.sync(Ticket, name="other_tickets", owner_column="owner_id")
    assert plan.table == "other_tickets"
    assert axhub_app.tables.exists("other_tickets")


@pytest.mark.anyio
async def test_async_sync_create_add_conflict_and_dry_run(axhub_local: LocalAxHub) -> None:
    """The async manager plans and applies the same way; its dry run sends only GETs."""
    counter = AsyncCountingTransport()
    async with axhub_local.async_client(transport=counter) as hub:
        app: AsyncApp = await hub.apps.create(slug=unique_slug("async-sync"), name="a")
        created = await app.tables.sync(Ticket, owner_column="owner_id")
        assert created.create
        counter.reset()
        dry = await app.tables.sync(TicketV2, dry_run=True)
        assert [c.name for c in dry.add] == ["due"]
        assert {r.method for r in counter.requests} == {"GET"}
        added = await app.tables.sync(TicketV2)
        assert [c.name for c in added.add] == ["due"]
        assert "due" in (await app.tables.get("tickets")).columns
        conflict = await app.tables.sync(TicketPriorityText)
        assert [c.column for c in conflict.conflicts] == ["priority"]
        assert (await app.tables.get("tickets")).columns["priority"].type == "int"
        await app.delete(permanent=True)


def test_column_declared_by_hand_matches_the_model_mapping(axhub_app: App) -> None:
    """A table created by hand with the mapped types fits the model: nothing to do."""
    axhub_app.tables.create(
        "tickets",
        columns=[
            Column("title", "text", nullable=False),
            Column("status", "text", nullable=False),
            Column("priority", "int", nullable=False),
            Column("meta", "jsonb"),
        ],
    )
    assert axhub_app.tables.sync(Ticket).is_empty
