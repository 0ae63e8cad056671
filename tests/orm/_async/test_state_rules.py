"""State rules of the entities and the minimal traffic of save/create/refresh."""

from __future__ import annotations

import json

import pytest

from axhub_orm import (
    AsyncApp,
    AsyncAxHub,
    AsyncColumn,
    AsyncTable,
    Column,
    EntityState,
    RateLimitError,
    StateError,
    ValidationError,
)
from axhub_orm.local import LocalAxHub
from axhub_orm.testing import AsyncCountingTransport

pytestmark = pytest.mark.anyio


def patch_bodies(counter: AsyncCountingTransport) -> list[dict[str, object]]:
    """The JSON bodies of the PATCH requests recorded so far."""
    return [json.loads(r.content) for r in counter.requests if r.method == "PATCH"]


async def test_row_save_without_change_sends_nothing(
    tickets: AsyncTable, counter: AsyncCountingTransport
) -> None:
    """save() on an unchanged persisted row sends no request and returns {}."""
    row = await tickets.rows.create(title="a")
    counter.reset()
    assert await row.save() == {}
    assert counter.requests == []


async def test_row_one_column_change_sends_one_patch_with_one_key(
    tickets: AsyncTable, counter: AsyncCountingTransport
) -> None:
    """Changing one column sends exactly one PATCH whose body has exactly that key."""
    row = await tickets.rows.create(title="a", status="new")
    counter.reset()
    row["status"] = "done"
    assert row.changes == {"status": "done"}
    await row.save()
    assert [r.method for r in counter.requests] == ["PATCH"]
    assert patch_bodies(counter) == [{"status": "done"}]
    assert row.changes == {}


async def test_create_is_one_post_and_refresh_one_get(
    tickets: AsyncTable, counter: AsyncCountingTransport
) -> None:
    """rows.create sends one POST; refresh sends one GET and clears local changes."""
    row = await tickets.rows.create(title="a")
    assert [r.method for r in counter.requests] == ["POST"]
    counter.reset()
    row["title"] = "local edit"
    await row.refresh()
    assert [r.method for r in counter.requests] == ["GET"]
    assert row["title"] == "a"
    assert row.changes == {}


async def test_new_row_save_inserts(tickets: AsyncTable) -> None:
    """rows.new() builds an unsaved row; save() inserts it and it becomes persisted."""
    row = tickets.rows.new(title="draft")
    assert row.state is EntityState.NEW and row.id is None
    await row.save()
    assert row.state is EntityState.PERSISTED and row.id
    assert (await tickets.rows.get(row.id))["title"] == "draft"


async def test_new_row_refuses_delete_and_refresh(
    tickets: AsyncTable, counter: AsyncCountingTransport
) -> None:
    """delete() and refresh() on a never-saved row raise StateError and send nothing."""
    row = tickets.rows.new(title="x")
    with pytest.raises(StateError, match="save\\(\\) it first"):
        await row.delete()
    with pytest.raises(StateError):
        await row.refresh()
    assert counter.requests == []


async def test_deleted_row_refuses_save(tickets: AsyncTable) -> None:
    """A deleted row refuses save() with a StateError naming the state."""
    row = await tickets.rows.create(title="x")
    await row.delete()
    assert row.state is EntityState.DELETED
    row["title"] = "again"
    with pytest.raises(StateError, match="deleted") as info:
        await row.save()
    assert info.value.code == "already_deleted"


async def test_jsonb_in_place_edit_counts_as_change(
    tickets: AsyncTable, counter: AsyncCountingTransport
) -> None:
    """Mutating a nested jsonb value in place is detected and PATCHed."""
    row = await tickets.rows.create(title="j", meta={"tags": ["a"], "n": {"x": 1}})
    counter.reset()
    row["meta"]["tags"].append("b")
    row["meta"]["n"]["x"] = 2
    assert set(row.changes) == {"meta"}
    await row.save()
    assert patch_bodies(counter) == [{"meta": {"tags": ["a", "b"], "n": {"x": 2}}}]
    assert (await tickets.rows.get(row.id))["meta"] == {"tags": ["a", "b"], "n": {"x": 2}}


async def test_method_named_columns_stay_reachable_by_key(tickets: AsyncTable) -> None:
    """Columns named save, items and keys are plain keys; the methods still work."""
    row = await tickets.rows.create(title="m", save="yes", items=3, keys=True)
    assert (row["save"], row["items"], row["keys"]) == ("yes", 3, True)
    row["save"] = "still a column"
    await row.save()
    assert (await tickets.rows.get(row.id))["save"] == "still a column"
    assert "items" in list(row.keys())
    assert dict(row.items())["keys"] is True


