"""State rules of the entities and the minimal traffic of save/create/refresh."""

from __future__ import annotations

import json

import pytest

from axhub_orm import (
    App,
    AxHub,
    Column,
    EntityState,
    RateLimitError,
    StateError,
    Table,
    ValidationError,
)
from axhub_orm.local import LocalAxHub
from axhub_orm.testing import CountingTransport


def patch_bodies(counter: CountingTransport) -> list[dict[str, object]]:
    """The JSON bodies of the PATCH requests recorded so far."""
    return [json.loads(r.content) for r in counter.requests if r.method == "PATCH"]


def test_row_save_without_change_sends_nothing(tickets: Table, counter: CountingTransport) -> None:
    """save() on an unchanged persisted row sends no request and returns {}."""
    row = tickets.rows.create(title="a")
    counter.reset()
    assert row.save() == {}
    assert counter.requests == []


def test_row_one_column_change_sends_one_patch_with_one_key(
    tickets: Table, counter: CountingTransport
) -> None:
    """Changing one column sends exactly one PATCH whose body has exactly that key."""
    row = tickets.rows.create(title="a", status="new")
    counter.reset()
    row["status"] = "done"
    assert row.changes == {"status": "done"}
    row.save()
    assert [r.method for r in counter.requests] == ["PATCH"]
    assert patch_bodies(counter) == [{"status": "done"}]
    assert row.changes == {}


def test_create_is_one_post_and_refresh_one_get(tickets: Table, counter: CountingTransport) -> None:
    """rows.create sends one POST; refresh sends one GET and clears local changes."""
    row = tickets.rows.create(title="a")
    assert [r.method for r in counter.requests] == ["POST"]
    counter.reset()
    row["title"] = "local edit"
    row.refresh()
    assert [r.method for r in counter.requests] == ["GET"]
    assert row["title"] == "a"
    assert row.changes == {}


def test_new_row_save_inserts(tickets: Table) -> None:
    """rows.new() builds an unsaved row; save() inserts it and it becomes persisted."""
    row = tickets.rows.new(title="draft")
    assert row.state is EntityState.NEW and row.id is None
    row.save()
    assert row.state is EntityState.PERSISTED and row.id
    assert tickets.rows.get(row.id)["title"] == "draft"


def test_new_row_refuses_delete_and_refresh(tickets: Table, counter: CountingTransport) -> None:
    """delete() and refresh() on a never-saved row raise StateError and send nothing."""
    row = tickets.rows.new(title="x")
    with pytest.raises(StateError, match="save\\(\\) it first"):
        row.delete()
    with pytest.raises(StateError):
        row.refresh()
    assert counter.requests == []


def test_deleted_row_refuses_save(tickets: Table) -> None:
    """A deleted row refuses save() with a StateError naming the state."""
    row = tickets.rows.create(title="x")
    row.delete()
    assert row.state is EntityState.DELETED
    row["title"] = "again"
    with pytest.raises(StateError, match="deleted") as info:
        row.save()
    assert info.value.code == "already_deleted"


def test_jsonb_in_place_edit_counts_as_change(tickets: Table, counter: CountingTransport) -> None:
    """Mutating a nested jsonb value in place is detected and PATCHed."""
    row = tickets.rows.create(title="j", meta={"tags": ["a"], "n": {"x": 1}})
    counter.reset()
    row["meta"]["tags"].append("b")
    row["meta"]["n"]["x"] = 2
    assert set(row.changes) == {"meta"}
    row.save()
    assert patch_bodies(counter) == [{"meta": {"tags": ["a", "b"], "n": {"x": 2}}}]
    assert tickets.rows.get(row.id)["meta"] == {"tags": ["a", "b"], "n": {"x": 2}}


def test_method_named_columns_stay_reachable_by_key(tickets: Table) -> None:
    """Columns named save, items and keys are plain keys; the methods still work."""
    row = tickets.rows.create(title="m", save="yes", items=3, keys=True)
    assert (row["save"], row["items"], row["keys"]) == ("yes", 3, True)
    row["save"] = "still a column"
    row.save()
    assert tickets.rows.get(row.id)["save"] == "still a column"
    assert "items" in list(row.keys())
    assert dict(row.items())["keys"] is True


