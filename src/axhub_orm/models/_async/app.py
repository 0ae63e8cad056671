"""Apps and their environment variables."""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from ..._errors import ValidationError
from ..._wire import to_json
from .._base import EntityState, EnvVar, Tracked, format_dirty, list_items, structure
from .table import AsyncTableManager

if TYPE_CHECKING:
    from ..._async._client import AsyncAxHub

__all__ = ["AsyncApp", "AsyncAppManager", "AsyncEnvVars"]


@attrs.define(kw_only=True, eq=False, slots=False, repr=False)
class AsyncApp(Tracked):
    """An AX Hub app: ``save()`` creates or PATCHes the changed fields, ``delete()`` soft-deletes.

    Example::

        app = await hub.apps.create(slug="crm", name="CRM")
        app.name = "CRM v2"
        await app.save()                      # PATCH {"name": "CRM v2"}
    """

    _tracked: ClassVar[tuple[str, ...]] = (
        "name",
        "description",
        "visibility",
        "auth_mode",
        "subdomain",
        "resource_tier",
        "data_scopes",
    )
    _kind: ClassVar[str] = "app"

    id: str | None = None
    slug: str = ""
    name: str = ""
    description: str | None = None
    visibility: str | None = None
    auth_mode: str | None = None
    subdomain: str | None = None
    resource_tier: str | None = None
    data_scopes: list[str] | None = None
    tenant_id: str | None = None
    owner_id: str | None = None
    schema_name: str | None = None
    status: str | None = None
    review_status: str | None = None
    operating_status: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        dirty = format_dirty(self.changes if self._state is EntityState.PERSISTED else ())
        return f"<AsyncApp {self.slug or '?'} id={self.id} state={self._state.value} dirty={dirty}>"

    @classmethod
    def _load(cls, hub: AsyncAxHub, data: Mapping[str, Any]) -> AsyncApp:
        app = structure(data, cls)
        app._bind(hub)
        app._mark_loaded()
        return app

    def _bind(self, hub: AsyncAxHub) -> None:
        self._hub = hub

    @property
    def is_deleted(self) -> bool:
        """Whether the app is soft-deleted (``deleted_at`` set) or was deleted permanently."""
        return self.deleted_at is not None or self._state is EntityState.DELETED

    @property
    def tables(self) -> AsyncTableManager:
        """The app's tables: ``create``, ``get``, ``list``."""
        self._require_saved("use tables of")
        return AsyncTableManager(self._hub, self)

    @property
    def env_vars(self) -> AsyncEnvVars:
        """The app's environment variables: ``set``, ``list``, ``get``, ``delete``."""
        self._require_saved("use env_vars of")
        return AsyncEnvVars(self._hub, self)

    def _path(self) -> dict[str, str]:
        return {"appID": str(self.id)}

    async def save(self) -> dict[str, Any]:
        """Create a new app, or PATCH the changed fields; returns what was sent ({} if nothing)."""
        self._require_not_deleted("save")
        if self._state is EntityState.NEW:
            body = {k: to_json(v, where=k) for k, v in self._create_body().items()}
            data = await self._hub._call(
                "appsPostApiV1TenantsByTenantIDApps",
                path_params={"tenantID": _tenant_id(self._hub)},
                body=body,
            )
            self._replace(data)
            return body
        body = {k: to_json(v, where=k) for k, v in self.changes.items()}
        if body:
            self._replace(
                await self._hub._call(
                    "appsPatchApiV1AppsByAppID", path_params=self._path(), body=body
                )
            )
        return body

    def _create_body(self) -> dict[str, Any]:
        fields = ("slug", "name", *self._tracked)
        body = {name: getattr(self, name) for name in fields if getattr(self, name) is not None}
        return {**body, **self.extra}

    async def refresh(self) -> None:
        """Replace local state with the server's (clears changes)."""
        self._require_saved("refresh")
        self._replace(await self._hub._call("appsGetApiV1AppsByAppID", path_params=self._path()))

    async def delete(self, *, permanent: bool = False) -> None:
        """Soft-delete the app; with ``permanent=True`` also delete it permanently."""
        self._require_saved("delete")
        if self.deleted_at is None and self._state is not EntityState.DELETED:
            data = await self._hub._call("appsDeleteApiV1AppsByAppID", path_params=self._path())
            if isinstance(data, dict) and data.get("id"):
                self._replace(data)
        if permanent:
            await self._hub._call("appsDeleteApiV1AppsByAppIDPermanent", path_params=self._path())
            self._state = EntityState.DELETED


