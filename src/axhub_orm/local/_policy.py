"""Authorization: one policy table, consulted once per request before any handler runs (§13.22-24).

Every operation the emulator serves has exactly one :class:`Need` in :data:`POLICY`.
:func:`authorize` resolves what the route names (tenant, app, table), checks the caller's tenant
role, app management and table grants against that need, and leaves the resolved
:class:`~._context.Scope` on the request context, so handlers never look these up or decide
access themselves. The decision is made here in Python from plain values the store returns, so
any store (SQLite today) gets the same rules.

===============  =====================================================================
need             who passes (anyone else: the code in brackets)
===============  =====================================================================
``user``         any authenticated user
``member``       a member of the tenant the route names or the app belongs to [not_member]
``manager``      the app's creator, or a tenant ``owner``/``admin`` [not_admin]
``read``         a manager, or a member with an active ``read`` grant on the table [forbidden]
``write``        a manager, or a member with an active ``write`` grant on the table [forbidden]
===============  =====================================================================

A user outside the tenant always gets ``not_member``; a missing tenant, app or table is 404 and
a permanently deleted app 410 (both only once membership is established for ids, so a
stranger learns nothing but that the id is not theirs).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from ._context import Ctx, Scope, identifier
from ._errors import ApiError

__all__ = ["MANAGER_ROLES", "POLICY", "ROLES", "Need", "authorize"]

#: Tenant roles, most privileged first.
ROLES: tuple[str, ...] = ("owner", "admin", "member")
#: Roles that manage every app of their tenant.
MANAGER_ROLES: frozenset[str] = frozenset({"owner", "admin"})


class Need(enum.Enum):
    """What an operation requires of the caller."""

    USER = "user"
    MEMBER = "member"
    MANAGER = "manager"
    READ = "read"
    WRITE = "write"


_U, _M, _A, _R, _W = Need.USER, Need.MEMBER, Need.MANAGER, Need.READ, Need.WRITE

#: Operation id → what the caller needs. Reading app and table metadata is open to every
#: member (the ORM needs a table's columns before it can query rows); everything that
#: changes an app, touches env vars or grants, or browses all rows is for managers; rows
#: need a grant unless the caller manages the app.
POLICY: Mapping[str, Need] = {
    "authGetApiV1Me": _U,
    "appsPostApiV1TenantsByTenantIDApps": _M,
    "appsGetApiV1TenantsByTenantIDApps": _M,
    "appsGetApiV1TenantsByTenantIDAppsCheckAvailability": _M,
    "appsGetApiV1AppsByAppID": _M,
    "appsPatchApiV1AppsByAppID": _A,
    "appsDeleteApiV1AppsByAppID": _A,
    "appsDeleteApiV1AppsByAppIDPermanent": _A,
    "appsGetApiV1AppsByAppIDEnvVars": _A,
    "appsPostApiV1AppsByAppIDEnvVars": _A,
    "appsDeleteApiV1AppsByAppIDEnvVarsByKey": _A,
    "schemaPostApiV1AppsByAppIDTables": _A,
    "schemaGetApiV1AppsByAppIDTables": _M,
    "schemaGetApiV1AppsByAppIDTablesByTableName": _M,
    "schemaDeleteApiV1AppsByAppIDTablesByTableName": _A,
    "schemaGetApiV1AppsByAppIDTablesCheckAvailability": _M,
    "schemaGetApiV1AppsByAppIDTablesColumnTypes": _M,
    "schemaPostApiV1AppsByAppIDTablesByTableNameColumns": _A,
    "schemaDeleteApiV1AppsByAppIDTablesByTableNameColumnsByColumnName": _A,
    "schemaPostApiV1AppsByAppIDTablesByTableNameGrants": _A,
    "schemaGetApiV1AppsByAppIDTablesByTableNameGrants": _A,
    "schemaDeleteApiV1AppsByAppIDTablesByTableNameGrantsByGrantID": _A,
    "schemaGetApiV1AppsByAppIDTablesByTableNameRows": _A,
    "schemaGetDataByTenantSlugByAppSlugByTable": _R,
    "schemaGetDataByTenantSlugByAppSlugByTableCount": _R,
    "schemaPostDataByTenantSlugByAppSlugByTable": _W,
    "schemaGetDataByTenantSlugByAppSlugByTableById": _R,
    "schemaPatchDataByTenantSlugByAppSlugByTableById": _W,
    "schemaDeleteDataByTenantSlugByAppSlugByTableById": _W,
}


def authorize(ctx: Ctx, operation_id: str) -> None:
    """Resolve the route's tenant/app/table into ``ctx.scope`` and enforce ``POLICY``.

    Raises :class:`ApiError` (404, 410, 403 ``not_member``/``not_admin``/``forbidden``).
    """
    need = POLICY[operation_id]
    if need is Need.USER:
        return
    params = ctx.params
    if "tenantID" in params:
        scope = _tenant_scope(ctx, params["tenantID"].lower())
    elif "appID" in params:
        scope = _app_scope(ctx, params["appID"].lower())
    else:
        scope = _data_scope(ctx, params["tenantSlug"], params["appSlug"], params["table"])
    ctx.scope = scope
    if need is Need.MEMBER or _manages(ctx, scope):
        return
    if need is Need.MANAGER:
        raise ApiError("not_admin", "only the app's creator or a tenant owner or admin may do this")
    assert scope.table is not None  # noqa: S101 - data scopes always carry their table
    action = need.value
    if action not in ctx.store.grant_actions(scope.table.id, ctx.user_id):
        raise ApiError("forbidden", f"you have no active {action} grant on this table")


def _manages(ctx: Ctx, scope: Scope) -> bool:
    if scope.role in MANAGER_ROLES:
        return True
    return scope.app is not None and scope.app.get("owner_id") == ctx.user_id


def _role(ctx: Ctx, tenant_id: str) -> str:
    role = ctx.store.member_role(tenant_id, ctx.user_id)
    if role is None:
        raise ApiError("not_member", "you are not a member of this tenant")
    return role


def _tenant_scope(ctx: Ctx, tenant_id: str) -> Scope:
    row = ctx.store.tenant(tenant_id=tenant_id)
    if row is None:
        raise ApiError("not_found", "no such tenant")
    return Scope(str(row[0]), str(row[1]), _role(ctx, str(row[0])))


def _app_scope(ctx: Ctx, app_id: str) -> Scope:
    found = ctx.store.app(app_id)
    if found is None:
        raise ApiError("not_found", "no such app")
    doc, state = found
    role = _role(ctx, doc["tenant_id"])
    if state == "purged":
        raise ApiError("permanently_deleted", "the app was permanently deleted")
    tenant = ctx.store.tenant(tenant_id=doc["tenant_id"])
    return Scope(doc["tenant_id"], str(tenant[1]), role, app=doc, app_state=state)


def _data_scope(ctx: Ctx, tenant_slug: str, app_slug: str, table: str) -> Scope:
    row = ctx.store.tenant(slug=tenant_slug)
    if row is None:
        raise ApiError("not_found", "no such tenant")
    tenant_id = str(row[0])
    role = _role(ctx, tenant_id)
    found = ctx.store.app_by_slug(tenant_id, app_slug)
    if found is None:
        raise ApiError("not_found", "no such app")
    doc, state = found
    if state == "purged":
        raise ApiError("permanently_deleted", "the app was permanently deleted")
    if state == "deleted":
        raise ApiError("not_found", "the app is deleted")
    meta = ctx.store.table(doc["id"], identifier(table, "table"))
    if meta is None:
        raise ApiError("not_found", "no such table")
    return Scope(tenant_id, str(row[1]), role, app=doc, app_state=state, table=meta)