def test_row_metadata_is_read_only(tickets: Table) -> None:
    """id, created_at and updated_at cannot be assigned; they read as typed values."""
    row = tickets.rows.create(title="r")
    for key in ("id", "created_at", "updated_at"):
        with pytest.raises(ValidationError, match="read-only"):
            row[key] = "x"
    assert row.created_at is not None and row.created_at.tzinfo is not None
    with pytest.raises(AttributeError):
        row.id = "x"  # type: ignore[misc]


def test_row_from_list_is_alive(tickets: Table) -> None:
    """A row obtained by iterating a query saves and deletes like one from get()."""
    tickets.rows.create(title="listed", status="new")
    (row,) = list(tickets.rows.filter(title="listed"))
    row["status"] = "done"
    row.save()
    assert tickets.rows.get(row.id)["status"] == "done"
    row.delete()
    assert tickets.rows.filter(title="listed").count() == 0


def test_app_patch_sends_only_changed_fields(counted_app: App, counter: CountingTransport) -> None:
    """app.save() PATCHes only changed fields, and nothing when unchanged."""
    counter.reset()
    assert counted_app.save() == {}
    counted_app.name = "Renamed"
    assert counted_app.save() == {"name": "Renamed"}
    assert patch_bodies(counter) == [{"name": "Renamed"}]
    assert counted_app.name == "Renamed"


def test_app_refresh_discards_local_changes(counted_app: App) -> None:
    """refresh() replaces local state with the server's."""
    counted_app.description = "local only"
    counted_app.refresh()
    assert counted_app.description != "local only"
    assert counted_app.changes == {}


def test_new_app_refuses_delete_and_refresh(counted_hub: AxHub) -> None:
    """An unsaved app (apps.new) refuses delete() and refresh()."""
    app = counted_hub.apps.new(slug="never-saved", name="x")
    with pytest.raises(StateError):
        app.delete()
    with pytest.raises(StateError):
        app.refresh()


def test_apps_create_without_tenant_id_is_refused(axhub_local: object) -> None:
    """apps.create with no tenant id raises tenant_id_required before sending."""
    counter = CountingTransport()
    local = axhub_local
    hub = local.client(tenant_id=None, transport=counter)  # type: ignore[attr-defined]
    with hub, pytest.raises(ValidationError) as info:
        hub.apps.create(slug="x-y-z", name="x")
    assert info.value.code == "tenant_id_required"
    assert counter.requests == []


def test_app_delete_permanent_then_refuses_save(counted_hub: AxHub) -> None:
    """delete(permanent=True) soft-deletes then deletes permanently; save() is then refused."""
    app = counted_hub.apps.create(slug="perm-del-app", name="x")
    app.delete(permanent=True)
    assert app.state is EntityState.DELETED
    with pytest.raises(StateError):
        app.save()


def test_persisted_column_change_is_refused_with_hint(tickets: Table) -> None:
    """Changing a persisted column raises, hinting to drop and re-add."""
    column = tickets.columns["status"]
    column.type = "int"
    with pytest.raises(StateError, match="drop it with delete\\(\\) and add it again"):
        column.save()


def test_unbound_column_is_a_declaration(tickets: Table) -> None:
    """An unbound Column refuses save(); bound via columns.new it is added by save()."""
    with pytest.raises(StateError, match="not bound"):
        Column("x", "text").save()
    column = tickets.columns.new("extra_col", "int", default="5")
    column.save()
    assert "extra_col" in tickets.columns
    assert tickets.rows.create(title="d")["extra_col"] == 5


def test_column_types_are_checked_before_sending(
    tickets: Table, counter: CountingTransport
) -> None:
    """A column type outside the eight, or a reserved name, is refused before sending."""
    with pytest.raises(ValidationError, match="use one of"):
        tickets.columns.add(Column("x", "integer"))
    with pytest.raises(ValidationError, match="implicit"):
        tickets.columns.add(Column("id", "uuid"))
    with pytest.raises(ValidationError, match="invalid column name"):
        tickets.columns.add(Column("Bad Name", "text"))
    assert counter.requests == []


