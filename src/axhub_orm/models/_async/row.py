"""Rows: mutable mappings of column name to value, with the user's names untouched."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, MutableMapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from ..._errors import ValidationError
from ..._wire import IMPLICIT_COLUMNS, to_json
from .._base import EntityState, Stateful, format_dirty, parse_timestamp

if TYPE_CHECKING:
    from .table import AsyncTable

__all__ = ["AsyncRow"]


def _own(value: Any) -> Any:
    """A structural copy of a JSON value (dicts and lists copied, leaves shared)."""
    if isinstance(value, dict):
        return {k: _own(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_own(v) for v in value]
    return value


class AsyncRow(Stateful, MutableMapping[str, Any]):
    """One row: ``row["status"] = "done"; await row.save()`` PATCHes just ``status``.

    Keys are the column names exactly as declared; ``id``, ``created_at`` and ``updated_at``
    are read-only. Methods never shadow columns: a column named ``save`` is ``row["save"]``.

    Example::

        row = await table.rows.create(title="hello", status="new")
        row["status"] = "done"
        await row.save()
    """

    __slots__ = ("_data", "_snapshot", "_state", "_table")
    _kind: ClassVar[str] = "row"

    def __init__(
        self, table: AsyncTable, data: Mapping[str, Any], *, state: EntityState = EntityState.NEW
    ) -> None:
        self._table = table
        self._state = state
        # Server values are shared with the snapshot until first read (see __getitem__), so a
        # page of rows costs two shallow dict copies per row, not a deep copy.
        self._snapshot: dict[str, Any] = dict(data) if state is EntityState.PERSISTED else {}
        self._data: dict[str, Any] = dict(data)

    @classmethod
    def _load(cls, table: AsyncTable, data: dict[str, Any]) -> AsyncRow:
        # The hot path of every list: skip __init__ and take ownership of the decoded dict.
        row = cls.__new__(cls)
        row._table = table
        row._take(data)
        return row

    def _take(self, data: dict[str, Any]) -> None:
        # ``data`` is a freshly decoded response body that nothing else holds: it becomes the
        # snapshot as is, and the row's values are one shallow copy of it.
        self._snapshot = data
        self._data = dict(data)
        self._state = EntityState.PERSISTED

    # -- mapping protocol -------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        value = self._data[key]
        if isinstance(value, dict | list) and value is self._snapshot.get(key):
            # Copy on first read, so an in-place edit changes the row and not the snapshot.
            value = self._data[key] = _own(value)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        if key in IMPLICIT_COLUMNS:
            raise ValidationError(f"row column {key!r} is read-only", code="not_allowed")
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        raise ValidationError(
            f"cannot remove column {key!r} from a row; set it to None to clear the value",
            code="not_allowed",
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        ident = f"{str(self.id)[:8]}…" if self.id else "new"
        dirty = format_dirty(self.changes if self._state is EntityState.PERSISTED else self._data)
        state = "" if self._state is EntityState.PERSISTED else f" state={self._state.value}"
        return f"<{type(self).__name__} {self._table.name}/{ident} dirty={dirty}{state}>"

    # -- read-only metadata -----------------------------------------------------------------
    @property
    def id(self) -> str | None:
        """The row id (``None`` until saved)."""
        value = self._data.get("id")
        return None if value is None else str(value)

    @property
    def created_at(self) -> datetime | None:
        """When the row was created (timezone-aware)."""
        return parse_timestamp(self._data.get("created_at"))

    @property
    def updated_at(self) -> datetime | None:
        """When the row was last updated (timezone-aware)."""
        return parse_timestamp(self._data.get("updated_at"))

    @property
    def table(self) -> AsyncTable:
        """The table this row belongs to."""
        return self._table

    @property
    def changes(self) -> dict[str, Any]:
        """The columns changed since the row was loaded, with their new values."""
        snap = self._snapshot
        return {k: v for k, v in self._data.items() if k not in snap or snap[k] != v}

    def to_dict(self) -> dict[str, Any]:
        """A plain copy of the row's values (nested dicts and lists copied too)."""
        return {k: _own(v) for k, v in self._data.items()}

    # -- verbs ------------------------------------------------------------------------------
    def _path(self, verb: str) -> dict[str, str]:
        """The row's route parameters; a new or deleted row refuses ``verb``."""
        self._require_saved(verb)
        self._require_not_deleted(verb)
        return {**self._table._data_path(), "id": str(self.id)}

    async def save(self) -> dict[str, Any]:
        """Insert a new row (one POST) or PATCH the changed columns; returns what was sent."""
        self._require_not_deleted("save")
        seam = self._table._seam("save")
        if self._state is EntityState.NEW:
            body = {k: to_json(v, where=k) for k, v in self._data.items()}
            self._take(
                await seam.call(
                    "schemaPostDataByTenantSlugByAppSlugByTable",
                    path_params=self._table._data_path(),
                    body=body,
                )
            )
            return body
        return await self._patch(None)

    async def _patch(self, fields: Collection[str] | None) -> dict[str, Any]:
        """PATCH the changed columns (only those in ``fields`` if given); returns the body.

        Changes outside ``fields`` stay pending on the row.
        """
        changes = self.changes
        body = {k: to_json(v, where=k) for k, v in changes.items() if fields is None or k in fields}
        if body:
            kept = {k: v for k, v in changes.items() if k not in body}
            self._take(
                await self._table._seam("save").call(
                    "schemaPatchDataByTenantSlugByAppSlugByTableById",
                    path_params=self._path("save"),
                    body=body,
                )
            )
            self._data.update(kept)
        return body

    async def refresh(self) -> None:
        """Replace local values with the server's (one GET); clears changes.

        A new or deleted row refuses with :class:`StateError` before sending.
        """
        path = self._path("refresh")
        self._take(
            await self._table._seam("refresh").call(
                "schemaGetDataByTenantSlugByAppSlugByTableById", path_params=path
            )
        )

    async def delete(self) -> None:
        """Delete the row (one DELETE); a later ``get`` of its id raises NotFoundError."""
        path = self._path("delete")
        await self._table._seam("delete").call(
            "schemaDeleteDataByTenantSlugByAppSlugByTableById", path_params=path
        )
        self._state = EntityState.DELETED
