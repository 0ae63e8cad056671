"""Typed rows against the emulator: round trips, validation, dirty tracking."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from uuid import UUID

import pytest

from axhub_orm import (
    AsyncApp,
    AsyncAxHub,
    AsyncTable,
    AsyncTypedRowQuery,
    Column,
    QueryError,
    RowValidationError,
    StateError,
)
from axhub_orm.testing import AsyncCountingTransport

from ..models import Address, Everything, OwnedEverything, OwnedTicket, Ticket

pytestmark = pytest.mark.anyio


def _last_body(counter: AsyncCountingTransport, method: str) -> dict[str, object]:
    request = [r for r in counter.requests if r.method == method][-1]
    return dict(json.loads(request.content))


async def test_every_type_round_trips(app: AsyncApp) -> None:
    """Each column type, nested jsonb and an aware datetime come back equal (in UTC)."""
    await app.tables.sync(OwnedEverything, owner_column="owner_id")
    rows = (await app.tables.get("everything")).rows.typed(Everything)
    seoul = timezone(timedelta(hours=9))
    values = Everything(
        text="héllo",
        number=-7,
        big=2**40,
        ratio=0.25,
        flag=True,
        when=datetime(2024, 5, 1, 9, 30, 0, 123456, tzinfo=seoul),
        ref=UUID("12345678-1234-5678-1234-567812345678"),
        address=Address(city="Seoul", tags=["a", "b"]),
        items=[1, 2, 3],
        klass="b",
    )
    created = await rows.create(**values.model_dump())
    loaded = await rows.get(str(created.id))
    assert loaded.model_dump() == values.model_dump()
    assert loaded.when is not None and loaded.when.utcoffset() == timedelta(0)
    assert isinstance(loaded.address, Address)
    assert loaded.created_at is not None and loaded.created_at.tzinfo is not None


async def test_create_returns_a_bound_instance_with_server_fields(
    tickets: AsyncTypedRowQuery[Ticket],
) -> None:
    """create() validates, inserts once and returns an instance with id and timestamps."""
    ticket = await tickets.create(title="hello", meta={"k": [1]})
    assert isinstance(ticket, Ticket)
    assert ticket.id and ticket.created_at and ticket.updated_at
    assert (ticket.status, ticket.priority, ticket.changes) == ("new", 0, {})
    assert await tickets.get(ticket.id) == await tickets.get(title="hello")


async def test_bad_value_names_the_field_and_sends_nothing(
    tickets: AsyncTypedRowQuery[Ticket], counted: tuple[AsyncAxHub, AsyncCountingTransport]
) -> None:
    """A wrong value on create, assignment or in a filter raises before any request."""
    _, counter = counted
    with pytest.raises(RowValidationError) as caught:
        await tickets.create(title="x", priority="high")
    assert caught.value.fields[0]["name"] == "priority"
    draft = tickets.new(title="x")
    with pytest.raises(RowValidationError) as bad_assignment:
        draft.meta = "not a dict"  # type: ignore[assignment]
    assert bad_assignment.value.fields[0]["name"] == "meta"
    with pytest.raises(QueryError) as bad_filter:
        await tickets.filter(priority="3").count()
    assert bad_filter.value.fields[0]["name"] == "priority"
    assert counter.count() == 0


async def test_naive_datetime_is_refused_before_sending(
    app: AsyncApp, counted: tuple[AsyncAxHub, AsyncCountingTransport]
) -> None:
    """A naive datetime cannot be stored in timestamptz: refused naming the field."""
    await app.tables.sync(OwnedEverything, owner_column="owner_id")
    rows = (await app.tables.get("everything")).rows.typed(Everything)
    counted[1].reset()
    with pytest.raises(RowValidationError) as caught:
        await rows.create(text="t", number=1, when=datetime(2024, 1, 1))
    assert caught.value.fields[0]["name"] == "when"
    assert counted[1].count() == 0


async def test_server_row_that_does_not_fit_names_table_row_and_field(app: AsyncApp) -> None:
    """A stored value the model cannot read raises RowValidationError with table, id, field."""
    table = await app.tables.create(
        "tickets", columns=[Column("title", "text"), Column("priority", "text")]
    )
    row = await table.rows.create(title="t", priority="high")
    with pytest.raises(RowValidationError) as caught:
        await table.rows.typed(Ticket).get(str(row.id))
    message = str(caught.value)
    assert "'tickets'" in message and str(row.id) in message and "'priority'" in message
    assert caught.value.details == {"table": "tickets", "row_id": row.id}
    assert caught.value.fields[0]["name"] == "priority"


async def test_editing_one_field_patches_exactly_that_column(
    app: AsyncApp, counted: tuple[AsyncAxHub, AsyncCountingTransport]
) -> None:
    """Changing one field sends a PATCH with only its column, under the alias name."""
    await app.tables.sync(OwnedEverything, owner_column="owner_id")
    rows = (await app.tables.get("everything")).rows.typed(Everything)
    item = await rows.create(text="t", number=1, address=Address(city="Seoul"))
    counted[1].reset()
    item.klass = "z"
    assert item.changes == {"klass": "z"}
    assert await rows.save(item) == {"class": "z"}
    assert [r.method for r in counted[1].requests] == ["PATCH"]
    assert _last_body(counted[1], "PATCH") == {"class": "z"}
    assert item.changes == {}
    assert (await rows.get(str(item.id))).klass == "z"


async def test_in_place_edit_of_nested_jsonb_is_a_change(
    tickets: AsyncTypedRowQuery[Ticket],
) -> None:
    """Mutating a nested jsonb value counts as a change and is saved."""
    ticket = await tickets.create(title="t", meta={"tags": ["a"]})
    assert ticket.meta is not None
    ticket.meta["tags"].append("b")
    assert list(ticket.changes) == ["meta"]
    await tickets.save(ticket)
    assert (await tickets.get(str(ticket.id))).meta == {"tags": ["a", "b"]}


async def test_saving_unchanged_instance_sends_nothing(
    tickets: AsyncTypedRowQuery[Ticket], counted: tuple[AsyncAxHub, AsyncCountingTransport]
) -> None:
    """save() without changes sends no request and returns an empty body."""
    ticket = await tickets.create(title="t")
    counted[1].reset()
    assert await tickets.save(ticket) == {}
    assert counted[1].count() == 0


async def test_delete_and_refresh_on_instances(tickets: AsyncTypedRowQuery[Ticket]) -> None:
    """refresh() discards local edits; delete() removes the row."""
    ticket = await tickets.create(title="t")
    ticket.title = "local edit"
    await tickets.refresh(ticket)
    assert (ticket.title, ticket.changes) == ("t", {})
    await tickets.delete(ticket)
    assert await tickets.count() == 0
    with pytest.raises(StateError):
        await tickets.save(ticket)


async def test_new_instance_saved_through_the_query(tickets: AsyncTypedRowQuery[Ticket]) -> None:
    """An instance built by hand is inserted by query.save() and then bound."""
    ticket = Ticket(title="hand made", priority=2)
    sent = await tickets.save(ticket)
    assert sent == {"title": "hand made", "status": "new", "priority": 2}
    assert ticket.id is not None
    ticket.priority = 5
    assert await tickets.save(ticket) == {"priority": 5}


async def test_filters_by_field_name_map_to_the_alias(app: AsyncApp) -> None:
    """filter(klass=...) queries the ``class`` column; order_by maps names the same way."""
    await app.tables.sync(OwnedEverything, owner_column="owner_id")
    rows = (await app.tables.get("everything")).rows.typed(Everything)
    for letter, number in (("a", 1), ("b", 2), ("b", 3)):
        await rows.create(text="t", number=number, klass=letter)
    query = rows.filter(klass="b").order_by("-number")
    assert "class=eq.b" in query.explain()
    assert [e.number async for e in query] == [3, 2]
    assert [e.number for e in await rows.filter(number__in=[1, 3]).order_by("number").all()] == [
        1,
        3,
    ]
    assert await rows.filter(klass="b").first() is not None
    assert await rows.filter(klass="c").exists() is False


async def test_slices_pages_and_index_yield_instances(tickets: AsyncTypedRowQuery[Ticket]) -> None:
    """Slicing, pages() and q[i] validate rows into the model."""
    for n in range(3):
        await tickets.create(title=f"t{n}", priority=n)
    ordered = tickets.order_by("priority")
    assert [t.priority async for t in ordered[1:]] == [1, 2]
    assert (await ordered[2]).title == "t2"
    assert [[t.title for t in page] async for _, page in ordered.pages()] == [["t0", "t1", "t2"]]


async def test_table_loaded_with_a_model_has_typed_rows(app: AsyncApp) -> None:
    """app.tables.get(name, model=M) checks the table and gives typed_rows."""
    await app.tables.sync(OwnedTicket, owner_column="owner_id")
    table: AsyncTable[Ticket] = await app.tables.get("tickets", model=Ticket)
    assert table.model is Ticket
    created = await table.typed_rows.create(title="typed")
    assert isinstance(await table.typed_rows.get(str(created.id)), Ticket)
    with pytest.raises(StateError, match="no model"):
        _ = (await app.tables.get("tickets")).typed_rows


async def test_table_that_does_not_fit_the_model_is_refused_on_load(app: AsyncApp) -> None:
    """Loading a table with a model it lacks columns for raises, naming the missing field."""
    await app.tables.create("tickets", columns=[Column("title", "text", nullable=False)])
    with pytest.raises(RowValidationError) as caught:
        await app.tables.get("tickets", model=Ticket)
    assert [f["name"] for f in caught.value.fields] == ["status", "priority", "meta"]


async def test_instance_verbs_through_the_typed_table(app: AsyncApp) -> None:
    """save/refresh/delete of an instance through a model table's typed_rows; reads are typed."""
    await app.tables.sync(OwnedTicket, owner_column="owner_id")
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
