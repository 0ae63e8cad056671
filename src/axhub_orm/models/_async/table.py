"""Tables, their columns and their grants."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, overload

import attrs

from ..._errors import NotFoundError, StateError, ValidationError
from ..._wire import IMPLICIT_COLUMNS
from .._base import (
    Browse,
    ColumnSpec,
    EntityState,
    Tracked,
    check_identifier,
)
from .._typed import M, RowModel, SchemaPlan, TableModel, require_fit
from .grant import AsyncGrants
from .query import AsyncRowQuery
from .typed import AsyncTypedRowQuery, sync_model

if TYPE_CHECKING:
    from ..._async._seam import AsyncSeam
    from .app import AsyncApp

__all__ = ["AsyncColumn", "AsyncColumns", "AsyncTable", "AsyncTableManager"]


@attrs.define(eq=False, slots=False, repr=False)
class AsyncColumn(ColumnSpec, Tracked["AsyncTable"]):
    """A column: unbound, a declaration; bound, ``save()`` adds it and ``delete()`` drops it.

    Example::

        table = await app.tables.create("tickets", columns=[AsyncColumn("title", "text")])
        await table.columns["title"].delete()
    """

    _tracked: ClassVar[tuple[str, ...]] = ("name", "type", "nullable", "default")
    _kind: ClassVar[str] = "column"
    _make_with: ClassVar[str] = "table.columns.add(column)"

    @property
    def table(self) -> AsyncTable | None:
        """The table this column belongs to (``None`` for a declaration)."""
        return self._binding

    async def save(self) -> dict[str, Any]:
        """Add a new bound column (one POST); a changed persisted column is refused."""
        table = self._binding_to_create(
            "column_immutable",
            f"column {self.name!r} cannot be altered (changed: {{changed}}): "
            "drop it with delete() and add it again",
        )
        if table is None:
            return {}
        body = {"column": self.to_wire()}
        data = await table._seam().call(
            "schemaPostApiV1AppsByAppIDTablesByTableNameColumns",
            path_params=table._path(),
            body=body,
        )
        table._replace(data)
        self._take_snapshot()
        return body

    async def delete(self) -> None:
        """Drop the column from its table (one DELETE)."""
        table = self._bound("delete")
        self._require_saved("delete")
        self._require_not_deleted("delete")
        await table._seam().call(
            "schemaDeleteApiV1AppsByAppIDTablesByTableNameColumnsByColumnName",
            path_params={**table._path(), "columnName": self.name},
        )
        table.column_defs = [c for c in table.column_defs if c.get("name") != self.name]
        self._state = EntityState.DELETED

    async def refresh(self) -> None:
        """Reload the column's definition from its table (one GET)."""
        table = self._bound("refresh")
        self._require_saved("refresh")
        await table.refresh()
        fresh = table.columns[self.name]
        self.type, self.nullable, self.default = fresh.type, fresh.nullable, fresh.default
        self._take_snapshot()


class AsyncColumns:
    """The live columns of a table: iterate, index by name, ``add()``, ``new()``.

    Reading needs no request (the table's last loaded definition); ``add`` sends one POST.
    """

    def __init__(self, table: AsyncTable) -> None:
        self._table = table

    def __repr__(self) -> str:
        return f"<AsyncColumns of {self._table.name}: {', '.join(self.names())}>"

    def names(self) -> list[str]:
        """The declared column names, in table order."""
        return [str(c.get("name")) for c in self._table.column_defs]

    def __iter__(self) -> Iterator[AsyncColumn]:
        return iter([AsyncColumn._loaded(self._table, c) for c in self._table.column_defs])

    def __len__(self) -> int:
        return len(self._table.column_defs)

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def __getitem__(self, name: str) -> AsyncColumn:
        for data in self._table.column_defs:
            if data.get("name") == name:
                return AsyncColumn._loaded(self._table, data)
        raise KeyError(name)

    def new(
        self, name: str, type: str, *, nullable: bool = True, default: str | None = None
    ) -> AsyncColumn:
        """A new column bound to this table; ``save()`` adds it."""
        return AsyncColumn(name, type, nullable=nullable, default=default)._new(self._table)

    async def add(self, column: ColumnSpec) -> AsyncColumn:
        """Add a column declared elsewhere (one POST); returns it bound."""
        bound = self.new(column.name, column.type, nullable=column.nullable, default=column.default)
        await bound.save()
        return bound


