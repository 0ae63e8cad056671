"""The PostgreSQL store: schemas per instance, real types, database errors as the envelope.

Runs when ``AXHUB_TEST_POSTGRES`` holds a PostgreSQL URL (``scripts/with_postgres.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from psycopg import sql
from stores import postgres_url

from axhub_orm.local import LocalAxHub, open_store
from axhub_orm.local._errors import ApiError
from axhub_orm.local._postgres import PostgresStore, api_error_for
from axhub_orm.local._store import TableMeta
from axhub_orm.local._types import ColumnDef


@pytest.fixture
def url() -> str:
    """The PostgreSQL URL (the test skips without one)."""
    return postgres_url()


@pytest.fixture
def store(url: str) -> Iterator[PostgresStore]:
    """A PostgreSQL store in a generated schema, dropped afterwards."""
    opened = open_store(store=url)
    assert isinstance(opened, PostgresStore)
    yield opened
    opened.close()


def _schemas(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT nspname FROM pg_namespace").fetchall()
    return {r[0] for r in rows}


def _table(store: PostgresStore, columns: list[ColumnDef]) -> TableMeta:
    app_id = str(uuid.uuid4())
    with store.transaction():
        store.insert_app({"id": app_id, "tenant_id": store.identity.tenant_id, "slug": "a"})
        return store.create_table(app_id, "things", columns, None, "")


def _http(local: LocalAxHub) -> httpx.Client:
    return httpx.Client(base_url=local.base_url, headers={"X-Api-Key": local.token})


def test_each_store_has_its_own_schema_dropped_on_close(url: str) -> None:
    """Two stores on one database keep separate state; a generated schema goes on close."""
    first, second = open_store(store=url), open_store(store=url)
    assert isinstance(first, PostgresStore) and isinstance(second, PostgresStore)
    try:
        assert first.schema != second.schema
        assert first.identity.pat != second.identity.pat
        with first.transaction():
            assert first.user_for_token("pat", second.identity.pat) is None
        assert {first.schema, second.schema} <= _schemas(url)
    finally:
        first.close()
        second.close()
    assert not {first.schema, second.schema} & _schemas(url)


def test_a_named_schema_survives_a_restart(url: str) -> None:
    """LocalAxHub(store=…, schema=…) twice: same tenant, user, token and rows."""
    schema = f"axhub_test_{uuid.uuid4().hex[:8]}"
    try:
        with LocalAxHub(store=url, schema=schema) as first, _http(first) as c:
            app = c.post(
                f"/api/v1/tenants/{first.tenant_id}/apps", json={"slug": "pg-keep", "name": "K"}
            ).json()
            body = {"table_name": "notes", "columns": [{"name": "body", "type": "text"}]}
            assert c.post(f"/api/v1/apps/{app['id']}/tables", json=body).status_code == 201
            row = c.post("/data/local/pg-keep/notes", json={"body": "kept"}).json()
            identity = (first.tenant_id, first.user_id, first.token)
            assert first.store_schema == schema
            assert "postgresql://" not in repr(first)
        with LocalAxHub(store=url, schema=schema) as second, _http(second) as c:
            assert (second.tenant_id, second.user_id, second.token) == identity
            assert c.get(f"/data/local/pg-keep/notes/{row['id']}").json() == row
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def test_app_tables_have_the_contract_types(store: PostgresStore, url: str) -> None:
    """Each of the eight column types is the PostgreSQL type the contract names."""
    types = ["text", "int", "bigint", "float", "bool", "timestamptz", "uuid", "jsonb"]
    meta = _table(store, [ColumnDef(f"c_{t}", t) for t in types])
    with psycopg.connect(url) as conn:
        found = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = %s AND table_name = %s",
                (store.schema, meta.storage_name),
            ).fetchall()
        )
    assert [found[f"c_{t}"] for t in types] == [
        "text",
        "integer",
        "bigint",
        "double precision",
        "boolean",
        "timestamp with time zone",
        "uuid",
        "jsonb",
    ]


def test_database_errors_become_the_envelope(store: PostgresStore) -> None:
    """A NOT NULL violation, an out-of-range integer and a duplicate column are 4xx codes."""
    meta = _table(store, [ColumnDef("a", "text", nullable=False), ColumnDef("n", "int")])
    cases = [
        (lambda: store.insert_row(meta, {"n": 1}), "required", 400),
        (lambda: store.insert_row(meta, {"a": "x", "n": 2**40}), "invalid_value", 400),
        (lambda: store.add_column(meta, ColumnDef("n", "int"), None), "already_exists", 409),
    ]
    for action, code, status in cases:
        with pytest.raises(ApiError) as caught, store.transaction():
            action()
        assert (caught.value.code, caught.value.status) == (code, status)
    with store.transaction():
        assert store.row_count(meta) == 0


def test_an_unexpected_database_error_is_not_disguised() -> None:
    """An error no request can cause (a syntax error) maps to nothing: it stays a 500."""
    assert api_error_for(psycopg.errors.SyntaxError("syntax error at or near")) is None


def test_a_nul_in_a_path_is_a_4xx_not_a_500(url: str) -> None:
    """A tenant slug with a NUL (which PostgreSQL text cannot hold) answers 400, not 500."""
    with LocalAxHub(store=url) as local, _http(local) as c:
        response = c.get("/data/lo%00cal/app/table")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_value"
