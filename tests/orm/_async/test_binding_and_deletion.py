"""Directly built entities are new and unbound; deleted apps and rows refuse verbs locally."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from axhub_orm import AsyncApp, AsyncGrant, AsyncTable, EntityState, StateError
from axhub_orm.local import LocalAxHub
from axhub_orm.testing import AsyncCountingTransport, unique_slug

pytestmark = pytest.mark.anyio

BUILT: list[tuple[Callable[[], Any], str]] = [
    (lambda: AsyncApp(slug="x", name="y"), "hub.apps.new("),
    (lambda: AsyncTable(name="tickets"), "app.tables.new("),
    (lambda: AsyncGrant(principal_id="u", actions=["read"]), "table.grants.new("),
]


@pytest.mark.parametrize(("build", "hint"), BUILT, ids=["app", "table", "grant"])
async def test_directly_built_entity_is_new_and_unbound(
    build: Callable[[], Any], hint: str
) -> None:
    """Repr and state work on a directly built entity; save() says how to make a bound one."""
    entity = build()
    assert entity.state is EntityState.NEW
    assert "state=new" in repr(entity)
    with pytest.raises(StateError, match=f"not bound.*{hint.replace('(', '[(]')}") as info:
        await entity.save()
    assert info.value.code == "not_bound"


async def test_soft_deleted_app_refuses_save_and_can_still_be_purged(
    axhub_local: LocalAxHub,
) -> None:
    """A soft-deleted app is DELETED: save() raises StateError unsent; delete(permanent) works."""
    counter = AsyncCountingTransport()
    async with axhub_local.async_client(transport=counter) as hub:
        app = await hub.apps.create(slug=unique_slug("soft"), name="soft")
        await app.delete()
        assert app.state is EntityState.DELETED and app.is_deleted
        app.name = "renamed"
        counter.reset()
        with pytest.raises(StateError) as info:
            await app.save()
        assert info.value.code == "already_deleted"
        assert counter.requests == []
        await app.delete(permanent=True)
        assert [r.method for r in counter.requests] == ["DELETE"]


async def test_deleted_row_refuses_refresh_locally(
    tickets: AsyncTable, counter: AsyncCountingTransport
) -> None:
    """refresh() on a deleted row raises StateError without a request, like save() and delete()."""
    row = await tickets.rows.create(title="gone")
    await row.delete()
    counter.reset()
    for verb, call in [("refresh", row.refresh), ("save", row.save), ("delete", row.delete)]:
        with pytest.raises(StateError, match=f"cannot {verb}\\(\\) a deleted row") as info:
            await call()
        assert info.value.code == "already_deleted"
    assert counter.requests == []
