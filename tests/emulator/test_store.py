"""The store boundary: the neutral form, the caches behind it, and old SQLite files."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from axhub_orm.local import LocalAxHub, SQLiteStore, Store, open_store
from axhub_orm.local._filters import compile_row_selection
from axhub_orm.local._store import Condition, Paging, SortKey
from axhub_orm.local._types import IMPLICIT_COLUMNS, ColumnDef

from .conftest import rows_url


def _columns() -> dict[str, ColumnDef]:
    declared = [ColumnDef("t", "text"), ColumnDef("n", "int"), ColumnDef("j", "jsonb")]
    return {c.name: c for c in [*IMPLICIT_COLUMNS, *declared]}


def test_filters_compile_to_the_neutral_form() -> None:
    """Query pairs become conditions with parsed values, sort keys and a page — no SQL text."""
    pairs = [
        ("t", "like.a%"),
        ("n", "in.1,2"),
        ("j", 'eq.{"a": 1}'),
        ("t", "ne.null"),
        ("sort", "-n,id"),
        ("per_page", "5"),
        ("page", "3"),
    ]
    selection = compile_row_selection(pairs, _columns())
    assert selection.conditions == [
        Condition("t", "text", "like", "a%"),
        Condition("n", "int", "in", (1, 2)),
        Condition("j", "jsonb", "eq", '{"a":1}'),
        Condition("t", "text", "not_null"),
    ]
    assert selection.sort == (SortKey("n", descending=True), SortKey("id"))
    assert selection.paging == Paging(3, 5)
    assert selection.filter_count == 4


def _insert_then_fail(store: Store, doc: dict[str, Any]) -> None:
    with store.transaction():
        store.insert_app(doc)
        assert store.app(doc["id"]) == (doc, "active")
        raise RuntimeError("abort")


def test_rollback_forgets_cached_lookups() -> None:
    """An app read inside a transaction that rolls back is not served from the cache later."""
    store = open_store()
    try:
        doc = {"id": str(uuid.uuid4()), "tenant_id": store.identity.tenant_id, "slug": "gone"}
        with pytest.raises(RuntimeError, match="abort"):
            _insert_then_fail(store, doc)
        with store.transaction():
            assert store.app(doc["id"]) is None
            assert store.app_by_slug(store.identity.tenant_id, "gone") is None
    finally:
        store.close()


def test_cached_app_follows_every_save() -> None:
    """An app cached by id and by slug reflects each later save of its document and state."""
    store = open_store()
    try:
        tenant = store.identity.tenant_id
        doc = {"id": str(uuid.uuid4()), "tenant_id": tenant, "slug": "kept", "name": "one"}
        with store.transaction():
            store.insert_app(doc)
        with store.transaction():
            assert store.app_by_slug(tenant, "kept") == (doc, "active")
            store.save_app({**doc, "name": "two"}, "deleted")
        with store.transaction():
            assert store.app(doc["id"]) == ({**doc, "name": "two"}, "deleted")
            assert store.app_by_slug(tenant, "kept") == ({**doc, "name": "two"}, "deleted")
    finally:
        store.close()


def test_a_returned_app_document_is_a_copy() -> None:
    """Changing a document the store returned does not change what the store returns next."""
    store = open_store()
    try:
        doc = {"id": str(uuid.uuid4()), "tenant_id": store.identity.tenant_id, "slug": "copy"}
        with store.transaction():
            store.insert_app(doc)
            found = store.app(doc["id"])
            assert found is not None
            found[0]["slug"] = "changed"
            assert store.app(doc["id"]) == (doc, "active")
    finally:
        store.close()


def test_a_file_from_before_the_subdomain_column_is_migrated(tmp_path: Path) -> None:
    """A version-0 database keeps its apps, and their subdomains still count as taken."""
    db = tmp_path / "old.sqlite3"
    first = SQLiteStore(db)
    tenant = first.identity.tenant_id
    first.close()
    doc = {"id": str(uuid.uuid4()), "tenant_id": tenant, "slug": "old-app", "subdomain": "olds"}
    with sqlite3.connect(db) as conn:
        conn.execute("DROP INDEX ax_apps_tenant_subdomain")
        conn.execute("ALTER TABLE ax_apps DROP COLUMN subdomain")
        conn.execute("PRAGMA user_version = 0")
        conn.execute(
            "INSERT INTO ax_apps (id, tenant_id, slug, state, doc) VALUES (?, ?, ?, 'active', ?)",
            (doc["id"], tenant, "old-app", json.dumps(doc)),
        )
    with (
        LocalAxHub(db=db) as local,
        httpx.Client(base_url=local.base_url, headers={"X-Api-Key": local.token}) as c,
    ):
        url = f"/api/v1/tenants/{tenant}/apps/check-availability"
        answer = c.get(url, params={"slug": "new-app", "subdomain": "olds"}).json()
        assert c.get(f"/api/v1/apps/{doc['id']}").json() == doc
    assert answer == {"available": False, "reason": "taken"}


def test_key_paging_reads_every_row_once_in_id_order(
    client: httpx.Client, make_table: Callable[..., tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    """Pages of ``sort=id&id=gt.<last id>`` read every row exactly once, in id order."""
    application, table = make_table([{"name": "n", "type": "int"}])
    url = rows_url(application, table)
    for n in range(23):
        assert client.post(url, json={"n": n}).status_code == 201
    seen: list[str] = []
    last = "00000000-0000-0000-0000-000000000000"
    while True:
        page = client.get(url, params={"sort": "id", "per_page": "5", "id": f"gt.{last}"}).json()
        seen += [row["id"] for row in page["items"]]
        if not page["has_more"]:
            break
        last = seen[-1]
    assert len(seen) == 23
    assert seen == sorted(set(seen))
