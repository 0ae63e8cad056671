"""The store boundary of the emulator: the neutral form handlers speak and the ``Store`` protocol.

Handlers and the filter compiler never write SQL. They describe a row query in neutral terms —
:class:`Condition` (column, operator, parsed value), :class:`SortKey`, :class:`Paging` — bundled
as a :class:`RowSelection`, and a store turns that into its own SQL. Values are in their stored
form (see :mod:`._types`); each store adapts them to its engine.

Implementations: :class:`~._sqlite.SQLiteStore` (a file or memory) and
:class:`~._postgres.PostgresStore` (a schema of a PostgreSQL database); :func:`open_store`
opens one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ._types import IMPLICIT_COLUMNS, ColumnDef

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_PER_PAGE",
    "Condition",
    "Identity",
    "Paging",
    "RowSelection",
    "SortKey",
    "Store",
    "TableMeta",
    "open_store",
]

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100

#: Condition operators: comparisons, ``like``, ``in`` and the two NULL tests.
OPERATORS = frozenset({"eq", "ne", "gt", "gte", "lt", "lte", "like", "in", "null", "not_null"})


@dataclass(frozen=True)
class Paging:
    """A validated page request: 1-based ``page`` and the ``per_page`` actually used."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def offset(self) -> int:
        """The row offset of the first row of the page."""
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class Condition:
    """One row condition: ``column`` of ``type`` compared by ``op`` with a stored ``value``.

    ``value`` is a tuple of stored values for ``in``, the raw pattern for ``like`` and unused
    for ``null``/``not_null``.
    """

    column: str
    type: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class SortKey:
    """One sort key: a column name, descending or not."""

    column: str
    descending: bool = False


@dataclass
class RowSelection:
    """A row query in neutral form: conditions (ANDed), sort keys, projection and page.

    ``filter_count`` counts the client's own filters (owner scoping is not one).
    """

    conditions: list[Condition] = field(default_factory=list)
    sort: tuple[SortKey, ...] = ()
    select: tuple[str, ...] | None = None
    paging: Paging = field(default_factory=Paging)
    filter_count: int = 0


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
    def storage_name(self) -> str:
        """The (unquoted) name of the store table holding the rows."""
        return f"ax_data_{int(self.seq)}"

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


def order_terms(sort: Sequence[SortKey], meta: TableMeta) -> list[tuple[str, str]]:
    """``(column, direction)`` pairs of an ORDER BY: NULLs last ascending, first descending.

    Ties fall back to insertion order (``_rowid``) unless a key is the unique ``id``; non-null
    columns get no NULLS clause, so an index on them can serve the order (key paging).
    """
    columns = meta.column_map()
    terms: list[tuple[str, str]] = []
    for key in sort:
        nullable = columns[key.column].nullable
        if key.descending:
            terms.append((key.column, "DESC NULLS FIRST" if nullable else "DESC"))
        else:
            terms.append((key.column, "ASC NULLS LAST" if nullable else "ASC"))
        if key.column == "id":
            return terms
    return [*terms, ("_rowid", "ASC")]