def _tenant_id(hub: AsyncAxHub) -> str:
    if not hub.tenant_id:
        raise ValidationError(
            "apps.create needs a tenant id: pass tenant_id= to the client or set AXHUB_TENANT_ID",
            code="tenant_id_required",
        )
    return hub.tenant_id


class AsyncAppManager:
    """The apps of the client's tenant.

    Example::

        app = await hub.apps.create(slug="crm", name="CRM", visibility="private")
    """

    def __init__(self, hub: AsyncAxHub) -> None:
        self._hub = hub

    def __repr__(self) -> str:
        return f"<AsyncAppManager tenant_id={self._hub.tenant_id!r}>"

    def new(self, **fields: Any) -> AsyncApp:
        """A new, unsaved app bound to this client; ``save()`` creates it."""
        known = {f.name for f in attrs.fields(AsyncApp)}
        app = AsyncApp(
            **{k: v for k, v in fields.items() if k in known},
            extra={k: v for k, v in fields.items() if k not in known},
        )
        app._bind(self._hub)
        app._state = EntityState.NEW
        app._snapshot = {}
        return app

    async def create(self, **fields: Any) -> AsyncApp:
        """Create an app (one POST); ``slug`` and ``name`` are required."""
        _tenant_id(self._hub)
        missing = [k for k in ("slug", "name") if not fields.get(k)]
        if missing:
            raise ValidationError(
                f"apps.create needs {' and '.join(missing)}",
                code="required",
                fields=[{"name": k, "code": "required"} for k in missing],
            )
        app = self.new(**fields)
        await app.save()
        return app

    async def get(self, app_id: str) -> AsyncApp:
        """Load an app by id (one GET)."""
        data = await self._hub._call("appsGetApiV1AppsByAppID", path_params={"appID": app_id})
        return AsyncApp._load(self._hub, data)

    async def list(self) -> list[AsyncApp]:
        """Every app of the tenant, all pages."""
        path = {"tenantID": _tenant_id(self._hub)}
        items = await self._hub._call_all("appsGetApiV1TenantsByTenantIDApps", path)
        return [AsyncApp._load(self._hub, item) for item in items]


class AsyncEnvVars:
    """The environment variables of one app.

    Example::

        await app.env_vars.set("API_MODE", "live")
        mode = await app.env_vars.get("API_MODE")      # "live"
        mode = await app.env_vars["API_MODE"]          # "live", KeyError when absent
    """

    def __init__(self, hub: AsyncAxHub, app: AsyncApp) -> None:
        self._hub = hub
        self._app = app

    def __repr__(self) -> str:
        return f"<AsyncEnvVars of app {self._app.slug}>"

    async def set(
        self, key: str, value: str, *, secret: bool = False, stage: str | None = None
    ) -> EnvVar:
        """Create or replace a variable (one POST)."""
        body: dict[str, Any] = {"key": key, "value": value, "secret": secret}
        if stage is not None:
            body["stage"] = stage
        data = await self._hub._call(
            "appsPostApiV1AppsByAppIDEnvVars", path_params=self._app._path(), body=body
        )
        return structure(data, EnvVar)

    async def list(self) -> list[EnvVar]:
        """Every variable of the app (secret values read back as ``***``)."""
        data = await self._hub._call(
            "appsGetApiV1AppsByAppIDEnvVars", path_params=self._app._path()
        )
        return [structure(item, EnvVar) for item in list_items(data)[0]]

    async def as_dict(self) -> dict[str, str]:
        """The variables as a plain ``{key: value}`` mapping (one GET)."""
        return {var.key: var.value for var in await self.list()}

    async def get(self, key: str, default: str | None = None) -> str | None:
        """The value of one variable, or ``default`` (one GET)."""
        return (await self.as_dict()).get(key, default)

    def __getitem__(self, key: str) -> Coroutine[Any, Any, str]:
        """``env_vars["KEY"]``: the value (awaitable in async); KeyError when absent (one GET)."""
        return self._value(key)

    async def _value(self, key: str) -> str:
        values = await self.as_dict()
        if key not in values:
            raise KeyError(key)
        return values[key]

    async def delete(self, key: str) -> None:
        """Delete a variable (one DELETE); a missing key raises :class:`NotFoundError`."""
        await self._hub._call(
            "appsDeleteApiV1AppsByAppIDEnvVarsByKey", path_params={**self._app._path(), "key": key}
        )
