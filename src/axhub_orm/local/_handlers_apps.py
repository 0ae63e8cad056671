"""Handlers for ``me``, tenant apps, one app, and env vars (§4-§6, §13.14-§13.15)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from ._context import Ctx, Handler, Reply, page_envelope, string_field, unknown_fields
from ._errors import ApiError, field_error
from ._types import utc_now

__all__ = ["HANDLERS"]

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_WORD = re.compile(r"[A-Za-z0-9_-]{1,50}")
_ENV_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,255}")
_ENV_STAGES = ("runtime", "build", "both")
_CREATE_FIELDS = frozenset(
    {
        "slug",
        "name",
        "description",
        "visibility",
        "auth_mode",
        "resource_tier",
        "resource_preset",
        "deploy_method",
        "subdomain",
        "category_id",
        "data_scopes",
        "icon_url",
        "icon_dark_url",
    }
)
_PATCH_FIELDS = frozenset(
    {
        "name",
        "visibility",
        "description",
        "auth_mode",
        "category_id",
        "subdomain",
        "resource_tier",
        "data_scopes",
        "icon_url",
        "icon_dark_url",
    }
)
_ENV_FIELDS = frozenset({"key", "value", "secret", "stage"})


def me(ctx: Ctx) -> Reply:
    """``GET /api/v1/me``: the caller and their tenants."""
    user = ctx.store.user(ctx.user_id) or {}
    return Reply(
        200,
        {
            "user": {**user, "platform_admin": False},
            "tenants": ctx.store.memberships(ctx.user_id),
        },
    )


def _slug_reason(ctx: Ctx, tenant_id: str, key: str, value: str) -> str:
    if not _SLUG.fullmatch(value) or value.endswith("-staging"):
        return "invalid"
    return "taken" if ctx.store.apps_with(tenant_id, key, value) else ""


def check_app_availability(ctx: Ctx) -> Reply:
    """``GET …/apps/check-availability?slug=…[&subdomain=…]`` → ``{available, reason}``."""
    tenant_id, _ = ctx.tenant()
    slug, subdomain = ctx.query_value("slug"), ctx.query_value("subdomain")
    if slug is None and subdomain is None:
        raise field_error("required", "slug", "slug (or subdomain) is required")
    reason = _slug_reason(ctx, tenant_id, "slug", slug) if slug is not None else ""
    if not reason and subdomain is not None:
        reason = _slug_reason(ctx, tenant_id, "subdomain", subdomain)
    return Reply(200, {"available": not reason, "reason": reason})


def _word(body: Mapping[str, Any], name: str) -> str | None:
    value = string_field(body, name, max_len=50)
    if value is not None and not _WORD.fullmatch(value):
        raise field_error("invalid_value", name, f"{name} has an unsupported value")
    return value


def _app_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the shared create/patch fields that are present in ``body``."""
    out: dict[str, Any] = {}
    if "name" in body:
        name = string_field(body, "name", required=True, max_len=200)
        if not (name or "").strip():
            raise field_error("required", "name", "name must not be empty")
        out["name"] = name
    for key in ("description", "icon_url", "icon_dark_url", "category_id"):
        if key in body:
            out[key] = string_field(body, key, max_len=2000)
    for key in ("visibility", "auth_mode", "resource_tier", "deploy_method"):
        if key in body:
            out[key] = _word(body, key)
    if "data_scopes" in body:
        scopes = body["data_scopes"]
        if not isinstance(scopes, list) or not all(
            isinstance(s, str) and _WORD.fullmatch(s) for s in scopes
        ):
            raise field_error("invalid_value", "data_scopes", "data_scopes must be a list of names")
        out["data_scopes"] = scopes
    return out


def _check_subdomain(ctx: Ctx, tenant_id: str, body: Mapping[str, Any]) -> str | None:
    subdomain = string_field(body, "subdomain", max_len=63)
    if subdomain is None:
        return None
    reason = _slug_reason(ctx, tenant_id, "subdomain", subdomain)
    if reason == "invalid":
        raise field_error("invalid_format", "subdomain", "subdomain must look like an app slug")
    if reason == "taken":
        raise field_error("subdomain_conflict", "subdomain", "the subdomain is taken")
    return subdomain


def create_app(ctx: Ctx) -> Reply:
    """``POST /api/v1/tenants/{tenantID}/apps``: 201 with the new app."""
    tenant_id, tenant_slug = ctx.tenant()
    body = ctx.object()
    unknown_fields(body, _CREATE_FIELDS)
    slug = string_field(body, "slug", required=True, max_len=63) or ""
    string_field(body, "name", required=True, max_len=200)
    reason = _slug_reason(ctx, tenant_id, "slug", slug)
    if reason == "invalid":
        raise field_error(
            "invalid_format",
            "slug",
            "slug must match [a-z0-9][a-z0-9-]{1,61}[a-z0-9] and not end with -staging",
        )
    if reason == "taken":
        raise field_error("slug_taken", "slug", "the slug is taken in this tenant")
    if "resource_preset" in body and "resource_tier" not in body:
        body = {**body, "resource_tier": body["resource_preset"]}
    fields = _app_fields(body)
    subdomain = _check_subdomain(ctx, tenant_id, body) or slug
    user = ctx.store.user(ctx.user_id) or {}
    now = utc_now()
    doc: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "tenant_id": tenant_id,
        "owner_id": ctx.user_id,
        "slug": slug,
        "name": "",
        "description": "",
        "subdomain": subdomain,
        "schema_name": f"{tenant_slug}_{slug}",
        "status": "draft",
        "visibility": "private",
        "resource_tier": "S",
        "review_status": "not_submitted",
        "operating_status": "dev",
        "auth_mode": "bearer",
        "deploy_method": "docker",
        "data_scopes": [],
        "category_id": None,
        "icon_url": None,
        "icon_dark_url": None,
        "like_count": 0,
        "subscriber_count": 0,
        "calls_count": 0,
        "shared_tables_count": 0,
        "last_deployment_status": "",
        "access_url": "",
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
        "owner": {"id": ctx.user_id, "name": user.get("name", ""), "avatar_url": None},
    }
    doc.update({k: v for k, v in fields.items() if v is not None or k.endswith(("_id", "_url"))})
    ctx.store.insert_app(doc)
    return Reply(201, doc)