def test_table_create_checks_owner_column(counted_app: App, counter: CountingTransport) -> None:
    """owner_column must be one of the declared columns; refused before sending."""
    counter.reset()
    with pytest.raises(ValidationError, match="owner_column"):
        counted_app.tables.create("t", columns=[Column("a", "text")], owner_column="owner_id")
    assert counter.requests == []


def test_table_and_grant_verbs(tickets: Table, counted_hub: AxHub) -> None:
    """A revoked grant refuses save(); a deleted table refuses save() and raises on refresh."""
    me = counted_hub.me()
    grant = tickets.grants.create(principal_id=me.id, actions=["read"])
    grant.delete()
    assert grant.is_revoked and grant.state is EntityState.DELETED
    with pytest.raises(StateError):
        grant.save()
    with pytest.raises(ValidationError, match="actions"):
        tickets.grants.create(principal_id=me.id, actions=["admin"])
    tickets.delete()
    with pytest.raises(StateError):
        tickets.save()


def test_unknown_response_fields_are_kept(counted_app: App) -> None:
    """Fields the entity does not model are kept in .extra and never break loading."""
    assert "schema_name" not in counted_app.extra  # modelled, so an attribute
    assert counted_app.schema_name
    assert counted_app.extra["owner"]["id"] == counted_app.owner_id


def test_reprs_are_deterministic_and_secret_free(
    tickets: Table, counted_hub: AxHub, axhub_local: object
) -> None:
    """Entity reprs show identity and dirty fields, and never the token."""
    row = tickets.rows.create(title="r")
    row["status"] = "x"
    assert repr(row) == f"<Row tickets/{row.id[:8]}… dirty={{'status'}}>"  # type: ignore[index]
    assert repr(tickets.rows.new(title="n")) == "<Row tickets/new dirty={'title'} state=new>"
    column = Column("a", "int", nullable=False, default="0")
    assert repr(column) == "<Column a int not null default '0'>"
    assert repr(tickets).startswith("<Table tickets app=")
    token = axhub_local.token  # type: ignore[attr-defined]
    for obj in (row, tickets, tickets.app, counted_hub, tickets.columns, tickets.rows):
        assert token not in repr(obj)


def test_env_vars_mapping_reads_and_secret_masking(counted_app: App) -> None:
    """env_vars supports get(), ["KEY"] (KeyError when absent) and masks secret values."""
    counted_app.env_vars.set("PLAIN", "v1")
    counted_app.env_vars.set("TOKEN_SECRET", "s3cr3t", secret=True)
    assert counted_app.env_vars["PLAIN"] == "v1"
    assert counted_app.env_vars.get("MISSING", "d") == "d"
    assert counted_app.env_vars.as_dict()["TOKEN_SECRET"] == "***"
    with pytest.raises(KeyError):
        counted_app.env_vars["MISSING"]
    counted_app.env_vars.set("PLAIN", "v2")
    assert counted_app.env_vars["PLAIN"] == "v2"


def test_rate_limited_emulator_is_retried_transparently() -> None:
    """Against an emulator limited to 5 req/s, a burst succeeds through the 429 retries."""
    counter = CountingTransport()
    with LocalAxHub(rate_limit=5) as local:
        with local.client(transport=counter, max_retry_wait=0.3) as hub:
            ids = {hub.me().id for _ in range(8)}
        assert ids == {local.user_id}
        assert counter.count() > 8  # some requests were 429s, retried with the same request id
        with local.client(rate_limit_retries=0) as strict:
            info = _first_rate_limit(strict)
    assert (info.code, info.status, info.retryable) == ("rate_limited", 429, True)
    assert info.request_id


def _first_rate_limit(hub: AxHub) -> RateLimitError:
    """Call hub.me() until a 429 surfaces; return that error."""
    for _ in range(20):
        try:
            hub.me()
        except RateLimitError as exc:
            return exc
    raise AssertionError("20 requests at 5 req/s were never rate limited")