@attrs.define(kw_only=True, eq=False, slots=False, repr=False)
class AsyncTable(Tracked["AsyncApp"], Generic[TableModel]):
    """A table of an app: its definition, ``columns``, ``grants`` and ``rows``.

    Loaded with a model (``app.tables.get("tickets", model=Ticket)``, an ``AsyncTable[Ticket]``),
    ``typed_rows`` yields ``Ticket`` instances; ``rows`` always yields plain rows.

    Example::

        table = await app.tables.get("tickets")
        n = await table.rows.filter(status="new").count()
    """

    _tracked: ClassVar[tuple[str, ...]] = ("description",)
    _kind: ClassVar[str] = "table"
    _make_with: ClassVar[str] = "app.tables.new(...)"
    _wire_names: ClassVar[Mapping[str, str]] = {"name": "table_name", "column_defs": "columns"}

    name: str
    id: str | None = None
    app_id: str | None = None
    description: str | None = None
    owner_column: str | None = None
    column_defs: list[dict[str, Any]] = attrs.field(factory=list)
    column_count: int | None = None
    row_count: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)
    _model: type[TableModel] | None = attrs.field(default=None, init=False, eq=False)

    def __repr__(self) -> str:
        return f"<AsyncTable {self.name} app={self.app_id} state={self._state.value}>"

    def _seam(self, verb: str = "use") -> AsyncSeam:
        return self._bound(verb)._bound(verb)

    def _path(self) -> dict[str, str]:
        return {**self._bound("use")._path(), "tableName": self.name}

    def _data_path(self) -> dict[str, str]:
        app = self._bound("use rows of")
        return {
            "tenantSlug": app._bound("use").tenant_slug(),
            "appSlug": app.slug,
            "table": self.name,
        }

    @property
    def app(self) -> AsyncApp:
        """The app this table belongs to."""
        return self._bound("use the app of")

    @property
    def column_names(self) -> frozenset[str]:
        """Every column a row can have: the declared ones and the implicit three (``id``, …)."""
        declared = {str(c.get("name")) for c in self.column_defs}
        return frozenset(declared | IMPLICIT_COLUMNS)

    @property
    def columns(self) -> AsyncColumns:
        """The live column collection."""
        return AsyncColumns(self)

    @property
    def grants(self) -> AsyncGrants:
        """The table's grants: ``create``, ``list``."""
        self._require_saved("use grants of")
        self._bound("use grants of")
        return AsyncGrants(self)

    @property
    def rows(self) -> AsyncRowQuery:
        """A lazy query over every row of the table; also ``create``, ``new``, ``get``."""
        self._bound("use rows of")
        self._require_saved("use rows of")
        return AsyncRowQuery._root(self)

    @property
    def model(self) -> type[TableModel] | None:
        """The row model given to ``app.tables.get(name, model=...)``, if any."""
        return self._model

    @property
    def typed_rows(self) -> AsyncTypedRowQuery[TableModel]:
        """``rows`` validated into the table's model (see ``app.tables.get(name, model=...)``)."""
        if self._model is None:
            raise StateError(
                f"table {self.name!r} has no model: load it with "
                f"app.tables.get({self.name!r}, model=Model) or use table.rows.typed(Model)",
                code="no_model",
            )
        return self.rows.typed(self._model)

    async def save(self) -> dict[str, Any]:
        """Create a new table (one POST); tables have no update route, so changes are refused."""
        app = self._binding_to_create(
            "table_immutable", f"table {self.name!r} has no update route (changed: {{changed}})"
        )
        if app is None:
            return {}
        body = self._create_body()
        data = await self._seam("save").call(
            "schemaPostApiV1AppsByAppIDTables", path_params=app._path(), body=body
        )
        self._replace(data)
        return body

    def _create_body(self) -> dict[str, Any]:
        check_identifier("table", self.name)
        # column_defs of a new table were checked by ColumnSpec.to_wire() in tables.new()
        columns = [dict(c) for c in self.column_defs]
        names = [c["name"] for c in columns]
        if self.owner_column is not None and self.owner_column not in names:
            raise ValidationError(
                f"owner_column {self.owner_column!r} must be one of the declared columns "
                f"({', '.join(names) or 'none'})",
                code="invalid_value",
                fields=[{"name": "owner_column", "code": "invalid_value"}],
            )
        body: dict[str, Any] = {"table_name": self.name, "columns": columns}
        if self.owner_column is not None:
            body["owner_column"] = self.owner_column
        if self.description is not None:
            body["description"] = self.description
        return body

    async def refresh(self) -> None:
        """Replace local state with the server's definition (one GET)."""
        seam = self._seam("refresh")
        self._require_saved("refresh")
        self._replace(
            await seam.call("schemaGetApiV1AppsByAppIDTablesByTableName", path_params=self._path())
        )

    async def delete(self) -> None:
        """Delete the table and its rows (one DELETE); a follow-up get raises NotFoundError."""
        seam = self._seam("delete")
        self._require_saved("delete")
        self._require_not_deleted("delete")
        await seam.call("schemaDeleteApiV1AppsByAppIDTablesByTableName", path_params=self._path())
        self._state = EntityState.DELETED

    async def browse(self, *, page: int = 1, per_page: int = 100) -> Browse:
        """The admin view of one page of rows (verbatim) with the table's columns (one GET)."""
        seam = self._seam("browse")
        self._require_saved("browse")
        data = await seam.call(
            "schemaGetApiV1AppsByAppIDTablesByTableNameRows",
            path_params=self._path(),
            query={"page": page, "per_page": per_page},
        )
        return Browse(
            rows=list(data.get("rows") or []),
            columns=list(data.get("columns") or []),
            page=int(data.get("page") or page),
            per_page=int(data.get("per_page") or per_page),
            has_more=bool(data.get("has_more")),
        )


