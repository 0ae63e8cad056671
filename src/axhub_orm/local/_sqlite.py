"""The emulator's SQLite store: the shared metadata tables plus one SQLite table per app table.

All access goes through :meth:`SQLiteStore.transaction`, which holds one process-wide lock and
one SQLite transaction, so every request is atomic and writes are serialized.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._like import like_match
from ._sqlbase import SQLStoreBase, metadata_schema
from ._store import Condition, RowSelection, TableMeta, order_terms
from ._types import ColumnDef, from_db, jsonb_key, utc_now

__all__ = ["SQLiteStore"]

_SCHEMA_VERSION = 2  # 1: apps.subdomain; 2: the owner indexes
_IDENT = re.compile(r"[a-z_][a-z0-9_]{0,63}")
_AFFINITY: Mapping[str, str] = {
    "text": "TEXT",
    "int": "INTEGER",
    "bigint": "INTEGER",
    "float": "REAL",
    "bool": "INTEGER",
    "timestamptz": "TEXT",
    "uuid": "TEXT",
    "jsonb": "TEXT",
}
_CMP = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


@functools.lru_cache(maxsize=4096)
def quote_ident(name: str) -> str:
    """Double-quote an identifier that was already validated; refuse anything else.

    This is the last line of defence: only ``[a-z_][a-z0-9_]*`` names ever reach SQL text.
    """
    if not _IDENT.fullmatch(name):
        raise ValueError("refusing to quote an unvalidated identifier")
    return f'"{name}"'


def _table(meta: TableMeta) -> str:
    return quote_ident(meta.storage_name)


def _keyed(condition: Condition, operand: str) -> str:
    """A comparison operand: jsonb values compare by their numeric-aware key."""
    return f"ax_jsonb_key({operand})" if condition.type == "jsonb" else operand


def _condition_sql(condition: Condition) -> tuple[str, list[Any]]:
    ident = quote_ident(condition.column)
    op = condition.op
    if op in ("null", "not_null"):
        return f"{ident} IS {'NOT ' if op == 'not_null' else ''}NULL", []
    if op == "like":
        return f"ax_like({ident}, ?)", [condition.value]
    if op == "in":
        marks = ", ".join(_keyed(condition, "?") for _ in condition.value)
        return f"{_keyed(condition, ident)} IN ({marks})", list(condition.value)
    return f"{_keyed(condition, ident)} {_CMP[op]} {_keyed(condition, '?')}", [condition.value]


def _where(conditions: Sequence[Condition]) -> tuple[str, list[Any]]:
    parts: list[str] = []
    params: list[Any] = []
    for condition in conditions:
        text, values = _condition_sql(condition)
        parts.append(text)
        params.extend(values)
    return (f" WHERE {' AND '.join(parts)}" if parts else ""), params


def _create_private(path: str) -> None:
    """Create the database file readable by its owner only (0600): it holds every token.

    An existing file keeps its mode; SQLite gives the ``-wal`` and ``-shm`` files the mode of
    the database file.
    """
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


class SQLiteStore(SQLStoreBase):
    """SQLite-backed state of the emulator (``db=None`` keeps it in memory)."""

    def __init__(self, db: str | Path | None = None) -> None:
        super().__init__()
        self.path = None if db is None else Path(db)
        target = ":memory:" if db is None else str(db)
        if target != ":memory:" and not target.startswith("file:"):
            _create_private(target)
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        try:
            self._setup()
        except BaseException:
            self._conn.close()
            raise

    def __repr__(self) -> str:
        return f"SQLiteStore(path={str(self.path) if self.path else ':memory:'!r})"

    def _setup(self) -> None:
        self._conn.create_function("ax_like", 2, like_match, deterministic=True)
        self._conn.create_function("ax_jsonb_key", 1, jsonb_key, deterministic=True)
        if self.path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        with self.transaction():
            self._migrate()
            self.identity = self._seed()

    def _migrate(self) -> None:
        """Create the metadata tables, or bring a file from an older version up to date."""
        version = int(self._one("PRAGMA user_version")[0])
        apps = {r[1] for r in self._all("PRAGMA table_info(ax_apps)")}
        if apps and "subdomain" not in apps:  # version 0: subdomain only inside the doc
            self._execute("ALTER TABLE ax_apps ADD COLUMN subdomain TEXT")
            for app_id, doc in self._all("SELECT id, doc FROM ax_apps"):
                subdomain = json.loads(doc).get("subdomain")
                self._execute("UPDATE ax_apps SET subdomain = ? WHERE id = ?", (subdomain, app_id))
        for statement in metadata_schema("INTEGER PRIMARY KEY AUTOINCREMENT"):
            self._execute(statement)
        if version < _SCHEMA_VERSION:
            for meta in self.tables_with_owner():
                self._owner_index(meta)
            self._execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def tables_with_owner(self) -> list[TableMeta]:
        """Every table (of every app) that has an owner column."""
        app_ids = [r[0] for r in self._all("SELECT DISTINCT app_id FROM ax_tables")]
        return [m for a in app_ids for m in self.tables(a, None) if m.owner_column]

    # --- connection primitives --------------------------------------------------------

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params)

    def _begin(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        self._conn.execute("COMMIT")

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def _close_connection(self) -> None:
        self._conn.close()

    # --- row tables -------------------------------------------------------------------

    def _owner_index(self, meta: TableMeta) -> None:
        """Index the owner column: by insertion order (the default sort) and by id (key paging)."""
        if meta.owner_column is None:
            return
        owner = quote_ident(meta.owner_column)
        for suffix, columns in (("owner", owner), ("owner_id", f"{owner}, id")):
            name = quote_ident(f"{meta.storage_name}_{suffix}")
            self._execute(f"CREATE INDEX IF NOT EXISTS {name} ON {_table(meta)} ({columns})")

    def _create_storage(self, meta: TableMeta) -> None:
        defs = "".join(f", {quote_ident(c.name)} {_AFFINITY[c.type]}" for c in meta.columns)
        self._execute(
            f"CREATE TABLE {_table(meta)} (_rowid INTEGER PRIMARY KEY AUTOINCREMENT,"
            f" id TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, updated_at TEXT NOT NULL{defs})"
        )
        self._owner_index(meta)

    def _drop_storage(self, meta: TableMeta) -> None:
        self._execute(f"DROP TABLE IF EXISTS {_table(meta)}")

    def _add_storage_column(self, meta: TableMeta, column: ColumnDef, fill: Any) -> None:
        ident = quote_ident(column.name)
        self._execute(f"ALTER TABLE {_table(meta)} ADD COLUMN {ident} {_AFFINITY[column.type]}")
        if fill is not None:
            self._execute(f"UPDATE {_table(meta)} SET {ident} = ?", (fill,))  # noqa: S608 - validated, quoted identifiers only

    def _drop_storage_column(self, meta: TableMeta, name: str) -> None:
        self._execute(f"ALTER TABLE {_table(meta)} DROP COLUMN {quote_ident(name)}")

    # --- rows -------------------------------------------------------------------------

    def _select(self, meta: TableMeta, selection: RowSelection, limit: int) -> list[dict[str, Any]]:
        columns = meta.all_columns
        names = ", ".join(quote_ident(c.name) for c in columns)
        where, params = _where(selection.conditions)
        order = ", ".join(f"{quote_ident(c)} {d}" for c, d in order_terms(selection.sort, meta))
        sql = f"SELECT {names} FROM {_table(meta)}{where} ORDER BY {order} LIMIT ? OFFSET ?"  # noqa: S608 - compiled from validated, quoted identifiers; values are bound
        rows = self._all(sql, [*params, limit, selection.paging.offset])
        return [{c.name: from_db(c.type, v) for c, v in zip(columns, r, strict=True)} for r in rows]

    def row_count(self, meta: TableMeta) -> int:
        """The number of rows of a table."""
        return int(self._one(f"SELECT COUNT(*) FROM {_table(meta)}")[0])  # noqa: S608 - internal table name

    def insert_row(self, meta: TableMeta, values: Mapping[str, Any]) -> dict[str, Any]:
        """Insert a row of stored values; return it as JSON."""
        now = utc_now()
        row_id = str(uuid.uuid4())
        names = ["id", "created_at", "updated_at", *values]
        self._execute(
            f"INSERT INTO {_table(meta)} ({', '.join(quote_ident(n) for n in names)})"  # noqa: S608 - validated, quoted identifiers only
            f" VALUES ({', '.join('?' * len(names))})",
            [row_id, now, now, *values.values()],
        )
        row = self.find_row(meta, [Condition("id", "uuid", "eq", row_id)])
        if row is None:  # pragma: no cover - internal invariant
            raise RuntimeError("the inserted row was not found")
        return row

    def count_rows(self, meta: TableMeta, selection: RowSelection) -> int:
        """The number of rows matching a selection's conditions."""
        where, params = _where(selection.conditions)
        sql = f"SELECT COUNT(*) FROM {_table(meta)}{where}"  # noqa: S608 - compiled from validated, quoted identifiers; values are bound
        return int(self._one(sql, params)[0])

    def update_row(self, meta: TableMeta, row_id: str, values: Mapping[str, Any]) -> None:
        """Set stored ``values`` on a row and bump its ``updated_at``."""
        assigns = [f"{quote_ident(n)} = ?" for n in ("updated_at", *values)]
        self._execute(
            f"UPDATE {_table(meta)} SET {', '.join(assigns)} WHERE id = ?",  # noqa: S608 - validated, quoted identifiers only
            [utc_now(), *values.values(), row_id],
        )

    def delete_row(self, meta: TableMeta, row_id: str) -> None:
        """Hard-delete a row."""
        self._execute(f"DELETE FROM {_table(meta)} WHERE id = ?", (row_id,))  # noqa: S608 - internal table name
