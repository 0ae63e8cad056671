"""The lazy row query: ``table.rows.filter(...).order_by(...)`` sends nothing until consumed."""

from __future__ import annotations

import difflib
from collections.abc import AsyncIterator, Coroutine, Iterable, Mapping
from typing import TYPE_CHECKING, Any, overload

import attrs

from ..._bulk import (
    DEFAULT_CONCURRENCY,
    AsyncBulkRunner,
    AsyncMerger,
    Progress,
    check_concurrency,
    id_ranges,
)
from ..._errors import (
    DoesNotExist,
    FilterRequiredError,
    MultipleObjectsReturned,
    NotFoundError,
    QueryError,
    StateError,
    ValidationError,
)
from ..._http import prepare
from ..._query import MAX_PER_PAGE, QuerySpec
from ..._wire import IMPLICIT_COLUMNS, to_json
from .._base import EntityState
from .row import AsyncRow

if TYPE_CHECKING:
    from .._typed import M
    from .table import AsyncTable
    from .typed import AsyncTypedRowQuery

__all__ = ["AsyncRowQuery", "AsyncValuesQuery", "create_values"]

_LIST = "schemaGetDataByTenantSlugByAppSlugByTable"
_COUNT = "schemaGetDataByTenantSlugByAppSlugByTableCount"
_PATCH = "schemaPatchDataByTenantSlugByAppSlugByTableById"
_DELETE = "schemaDeleteDataByTenantSlugByAppSlugByTableById"


_NO_TRUTH = (
    "the truth of a {query} would need a request: use `await query.exists()` (or "
    "`.exists()` in sync code) to ask whether any row matches, `.count()` for how many"
)
_NO_CONTAINS = (
    "`x in {query}` would scan the table: ask for the row instead, e.g. "
    "`query.filter(id=row_id).exists()`"
)