class AsyncTableManager:
    """The tables of one app.

    Example::

        table = await app.tables.create("tickets", columns=[Column("title", "text")])
    """

    def __init__(self, app: AsyncApp) -> None:
        self._app = app
        self._seam = app._bound("use tables of")

    def __repr__(self) -> str:
        return f"<AsyncTableManager of app {self._app.slug}>"

    def new(
        self,
        name: str,
        *,
        columns: list[ColumnSpec] | tuple[ColumnSpec, ...] = (),
        owner_column: str | None = None,
        description: str | None = None,
    ) -> AsyncTable:
        """A new, unsaved table bound to this app; ``save()`` creates it."""
        return AsyncTable(
            name=name,
            owner_column=owner_column,
            description=description,
            column_defs=[c.to_wire() for c in columns],
        )._new(self._app)

    async def create(
        self,
        name: str,
        *,
        columns: list[ColumnSpec] | tuple[ColumnSpec, ...] = (),
        owner_column: str | None = None,
        description: str | None = None,
    ) -> AsyncTable:
        """Create a table (one POST); names and column types are checked before sending."""
        table = self.new(name, columns=columns, owner_column=owner_column, description=description)
        await table.save()
        return table

    @overload
    async def get(self, name: str, model: None = None) -> AsyncTable: ...

    @overload
    async def get(self, name: str, model: type[M]) -> AsyncTable[M]: ...

    async def get(self, name: str, model: type[RowModel] | None = None) -> AsyncTable[Any]:
        """Load a table's definition (one GET); a missing table raises NotFoundError.

        With ``model``, the table's columns are checked against it (a missing column or a
        type conflict raises ``RowValidationError``) and ``table.typed_rows`` yields instances.
        """
        data = await self._seam.call(
            "schemaGetApiV1AppsByAppIDTablesByTableName",
            path_params={**self._app._path(), "tableName": name},
        )
        table: AsyncTable[Any] = AsyncTable._loaded(self._app, data)
        if model is not None:
            require_fit(model, table.name, table.column_defs)
            table._model = model
        return table

    async def sync(
        self,
        model: type[RowModel],
        *,
        name: str | None = None,
        owner_column: str | None = None,
        dry_run: bool = False,
        drop: bool = False,
    ) -> SchemaPlan:
        """Create or migrate a table to fit ``model``; returns the plan (see ``SchemaPlan``).

        Missing columns are added; extra ones dropped only with ``drop=True``; type and
        nullability conflicts, and a ``not null`` column without a default for a table that
        has rows, are reported, never applied. ``owner_column`` must be a field of the model
        (its column is ``not null``; the server fills it). ``dry_run`` sends only GETs. The
        table name defaults to ``model.__table_name__`` or the snake_case class name.

        Example::

            plan = await app.tables.sync(Ticket, owner_column="owner_id", dry_run=True)
            print(plan)
        """
        return await sync_model(
            self, model, name=name, owner_column=owner_column, dry_run=dry_run, drop=drop
        )

    async def list(self) -> list[AsyncTable]:
        """Every table of the app, all pages."""
        items = await self._seam.call_all("schemaGetApiV1AppsByAppIDTables", self._app._path())
        return [AsyncTable._loaded(self._app, item) for item in items]

    async def exists(self, name: str) -> bool:
        """Whether a table of that name exists (one GET)."""
        try:
            await self.get(name)
        except NotFoundError:
            return False
        return True
