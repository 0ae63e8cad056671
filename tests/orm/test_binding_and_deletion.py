"""Directly built entities are new and unbound; deleted apps and rows refuse verbs locally."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from axhub_orm import (
    App,
    AsyncApp,
    AsyncGrant,
    AsyncTable,
    Column,
    EntityState,
    Grant,
    StateError,
    Table,
)
from axhub_orm.local import LocalAxHub
from axhub_orm.testing import AsyncCountingTransport, CountingTransport, unique_slug

SYNC_BUILT: list[tuple[Callable[[], Any], str]] = [
    (lambda: App(slug="x", name="y"), "hub.apps.new("),
    (lambda: Table(name="tickets"), "app.tables.new("),
    (lambda: Grant(principal_id="u", actions=["read"]), "table.grants.new("),
]
ASYNC_BUILT: list[tuple[Callable[[], Any], str]] = [
    (lambda: AsyncApp(slug="x", name="y"), "hub.apps.new("),
    (lambda: AsyncTable(name="tickets"), "app.tables.new("),
    (lambda: AsyncGrant(principal_id="u", actions=["read"]), "table.grants.new("),
]


@pytest.mark.parametrize(("build", "hint"), SYNC_BUILT, ids=["app", "table", "grant"])
def test_directly_built_entity_is_new_and_unbound(build: Callable[[], Any], hint: str) -> None:
    """Repr and state work on a directly built entity; save() says how to make a bound one."""
    entity = build()
    assert entity.state is EntityState.NEW
    assert "state=new" in repr(entity)
    with pytest.raises(StateError, match=f"not bound.*{hint.replace('(', '[(]')}") as info:
        entity.save()
    assert info.value.code == "not_bound"


@pytest.mark.anyio
@pytest.mark.parametrize(("build", "hint"), ASYNC_BUILT, ids=["app", "table", "grant"])
async def test_async_directly_built_entity_is_new_and_unbound(
    build: Callable[[], Any], hint: str
) -> None:
    """The async entities built directly behave alike: new, unbound, save() names the fix."""
    entity = build()
    assert entity.state is EntityState.NEW
    assert "state=new" in repr(entity)
    with pytest.raises(StateError, match=f"not bound.*{hint.replace('(', '[(]')}"):
        await entity.save()


def test_soft_deleted_app_refuses_save_and_can_still_be_purged(axhub_local: LocalAxHub) -> None:
    """A soft-deleted app is DELETED: save() raises StateError unsent; delete(permanent) works."""
    counter = CountingTransport()
    with axhub_local.client(transport=counter) as hub:
        app = hub.apps.create(slug=unique_slug("soft"), name="soft")
        app.delete()
        assert app.state is EntityState.DELETED and app.is_deleted
        app.name = "renamed"
        counter.reset()
        with pytest.raises(StateError) as info:
            app.save()
        assert info.value.code == "already_deleted"
        assert counter.requests == []
        app.delete(permanent=True)
        assert [r.method for r in counter.requests] == ["DELETE"]


@pytest.mark.anyio
async def test_async_soft_deleted_app_refuses_save(axhub_local: LocalAxHub) -> None:
    """The async client's soft-deleted app refuses save() before sending, too."""
    counter = AsyncCountingTransport()
    async with axhub_local.async_client(transport=counter) as hub:
        app: AsyncApp = await hub.apps.create(slug=unique_slug("soft"), name="soft")
        await app.delete()
        counter.reset()
        with pytest.raises(StateError):
            await app.save()
        assert counter.requests == []
        await app.delete(permanent=True)


def test_deleted_row_refuses_refresh_locally(tickets: Table, counter: CountingTransport) -> None:
    """refresh() on a deleted row raises StateError without a request, like save() and delete()."""
    row = tickets.rows.create(title="gone")
    row.delete()
    counter.reset()
    for verb, call in [("refresh", row.refresh), ("save", row.save), ("delete", row.delete)]:
        with pytest.raises(StateError, match=f"cannot {verb}\\(\\) a deleted row") as info:
            call()
        assert info.value.code == "already_deleted"
    assert counter.requests == []


@pytest.mark.anyio
async def test_async_deleted_row_refuses_refresh_locally(axhub_async_app: AsyncApp) -> None:
    """The async row refuses refresh() after delete() before sending anything."""
    table = await axhub_async_app.tables.create("notes", columns=[Column("title", "text")])
    row = await table.rows.create(title="gone")
    await row.delete()
    with pytest.raises(StateError, match="deleted row"):
        await row.refresh()