def list_apps(ctx: Ctx) -> Reply:
    """``GET /api/v1/tenants/{tenantID}/apps``: live apps (``status=deleted`` for deleted)."""
    tenant_id, _ = ctx.tenant()
    paging = ctx.paging()
    state = "deleted" if ctx.query_value("status") == "deleted" else "active"
    return Reply(200, page_envelope(ctx.store.list_apps(tenant_id, state, paging), paging))


def get_app(ctx: Ctx) -> Reply:
    """``GET /api/v1/apps/{appID}``: the app, soft-deleted ones included."""
    return Reply(200, ctx.app(deleted_ok=True))


def patch_app(ctx: Ctx) -> Reply:
    """``PATCH /api/v1/apps/{appID}``: change only the fields sent (§5.4)."""
    doc = ctx.app()
    body = ctx.object()
    unknown_fields(body, _PATCH_FIELDS)
    fields = _app_fields(body)
    if "subdomain" in body and body["subdomain"] != doc["subdomain"]:
        fields["subdomain"] = _check_subdomain(ctx, doc["tenant_id"], body)
    if fields:
        doc.update(fields)
        doc["updated_at"] = utc_now()
        ctx.store.save_app(doc, "active")
    return Reply(200, doc)


def delete_app(ctx: Ctx) -> Reply:
    """``DELETE /api/v1/apps/{appID}``: soft delete, 200 with the app."""
    doc = ctx.app(deleted_ok=True)
    if doc["deleted_at"] is not None:
        raise ApiError("already_deleted", "the app is already deleted")
    doc["status"] = "deleted"
    doc["deleted_at"] = doc["updated_at"] = utc_now()
    ctx.store.save_app(doc, "deleted")
    return Reply(200, doc)


def purge_app(ctx: Ctx) -> Reply:
    """``DELETE /api/v1/apps/{appID}/permanent``: only after a soft delete; 204."""
    doc = ctx.app(deleted_ok=True)
    if doc["deleted_at"] is None:
        raise ApiError("not_deleted", "soft-delete the app before deleting it permanently")
    ctx.store.purge_app(doc["id"])
    ctx.store.save_app(doc, "purged")
    return Reply(204)


def _env_view(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {**doc, "value": "***" if doc["secret"] else doc["value"]}


def list_env(ctx: Ctx) -> Reply:
    """``GET /api/v1/apps/{appID}/env-vars``: secrets masked as ``***``."""
    doc = ctx.app()
    paging = ctx.paging()
    items = [_env_view(e) for e in ctx.store.env_vars(doc["id"], paging)]
    return Reply(200, page_envelope(items, paging))


def set_env(ctx: Ctx) -> Reply:
    """``POST /api/v1/apps/{appID}/env-vars``: upsert; 201 when new, 200 when replaced."""
    app = ctx.app()
    body = ctx.object()
    unknown_fields(body, _ENV_FIELDS)
    key = string_field(body, "key", required=True, max_len=256) or ""
    if not _ENV_KEY.fullmatch(key):
        raise field_error("invalid_format", "key", "key must match ^[A-Z][A-Z0-9_]*$")
    if not isinstance(body.get("value"), str):
        code = "required" if body.get("value") is None else "invalid_value"
        raise field_error(code, "value", "value must be a string")
    value = string_field(body, "value", max_len=65536)
    secret = body.get("secret", False)
    if not isinstance(secret, bool):
        raise field_error("invalid_value", "secret", "secret must be a boolean")
    stage = body.get("stage", "runtime")
    if stage not in _ENV_STAGES:
        raise field_error("invalid_value", "stage", "stage must be runtime, build or both")
    doc = {
        "key": key,
        "value": value,
        "secret": secret,
        "stage": stage,
        "has_staging_override": False,
    }
    created = ctx.store.set_env(app["id"], doc)
    return Reply(201 if created else 200, _env_view(doc))


def delete_env(ctx: Ctx) -> Reply:
    """``DELETE /api/v1/apps/{appID}/env-vars/{key}``: 204, 404 when absent."""
    app = ctx.app()
    if not ctx.store.delete_env(app["id"], ctx.params["key"]):
        raise ApiError("not_found", "no such env var")
    return Reply(204)


HANDLERS: Mapping[str, Handler] = {
    "authGetApiV1Me": me,
    "appsPostApiV1TenantsByTenantIDApps": create_app,
    "appsGetApiV1TenantsByTenantIDApps": list_apps,
    "appsGetApiV1TenantsByTenantIDAppsCheckAvailability": check_app_availability,
    "appsGetApiV1AppsByAppID": get_app,
    "appsPatchApiV1AppsByAppID": patch_app,
    "appsDeleteApiV1AppsByAppID": delete_app,
    "appsDeleteApiV1AppsByAppIDPermanent": purge_app,
    "appsGetApiV1AppsByAppIDEnvVars": list_env,
    "appsPostApiV1AppsByAppIDEnvVars": set_env,
    "appsDeleteApiV1AppsByAppIDEnvVarsByKey": delete_env,
}
