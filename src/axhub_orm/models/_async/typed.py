"""Typed row queries (rows as :class:`~axhub_orm.RowModel` instances) and schema sync."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, overload

import attrs

from ..._bulk import DEFAULT_CONCURRENCY, AsyncBulkRunner, Progress
from ..._errors import (
    DoesNotExist,
    MultipleObjectsReturned,
    NotFoundError,
    StateError,
    ValidationError,
)
from .._typed import (
    M,
    RowModel,
    SchemaPlan,
    bind_instance,
    copy_changes_to_row,
    model_schema,
    needs_row_check,
    plan_schema,
    table_name_of,
    typed_lookups,
    typed_order,
    update_instance,
    validate_row,
)
from .query import AsyncRowQuery, AsyncValuesQuery, create_values
from .row import AsyncRow

if TYPE_CHECKING:
    from .table import AsyncTable, AsyncTableManager

__all__ = ["AsyncTypedRowQuery", "sync_model"]


class AsyncTypedRowQuery(Generic[M]):
    """A row query whose rows are instances of a :class:`~axhub_orm.RowModel`.

    Filters and ``order_by`` take field names (mapped to column names) and filter values are
    checked against the fields' types before anything is sent. Rows from the server are
    validated; one that does not fit raises ``RowValidationError`` naming table, row id and
    field.

    Example::

        tickets = table.rows.typed(Ticket)
        ticket = await tickets.filter(priority__gte=3).order_by("-created_at").first()
        ticket.status = "done"
        await tickets.save(ticket)
    """

    DoesNotExist = DoesNotExist
    MultipleObjectsReturned = MultipleObjectsReturned

    __slots__ = ("_model", "_query")

    def __init__(self, query: AsyncRowQuery, model: type[M]) -> None:
        model_schema(model)  # refuse an unmappable model before any request
        self._query = query
        self._model = model

    @property
    def model(self) -> type[M]:
        """The model the rows are validated into."""
        return self._model

    @property
    def untyped(self) -> AsyncRowQuery:
        """The same query yielding plain rows."""
        return self._query

    def _with(self, query: AsyncRowQuery) -> AsyncTypedRowQuery[M]:
        return AsyncTypedRowQuery(query, self._model)

    @property
    def _table(self) -> AsyncTable:
        return self._query._table

    # -- building (no request) ---------------------------------------------------------------
    def filter(self, *args: object, **lookups: object) -> AsyncTypedRowQuery[M]:
        """AND more conditions by field name: ``filter(priority__gte=3)`` (values type-checked)."""
        return self._with(self._query.filter(*args, **typed_lookups(self._model, lookups)))

    def order_by(self, *fields: str) -> AsyncTypedRowQuery[M]:
        """Order by fields, ``-`` for descending; replaces an earlier order."""
        return self._with(self._query.order_by(*typed_order(self._model, fields)))

    def limit(self, count: int) -> AsyncTypedRowQuery[M]:
        """At most ``count`` rows."""
        return self._with(self._query.limit(count))

    @overload
    def __getitem__(self, key: slice) -> AsyncTypedRowQuery[M]: ...

    @overload
    def __getitem__(self, key: int) -> Coroutine[Any, Any, M]: ...

    def __getitem__(self, key: int | slice) -> AsyncTypedRowQuery[M] | Coroutine[Any, Any, M]:
        """``q[a:b]`` is a new query; ``q[i]`` fetches the i-th row (IndexError if none)."""
        if isinstance(key, slice):
            return self._with(self._query[key])
        return self._at(key)

    async def _at(self, index: int) -> M:
        return self._bind(await self._query[index])

    def __bool__(self) -> bool:
        return bool(self._query)  # raises TypeError, pointing to .exists()

    def __contains__(self, item: object) -> bool:
        return item in self._query  # raises TypeError

    def explain(self) -> str:
        """The first request this query will send."""
        return self._query.explain()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}[{self._model.__name__}] {self._query!r}>"

    # -- reading -----------------------------------------------------------------------------
    def _bind(self, row: AsyncRow) -> M:
        obj = validate_row(self._model, row.to_dict(), self._table.name)
        bind_instance(obj, row)
        return obj

    async def pages(self) -> AsyncIterator[tuple[int, list[M]]]:
        """Yield ``(page_number, instances)`` pairs (pages of up to 100)."""
        async for number, rows in self._query.pages():
            yield number, [self._bind(row) for row in rows]

    async def __aiter__(self) -> AsyncIterator[M]:
        async for row in self._query:
            yield self._bind(row)

    async def all(self) -> list[M]:
        """Every row of the query, validated."""
        return [self._bind(row) for row in await self._query.all()]

    async def count(self) -> int:
        """How many rows match (one ``_count`` request)."""
        return await self._query.count()

    async def exists(self) -> bool:
        """Whether any row matches (one request with ``per_page=1``)."""
        return await self._query.exists()

    async def first(self) -> M | None:
        """The first row, or ``None`` (one request with ``per_page=1``)."""
        row = await self._query.first()
        return None if row is None else self._bind(row)

    async def get(self, row_id: str | None = None, /, **lookups: object) -> M:
        """Exactly one row: by id (one GET) or by field lookups (one list with ``per_page=2``)."""
        return self._bind(await self._query.get(row_id, **typed_lookups(self._model, lookups)))

    # -- writing -----------------------------------------------------------------------------
    def new(self, **values: Any) -> M:
        """A new, unsaved instance bound to this table; ``save()`` inserts it."""
        obj = self._model(**values)
        bind_instance(obj, None)
        return obj

    async def create(self, **values: Any) -> M:
        """Validate, insert (one POST) and return the row as stored."""
        obj = self.new(**values)
        await self.save(obj)
        return obj

    def _row_of(self, obj: M, verb: str) -> AsyncRow:
        if not isinstance(obj, self._model):
            raise StateError(
                f"{type(obj).__name__} is not a {self._model.__name__}", code="wrong_model"
            )
        row: AsyncRow | None = obj._axhub_row
        if row is None:
            if verb != "save":
                raise StateError(f"cannot {verb}() a new row: save() it first", code="not_saved")
            return AsyncRow(self._table, {})
        if row.table._data_path() != self._table._data_path():
            raise StateError(
                f"this {self._model.__name__} belongs to table {row.table.name!r}, "
                f"not {self._table.name!r}",
                code="wrong_table",
            )
        return row

    async def _matched(self, row: AsyncRow, verb: str) -> AsyncRow:
        """The row, proven to match this query's filters (one list request) when it has any.

        A filtered query acts only on the rows it matches, as ``get()`` does; an unfiltered one
        sends nothing extra. Returns the row as the server has it (for ``refresh``).
        """
        if not self._query._narrowed() or row.id is None:
            return row
        try:
            return await self._query.get(row.id)
        except DoesNotExist as exc:
            raise DoesNotExist(
                f"cannot {verb}() row {row.id}: it does not match {self.explain()}",
                code=exc.code,
                request_id=exc.request_id,
            ) from None

    async def save(self, obj: M) -> dict[str, Any]:
        """Insert a new instance (one POST) or PATCH its changed columns; returns the body sent.

        On a filtered query, a persisted instance is saved only if its row matches the filters.
        """
        row = self._row_of(obj, "save")
        await self._matched(row, "save")
        copy_changes_to_row(obj, row)
        sent = await row.save()
        update_instance(obj, row)
        return sent

    @overload
    async def delete(self, obj: M) -> None: ...

    @overload
    async def delete(
        self,
        obj: None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: Progress | None = None,
        fail_fast: bool = False,
    ) -> int: ...

    async def delete(
        self,
        obj: M | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: Progress | None = None,
        fail_fast: bool = False,
    ) -> int | None:
        """Delete one instance's row, or with no instance every matching row (the count).

        ``delete(obj)`` sends one DELETE (on a filtered query, only for a matching row);
        ``delete()`` is ``q.delete()`` of the untyped query.
        """
        if obj is None:
            return await self._query.delete(
                concurrency=concurrency, progress=progress, fail_fast=fail_fast
            )
        row = self._row_of(obj, "delete")
        await self._matched(row, "delete")
        await row.delete()
        return None

    async def refresh(self, obj: M) -> None:
        """Reload the instance from the server; clears its changes.

        One GET, or on a filtered query one list request that the row must match.
        """
        row = self._row_of(obj, "refresh")
        if self._query._narrowed():
            row._path("refresh")  # the row's own state rules first (new, deleted)
            fresh = await self._matched(row, "refresh")
            row._take(dict(fresh._snapshot))
        else:
            await row.refresh()
        update_instance(obj, row)

    # -- many rows (the RowQuery verbs, with instances) ------------------------------------
    async def scan(self, concurrency: int = 8) -> AsyncIterator[M]:
        """Every matching instance once, in no particular order, read ``concurrency`` ways."""
        async for row in self._query.scan(concurrency):
            yield self._bind(row)

    async def in_bulk(self, ids: Iterable[str] | None = None) -> dict[str, M]:
        """The matching instances with these ids, by id (``id=in.`` chunks of 100)."""
        found = await self._query.in_bulk(ids)
        return {row_id: self._bind(row) for row_id, row in found.items()}

    def values(self, *fields: str) -> AsyncValuesQuery:
        """Rows as dicts of these fields' columns (keys are column names); lazy."""
        return self._query.values(*typed_order(self._model, fields))

    def values_list(self, *fields: str, flat: bool = False) -> AsyncValuesQuery:
        """Rows as tuples of these fields (or single values with ``flat=True``); lazy."""
        return self._query.values_list(*typed_order(self._model, fields), flat=flat)

    async def get_or_create(
        self, defaults: Mapping[str, Any] | None = None, **lookups: Any
    ) -> tuple[M, bool]:
        """``(instance, False)`` for the one match of ``lookups``, else a new one and ``True``.

        Not atomic (the backend has no unique constraint or upsert).
        """
        try:
            return await self.get(**lookups), False
        except DoesNotExist:
            return await self.create(**create_values(lookups, defaults)), True

    async def update_or_create(
        self,
        defaults: Mapping[str, Any] | None = None,
        create_defaults: Mapping[str, Any] | None = None,
        **lookups: Any,
    ) -> tuple[M, bool]:
        """Set ``defaults`` on the one match of ``lookups`` and save it, or create it."""
        try:
            obj = await self.get(**lookups)
        except DoesNotExist:
            extra = defaults if create_defaults is None else create_defaults
            return await self.create(**create_values(lookups, extra)), True
        for name, value in (defaults or {}).items():
            setattr(obj, name, value)
        await self.save(obj)
        return obj, False

    async def update(
        self,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: Progress | None = None,
        fail_fast: bool = False,
        **values: Any,
    ) -> int:
        """PATCH every matching row with the same field ``values`` (type-checked); the count."""
        return await self._query.update(
            concurrency=concurrency,
            progress=progress,
            fail_fast=fail_fast,
            **typed_lookups(self._model, values),
        )

    async def bulk_create(
        self,
        values: Iterable[M | Mapping[str, Any]],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: Progress | None = None,
        fail_fast: bool = False,
    ) -> list[M]:
        """Insert new instances (or mappings of field values), in input order; see RowQuery."""
        runner = AsyncBulkRunner(concurrency=concurrency, fail_fast=fail_fast, progress=progress)

        async def insert(item: M | Mapping[str, Any]) -> M:
            if isinstance(item, Mapping):
                obj = self.new(**item)
            elif isinstance(item, self._model) and item._axhub_row is None:
                obj = item
            else:
                raise ValidationError(
                    f"bulk_create takes new {self._model.__name__} instances or mappings, "
                    f"got {item!r}",
                    code="invalid_value",
                )
            await self.save(obj)
            return obj

        return await runner.results("bulk_create", values, insert)

    async def bulk_update(
        self,
        objs: Iterable[M],
        fields: Iterable[str] | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: Progress | None = None,
        fail_fast: bool = False,
    ) -> int:
        """PATCH each instance's changed fields (only ``fields`` if given); rows written."""
        columns = None if fields is None else frozenset(typed_order(self._model, fields))
        runner = AsyncBulkRunner(concurrency=concurrency, fail_fast=fail_fast, progress=progress)

        async def patch(obj: M) -> bool:
            row = self._row_of(obj, "bulk_update")
            await self._matched(row, "bulk_update")
            copy_changes_to_row(obj, row)
            sent = await row._patch(columns)
            update_instance(obj, row)
            return bool(sent)

        return await runner.written("bulk_update", objs, patch)

    async def bulk_delete(
        self,
        objs_or_ids: Iterable[M | str],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: Progress | None = None,
        fail_fast: bool = False,
    ) -> int:
        """Delete instances (or row ids), one DELETE each; how many were deleted."""
        runner = AsyncBulkRunner(concurrency=concurrency, fail_fast=fail_fast, progress=progress)

        async def remove(item: M | str) -> str:
            if isinstance(item, str):
                return await self._query._delete_one(item)
            await self.delete(item)
            return str(item._axhub_row.id) if item._axhub_row is not None else ""

        return await runner.written("bulk_delete", objs_or_ids, remove)


