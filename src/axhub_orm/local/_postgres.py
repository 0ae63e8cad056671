"""The emulator's PostgreSQL store: the shared metadata tables plus one real table per app table.

Each store lives in one schema of the database (``schema=``: kept, so state survives restarts;
``None``: a generated ``axhub_local_…`` schema dropped on close), so several emulators and test
runs can share a database. One emulator process per schema: the caches assume no other writer.

App tables have the contract's types (``text``, ``integer``, ``bigint``, ``double precision``,
``boolean``, ``timestamptz``, ``uuid``, ``jsonb``). Text columns use ``COLLATE "C"`` so that
text orders by code point, as on the SQLite store (wire-contract §13: the order of text is the
emulator's choice; a production database may use a linguistic collation). Every statement runs
in the request's transaction (DDL included); values are bound parameters and identifiers are
composed with :class:`psycopg.sql.Identifier`. Errors from the database become the contract's
error envelope (:func:`api_error_for`), never a 500.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from .._time import parse_rfc3339
from ._errors import ApiError
from ._jsonb import canonical_text, loads_exact
from ._sqlbase import SQLStoreBase, metadata_schema
from ._store import Condition, RowSelection, TableMeta, order_terms
from ._types import ColumnDef, format_timestamp, from_db, utc_now

__all__ = ["PostgresStore", "api_error_for"]

_PG_TYPES: Mapping[str, str] = {
    "text": 'text COLLATE "C"',
    "int": "integer",
    "bigint": "bigint",
    "float": "double precision",
    "bool": "boolean",
    "timestamptz": "timestamptz",
    "uuid": "uuid",
    "jsonb": "jsonb",
}
_CMP = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
#: SQLSTATE → (catalog code, message) of database errors a request can cause.
_SQLSTATES: Mapping[str, tuple[str, str]] = {
    "23502": ("required", "a required value is missing"),
    "23505": ("already_exists", "the value already exists"),
    "42701": ("already_exists", "the column already exists"),
    "42P07": ("already_exists", "the table already exists"),
    "22003": ("invalid_value", "a number is out of range"),
    "22001": ("too_long", "a value is too long"),
    "22007": ("invalid_value", "a timestamp is not valid"),
    "22008": ("invalid_value", "a timestamp is out of range"),
    "22021": ("invalid_value", "a value is not valid UTF-8"),
    "22025": ("invalid_value", "a like pattern is not valid"),
    "22P02": ("invalid_value", "a value does not parse as its type"),
    "54000": ("invalid_value", "a value exceeds a database limit"),
}


def api_error_for(error: psycopg.Error) -> ApiError | None:
    """The contract's error for a database error a request caused (``None``: a server fault)."""
    if isinstance(error, psycopg.DataError) and error.sqlstate is None:
        return ApiError("invalid_value", "a value contains a character the database cannot store")
    found = _SQLSTATES.get(error.sqlstate or "")
    if found is None:
        return None
    code, message = found
    column = getattr(error.diag, "column_name", None)
    if column:
        return ApiError(code, message, fields=[{"name": column, "code": code, "message": message}])
    return ApiError(code, message)


def _to_pg(ctype: str, stored: Any) -> Any:
    """A stored-form value (see ``_types``) as the Python value psycopg binds for ``ctype``."""
    if stored is None:
        return None
    if ctype == "bool":
        return bool(stored)
    if ctype == "timestamptz":
        return parse_rfc3339(stored)
    if ctype == "uuid":
        return uuid.UUID(stored)
    if ctype == "jsonb":
        return Jsonb(stored, dumps=_as_is)  # already canonical JSON text
    return stored


def _as_is(text: Any) -> str:
    return str(text)


def _from_pg(ctype: str, value: Any) -> Any:
    """A value read from PostgreSQL as its JSON form (through the stored form)."""
    if value is None:
        return None
    if ctype == "timestamptz":
        return format_timestamp(value)
    if ctype == "uuid":
        return str(value)
    if ctype == "jsonb":  # PostgreSQL's text (spaces, its key order) → the stored form
        return from_db(ctype, canonical_text(loads_exact(value)))
    return from_db(ctype, value)