async def test_row_metadata_is_read_only(tickets: AsyncTable) -> None:
    """id, created_at and updated_at cannot be assigned; they read as typed values."""
    row = await tickets.rows.create(title="r")
    for key in ("id", "created_at", "updated_at"):
        with pytest.raises(ValidationError, match="read-only"):
            row[key] = "x"
    assert row.created_at is not None and row.created_at.tzinfo is not None
    with pytest.raises(AttributeError):
        row.id = "x"  # type: ignore[misc]


async def test_row_from_list_is_alive(tickets: AsyncTable) -> None:
    """A row obtained by iterating a query saves and deletes like one from get()."""
    await tickets.rows.create(title="listed", status="new")
    (row,) = [r async for r in tickets.rows.filter(title="listed")]
    row["status"] = "done"
    await row.save()
    assert (await tickets.rows.get(row.id))["status"] == "done"
    await row.delete()
    assert await tickets.rows.filter(title="listed").count() == 0


async def test_app_patch_sends_only_changed_fields(
    counted_app: AsyncApp, counter: AsyncCountingTransport
) -> None:
    """app.save() PATCHes only changed fields, and nothing when unchanged."""
    counter.reset()
    assert await counted_app.save() == {}
    counted_app.name = "Renamed"
    assert await counted_app.save() == {"name": "Renamed"}
    assert patch_bodies(counter) == [{"name": "Renamed"}]
    assert counted_app.name == "Renamed"


async def test_app_refresh_discards_local_changes(counted_app: AsyncApp) -> None:
    """refresh() replaces local state with the server's."""
    counted_app.description = "local only"
    await counted_app.refresh()
    assert counted_app.description != "local only"
    assert counted_app.changes == {}


async def test_new_app_refuses_delete_and_refresh(counted_hub: AsyncAxHub) -> None:
    """An unsaved app (apps.new) refuses delete() and refresh()."""
    app = counted_hub.apps.new(slug="never-saved", name="x")
    with pytest.raises(StateError):
        await app.delete()
    with pytest.raises(StateError):
        await app.refresh()


async def test_apps_create_without_tenant_id_is_refused(axhub_local: object) -> None:
    """apps.create with no tenant id raises tenant_id_required before sending."""
    counter = AsyncCountingTransport()
    local = axhub_local
    hub = local.async_client(tenant_id=None, transport=counter)  # type: ignore[attr-defined]
    async with hub:
        with pytest.raises(ValidationError) as info:
            await hub.apps.create(slug="x-y-z", name="x")
    assert info.value.code == "tenant_id_required"
    assert counter.requests == []


async def test_app_delete_permanent_then_refuses_save(counted_hub: AsyncAxHub) -> None:
    """delete(permanent=True) soft-deletes then deletes permanently; save() is then refused."""
    app = await counted_hub.apps.create(slug="perm-del-app", name="x")
    await app.delete(permanent=True)
    assert app.state is EntityState.DELETED
    with pytest.raises(StateError):
        await app.save()


async def test_persisted_column_change_is_refused_with_hint(tickets: AsyncTable) -> None:
    """Changing a persisted column raises, hinting to drop and re-add."""
    column = tickets.columns["status"]
    column.type = "int"
    with pytest.raises(StateError, match="drop it with delete\\(\\) and add it again"):
        await column.save()


async def test_unbound_column_is_a_declaration(tickets: AsyncTable) -> None:
    """An unbound Column refuses save(); bound via columns.new it is added by save()."""
    with pytest.raises(StateError, match="not bound"):
        await AsyncColumn("x", "text").save()
    column = tickets.columns.new("extra_col", "int", default="5")
    await column.save()
    assert "extra_col" in tickets.columns
    assert (await tickets.rows.create(title="d"))["extra_col"] == 5


async def test_column_types_are_checked_before_sending(
    tickets: AsyncTable, counter: AsyncCountingTransport
) -> None:
    """A column type outside the eight, or a reserved name, is refused before sending."""
    with pytest.raises(ValidationError, match="use one of"):
        await tickets.columns.add(Column("x", "integer"))
    with pytest.raises(ValidationError, match="implicit"):
        await tickets.columns.add(Column("id", "uuid"))
    with pytest.raises(ValidationError, match="invalid column name"):
        await tickets.columns.add(Column("Bad Name", "text"))
    assert counter.requests == []