class Store(Protocol):
    """What the handlers need from a store. Every call happens inside :meth:`transaction`."""

    identity: Identity

    def transaction(self) -> AbstractContextManager[None]:
        """Serialize and make atomic one request (re-entrant); roll back on any exception."""

    def close(self) -> None:
        """Release the store (idempotent)."""

    # identity
    def add_tenant(self, slug: str, name: str) -> str:
        """Create a tenant with no members and return its id (the slug must be free)."""

    def add_user(self, tenant_id: str, email: str, name: str, role: str = "member") -> Identity:
        """Create a user in a tenant with a PAT and a JWT."""

    def identity_of(self, user_id: str, tenant_id: str) -> Identity:
        """The identity (with tokens) of an existing user in a tenant."""

    def user_for_token(self, kind: str, token: str) -> str | None:
        """The user owning a ``pat`` or ``jwt`` token."""

    def user(self, user_id: str) -> dict[str, Any] | None:
        """``{id, email, name}`` of a user."""

    def email_taken(self, email: str) -> bool:
        """Whether a user with ``email`` exists."""

    def memberships(self, user_id: str) -> list[dict[str, Any]]:
        """``{tenant_id, tenant_slug, role, is_active}`` of each tenant of a user."""

    def member_role(self, tenant_id: str, user_id: str) -> str | None:
        """The role (``owner``, ``admin``, ``member``) of a user in a tenant, or ``None``."""

    def tenant(self, *, tenant_id: str | None = None, slug: str | None = None) -> Any:
        """``(id, slug)`` of a tenant by id or slug, or ``None``."""

    # apps and env vars
    def insert_app(self, doc: Mapping[str, Any]) -> None:
        """Store a new app document."""

    def save_app(self, doc: Mapping[str, Any], state: str) -> None:
        """Replace an app document and its state."""

    def app(self, app_id: str) -> tuple[dict[str, Any], str] | None:
        """``(doc, state)`` of an app by id."""

    def app_by_slug(self, tenant_id: str, slug: str) -> tuple[dict[str, Any], str] | None:
        """The newest app with ``slug`` in a tenant, preferring one not purged."""

    def apps_with(self, tenant_id: str, key: str, value: str) -> int:
        """How many live or deleted apps of a tenant have ``slug`` or ``subdomain`` ``value``."""

    def list_apps(self, tenant_id: str, state: str, paging: Paging) -> list[dict[str, Any]]:
        """One page (+1 probe) of the apps of a tenant in ``state``."""

    def purge_app(self, app_id: str) -> None:
        """Drop every table, grant and env var of an app."""

    def env_vars(self, app_id: str, paging: Paging) -> list[dict[str, Any]]:
        """One page (+1 probe) of the env vars of an app."""

    def set_env(self, app_id: str, doc: Mapping[str, Any]) -> bool:
        """Insert or replace an env var; whether it was new."""

    def delete_env(self, app_id: str, key: str) -> bool:
        """Delete an env var; whether it existed."""

    # tables, columns and grants
    def table(self, app_id: str, name: str) -> TableMeta | None:
        """The metadata of a table of an app."""

    def tables(self, app_id: str, paging: Paging | None) -> list[TableMeta]:
        """One page (+1 probe) of the tables of an app (all when no paging)."""

    def create_table(
        self, app_id: str, name: str, columns: list[ColumnDef], owner: str | None, description: str
    ) -> TableMeta:
        """Record a table and create its storage."""

    def drop_table(self, meta: TableMeta) -> None:
        """Delete a table, its rows and grants."""

    def add_column(self, meta: TableMeta, column: ColumnDef, fill: Any) -> None:
        """Add a column, ``fill`` (stored form) on existing rows."""

    def drop_column(self, meta: TableMeta, name: str) -> None:
        """Drop a declared column."""

    def insert_grant(self, table_id: str, doc: Mapping[str, Any]) -> None:
        """Store a new grant document."""

    def grants(self, table_id: str, paging: Paging) -> list[dict[str, Any]]:
        """One page (+1 probe) of the grants of a table."""

    def grant(self, table_id: str, grant_id: str) -> dict[str, Any] | None:
        """A grant of a table by id."""

    def save_grant(self, doc: Mapping[str, Any]) -> None:
        """Replace a grant document."""

    def grant_actions(self, table_id: str, user_id: str) -> frozenset[str]:
        """The actions of every active (not revoked) grant of a table naming ``user_id``."""

    # rows
    def row_count(self, meta: TableMeta) -> int:
        """The number of rows of a table."""

    def insert_row(self, meta: TableMeta, values: Mapping[str, Any]) -> dict[str, Any]:
        """Insert a row of stored values; the row as JSON."""

    def find_row(self, meta: TableMeta, conditions: Sequence[Condition]) -> dict[str, Any] | None:
        """The first row (insertion order) matching ``conditions``."""

    def list_rows(self, meta: TableMeta, selection: RowSelection) -> list[dict[str, Any]]:
        """One page (+1 probe row) of a selection, as JSON rows."""

    def count_rows(self, meta: TableMeta, selection: RowSelection) -> int:
        """The number of rows matching a selection's conditions."""

    def update_row(self, meta: TableMeta, row_id: str, values: Mapping[str, Any]) -> None:
        """Set stored ``values`` on a row and bump its ``updated_at``."""

    def delete_row(self, meta: TableMeta, row_id: str) -> None:
        """Hard-delete a row."""


def open_store(
    db: str | Path | None = None, *, store: str | None = None, schema: str | None = None
) -> Store:
    """Open a store: PostgreSQL for a ``store`` URL, else SQLite ``db``.

    ``store`` is a ``postgresql://`` URL; the state goes in ``schema``, or in a generated one
    dropped on close. ``db`` is an SQLite file path (``None``: memory).
    """
    if store is None:
        if schema is not None:
            raise ValueError("schema applies to a PostgreSQL store only")
        from ._sqlite import SQLiteStore

        return SQLiteStore(db)
    if db is not None:
        raise ValueError("give db (SQLite) or store (PostgreSQL), not both")
    if not store.startswith(("postgresql://", "postgres://")):
        raise ValueError("store must be a postgresql:// URL")
    try:
        from ._postgres import PostgresStore
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise RuntimeError("the PostgreSQL store needs axhub-orm[postgres] (psycopg)") from error
    return PostgresStore(store, schema)