class AsyncRowQuery:
    """An immutable, lazy query over a table's rows; every chained call returns a new query.

    Nothing is sent until a terminal operation: ``async for``, ``all()``, ``count()``,
    ``exists()``, ``first()``, ``get()``, ``pages()`` or awaiting ``q[i]``.

    Example::

        q = table.rows.filter(status="new", priority__gte=3).order_by("-created_at")
        n = await q.count()                   # GET …/_count?status=eq.new&priority=gte.3
        async for row in q[:10]:
            print(row["title"])
    """

    DoesNotExist = DoesNotExist
    MultipleObjectsReturned = MultipleObjectsReturned

    __slots__ = ("_spec", "_table")

    def __init__(self, table: AsyncTable, spec: QuerySpec) -> None:
        self._table = table
        self._spec = spec

    @classmethod
    def _root(cls, table: AsyncTable) -> AsyncRowQuery:
        known = table.column_names if table.column_defs else None
        defs = table.column_defs
        json_columns = frozenset(str(c["name"]) for c in defs if c.get("type") == "jsonb")
        not_null = frozenset(str(c["name"]) for c in defs if c.get("nullable") is False)
        spec = QuerySpec(known_columns=known, json_columns=json_columns, not_null_columns=not_null)
        return cls(table, spec)

    @property
    def spec(self) -> QuerySpec:
        """The immutable query value behind this query."""
        return self._spec

    def _with(self, spec: QuerySpec) -> AsyncRowQuery:
        return type(self)(self._table, spec)

    def typed(self, model: type[M]) -> AsyncTypedRowQuery[M]:
        """This query with rows validated into ``model`` (a ``RowModel``): ``get`` returns one.

        Example::

            ticket = await table.rows.typed(Ticket).get(row_id)     # -> Ticket
        """
        from .typed import AsyncTypedRowQuery

        return AsyncTypedRowQuery(self, model)

    # -- building (no request) ---------------------------------------------------------------
    def filter(self, *args: object, **lookups: object) -> AsyncRowQuery:
        """AND more conditions: ``filter(status="new", priority__gte=3)``."""
        return self._with(self._spec.filter(*args, **lookups))

    def order_by(self, *fields: str) -> AsyncRowQuery:
        """Order by columns, ``-`` for descending; replaces an earlier order."""
        return self._with(self._spec.order_by(*fields))

    def only(self, *columns: str) -> AsyncRowQuery:
        """Fetch only these columns (plus ``id``)."""
        return self._with(self._spec.only(*columns))

    def limit(self, count: int) -> AsyncRowQuery:
        """At most ``count`` rows."""
        return self._with(self._spec.limit_to(count))

    @overload
    def __getitem__(self, key: slice) -> AsyncRowQuery: ...

    @overload
    def __getitem__(self, key: int) -> Coroutine[Any, Any, AsyncRow]: ...

    def __getitem__(self, key: int | slice) -> AsyncRowQuery | Coroutine[Any, Any, AsyncRow]:
        """``q[a:b]`` is a new query; ``q[i]`` fetches the i-th row (IndexError if none)."""
        if isinstance(key, slice):
            return self._with(self._spec.slice(key))
        return self._at(self._spec.slice(key))

    async def _at(self, spec: QuerySpec) -> AsyncRow:
        rows = await self._with(spec).all()
        if not rows:
            raise IndexError("query index out of range")
        return rows[0]

    # -- introspection -----------------------------------------------------------------------
    def _list_path(self, operation_id: str = _LIST) -> str:
        return prepare(operation_id, self._table._data_path()).path

    def __bool__(self) -> bool:
        raise TypeError(_NO_TRUTH.format(query=type(self).__name__))

    def __contains__(self, item: object) -> bool:
        raise TypeError(_NO_CONTAINS.format(query=type(self).__name__))

    def explain(self) -> str:
        """The first request this query will send: ``GET /data/…?status=eq.new&per_page=100``."""
        return self._spec.explain(self._list_path())

    def __repr__(self) -> str:
        try:
            return f"<{type(self).__name__} {self.explain()}>"
        except ValidationError:
            return f"<{type(self).__name__} {self._table.name} {self._spec!r}>"

    # -- terminal operations -----------------------------------------------------------------
    async def _fetch(self, page: int, per_page: int) -> tuple[list[Any], bool]:
        return await self._fetch_params(self._spec.list_params(page, per_page))

    async def _fetch_params(self, params: list[tuple[str, str]]) -> tuple[list[Any], bool]:
        data = await self._send(_LIST, params)
        return list(data.get("items") or []), bool(data.get("has_more"))

    async def _send(self, operation_id: str, params: list[tuple[str, str]]) -> Mapping[str, Any]:
        try:
            result: Mapping[str, Any] = await self._table._seam().call(
                operation_id, path_params=self._table._data_path(), query=params
            )
        except ValidationError as exc:
            if exc.code == "required" and any(f.get("name") == "where" for f in exc.fields):
                raise FilterRequiredError.from_backend(exc, self._table.name) from exc
            raise
        return result

    def _narrowed(self) -> bool:
        """Whether the query matches only some rows (filters or a slice), not the whole table."""
        return bool(self._spec.conditions) or self._spec.is_sliced

    def _row(self, data: dict[str, Any]) -> AsyncRow:
        return AsyncRow._load(self._table, data)

    async def _page_items(self) -> AsyncIterator[tuple[int, list[dict[str, Any]]]]:
        """The one paging loop: ``(page_number, items)`` per non-empty page of the window.

        Unsliced queries page by key (:mod:`axhub_orm._seek`), so the loop may update or
        delete the rows it gets; offset windows page by offset. Each page's decoded body is
        released before the next fetch, so a consumer that drops its page too holds about
        one page at a time.
        """
        if self._spec.pages_by_key:
            async for number, items in self._key_pages():
                yield number, items
            return
        plan = self._spec.page_plan()
        for request in plan.requests():
            items, has_more = await self._fetch(request.page, request.per_page)
            received, page = len(items), request.pick(items)
            del items
            if page:  # no empty page: a query matching nothing yields nothing
                yield request.page, page
            del page
            if plan.stops_after(request, received, has_more):
                return

    async def _key_pages(self) -> AsyncIterator[tuple[int, list[dict[str, Any]]]]:
        """Pages of ``per_page`` rows read by key; a page may take several requests."""
        spec = self._spec
        plan = spec.seek_plan()
        extra = spec.seek_extra_columns(plan)
        size, number, buffer = plan.per_page, 0, []
        while (request := plan.next_request()) is not None:
            items, has_more = await self._fetch_params(spec.seek_params(plan, request))
            plan = plan.advance(items, has_more)
            for item in items if extra else ():
                for column in extra:
                    item.pop(column, None)
            buffer.extend(items)
            del items
            while len(buffer) >= size:
                number += 1
                yield number, buffer[:size]
                del buffer[:size]
        if buffer:
            yield number + 1, buffer

    async def pages(self) -> AsyncIterator[tuple[int, list[AsyncRow]]]:
        """Yield ``(page_number, rows)`` pairs, for resumable iteration (pages of up to 100)."""
        async for number, items in self._page_items():
            yield number, [self._row(item) for item in items]

    async def __aiter__(self) -> AsyncIterator[AsyncRow]:
        # Rows are built as they are yielded; the page is dropped before the next fetch.
        async for _, items in self._page_items():
            for item in items:
                yield self._row(item)
            del items

    async def scan(self, concurrency: int = 8) -> AsyncIterator[AsyncRow]:
        """Every matching row exactly once, in no particular order, read ``concurrency`` ways.

        The ids are split into ``concurrency`` disjoint ranges, each paged by key, all read
        at once: about ``concurrency`` times faster than iteration over a slow link. A query
        with ``order_by`` (or a slice) is refused with :class:`QueryError`: iterate it instead.
        """
        spec = self._spec
        if spec.order or spec.is_sliced:
            raise QueryError(
                "scan() reads rows in no particular order, so it takes no order_by() or "
                "slice; iterate the query (for row in q) for ordered rows",
                code="unsupported_query",
            )
        check_concurrency(concurrency)
        sources = [
            self._with(attrs.evolve(spec, conditions=spec.conditions + bounds))._page_items()
            for bounds in id_ranges(concurrency)
        ]
        async for _, items in AsyncMerger(sources, concurrency):
            for item in items:
                yield self._row(item)
            del items

    async def all(self) -> list[AsyncRow]:
        """Every row of the query, as a list."""
        return [row async for row in self]

    async def count(self) -> int:
        """How many rows match (one ``_count`` request; never lists rows)."""
        data = await self._send(_COUNT, self._spec.count_params())
        return self._spec.count_window(int(data.get("count") or 0))

    async def first(self) -> AsyncRow | None:
        """The first row, or ``None`` (one request with ``per_page=1``)."""
        rows = await self._with(self._spec.slice(0)).all()
        return rows[0] if rows else None

    async def exists(self) -> bool:
        """Whether any row matches (one request with ``per_page=1``)."""
        return await self.first() is not None

    async def get(self, row_id: str | None = None, /, **lookups: object) -> AsyncRow:
        """Exactly one row: by id (one GET) or by lookups (one list with ``per_page=2``).

        On a filtered, sliced or projected query, ``get(row_id)`` is ``get(id=row_id)``: the
        row must also match the filters. Raises :attr:`DoesNotExist` or
        :attr:`MultipleObjectsReturned`.
        """
        if row_id is not None:
            if lookups:
                raise ValidationError(
                    "get() takes a row id or lookups, not both", code="invalid_value"
                )
            spec = self._spec
            if not (spec.conditions or spec.is_sliced or spec.select is not None):
                return await self._get_by_id(row_id)
            lookups = {"id": row_id}  # the query's filters and window must hold too
        # No lookups: a sliced query stays valid (Django's qs[:5].get()).
        query = self.filter(**lookups) if lookups else self
        rows = await query._with_limit_two().all()
        if not rows:
            raise DoesNotExist(
                f"no row of {self._table.name} matches {query.explain()}", code="not_found"
            )
        if len(rows) > 1:
            raise MultipleObjectsReturned(
                f"more than one row of {self._table.name} matches; add filters",
                code="multiple_objects_returned",
            )
        return rows[0]

    def _with_limit_two(self) -> AsyncRowQuery:
        return self._with(self._spec.limit_to(2))

    async def _get_by_id(self, row_id: str) -> AsyncRow:
        try:
            data = await self._table._seam().call(
                "schemaGetDataByTenantSlugByAppSlugByTableById",
                path_params={**self._table._data_path(), "id": row_id},
            )
        except NotFoundError as exc:
            raise DoesNotExist(
                f"row {row_id} of {self._table.name} does not exist (or is not yours)",
                code=exc.code,
                status=exc.status,
                request_id=exc.request_id,
            ) from exc
        return self._row(data)

    # -- writing -----------------------------------------------------------------------------
    def new(self, **values: Any) -> AsyncRow:
        """A new, unsaved row of the table; ``save()`` inserts it."""
        return AsyncRow(self._table, values)

    async def create(self, **values: Any) -> AsyncRow:
        """Insert a row (one POST) and return it as stored."""
        row = self.new(**values)
        await row.save()
        return row

    async def get_or_create(
        self, defaults: Mapping[str, Any] | None = None, **lookups: Any
    ) -> tuple[AsyncRow, bool]:
        """``(row, False)`` for the one row matching ``lookups``, else ``(new row, True)``.

        The new row gets the plain ``col=value`` lookups plus ``defaults``. Not atomic: the
        backend has no unique constraint or upsert, so two callers racing may both create.
        Raises :attr:`MultipleObjectsReturned` when several rows match.
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
    ) -> tuple[AsyncRow, bool]:
        """Update the one row matching ``lookups`` with ``defaults`` (``False``), or create it.

        A created row gets the lookups plus ``create_defaults`` (or ``defaults`` when that is
        ``None``), as in Django. Not atomic (see :meth:`get_or_create`).
        """
        try:
            row = await self.get(**lookups)
        except DoesNotExist:
            extra = defaults if create_defaults is None else create_defaults
            return await self.create(**create_values(lookups, extra)), True
        for column, value in self._checked(defaults or {}, "update_or_create").items():
            row[column] = value
        await row.save()
        return row, False

    # -- many rows ---------------------------------------------------------------------------
    def _checked(self, values: object, verb: str) -> dict[str, Any]:
        """Refuse, before sending, a row body that is not a mapping of writable columns."""
        if not isinstance(values, Mapping):
            raise ValidationError(
                f"{verb}: each item must be a mapping of column to value, got "
                f"{type(values).__name__}",
                code="invalid_value",
            )
        known = self._table.column_names if self._table.column_defs else None
        for column, value in values.items():
            if column in IMPLICIT_COLUMNS:
                raise ValidationError(
                    f"{verb}: column {column!r} is set by the server", code="not_allowed"
                )
            if known is not None and column not in known:
                close = difflib.get_close_matches(str(column), sorted(known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValidationError(
                    f"{verb}: {self._table.name} has no column {column!r}{hint}",
                    code="unknown_column",
                    fields=[{"name": str(column), "code": "unknown_column"}],
                )
            to_json(value, where=str(column))
        return dict(values)

    def _id_query(self, verb: str) -> AsyncRowQuery:
        """This query's rows by id only, paged by key in id order (ids never change)."""
        if self._spec.is_sliced:
            raise QueryError(
                f"cannot {verb}() a sliced query: the slice is offset-based and would shift "
                f"as rows change; filter instead, or {verb} the rows of list(q[a:b]) one by one",
                code="unsupported_query",
            )
        return self._with(attrs.evolve(self._spec, order=(), select=("id",)))

    async def _ids(self) -> AsyncIterator[str]:
        async for _, items in self._page_items():
            for item in items:
                yield str(item["id"])

    async def bulk_create(
        self,
        values: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: Progress | None = None,
        fail_fast: bool = False,
    ) -> list[AsyncRow]:
        """Insert every mapping of ``values`` (one POST each, ``concurrency`` at a time).

        Returns the rows as stored, in input order. ``values`` may be a generator: only
        ``concurrency`` items are held at once (plus the rows returned). Each item is checked
        before its POST (writable, known columns; sendable values). Raises
        :class:`~axhub_orm.BulkError` when any item was not written, after the others are done.
        """
        runner = AsyncBulkRunner(concurrency=concurrency, fail_fast=fail_fast, progress=progress)

        async def insert(item: Mapping[str, Any]) -> AsyncRow:
            row = self.new(**self._checked(item, "bulk_create"))
            await row.save()
            return row

        return await runner.results("bulk_create", values, insert)

    async def bulk_update(
        self,
        rows: Iterable[AsyncRow],
        fields: Iterable[str] | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: Progress | None = None,
        fail_fast: bool = False,
    ) -> int:
        """PATCH each row's changed columns (only ``fields`` if given); returns rows written.

        A row with no change sends nothing. Raises :class:`~axhub_orm.BulkError` when any row
        was not written, after the others are done.
        """
        names = None if fields is None else frozenset(fields)
        if names is not None:
            self._checked(dict.fromkeys(names), "bulk_update")
        runner = AsyncBulkRunner(concurrency=concurrency, fail_fast=fail_fast, progress=progress)

        async def patch(row: AsyncRow) -> bool:
            if not isinstance(row, AsyncRow) or row.state is not EntityState.PERSISTED:
                raise StateError(
                    f"bulk_update takes saved rows, got {row!r}; insert new ones with bulk_create",
                    code="not_saved",
                )
            return bool(await row._patch(names))

        return await runner.written("bulk_update", rows, patch)

    async def bulk_delete(
        self,
        rows_or_ids: Iterable[AsyncRow | str],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: Progress | None = None,
        fail_fast: bool = False,
    ) -> int:
        """Delete rows (or row ids), one DELETE each; returns how many were deleted.

        A missing row is ``failed`` (404: nothing was deleted). Raises
        :class:`~axhub_orm.BulkError` when any item was not deleted, after the others are done.
        """
        runner = AsyncBulkRunner(concurrency=concurrency, fail_fast=fail_fast, progress=progress)
        return await runner.written("bulk_delete", rows_or_ids, self._delete_one)

    async def _delete_one(self, item: AsyncRow | str) -> str:
        if isinstance(item, AsyncRow):
            await item.delete()
            return str(item.id)
        if not isinstance(item, str) or not item:
            raise ValidationError(
                f"expected a row or a row id (str), got {type(item).__name__}",
                code="invalid_value",
            )
        await self._table._seam("delete").call(
            _DELETE, path_params={**self._table._data_path(), "id": item}
        )
        return item

    async def update(
        self,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: Progress | None = None,
        fail_fast: bool = False,
        **values: Any,
    ) -> int:
        """PATCH every matching row with the same ``values``; returns how many were written.

        Rows are read by key in id order (``_select=id``) while up to ``concurrency`` PATCHes
        run, so each matching row is written once even when the update makes it stop
        matching. Raises :class:`~axhub_orm.BulkError` when any row was not written.
        """
        body = {k: to_json(v, where=k) for k, v in self._checked(values, "update").items()}
        if not body:
            raise ValidationError("update() needs at least one column=value", code="required")
        ids = self._id_query("update")._ids()
        runner = AsyncBulkRunner(concurrency=concurrency, fail_fast=fail_fast, progress=progress)
        path = self._table._data_path()
        seam = self._table._seam("update rows of")

        async def patch(row_id: str) -> bool:
            await seam.call(_PATCH, path_params={**path, "id": row_id}, body=body)
            return True

        return await runner.written("update", ids, patch)

    async def delete(
        self,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: Progress | None = None,
        fail_fast: bool = False,
    ) -> int:
        """Delete every matching row; returns how many were deleted.

        Rows are read by key (``_select=id``) while up to ``concurrency`` DELETEs run; memory
        does not grow with the number of rows. Raises :class:`~axhub_orm.BulkError` when any
        row was not deleted.
        """
        ids = self._id_query("delete")._ids()
        runner = AsyncBulkRunner(concurrency=concurrency, fail_fast=fail_fast, progress=progress)
        return await runner.written("delete", ids, self._delete_one)

    async def in_bulk(self, ids: Iterable[str] | None = None) -> dict[str, AsyncRow]:
        """The matching rows with these ids, by id (``id=in.`` chunks of at most 100).

        Ids with no matching row are absent from the result; ``ids=None`` reads every row.
        """
        if ids is None:
            return {str(row.id): row async for row in self}
        wanted = list(dict.fromkeys(ids))
        for row_id in wanted:
            if not isinstance(row_id, str) or not row_id:
                raise ValidationError(
                    f"in_bulk takes row ids (str), got {row_id!r}", code="invalid_value"
                )
        found: dict[str, AsyncRow] = {}
        for start in range(0, len(wanted), MAX_PER_PAGE):
            chunk = self.filter(id__in=wanted[start : start + MAX_PER_PAGE])
            async for row in chunk:
                found[str(row.id)] = row
        return found

    def values(self, *columns: str) -> AsyncValuesQuery:
        """Rows as dicts of ``columns`` (all columns if none), sent with ``_select``; lazy."""
        query = self.only(*columns) if columns else self
        return AsyncValuesQuery(query, columns, flat=False, named=True)

    def values_list(self, *columns: str, flat: bool = False) -> AsyncValuesQuery:
        """Rows as tuples of ``columns`` (or single values with ``flat=True``); lazy."""
        if flat and len(columns) != 1:
            raise QueryError(
                f"values_list(flat=True) takes exactly one column, got {len(columns)}",
                code="invalid_value",
            )
        if not columns:
            raise QueryError("values_list() needs the columns to return", code="required")
        return AsyncValuesQuery(self.only(*columns), columns, flat=flat, named=False)


