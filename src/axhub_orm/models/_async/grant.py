"""Table grants: created, listed, soft-revoked."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from ..._errors import NotFoundError, ValidationError
from .._base import EntityState, Tracked

if TYPE_CHECKING:
    from .table import AsyncTable

__all__ = ["AsyncGrant", "AsyncGrants"]

GRANT_ACTIONS = ("read", "write")


@attrs.define(kw_only=True, eq=False, slots=False, repr=False)
class AsyncGrant(Tracked["AsyncTable"]):
    """A grant of actions on a table to a principal; ``delete()`` revokes it (softly).

    After ``delete()`` the grant stays listed with ``revoked_at`` set.

    Example::

        grant = await table.grants.create(principal_id=me.id, actions=["read"])
        await grant.delete()
        assert grant.is_revoked
    """

    _tracked: ClassVar[tuple[str, ...]] = ("principal_type", "principal_id", "actions")
    _kind: ClassVar[str] = "grant"
    _make_with: ClassVar[str] = "table.grants.new(...)"

    id: str | None = None
    table_name: str | None = None
    principal_type: str = "user"
    principal_id: str = ""
    actions: list[str] = attrs.field(factory=list)
    created_at: datetime | None = None
    revoked_at: datetime | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        revoked = " revoked" if self.revoked_at else ""
        return (
            f"<AsyncGrant {self.id} {self.principal_type}:{self.principal_id} "
            f"{','.join(self.actions)}{revoked} state={self._state.value}>"
        )

    def _is_gone(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_revoked(self) -> bool:
        """Whether the grant has been revoked (``revoked_at`` is set)."""
        return self.revoked_at is not None

    def _body(self) -> dict[str, Any]:
        if not self.principal_id:
            raise ValidationError("a grant needs principal_id (e.g. hub.me().id)", code="required")
        bad = [a for a in self.actions if a not in GRANT_ACTIONS]
        if not self.actions or bad:
            raise ValidationError(
                f"grant actions must be a non-empty subset of {list(GRANT_ACTIONS)}, got "
                f"{self.actions!r}",
                code="invalid_value",
                fields=[{"name": "actions", "code": "invalid_value"}],
            )
        return {
            "principal_type": self.principal_type,
            "principal_id": self.principal_id,
            "actions": list(self.actions),
        }

    async def save(self) -> dict[str, Any]:
        """Create a new grant (one POST); grants cannot be changed once created."""
        table = self._binding_to_create(
            "grant_immutable",
            "a grant cannot be changed: revoke it with delete() and create a new one",
        )
        if table is None:
            return {}
        body = self._body()
        data = await table._seam("save").call(
            "schemaPostApiV1AppsByAppIDTablesByTableNameGrants",
            path_params=table._path(),
            body=body,
        )
        self._replace(data)
        return body

    async def delete(self) -> None:
        """Revoke the grant (one DELETE); it stays listed with ``revoked_at`` set."""
        table = self._bound("delete")
        self._require_saved("delete")
        self._require_not_deleted("delete")
        data = await table._seam("delete").call(
            "schemaDeleteApiV1AppsByAppIDTablesByTableNameGrantsByGrantID",
            path_params={**table._path(), "grantID": str(self.id)},
        )
        if isinstance(data, dict) and data.get("id"):
            self._replace(data)
        self._state = EntityState.DELETED

    async def refresh(self) -> None:
        """Reload the grant from the table's grant list (one GET); a revoked grant is deleted."""
        table = self._bound("refresh")
        self._require_saved("refresh")
        for grant in await table.grants.list():
            if grant.id == self.id:
                self._copy_from(grant)
                return
        raise NotFoundError(f"grant {self.id} is no longer listed", code="not_found")


class AsyncGrants:
    """The grants of one table.

    Example::

        grant = await table.grants.create(principal_id=me.id, actions=["read", "write"])
    """

    def __init__(self, table: AsyncTable) -> None:
        self._table = table

    def __repr__(self) -> str:
        return f"<AsyncGrants of {self._table.name}>"

    def new(
        self, *, principal_id: str, actions: list[str], principal_type: str = "user"
    ) -> AsyncGrant:
        """A new, unsaved grant bound to this table; ``save()`` creates it."""
        return AsyncGrant(
            principal_id=principal_id, actions=list(actions), principal_type=principal_type
        )._new(self._table)

    async def create(
        self, *, principal_id: str, actions: list[str], principal_type: str = "user"
    ) -> AsyncGrant:
        """Grant ``actions`` on the table to a principal (one POST)."""
        grant = self.new(principal_id=principal_id, actions=actions, principal_type=principal_type)
        await grant.save()
        return grant

    async def list(self) -> list[AsyncGrant]:
        """Every grant of the table, revoked ones included (with ``revoked_at`` set)."""
        items = await self._table._seam("list grants of").call_all(
            "schemaGetApiV1AppsByAppIDTablesByTableNameGrants", self._table._path()
        )
        return [AsyncGrant._loaded(self._table, item) for item in items]