async def test_table_create_checks_owner_column(
    counted_app: AsyncApp, counter: AsyncCountingTransport
) -> None:
    """owner_column must be one of the declared columns; refused before sending."""
    counter.reset()
    with pytest.raises(ValidationError, match="owner_column"):
        await counted_app.tables.create("t", columns=[Column("a", "text")], owner_column="owner_id")
    assert counter.requests == []


async def test_table_and_grant_verbs(tickets: AsyncTable, counted_hub: AsyncAxHub) -> None:
    """A revoked grant refuses save(); a deleted table refuses save() and raises on refresh."""
    me = await counted_hub.me()
    grant = await tickets.grants.create(principal_id=me.id, actions=["read"])
    await grant.delete()
    assert grant.is_revoked and grant.state is EntityState.DELETED
    with pytest.raises(StateError):
        await grant.save()
    with pytest.raises(ValidationError, match="actions"):
        await tickets.grants.create(principal_id=me.id, actions=["admin"])
    await tickets.delete()
    with pytest.raises(StateError):
        await tickets.save()


async def test_unknown_response_fields_are_kept(counted_app: AsyncApp) -> None:
    """Fields the entity does not model are kept in .extra and never break loading."""
    assert "schema_name" not in counted_app.extra  # modelled, so an attribute
    assert counted_app.schema_name
    assert counted_app.extra["owner"]["id"] == counted_app.owner_id


async def test_reprs_are_deterministic_and_secret_free(
    tickets: AsyncTable, counted_hub: AsyncAxHub, axhub_local: object
) -> None:
    """Entity reprs show identity and dirty fields, and never the token."""
    row = await tickets.rows.create(title="r")
    row["status"] = "x"
    assert repr(row) == f"<AsyncRow tickets/{row.id[:8]}… dirty={{'status'}}>"  # type: ignore[index]
    assert repr(tickets.rows.new(title="n")) == "<AsyncRow tickets/new dirty={'title'} state=new>"
    column = AsyncColumn("a", "int", nullable=False, default="0")
    assert repr(column) == "<AsyncColumn a int not null default '0'>"
    assert repr(tickets).startswith("<AsyncTable tickets app=")
    token = axhub_local.token  # type: ignore[attr-defined]
    for obj in (row, tickets, tickets.app, counted_hub, tickets.columns, tickets.rows):
        assert token not in repr(obj)


async def test_env_vars_mapping_reads_and_secret_masking(counted_app: AsyncApp) -> None:
    """env_vars supports get(), ["KEY"] (KeyError when absent) and masks secret values."""
    await counted_app.env_vars.set("PLAIN", "v1")
    await counted_app.env_vars.set("TOKEN_SECRET", "s3cr3t", secret=True)
    assert await counted_app.env_vars["PLAIN"] == "v1"
    assert await counted_app.env_vars.get("MISSING", "d") == "d"
    assert (await counted_app.env_vars.as_dict())["TOKEN_SECRET"] == "***"
    with pytest.raises(KeyError):
        await counted_app.env_vars["MISSING"]
    await counted_app.env_vars.set("PLAIN", "v2")
    assert await counted_app.env_vars["PLAIN"] == "v2"


async def test_rate_limited_emulator_is_retried_transparently() -> None:
    """Against an emulator limited to 5 req/s, a burst succeeds through the 429 retries."""
    counter = AsyncCountingTransport()
    with LocalAxHub(rate_limit=5) as local:
        async with local.async_client(transport=counter, max_retry_wait=0.3) as hub:
            ids = {(await hub.me()).id for _ in range(8)}
        assert ids == {local.user_id}
        assert counter.count() > 8  # some requests were 429s, retried with the same request id
        async with local.async_client(rate_limit_retries=0) as strict:
            info = await _first_rate_limit(strict)
    assert (info.code, info.status, info.retryable) == ("rate_limited", 429, True)
    assert info.request_id


async def _first_rate_limit(hub: AsyncAxHub) -> RateLimitError:
    """Call hub.me() until a 429 surfaces; return that error."""
    for _ in range(20):
        try:
            await hub.me()
        except RateLimitError as exc:
            return exc
    raise AssertionError("20 requests at 5 req/s were never rate limited")