async def sync_model(
    manager: AsyncTableManager,
    model: type[RowModel],
    *,
    name: str | None,
    owner_column: str | None,
    dry_run: bool,
    drop: bool,
) -> SchemaPlan:
    """Plan, and unless ``dry_run`` apply, the changes that make a table fit ``model``."""
    table_name = name or table_name_of(model)
    table = await _existing(manager, table_name)
    columns = None if table is None else table.column_defs
    plan = plan_schema(
        model,
        table_name,
        columns,
        owner_column=owner_column,
        server_owner=None if table is None else table.owner_column,
    )
    if table is not None and any(needs_row_check(spec) for spec in plan.add):
        # A not-null column without a default cannot be added to a table with rows: one list
        # request (per_page=1) decides whether it is a step or a conflict (an owner-scoped
        # table shows the caller's rows only, which is all the server lets this client see).
        has_rows = await table.rows.filter(id__isnull=False).exists()
        plan = plan_schema(
            model,
            table_name,
            columns,
            owner_column=owner_column,
            server_owner=table.owner_column,
            has_rows=has_rows,
        )
    if dry_run:
        return plan
    if table is None:
        await manager.create(table_name, columns=list(plan.add), owner_column=owner_column)
        return attrs.evolve(plan, applied=True)
    for spec in plan.add:
        await table.columns.add(spec)
    for column in plan.drop if drop else ():
        await table.columns[column].delete()
    return attrs.evolve(plan, applied=True, drop_applied=drop)


async def _existing(manager: AsyncTableManager, name: str) -> AsyncTable | None:
    try:
        return await manager.get(name)
    except NotFoundError:
        return None
