"""The lazy row query: ``table.rows.filter(...).order_by(...)`` sends nothing until consumed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, overload

from ..._errors import (
    DoesNotExist,
    FilterRequiredError,
    MultipleObjectsReturned,
    NotFoundError,
    ValidationError,
)
from ..._http import prepare
from ..._query import QuerySpec
from .row import AsyncRow

if TYPE_CHECKING:
    from .._typed import M
    from .table import AsyncTable
    from .typed import AsyncTypedRowQuery

__all__ = ["AsyncRowQuery"]

_LIST = "schemaGetDataByTenantSlugByAppSlugByTable"
_COUNT = "schemaGetDataByTenantSlugByAppSlugByTableCount"


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
