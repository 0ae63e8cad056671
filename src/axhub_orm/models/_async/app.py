"""Apps and their environment variables."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import datetime
from typing import Any, ClassVar

import attrs

from ..._async._seam import AsyncSeam
from ..._errors import ValidationError
from ..._wire import to_json
from .._base import EntityState, EnvVar, Tracked, format_dirty, list_items, structure
from .table import AsyncTableManager

__all__ = ["AsyncApp", "AsyncAppManager", "AsyncEnvVars"]


@attrs.define(kw_only=True, eq=False, slots=False, repr=False)
class AsyncApp(Tracked[AsyncSeam]):
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
    _make_with: ClassVar[str] = "hub.apps.new(...)"

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

    def _is_gone(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_deleted(self) -> bool:
        """Whether the app is soft-deleted (``deleted_at`` set) or was deleted permanently."""
        return self._state is EntityState.DELETED

    @property
    def tables(self) -> AsyncTableManager:
        """The app's tables: ``create``, ``get``, ``list``."""
        self._require_saved("use tables of")
        return AsyncTableManager(self)

    @property
    def env_vars(self) -> AsyncEnvVars:
        """The app's environment variables: ``set``, ``list``, ``get``, ``delete``."""
        self._require_saved("use env_vars of")
        return AsyncEnvVars(self)

    def _path(self) -> dict[str, str]:
        return {"appID": str(self.id)}

    async def save(self) -> dict[str, Any]:
        """Create a new app, or PATCH the changed fields; returns what was sent ({} if nothing).

        A deleted app (soft-deleted too) refuses with :class:`StateError`.
        """
        seam = self._bound("save")
        self._require_not_deleted("save")
        if self._state is EntityState.NEW:
            body = {k: to_json(v, where=k) for k, v in self._create_body().items()}
            data = await seam.call(
                "appsPostApiV1TenantsByTenantIDApps",
                path_params={"tenantID": seam.tenant_id("apps.create")},
                body=body,
            )
            self._replace(data)
            return body
        body = {k: to_json(v, where=k) for k, v in self.changes.items()}
        if body:
            self._replace(
                await seam.call("appsPatchApiV1AppsByAppID", path_params=self._path(), body=body)
            )
        return body

    def _create_body(self) -> dict[str, Any]:
        fields = ("slug", "name", *self._tracked)
        body = {name: getattr(self, name) for name in fields if getattr(self, name) is not None}
        return {**body, **self.extra}

    async def refresh(self) -> None:
        """Replace local state with the server's (clears changes)."""
        seam = self._bound("refresh")
        self._require_saved("refresh")
        self._replace(await seam.call("appsGetApiV1AppsByAppID", path_params=self._path()))

    async def delete(self, *, permanent: bool = False) -> None:
        """Soft-delete the app; with ``permanent=True`` also delete it permanently.

        A soft-deleted app can still be deleted permanently.
        """
        seam = self._bound("delete")
        self._require_saved("delete")
        if self._state is not EntityState.DELETED:
            data = await seam.call("appsDeleteApiV1AppsByAppID", path_params=self._path())
            if isinstance(data, dict) and data.get("id"):
                self._replace(data)
            self._state = EntityState.DELETED
        if permanent:
            await seam.call("appsDeleteApiV1AppsByAppIDPermanent", path_params=self._path())


class AsyncAppManager:
    """The apps of the client's tenant.

    Example::

        app = await hub.apps.create(slug="crm", name="CRM", visibility="private")
    """

    def __init__(self, seam: AsyncSeam) -> None:
        self._seam = seam

    def __repr__(self) -> str:
        return f"<AsyncAppManager tenant_id={self._seam.configured_tenant_id!r}>"

    def new(self, **fields: Any) -> AsyncApp:
        """A new, unsaved app bound to this client; ``save()`` creates it."""
        known = {f.name for f in attrs.fields(AsyncApp)}
        return AsyncApp(
            **{k: v for k, v in fields.items() if k in known},
            extra={k: v for k, v in fields.items() if k not in known},
        )._new(self._seam)

    async def create(self, **fields: Any) -> AsyncApp:
        """Create an app (one POST); ``slug`` and ``name`` are required."""
        self._seam.tenant_id("apps.create")
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
        data = await self._seam.call("appsGetApiV1AppsByAppID", path_params={"appID": app_id})
        return AsyncApp._loaded(self._seam, data)

    async def list(self) -> list[AsyncApp]:
        """Every app of the tenant, all pages."""
        path = {"tenantID": self._seam.tenant_id("apps.list")}
        items = await self._seam.call_all("appsGetApiV1TenantsByTenantIDApps", path)
        return [AsyncApp._loaded(self._seam, item) for item in items]


class AsyncEnvVars:
    """The environment variables of one app.

    Example::

        await app.env_vars.set("API_MODE", "live")
        mode = await app.env_vars.get("API_MODE")      # "live"
        mode = await app.env_vars["API_MODE"]          # "live", KeyError when absent
    """

    def __init__(self, app: AsyncApp) -> None:
        self._app = app
        self._seam = app._bound("use env_vars of")

    def __repr__(self) -> str:
        return f"<AsyncEnvVars of app {self._app.slug}>"

    async def set(
        self, key: str, value: str, *, secret: bool = False, stage: str | None = None
    ) -> EnvVar:
        """Create or replace a variable (one POST)."""
        body: dict[str, Any] = {"key": key, "value": value, "secret": secret}
        if stage is not None:
            body["stage"] = stage
        data = await self._seam.call(
            "appsPostApiV1AppsByAppIDEnvVars", path_params=self._app._path(), body=body
        )
        return structure(data, EnvVar)

    async def list(self) -> list[EnvVar]:
        """Every variable of the app (secret values read back as ``***``)."""
        data = await self._seam.call(
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
        await self._seam.call(
            "appsDeleteApiV1AppsByAppIDEnvVarsByKey", path_params={**self._app._path(), "key": key}
        )