def create_values(lookups: Mapping[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """The plain ``col=value`` (and ``col__eq``) lookups, then ``extra`` on top."""
    values = {}
    for key, value in lookups.items():
        column, _, lookup = key.partition("__")
        if lookup in ("", "eq"):
            values[column] = value
    return {**values, **(extra or {})}


class AsyncValuesQuery:
    """A lazy query yielding dicts, tuples or single values instead of rows.

    Example::

        titles = await table.rows.filter(done=False).values_list("title", flat=True).all()
    """

    __slots__ = ("_columns", "_flat", "_named", "_query")

    def __init__(
        self, query: AsyncRowQuery, columns: tuple[str, ...], *, flat: bool, named: bool
    ) -> None:
        self._query = query
        self._columns = columns
        self._flat = flat
        self._named = named

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._query.explain()}>"

    def __getitem__(self, key: slice) -> AsyncValuesQuery:
        """``q[a:b]``: the same values over a window of rows."""
        return AsyncValuesQuery(self._query[key], self._columns, flat=self._flat, named=self._named)

    def _shape(self, row: AsyncRow) -> Any:
        if self._named:
            data = row.to_dict()
            return {c: data.get(c) for c in self._columns} if self._columns else data
        if self._flat:
            return row.get(self._columns[0])
        return tuple(row.get(c) for c in self._columns)

    async def __aiter__(self) -> AsyncIterator[Any]:
        async for row in self._query:
            yield self._shape(row)

    async def all(self) -> list[Any]:
        """Every value of the query, as a list."""
        return [value async for value in self]

    async def first(self) -> Any:
        """The first value, or ``None``."""
        row = await self._query.first()
        return None if row is None else self._shape(row)

    async def count(self) -> int:
        """How many rows match (one ``_count`` request)."""
        return await self._query.count()
