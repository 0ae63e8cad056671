"""What the SQL stores share: the metadata tables, transactions and the per-request caches.

Metadata SQL is written once, with ``?`` placeholders (a store using another paramstyle
translates them). Each store supplies the connection primitives and everything about the
row tables (DDL, row SQL, value adaptation).

Caching: the lookups every request makes (token → user, user, memberships, tenant, app, table
metadata) are answered from a cache. Every write to a metadata table goes through
:meth:`SQLStoreBase._write`, which empties the cache, and so does every rolled-back
transaction, so a cached answer is never older than the last committed change.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from ._store import Condition, Identity, Paging, RowSelection, TableMeta
from ._types import ColumnDef, utc_now

__all__ = ["SEED_EMAIL", "SEED_NAME", "SEED_TENANT_SLUG", "SQLStoreBase", "metadata_schema"]

SEED_TENANT_SLUG = "local"
SEED_EMAIL = "dev@local.axhub"
SEED_NAME = "Local Developer"
_CACHE_LIMIT = 10_000
T = TypeVar("T")

_METADATA = """
CREATE TABLE IF NOT EXISTS ax_tenants (id TEXT PRIMARY KEY, slug TEXT UNIQUE NOT NULL,
    name TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ax_users (id TEXT PRIMARY KEY, email TEXT UNIQUE NOT NULL,
    name TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ax_members (tenant_id TEXT NOT NULL, user_id TEXT NOT NULL,
    role TEXT NOT NULL, seq {serial}, UNIQUE (tenant_id, user_id));
CREATE INDEX IF NOT EXISTS ax_members_user ON ax_members (user_id);
CREATE TABLE IF NOT EXISTS ax_tokens (token TEXT PRIMARY KEY, kind TEXT NOT NULL,
    user_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ax_apps (seq {serial}, id TEXT UNIQUE NOT NULL,
    tenant_id TEXT NOT NULL, slug TEXT NOT NULL, subdomain TEXT, state TEXT NOT NULL,
    doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ax_env (app_id TEXT NOT NULL, key TEXT NOT NULL,
    doc TEXT NOT NULL, PRIMARY KEY (app_id, key));
CREATE TABLE IF NOT EXISTS ax_tables (seq {serial}, id TEXT UNIQUE NOT NULL,
    app_id TEXT NOT NULL, table_name TEXT NOT NULL, description TEXT NOT NULL,
    owner_column TEXT, columns TEXT NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, UNIQUE (app_id, table_name));
CREATE TABLE IF NOT EXISTS ax_grants (seq {serial}, id TEXT UNIQUE NOT NULL,
    table_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ax_grants_table ON ax_grants (table_id);
"""
_APP_INDEXES = """
CREATE INDEX IF NOT EXISTS ax_apps_tenant_slug ON ax_apps (tenant_id, slug);
CREATE INDEX IF NOT EXISTS ax_apps_tenant_subdomain ON ax_apps (tenant_id, subdomain);
"""


def metadata_schema(serial: str) -> list[str]:
    """The metadata DDL statements, with ``serial`` as the auto-numbered key column type."""
    text = _METADATA.format(serial=serial) + _APP_INDEXES
    return [s.strip() for s in text.split(";") if s.strip()]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _new_jwt(user_id: str) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({"sub": user_id, "iss": "axhub-local"}).encode())
    return f"{header}.{payload}.{_b64(secrets.token_bytes(32))}"


def _dump_columns(columns: list[ColumnDef]) -> str:
    return json.dumps([c.to_json() for c in columns])


def _load_meta(row: Sequence[Any]) -> TableMeta:
    columns = [
        ColumnDef(c["name"], c["type"], c["nullable"], c["default"]) for c in json.loads(row[6])
    ]
    return TableMeta(row[0], row[1], row[2], row[3], row[4], row[5], columns, row[7], row[8])


class SQLStoreBase(ABC):
    """Metadata, transactions and caches over a DB-API connection; rows are the subclass's."""

    identity: Identity

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._closed = False
        self._depth = 0
        self._cache: dict[tuple[Any, ...], Any] = {}

    # --- what a store supplies --------------------------------------------------------

    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run ``sql`` (``?`` placeholders) and return the cursor."""

    @abstractmethod
    def _begin(self) -> None: ...

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _rollback(self) -> None: ...

    @abstractmethod
    def _close_connection(self) -> None: ...

    @abstractmethod
    def _create_storage(self, meta: TableMeta) -> None:
        """Create the row table of a new table (and its owner index)."""

    @abstractmethod
    def _drop_storage(self, meta: TableMeta) -> None: ...

    @abstractmethod
    def _add_storage_column(self, meta: TableMeta, column: ColumnDef, fill: Any) -> None: ...

    @abstractmethod
    def _drop_storage_column(self, meta: TableMeta, name: str) -> None: ...

    @abstractmethod
    def _select(self, meta: TableMeta, selection: RowSelection, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` rows of a selection (its page's offset), as JSON rows."""

    # --- rows (the shared part) -------------------------------------------------------

    def find_row(self, meta: TableMeta, conditions: Sequence[Condition]) -> dict[str, Any] | None:
        """The first row (insertion order) matching ``conditions``."""
        rows = self._select(meta, RowSelection(list(conditions), paging=Paging(1, 1)), 1)
        return rows[0] if rows else None

    def list_rows(self, meta: TableMeta, selection: RowSelection) -> list[dict[str, Any]]:
        """One page (+1 probe row) of a selection."""
        return self._select(meta, selection, selection.paging.per_page + 1)

    # --- transactions and cache -------------------------------------------------------

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._cache.clear()
                self._close_connection()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the store lock and one transaction; roll back (and forget caches) on error."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the store is closed")
            if self._depth:  # re-entrant use joins the open transaction
                yield
                return
            self._begin()
            self._depth = 1
            try:
                yield
                self._commit()
            except BaseException:
                self._cache.clear()
                self._rollback()
                raise
            finally:
                self._depth = 0

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(self._execute(sql, params).fetchall())

    def _write(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run a metadata write; every cached lookup is forgotten."""
        self._cache.clear()
        return self._execute(sql, params)

    def _cached(self, key: tuple[Any, ...], load: Callable[[], T]) -> T:
        try:
            return self._cache[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        value = self._cache[key] = load()
        return value

    # --- identity ---------------------------------------------------------------------

    def _seed(self) -> Identity:
        row = self._one("SELECT id, slug FROM ax_tenants ORDER BY created_at LIMIT 1")
        if row is None:
            tenant_id = str(uuid.uuid4())
            self._write(
                "INSERT INTO ax_tenants VALUES (?, ?, ?, ?)",
                (tenant_id, SEED_TENANT_SLUG, "Local", utc_now()),
            )
            self.add_user(tenant_id, SEED_EMAIL, SEED_NAME, role="owner")
            row = (tenant_id, SEED_TENANT_SLUG)
        owner = self._one(
            "SELECT user_id FROM ax_members WHERE tenant_id = ? ORDER BY seq LIMIT 1", (row[0],)
        )
        return self.identity_of(owner[0], row[0])

    def identity_of(self, user_id: str, tenant_id: str) -> Identity:
        """The identity (with tokens) of an existing user in a tenant."""
        tenant_slug = self._one("SELECT slug FROM ax_tenants WHERE id = ?", (tenant_id,))[0]
        email, name = self._one("SELECT email, name FROM ax_users WHERE id = ?", (user_id,))
        tokens = dict(
            self._all(
                "SELECT kind, token FROM ax_tokens WHERE user_id = ? ORDER BY kind", (user_id,)
            )
        )
        return Identity(tenant_id, tenant_slug, user_id, email, name, tokens["pat"], tokens["jwt"])

    def add_tenant(self, slug: str, name: str) -> str:
        """Create a tenant with no members and return its id (the slug must be free)."""
        tenant_id = str(uuid.uuid4())
        self._write(
            "INSERT INTO ax_tenants VALUES (?, ?, ?, ?)", (tenant_id, slug, name, utc_now())
        )
        return tenant_id

    def add_user(self, tenant_id: str, email: str, name: str, role: str = "member") -> Identity:
        """Create a user, make them a ``role`` of ``tenant_id`` and issue a PAT and a JWT."""
        user_id = str(uuid.uuid4())
        self._write("INSERT INTO ax_users VALUES (?, ?, ?, ?)", (user_id, email, name, utc_now()))
        self._write(
            "INSERT INTO ax_members (tenant_id, user_id, role) VALUES (?, ?, ?)",
            (tenant_id, user_id, role),
        )
        pat = f"axhub_pat_{secrets.token_hex(20)}"
        self._write("INSERT INTO ax_tokens VALUES (?, 'pat', ?)", (pat, user_id))
        self._write("INSERT INTO ax_tokens VALUES (?, 'jwt', ?)", (_new_jwt(user_id), user_id))
        return self.identity_of(user_id, tenant_id)

    def user_for_token(self, kind: str, token: str) -> str | None:
        """The user id owning ``token`` of ``kind`` (``pat`` or ``jwt``), if any."""
        if "\x00" in token:  # no stored token holds one (and PostgreSQL text cannot)
            return None

        def load() -> str | None:
            sql = "SELECT user_id FROM ax_tokens WHERE token = ? AND kind = ?"
            row = self._one(sql, (token, kind))
            return None if row is None else str(row[0])

        return self._cached(("token", kind, token), load)

    def user(self, user_id: str) -> dict[str, Any] | None:
        """``{id, email, name}`` of a user."""

        def load() -> dict[str, Any] | None:
            row = self._one("SELECT id, email, name FROM ax_users WHERE id = ?", (user_id,))
            return None if row is None else {"id": row[0], "email": row[1], "name": row[2]}

        found = self._cached(("user", user_id), load)
        return None if found is None else dict(found)

    def memberships(self, user_id: str) -> list[dict[str, Any]]:
        """The tenants of a user as ``{tenant_id, tenant_slug, role, is_active}``."""

        def load() -> list[dict[str, Any]]:
            rows = self._all(
                "SELECT t.id, t.slug, m.role FROM ax_members m"
                " JOIN ax_tenants t ON t.id = m.tenant_id WHERE m.user_id = ? ORDER BY m.seq",
                (user_id,),
            )
            return [
                {"tenant_id": r[0], "tenant_slug": r[1], "role": r[2], "is_active": True}
                for r in rows
            ]

        return [dict(m) for m in self._cached(("members", user_id), load)]

    def email_taken(self, email: str) -> bool:
        """Whether a user with ``email`` exists."""
        return self._one("SELECT 1 FROM ax_users WHERE email = ?", (email,)) is not None

    def member_role(self, tenant_id: str, user_id: str) -> str | None:
        """The role (``owner``, ``admin``, ``member``) of a user in a tenant, or ``None``."""

        def load() -> str | None:
            sql = "SELECT role FROM ax_members WHERE tenant_id = ? AND user_id = ?"
            row = self._one(sql, (tenant_id, user_id))
            return None if row is None else str(row[0])

        return self._cached(("role", tenant_id, user_id), load)

    def tenant(self, *, tenant_id: str | None = None, slug: str | None = None) -> Any:
        """``(id, slug)`` of a tenant found by id or slug, or ``None``."""
        column, value = ("id", tenant_id) if tenant_id is not None else ("slug", slug)
        sql = f"SELECT id, slug FROM ax_tenants WHERE {column} = ?"  # noqa: S608 - fixed names
        return self._cached(("tenant", column, value), lambda: self._one(sql, (value,)))

    # --- apps -------------------------------------------------------------------------

    def insert_app(self, doc: Mapping[str, Any]) -> None:
        """Store a new app document."""
        self._write(
            "INSERT INTO ax_apps (id, tenant_id, slug, subdomain, state, doc)"
            " VALUES (?, ?, ?, ?, 'active', ?)",
            (doc["id"], doc["tenant_id"], doc["slug"], doc.get("subdomain"), json.dumps(doc)),
        )

    def save_app(self, doc: Mapping[str, Any], state: str) -> None:
        """Replace an app document and its state (``active``, ``deleted``, ``purged``)."""
        self._write(
            "UPDATE ax_apps SET doc = ?, state = ?, subdomain = ? WHERE id = ?",
            (json.dumps(doc), state, doc.get("subdomain"), doc["id"]),
        )

    def _app_row(self, key: tuple[Any, ...], sql: str, params: Sequence[Any]) -> Any:
        def load() -> tuple[dict[str, Any], str] | None:
            row = self._one(sql, params)
            return None if row is None else (json.loads(row[0]), str(row[1]))

        found = self._cached(key, load)
        return None if found is None else (dict(found[0]), found[1])  # a copy per caller

    def app(self, app_id: str) -> tuple[dict[str, Any], str] | None:
        """``(doc, state)`` of an app by id."""
        sql = "SELECT doc, state FROM ax_apps WHERE id = ?"
        return self._app_row(("app", app_id), sql, (app_id,))  # type: ignore[no-any-return]

    def app_by_slug(self, tenant_id: str, slug: str) -> tuple[dict[str, Any], str] | None:
        """The newest app with ``slug`` in a tenant, preferring one that is not purged."""
        sql = (
            "SELECT doc, state FROM ax_apps WHERE tenant_id = ? AND slug = ?"
            " ORDER BY state = 'purged', seq DESC LIMIT 1"
        )
        key = ("app_slug", tenant_id, slug)
        return self._app_row(key, sql, (tenant_id, slug))  # type: ignore[no-any-return]

    def apps_with(self, tenant_id: str, key: str, value: str) -> int:
        """How many unpurged apps of a tenant have ``slug`` or ``subdomain`` ``value``."""
        if key not in ("slug", "subdomain"):
            raise ValueError(f"apps are looked up by slug or subdomain, not {key!r}")
        sql = (
            f"SELECT COUNT(*) FROM ax_apps WHERE tenant_id = ? AND {key} = ?"  # noqa: S608 - fixed names
            " AND state <> 'purged'"
        )
        return int(self._one(sql, (tenant_id, value))[0])

    def list_apps(self, tenant_id: str, state: str, paging: Paging) -> list[dict[str, Any]]:
        """One page (+1 probe row) of the apps of a tenant in ``state``, oldest first."""
        rows = self._all(
            "SELECT doc FROM ax_apps WHERE tenant_id = ? AND state = ? ORDER BY seq"
            " LIMIT ? OFFSET ?",
            (tenant_id, state, paging.per_page + 1, paging.offset),
        )
        return [json.loads(r[0]) for r in rows]

    def purge_app(self, app_id: str) -> None:
        """Drop every table, grant and env var of an app."""
        for meta in self.tables(app_id, None):
            self.drop_table(meta)
        self._write("DELETE FROM ax_env WHERE app_id = ?", (app_id,))

    # --- env vars ---------------------------------------------------------------------

    def env_vars(self, app_id: str, paging: Paging) -> list[dict[str, Any]]:
        """One page (+1 probe) of the env vars of an app, by key."""
        rows = self._all(
            "SELECT doc FROM ax_env WHERE app_id = ? ORDER BY key LIMIT ? OFFSET ?",
            (app_id, paging.per_page + 1, paging.offset),
        )
        return [json.loads(r[0]) for r in rows]

    def set_env(self, app_id: str, doc: Mapping[str, Any]) -> bool:
        """Insert or replace an env var; return whether it was new."""
        exists = self._one(
            "SELECT 1 FROM ax_env WHERE app_id = ? AND key = ?", (app_id, doc["key"])
        )
        self._write(
            "INSERT INTO ax_env VALUES (?, ?, ?)"
            " ON CONFLICT (app_id, key) DO UPDATE SET doc = excluded.doc",
            (app_id, doc["key"], json.dumps(doc)),
        )
        return exists is None

    def delete_env(self, app_id: str, key: str) -> bool:
        """Delete an env var; return whether it existed."""
        cur = self._write("DELETE FROM ax_env WHERE app_id = ? AND key = ?", (app_id, key))
        return int(cur.rowcount) > 0

    # --- tables -----------------------------------------------------------------------

    def table(self, app_id: str, name: str) -> TableMeta | None:
        """The metadata of table ``name`` of an app."""

        def load() -> TableMeta | None:
            row = self._one(
                "SELECT seq, id, app_id, table_name, description, owner_column, columns,"
                " created_at, updated_at FROM ax_tables WHERE app_id = ? AND table_name = ?",
                (app_id, name),
            )
            return None if row is None else _load_meta(row)

        return self._cached(("table", app_id, name), load)

    def tables(self, app_id: str, paging: Paging | None) -> list[TableMeta]:
        """One page (+1 probe) of the tables of an app, oldest first (all when no paging)."""
        sql = (
            "SELECT seq, id, app_id, table_name, description, owner_column, columns,"
            " created_at, updated_at FROM ax_tables WHERE app_id = ? ORDER BY seq"
        )
        params: list[Any] = [app_id]
        if paging is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [paging.per_page + 1, paging.offset]
        return [_load_meta(r) for r in self._all(sql, params)]

    def create_table(
        self, app_id: str, name: str, columns: list[ColumnDef], owner: str | None, description: str
    ) -> TableMeta:
        """Record a table and create its row table."""
        now = utc_now()
        self._write(
            "INSERT INTO ax_tables (id, app_id, table_name, description, owner_column, columns,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (str(uuid.uuid4()), app_id, name, description, owner, _dump_columns(columns), now, now),
        )
        meta = self.table(app_id, name)
        if meta is None:  # pragma: no cover - internal invariant
            raise RuntimeError("table metadata was not recorded")
        self._create_storage(meta)
        return meta

    def drop_table(self, meta: TableMeta) -> None:
        """Delete a table's rows, grants and metadata."""
        self._drop_storage(meta)
        self._write("DELETE FROM ax_grants WHERE table_id = ?", (meta.id,))
        self._write("DELETE FROM ax_tables WHERE id = ?", (meta.id,))

    def _save_columns(self, meta: TableMeta) -> None:
        meta.updated_at = utc_now()
        self._write(
            "UPDATE ax_tables SET columns = ?, updated_at = ? WHERE id = ?",
            (_dump_columns(meta.columns), meta.updated_at, meta.id),
        )

    def add_column(self, meta: TableMeta, column: ColumnDef, fill: Any) -> None:
        """Add a column, setting ``fill`` (the stored default) on existing rows."""
        self._add_storage_column(meta, column, fill)
        meta.columns.append(column)
        self._save_columns(meta)

    def drop_column(self, meta: TableMeta, name: str) -> None:
        """Drop a declared column."""
        self._drop_storage_column(meta, name)
        meta.columns = [c for c in meta.columns if c.name != name]
        self._save_columns(meta)

    # --- grants -----------------------------------------------------------------------

    def insert_grant(self, table_id: str, doc: Mapping[str, Any]) -> None:
        """Store a new grant document."""
        self._write(
            "INSERT INTO ax_grants (id, table_id, doc) VALUES (?, ?, ?)",
            (doc["id"], table_id, json.dumps(doc)),
        )

    def grants(self, table_id: str, paging: Paging) -> list[dict[str, Any]]:
        """One page (+1 probe) of the grants of a table, revoked ones included."""
        rows = self._all(
            "SELECT doc FROM ax_grants WHERE table_id = ? ORDER BY seq LIMIT ? OFFSET ?",
            (table_id, paging.per_page + 1, paging.offset),
        )
        return [json.loads(r[0]) for r in rows]

    def grant(self, table_id: str, grant_id: str) -> dict[str, Any] | None:
        """A grant of a table by id."""
        row = self._one(
            "SELECT doc FROM ax_grants WHERE table_id = ? AND id = ?", (table_id, grant_id)
        )
        return None if row is None else dict(json.loads(row[0]))

    def save_grant(self, doc: Mapping[str, Any]) -> None:
        """Replace a grant document."""
        self._write("UPDATE ax_grants SET doc = ? WHERE id = ?", (json.dumps(doc), doc["id"]))

    def grant_actions(self, table_id: str, user_id: str) -> frozenset[str]:
        """The actions of every active (not revoked) grant of a table naming ``user_id``.

        Cached like the other per-request lookups; granting, revoking and dropping the table
        are metadata writes, which empty the cache, so a revocation counts from the next request.
        """

        def load() -> frozenset[str]:
            actions: set[str] = set()
            for (raw,) in self._all("SELECT doc FROM ax_grants WHERE table_id = ?", (table_id,)):
                doc = json.loads(raw)
                if doc["principal_id"] == user_id and doc["revoked_at"] is None:
                    actions.update(doc["actions"])
            return frozenset(actions)

        return self._cached(("grants", table_id, user_id), load)