def _condition_sql(condition: Condition) -> tuple[sql.Composable, list[Any]]:
    ident = sql.Identifier(condition.column)
    op = condition.op
    if op in ("null", "not_null"):
        return sql.SQL("{} IS NULL" if op == "null" else "{} IS NOT NULL").format(ident), []
    if op == "like":
        return sql.SQL("{} LIKE %s").format(ident), [condition.value]
    if op == "in":
        marks = sql.SQL(", ").join(sql.Placeholder() for _ in condition.value)
        values = [_to_pg(condition.type, v) for v in condition.value]
        return sql.SQL("{} IN ({})").format(ident, marks), values
    text = sql.SQL("{} " + _CMP[op] + " %s").format(ident)
    return text, [_to_pg(condition.type, condition.value)]


def _where(conditions: Sequence[Condition]) -> tuple[sql.Composable, list[Any]]:
    parts: list[sql.Composable] = []
    params: list[Any] = []
    for condition in conditions:
        text, values = _condition_sql(condition)
        parts.append(text)
        params.extend(values)
    if not parts:
        return sql.SQL(""), params
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(parts), params


def _select_list(meta: TableMeta) -> sql.Composable:
    def one(column: ColumnDef) -> sql.Composable:
        ident = sql.Identifier(column.name)
        return sql.SQL("{}::text").format(ident) if column.type == "jsonb" else ident

    return sql.SQL(", ").join(one(c) for c in meta.all_columns)


def _column_def(column: ColumnDef) -> sql.Composable:
    null = "" if column.nullable else " NOT NULL"
    return sql.SQL("{} " + _PG_TYPES[column.type] + null).format(sql.Identifier(column.name))


