"""The seed README's destructive flow, end to end through the ORM against the emulator.

Each step asserts the "Success assertion" of the seed's operation table.
"""

from __future__ import annotations

import pytest

from axhub_orm import AsyncAxHub, AxHub, Column, NotFoundError
from axhub_orm.testing import unique_slug

COLUMNS = [
    Column("owner_id", "uuid", nullable=False),
    Column("title", "text", nullable=False),
    Column("status", "text", nullable=False),
]


def test_destructive_flow_sync(axhub: AxHub) -> None:
    """App → env var → table → column add/drop → grant/revoke → rows → deletes, all asserted."""
    me = axhub.me()
    assert me.id
    app = axhub.apps.create(slug=unique_slug("flow"), name="Flow QA", visibility="private")
    assert app.id and app.slug.startswith("flow-")

    app.env_vars.set("API_MODE", "live")
    assert "API_MODE" in [v.key for v in app.env_vars.list()]
    app.env_vars.delete("API_MODE")
    assert "API_MODE" not in [v.key for v in app.env_vars.list()]

    table = app.tables.create("items", columns=COLUMNS, owner_column="owner_id")
    assert table.name == "items"
    inspected = app.tables.get("items")
    assert (inspected.id, inspected.name) == (table.id, "items")

    table.columns.add(Column("priority", "int", default="0"))
    assert "priority" in app.tables.get("items").columns
    table.columns["priority"].delete()
    assert "priority" not in app.tables.get("items").columns

    grant = table.grants.create(principal_id=me.id, actions=["read", "write"])
    assert grant.id
    assert grant.id in [g.id for g in table.grants.list()]
    grant.delete()
    listed = {g.id: g for g in table.grants.list()}
    assert listed[grant.id].revoked_at is not None
    assert grant.is_revoked

    row = table.rows.create(owner_id=me.id, title="hello", status="new")
    assert row.id and (row["title"], row["status"]) == ("hello", "new")
    assert table.rows.get(row.id).id == row.id
    row["status"] = "done"
    row.save()
    assert row["status"] == "done"
    assert row.id in [r.id for r in table.rows]
    assert table.rows.count() == 1
    browse = table.browse()
    assert isinstance(browse.rows, list) and isinstance(browse.columns, list)
    assert browse.rows[0]["id"] == row.id

    row.delete()
    with pytest.raises(NotFoundError) as gone:
        table.rows.get(row.id)
    assert gone.value.status in (404, 410)

    table.delete()
    with pytest.raises(NotFoundError) as gone_table:
        app.tables.get("items")
    assert gone_table.value.status in (404, 410)

    app.delete()
    assert app.deleted_at is not None
    app.delete(permanent=True)
    with pytest.raises(NotFoundError) as gone_app:
        axhub.apps.get(str(app.id))
    assert gone_app.value.status in (404, 410)


@pytest.mark.anyio
async def test_destructive_flow_async(axhub_async: AsyncAxHub) -> None:
    """The same flow through AsyncAxHub, with await and async for."""
    me = await axhub_async.me()
    app = await axhub_async.apps.create(slug=unique_slug("aflow"), name="Flow QA")
    await app.env_vars.set("API_MODE", "live")
    assert await app.env_vars.get("API_MODE") == "live"
    await app.env_vars.delete("API_MODE")
    assert await app.env_vars.get("API_MODE") is None

    table = await app.tables.create("items", columns=COLUMNS, owner_column="owner_id")
    assert (await app.tables.get("items")).id == table.id
    await table.columns.add(Column("priority", "int"))
    assert "priority" in (await app.tables.get("items")).columns
    await table.columns["priority"].delete()
    assert "priority" not in (await app.tables.get("items")).columns

    grant = await table.grants.create(principal_id=me.id, actions=["read"])
    await grant.delete()
    await grant.refresh()
    assert grant.revoked_at is not None
    assert grant.id in [g.id for g in await table.grants.list()]

    row = await table.rows.create(owner_id=me.id, title="hello", status="new")
    row["status"] = "done"
    assert await row.save() == {"status": "done"}
    assert (await table.rows.get(row.id))["status"] == "done"
    assert [r.id async for r in table.rows] == [row.id]
    assert await table.rows.filter(status="done").count() == 1
    assert (await table.browse()).rows[0]["status"] == "done"

    await row.delete()
    with pytest.raises(NotFoundError):
        await table.rows.get(row.id)
    await table.delete()
    with pytest.raises(NotFoundError):
        await app.tables.get("items")
    await app.delete(permanent=True)
    with pytest.raises(NotFoundError):
        await axhub_async.apps.get(str(app.id))
