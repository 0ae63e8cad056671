"""The emulator's SQLite store: metadata tables plus one real SQLite table per app table.

All access goes through :meth:`Store.transaction`, which holds one process-wide lock and one
SQLite transaction, so every request is atomic and writes are serialized.
"""

from __future__ import annotations

import base64
import json
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._filters import Paging, RowSelect, like_match
from ._types import (
    IMPLICIT_COLUMNS,
    SQL_AFFINITY,
    ColumnDef,
    from_db,
    jsonb_key,
    quote_ident,
    utc_now,
)

__all__ = ["Identity", "Store", "TableMeta"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ax_tenants (id TEXT PRIMARY KEY, slug TEXT UNIQUE NOT NULL,
    name TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ax_users (id TEXT PRIMARY KEY, email TEXT UNIQUE NOT NULL,
    name TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ax_members (tenant_id TEXT NOT NULL, user_id TEXT NOT NULL,
    role TEXT NOT NULL, seq INTEGER PRIMARY KEY AUTOINCREMENT, UNIQUE (tenant_id, user_id));
CREATE TABLE IF NOT EXISTS ax_tokens (token TEXT PRIMARY KEY, kind TEXT NOT NULL,
    user_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ax_apps (seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL, tenant_id TEXT NOT NULL, slug TEXT NOT NULL,
    state TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ax_env (app_id TEXT NOT NULL, key TEXT NOT NULL,
    doc TEXT NOT NULL, PRIMARY KEY (app_id, key));
CREATE TABLE IF NOT EXISTS ax_tables (seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL, app_id TEXT NOT NULL, table_name TEXT NOT NULL,
    description TEXT NOT NULL, owner_column TEXT, columns TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (app_id, table_name));
CREATE TABLE IF NOT EXISTS ax_grants (seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL, table_id TEXT NOT NULL, doc TEXT NOT NULL);
"""

SEED_TENANT_SLUG = "local"
SEED_EMAIL = "dev@local.axhub"
SEED_NAME = "Local Developer"


@dataclass(frozen=True)
class Identity:
    """A user of the emulator and their tokens (never shown in ``repr``)."""

    tenant_id: str
    tenant_slug: str
    user_id: str
    email: str
    name: str
    pat: str = field(repr=False)
    jwt: str = field(repr=False)


@dataclass
class TableMeta:
    """The metadata of one app table."""

    seq: int
    id: str
    app_id: str
    table_name: str
    description: str
    owner_column: str | None
    columns: list[ColumnDef]
    created_at: str
    updated_at: str

    @property
    def physical(self) -> str:
        """The quoted name of the SQLite table holding the rows."""
        return f'"ax_data_{int(self.seq)}"'

    @property
    def all_columns(self) -> list[ColumnDef]:
        """Implicit columns followed by the declared ones, in row order."""
        return [*IMPLICIT_COLUMNS, *self.columns]

    def column_map(self) -> dict[str, ColumnDef]:
        """Every column (implicit ones included) by name."""
        return {c.name: c for c in self.all_columns}

    def declared(self, name: str) -> ColumnDef | None:
        """The declared column ``name``, if any."""
        return next((c for c in self.columns if c.name == name), None)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _new_jwt(user_id: str) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({"sub": user_id, "iss": "axhub-local"}).encode())
    return f"{header}.{payload}.{_b64(secrets.token_bytes(32))}"


class Store:
    """SQLite-backed state of the emulator (``db=None`` keeps it in memory)."""

    def __init__(self, db: str | Path | None = None) -> None:
        self.path = None if db is None else Path(db)
        target = ":memory:" if db is None else str(db)
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._closed = False
        try:
            self._setup()
        except BaseException:
            self._conn.close()
            raise

    def _setup(self) -> None:
        self._conn.create_function("ax_like", 2, like_match, deterministic=True)
        self._conn.create_function("ax_jsonb_key", 1, jsonb_key, deterministic=True)
        if self.path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        with self.transaction():
            self.identity = self._seed()

    def __repr__(self) -> str:
        return f"Store(path={str(self.path) if self.path else ':memory:'!r})"

    def close(self) -> None:
        """Close the SQLite connection (idempotent)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the store lock and one SQLite transaction; roll back on any exception."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the store is closed")
            if self._conn.in_transaction:  # re-entrant use joins the open transaction
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params).fetchone()

    # --- identity --------------------------------------------------------------------

    def _seed(self) -> Identity:
        row = self._one("SELECT id, slug FROM ax_tenants ORDER BY created_at LIMIT 1")
        if row is None:
            tenant_id = str(uuid.uuid4())
            self._conn.execute(
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
            self._conn.execute(
                "SELECT kind, token FROM ax_tokens WHERE user_id = ? ORDER BY rowid", (user_id,)
            ).fetchall()
        )
        return Identity(tenant_id, tenant_slug, user_id, email, name, tokens["pat"], tokens["jwt"])

    def add_user(self, tenant_id: str, email: str, name: str, role: str = "member") -> Identity:
        """Create a user, make them a member of ``tenant_id`` and issue a PAT and a JWT."""
        user_id = str(uuid.uuid4())
        self._conn.execute(
            "INSERT INTO ax_users VALUES (?, ?, ?, ?)", (user_id, email, name, utc_now())
        )
        self._conn.execute(
            "INSERT INTO ax_members (tenant_id, user_id, role) VALUES (?, ?, ?)",
            (tenant_id, user_id, role),
        )
        pat = f"axhub_pat_{secrets.token_hex(20)}"
        self._conn.execute("INSERT INTO ax_tokens VALUES (?, 'pat', ?)", (pat, user_id))
        jwt = _new_jwt(user_id)
        self._conn.execute("INSERT INTO ax_tokens VALUES (?, 'jwt', ?)", (jwt, user_id))
        return self.identity_of(user_id, tenant_id)

    def user_for_token(self, kind: str, token: str) -> str | None:
        """The user id owning ``token`` of ``kind`` (``pat`` or ``jwt``), if any."""
        row = self._one("SELECT user_id FROM ax_tokens WHERE token = ? AND kind = ?", (token, kind))
        return None if row is None else str(row[0])

    def user(self, user_id: str) -> dict[str, Any] | None:
        """``{id, email, name}`` of a user."""
        row = self._one("SELECT id, email, name FROM ax_users WHERE id = ?", (user_id,))
        return None if row is None else {"id": row[0], "email": row[1], "name": row[2]}

    def memberships(self, user_id: str) -> list[dict[str, Any]]:
        """The tenants of a user as ``{tenant_id, tenant_slug, role, is_active}``."""
        rows = self._conn.execute(
            "SELECT t.id, t.slug, m.role FROM ax_members m JOIN ax_tenants t ON t.id = m.tenant_id"
            " WHERE m.user_id = ? ORDER BY m.seq",
            (user_id,),
        ).fetchall()
        return [
            {"tenant_id": r[0], "tenant_slug": r[1], "role": r[2], "is_active": True} for r in rows
        ]

    def tenant(self, *, tenant_id: str | None = None, slug: str | None = None) -> Any:
        """``(id, slug)`` of a tenant found by id or slug, or ``None``."""
        if tenant_id is not None:
            return self._one("SELECT id, slug FROM ax_tenants WHERE id = ?", (tenant_id,))
        return self._one("SELECT id, slug FROM ax_tenants WHERE slug = ?", (slug,))

    # --- apps -------------------------------------------------------------------------

    def insert_app(self, doc: Mapping[str, Any]) -> None:
        """Store a new app document."""
        self._conn.execute(
            "INSERT INTO ax_apps (id, tenant_id, slug, state, doc) VALUES (?, ?, ?, 'active', ?)",
            (doc["id"], doc["tenant_id"], doc["slug"], json.dumps(doc)),
        )

    def save_app(self, doc: Mapping[str, Any], state: str) -> None:
        """Replace an app document and its state (``active``, ``deleted``, ``purged``)."""
        self._conn.execute(
            "UPDATE ax_apps SET doc = ?, state = ? WHERE id = ?",
            (json.dumps(doc), state, doc["id"]),
        )

    def app(self, app_id: str) -> tuple[dict[str, Any], str] | None:
        """``(doc, state)`` of an app by id."""
        row = self._one("SELECT doc, state FROM ax_apps WHERE id = ?", (app_id,))
        return None if row is None else (json.loads(row[0]), str(row[1]))

    def app_by_slug(self, tenant_id: str, slug: str) -> tuple[dict[str, Any], str] | None:
        """The newest app with ``slug`` in a tenant, preferring one that is not purged."""
        row = self._one(
            "SELECT doc, state FROM ax_apps WHERE tenant_id = ? AND slug = ?"
            " ORDER BY state = 'purged', seq DESC LIMIT 1",
            (tenant_id, slug),
        )
        return None if row is None else (json.loads(row[0]), str(row[1]))

    def apps_with(self, tenant_id: str, key: str, value: str) -> int:
        """How many apps of a tenant that are not purged have ``doc[key] == value``."""
        docs = self._conn.execute(
            "SELECT doc FROM ax_apps WHERE tenant_id = ? AND state <> 'purged'", (tenant_id,)
        ).fetchall()
        return sum(1 for (doc,) in docs if json.loads(doc).get(key) == value)

    def list_apps(self, tenant_id: str, state: str, paging: Paging) -> list[dict[str, Any]]:
        """One page (+1 probe row) of the apps of a tenant in ``state``, oldest first."""
        rows = self._conn.execute(
            "SELECT doc FROM ax_apps WHERE tenant_id = ? AND state = ? ORDER BY seq"
            " LIMIT ? OFFSET ?",
            (tenant_id, state, paging.per_page + 1, paging.offset),
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def purge_app(self, app_id: str) -> None:
        """Drop every table, grant and env var of an app."""
        for meta in self.tables(app_id, None):
            self.drop_table(meta)
        self._conn.execute("DELETE FROM ax_env WHERE app_id = ?", (app_id,))

    # --- env vars ---------------------------------------------------------------------

    def env_vars(self, app_id: str, paging: Paging) -> list[dict[str, Any]]:
        """One page (+1 probe) of the env vars of an app, by key."""
        rows = self._conn.execute(
            "SELECT doc FROM ax_env WHERE app_id = ? ORDER BY key LIMIT ? OFFSET ?",
            (app_id, paging.per_page + 1, paging.offset),
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def set_env(self, app_id: str, doc: Mapping[str, Any]) -> bool:
        """Insert or replace an env var; return whether it was new."""
        exists = self._one(
            "SELECT 1 FROM ax_env WHERE app_id = ? AND key = ?", (app_id, doc["key"])
        )
        self._conn.execute(
            "INSERT OR REPLACE INTO ax_env VALUES (?, ?, ?)", (app_id, doc["key"], json.dumps(doc))
        )
        return exists is None

    def delete_env(self, app_id: str, key: str) -> bool:
        """Delete an env var; return whether it existed."""
        cur = self._conn.execute("DELETE FROM ax_env WHERE app_id = ? AND key = ?", (app_id, key))
        return cur.rowcount > 0

    # --- tables -----------------------------------------------------------------------

    def _meta(self, row: Sequence[Any]) -> TableMeta:
        columns = [
            ColumnDef(c["name"], c["type"], c["nullable"], c["default"]) for c in json.loads(row[6])
        ]
        return TableMeta(row[0], row[1], row[2], row[3], row[4], row[5], columns, row[7], row[8])

    def table(self, app_id: str, name: str) -> TableMeta | None:
        """The metadata of table ``name`` of an app."""
        row = self._one(
            "SELECT * FROM ax_tables WHERE app_id = ? AND table_name = ?", (app_id, name)
        )
        return None if row is None else self._meta(row)

    def tables(self, app_id: str, paging: Paging | None) -> list[TableMeta]:
        """One page (+1 probe) of the tables of an app, oldest first (all when no paging)."""
        sql = "SELECT * FROM ax_tables WHERE app_id = ? ORDER BY seq"
        params: list[Any] = [app_id]
        if paging is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [paging.per_page + 1, paging.offset]
        return [self._meta(r) for r in self._conn.execute(sql, params).fetchall()]

    def create_table(
        self, app_id: str, name: str, columns: list[ColumnDef], owner: str | None, description: str
    ) -> TableMeta:
        """Record a table and create its SQLite table."""
        now = utc_now()
        cur = self._conn.execute(
            "INSERT INTO ax_tables (id, app_id, table_name, description, owner_column, columns,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (str(uuid.uuid4()), app_id, name, description, owner, _dump_columns(columns), now, now),
        )
        meta = self.table(app_id, name)
        if meta is None or meta.seq != cur.lastrowid:  # pragma: no cover - internal invariant
            raise RuntimeError("table metadata was not recorded")
        defs = ", ".join(f"{quote_ident(c.name)} {SQL_AFFINITY[c.type]}" for c in columns)
        self._conn.execute(
            f"CREATE TABLE {meta.physical} (_rowid INTEGER PRIMARY KEY AUTOINCREMENT,"
            f" id TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, updated_at TEXT NOT NULL"
            f"{', ' + defs if defs else ''})"
        )
        return meta

    def drop_table(self, meta: TableMeta) -> None:
        """Delete a table's rows, grants and metadata."""
        self._conn.execute(f"DROP TABLE IF EXISTS {meta.physical}")
        self._conn.execute("DELETE FROM ax_grants WHERE table_id = ?", (meta.id,))
        self._conn.execute("DELETE FROM ax_tables WHERE id = ?", (meta.id,))

    def _save_columns(self, meta: TableMeta) -> None:
        meta.updated_at = utc_now()
        self._conn.execute(
            "UPDATE ax_tables SET columns = ?, updated_at = ? WHERE id = ?",
            (_dump_columns(meta.columns), meta.updated_at, meta.id),
        )

    def add_column(self, meta: TableMeta, column: ColumnDef, fill: Any) -> None:
        """Add a column, setting ``fill`` (the stored default) on existing rows."""
        ident = quote_ident(column.name)
        self._conn.execute(
            f"ALTER TABLE {meta.physical} ADD COLUMN {ident} {SQL_AFFINITY[column.type]}"
        )
        if fill is not None:
            self._conn.execute(f"UPDATE {meta.physical} SET {ident} = ?", (fill,))  # noqa: S608 - validated, quoted identifiers only
        meta.columns.append(column)
        self._save_columns(meta)

    def drop_column(self, meta: TableMeta, name: str) -> None:
        """Drop a declared column."""
        self._conn.execute(f"ALTER TABLE {meta.physical} DROP COLUMN {quote_ident(name)}")
        meta.columns = [c for c in meta.columns if c.name != name]
        self._save_columns(meta)

    def row_count(self, meta: TableMeta) -> int:
        """The number of rows of a table."""
        return int(self._one(f"SELECT COUNT(*) FROM {meta.physical}")[0])  # noqa: S608 - internal table name

    # --- grants -----------------------------------------------------------------------

    def insert_grant(self, table_id: str, doc: Mapping[str, Any]) -> None:
        """Store a new grant document."""
        self._conn.execute(
            "INSERT INTO ax_grants (id, table_id, doc) VALUES (?, ?, ?)",
            (doc["id"], table_id, json.dumps(doc)),
        )

    def grants(self, table_id: str, paging: Paging) -> list[dict[str, Any]]:
        """One page (+1 probe) of the grants of a table, revoked ones included."""
        rows = self._conn.execute(
            "SELECT doc FROM ax_grants WHERE table_id = ? ORDER BY seq LIMIT ? OFFSET ?",
            (table_id, paging.per_page + 1, paging.offset),
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def grant(self, table_id: str, grant_id: str) -> dict[str, Any] | None:
        """A grant of a table by id."""
        row = self._one(
            "SELECT doc FROM ax_grants WHERE table_id = ? AND id = ?", (table_id, grant_id)
        )
        return None if row is None else dict(json.loads(row[0]))

    def save_grant(self, doc: Mapping[str, Any]) -> None:
        """Replace a grant document."""
        self._conn.execute(
            "UPDATE ax_grants SET doc = ? WHERE id = ?", (json.dumps(doc), doc["id"])
        )

    # --- rows -------------------------------------------------------------------------

    def _row_json(self, meta: TableMeta, raw: Sequence[Any]) -> dict[str, Any]:
        return {c.name: from_db(c.type, v) for c, v in zip(meta.all_columns, raw[1:], strict=True)}

    def _select_list(self, meta: TableMeta) -> str:
        return ", ".join(["_rowid", *(quote_ident(c.name) for c in meta.all_columns)])

    def insert_row(self, meta: TableMeta, values: Mapping[str, Any]) -> dict[str, Any]:
        """Insert a row of stored values; return it as JSON."""
        now = utc_now()
        names = ["id", "created_at", "updated_at", *values]
        params = [str(uuid.uuid4()), now, now, *values.values()]
        cur = self._conn.execute(
            f"INSERT INTO {meta.physical} ({', '.join(quote_ident(n) for n in names)})"  # noqa: S608 - validated, quoted identifiers only
            f" VALUES ({', '.join('?' * len(names))})",
            params,
        )
        row = self.fetch_rows(meta, ["_rowid = ?"], [cur.lastrowid], "_rowid", Paging(1, 1))
        return row[0]

    def fetch_rows(
        self,
        meta: TableMeta,
        where: Sequence[str],
        params: Sequence[Any],
        order_by: str,
        paging: Paging,
        probe: bool = False,
    ) -> list[dict[str, Any]]:
        """Rows matching compiled ``where`` fragments, ordered and paged (+1 when ``probe``)."""
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        sql = (
            f"SELECT {self._select_list(meta)} FROM {meta.physical}{clause}"  # noqa: S608 - compiled from validated, quoted identifiers; values are bound
            f" ORDER BY {order_by} LIMIT ? OFFSET ?"
        )
        limit = paging.per_page + (1 if probe else 0)
        rows = self._conn.execute(sql, [*params, limit, paging.offset]).fetchall()
        return [self._row_json(meta, r) for r in rows]

    def list_rows(self, meta: TableMeta, query: RowSelect) -> list[dict[str, Any]]:
        """One page (+1 probe row) of a compiled row query."""
        return self.fetch_rows(
            meta, query.where, query.params, query.order_by, query.paging, probe=True
        )

    def count_rows(self, meta: TableMeta, query: RowSelect) -> int:
        """The number of rows matching a compiled row query."""
        sql = f"SELECT COUNT(*) FROM {meta.physical}{query.where_sql()}"  # noqa: S608 - compiled from validated, quoted identifiers; values are bound
        return int(self._one(sql, query.params)[0])

    def update_row(self, meta: TableMeta, row_id: str, values: Mapping[str, Any]) -> None:
        """Set stored ``values`` on a row and bump its ``updated_at``."""
        assigns = [f"{quote_ident(n)} = ?" for n in ("updated_at", *values)]
        self._conn.execute(
            f"UPDATE {meta.physical} SET {', '.join(assigns)} WHERE id = ?",  # noqa: S608 - validated, quoted identifiers only
            [utc_now(), *values.values(), row_id],
        )

    def delete_row(self, meta: TableMeta, row_id: str) -> None:
        """Hard-delete a row."""
        self._conn.execute(f"DELETE FROM {meta.physical} WHERE id = ?", (row_id,))  # noqa: S608 - internal table name


def _dump_columns(columns: list[ColumnDef]) -> str:
    return json.dumps([c.to_json() for c in columns])