class PostgresStore(SQLStoreBase):
    """PostgreSQL-backed state of the emulator, in one schema of the database at ``dsn``."""

    def __init__(self, dsn: str, schema: str | None = None) -> None:
        super().__init__()
        if schema is not None and not _SCHEMA_NAME.fullmatch(schema):
            raise ValueError("schema must match [a-z_][a-z0-9_]{0,62}")
        self.schema = schema or f"axhub_local_{secrets.token_hex(6)}"
        self._drop_on_close = schema is None
        self._conn = psycopg.connect(dsn, autocommit=True)
        try:
            self._setup()
        except BaseException:
            self._conn.close()
            raise

    def __repr__(self) -> str:
        return f"PostgresStore(schema={self.schema!r})"  # the DSN may hold a password

    def _setup(self) -> None:
        self._conn.execute("SET TimeZone TO 'UTC'")
        schema = sql.Identifier(self.schema)
        self._conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
        self._conn.execute(sql.SQL("SET search_path TO {}").format(schema))
        with self.transaction():
            for statement in metadata_schema("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"):
                self._execute(statement)
            self.identity = self._seed()

    # --- connection primitives --------------------------------------------------------

    def _execute(self, statement: str | sql.Composable, params: Sequence[Any] = ()) -> Any:
        query = statement.replace("?", "%s") if isinstance(statement, str) else statement
        try:
            return self._conn.execute(query, params)  # type: ignore[arg-type]
        except psycopg.Error as error:
            mapped = api_error_for(error)
            if mapped is None:
                raise
            raise mapped from None

    def _begin(self) -> None:
        self._conn.execute("BEGIN")

    def _commit(self) -> None:
        self._conn.execute("COMMIT")

    def _rollback(self) -> None:
        if self._conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self._conn.execute("ROLLBACK")

    def _close_connection(self) -> None:
        try:
            if self._drop_on_close and not self._conn.closed:
                drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
                self._conn.execute(drop.format(sql.Identifier(self.schema)))
        finally:
            self._conn.close()

    # --- row tables -------------------------------------------------------------------

    def _create_storage(self, meta: TableMeta) -> None:
        table = sql.Identifier(meta.storage_name)
        columns = sql.SQL("").join(sql.SQL(", ") + _column_def(c) for c in meta.columns)
        self._execute(
            sql.SQL(
                "CREATE TABLE {} (_rowid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
                " id uuid NOT NULL UNIQUE, created_at timestamptz NOT NULL,"
                " updated_at timestamptz NOT NULL{})"
            ).format(table, columns)
        )
        if meta.owner_column is not None:
            owner = sql.Identifier(meta.owner_column)
            for suffix, last in (("owner", "_rowid"), ("owner_id", "id")):
                name = sql.Identifier(f"{meta.storage_name}_{suffix}")
                self._execute(
                    sql.SQL("CREATE INDEX {} ON {} ({}, {})").format(
                        name, table, owner, sql.Identifier(last)
                    )
                )

    def _drop_storage(self, meta: TableMeta) -> None:
        self._execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(meta.storage_name)))

    def _add_storage_column(self, meta: TableMeta, column: ColumnDef, fill: Any) -> None:
        table, ident = sql.Identifier(meta.storage_name), sql.Identifier(column.name)
        nullable = ColumnDef(column.name, column.type)
        self._execute(sql.SQL("ALTER TABLE {} ADD COLUMN ").format(table) + _column_def(nullable))
        if fill is not None:
            update = sql.SQL("UPDATE {} SET {} = %s").format(table, ident)
            self._execute(update, [_to_pg(column.type, fill)])
        if not column.nullable:
            self._execute(
                sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL").format(table, ident)
            )

    def _drop_storage_column(self, meta: TableMeta, name: str) -> None:
        table, ident = sql.Identifier(meta.storage_name), sql.Identifier(name)
        self._execute(sql.SQL("ALTER TABLE {} DROP COLUMN {}").format(table, ident))

    # --- rows -------------------------------------------------------------------------

    def _rows(self, meta: TableMeta, raw: list[Any]) -> list[dict[str, Any]]:
        columns = meta.all_columns
        return [
            {c.name: _from_pg(c.type, v) for c, v in zip(columns, row, strict=True)} for row in raw
        ]

    def _select(self, meta: TableMeta, selection: RowSelection, limit: int) -> list[dict[str, Any]]:
        where, params = _where(selection.conditions)
        order = sql.SQL(", ").join(
            sql.SQL("{} " + direction).format(sql.Identifier(column))
            for column, direction in order_terms(selection.sort, meta)
        )
        query = sql.SQL("SELECT {} FROM {}{} ORDER BY {} LIMIT %s OFFSET %s").format(
            _select_list(meta), sql.Identifier(meta.storage_name), where, order
        )
        raw = self._execute(query, [*params, limit, selection.paging.offset]).fetchall()
        return self._rows(meta, raw)

    def row_count(self, meta: TableMeta) -> int:
        """The number of rows of a table."""
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(meta.storage_name))
        return int(self._execute(query).fetchone()[0])

    def insert_row(self, meta: TableMeta, values: Mapping[str, Any]) -> dict[str, Any]:
        """Insert a row of stored values; return it as JSON."""
        now = utc_now()
        types = meta.column_map()
        names = ["id", "created_at", "updated_at", *values]
        stored = [str(uuid.uuid4()), now, now, *values.values()]
        params = [_to_pg(types[n].type, v) for n, v in zip(names, stored, strict=True)]
        query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING {}").format(
            sql.Identifier(meta.storage_name),
            sql.SQL(", ").join(sql.Identifier(n) for n in names),
            sql.SQL(", ").join(sql.Placeholder() for _ in names),
            _select_list(meta),
        )
        return self._rows(meta, self._execute(query, params).fetchall())[0]

    def count_rows(self, meta: TableMeta, selection: RowSelection) -> int:
        """The number of rows matching a selection's conditions."""
        where, params = _where(selection.conditions)
        query = sql.SQL("SELECT count(*) FROM {}{}").format(
            sql.Identifier(meta.storage_name), where
        )
        return int(self._execute(query, params).fetchone()[0])

    def update_row(self, meta: TableMeta, row_id: str, values: Mapping[str, Any]) -> None:
        """Set stored ``values`` on a row and bump its ``updated_at``."""
        types = meta.column_map()
        names = ["updated_at", *values]
        params = [_to_pg("timestamptz", utc_now())]
        params += [_to_pg(types[n].type, v) for n, v in values.items()]
        assigns = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(n)) for n in names)
        query = sql.SQL("UPDATE {} SET {} WHERE id = %s").format(
            sql.Identifier(meta.storage_name), assigns
        )
        self._execute(query, [*params, uuid.UUID(row_id)])

    def delete_row(self, meta: TableMeta, row_id: str) -> None:
        """Hard-delete a row."""
        query = sql.SQL("DELETE FROM {} WHERE id = %s").format(sql.Identifier(meta.storage_name))
        self._execute(query, [uuid.UUID(row_id)])
