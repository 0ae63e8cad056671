from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from axhub_orm._routes import ROUTES
from axhub_orm.local import EmulatorApp, SyncASGITransport, create_app
from axhub_orm.local._app import HANDLERS

from .conftest import error_of, unique

AppFactory = Callable[..., dict[str, Any]]


# --- me, auth, request ids, routing -------------------------------------------------------


def test_me_returns_the_seeded_user_and_tenant(client: httpx.Client, app: EmulatorApp) -> None:
    """GET /api/v1/me returns the seeded user and their owner membership of tenant `local`."""
    body = client.get("/api/v1/me").json()
    identity = app.store.identity
    assert body == {
        "user": {
            "id": identity.user_id,
            "email": "dev@local.axhub",
            "name": "Local Developer",
            "platform_admin": False,
        },
        "tenants": [
            {
                "tenant_id": identity.tenant_id,
                "tenant_slug": "local",
                "role": "owner",
                "is_active": True,
            }
        ],
    }
    assert identity.pat.startswith("axhub_pat_")


def test_missing_token_is_401_token_missing(anon: httpx.Client) -> None:
    """A request without any token gets 401 token_missing in the error envelope."""
    response = anon.get("/api/v1/me")
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "token_missing"
    assert error["category"] == "unauthenticated"
    assert error["retryable"] is True


def test_unknown_token_is_401_token_invalid(anon: httpx.Client) -> None:
    """An unknown PAT gets 401 token_invalid, and the token is not echoed."""
    response = anon.get("/api/v1/me", headers={"X-Api-Key": "axhub_pat_nope"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "token_invalid"
    assert "axhub_pat_nope" not in response.text


def test_jwt_is_accepted_as_bearer(anon: httpx.Client, app: EmulatorApp) -> None:
    """The seeded JWT (three base64url segments) authenticates via Authorization: Bearer."""
    jwt = app.store.identity.jwt
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", jwt)
    response = anon.get("/api/v1/me", headers={"Authorization": f"Bearer {jwt}"})
    assert response.status_code == 200
    assert response.json()["user"]["id"] == app.store.identity.user_id


def test_pat_sent_as_bearer_is_rejected(anon: httpx.Client, app: EmulatorApp) -> None:
    """A PAT sent in the Bearer header (the wrong header for a PAT) is token_invalid."""
    response = anon.get("/api/v1/me", headers={"Authorization": f"Bearer {app.store.identity.pat}"})
    assert error_of(response)["code"] == "token_invalid"


def test_request_id_is_echoed(client: httpx.Client) -> None:
    """The X-Request-ID a client sends comes back in the header and in error.request_id."""
    response = client.get("/api/v1/apps/not-a-uuid", headers={"X-Request-ID": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
    assert error_of(response)["request_id"] == "abc123"


def test_request_id_is_generated_when_absent(client: httpx.Client) -> None:
    """Without X-Request-ID the server generates one (req_ + 24 hex) and returns it."""
    response = client.get("/api/v1/me")
    assert re.fullmatch(r"req_[0-9a-f]{24}", response.headers["x-request-id"])


def test_unimplemented_operation_is_501(client: httpx.Client) -> None:
    """An operation of the route table without a handler answers 501 not_implemented."""
    response = client.get("/api/v1/admin/templates")
    assert response.status_code == 501
    error = error_of(response)
    assert (error["code"], error["category"], error["retryable"]) == (
        "not_implemented",
        "unavailable",
        False,
    )


def test_every_route_is_implemented_or_501(client: httpx.Client) -> None:
    """Every non-implemented route of the generated table answers 501, never 404 or 500."""
    for route in ROUTES.values():
        if route.operation_id in HANDLERS:
            continue
        path = route.path
        for name in route.path_params:
            path = path.replace("{" + name + "}", "00000000-0000-4000-8000-000000000000")
        response = client.request(route.method, path)
        assert response.status_code == 501, (route.operation_id, response.text)


def test_handlers_cover_the_data_surface() -> None:
    """The handler table maps exactly the 29 data-surface operation ids, all in ROUTES."""
    assert set(HANDLERS) <= set(ROUTES)
    assert len(HANDLERS) == 29


def test_unknown_path_is_404(client: httpx.Client) -> None:
    """A path outside the route table answers 404 not_found in the envelope."""
    response = client.get("/api/v1/definitely/not/here")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_non_uuid_app_id_is_400_invalid_format(client: httpx.Client) -> None:
    """A slug where an appID UUID belongs answers 400 invalid_format (§13.19)."""
    response = client.get("/api/v1/apps/my-app")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_format"


def test_non_uuid_tenant_id_is_400_invalid_format(client: httpx.Client) -> None:
    """A tenant slug where a tenantID UUID belongs answers 400 invalid_format."""
    response = client.get("/api/v1/tenants/local/apps")
    assert response.status_code == 400
    assert error_of(response)["fields"][0]["name"] == "tenantID"


def test_malformed_json_body_is_400(client: httpx.Client, app: EmulatorApp) -> None:
    """A body that is not JSON answers 400 invalid_format."""
    tenant = app.store.identity.tenant_id
    response = client.post(f"/api/v1/tenants/{tenant}/apps", content=b"{nope")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_format"


def test_oversized_body_is_413(client: httpx.Client, app: EmulatorApp) -> None:
    """A body above 1 MiB answers 413 payload_too_large."""
    tenant = app.store.identity.tenant_id
    response = client.post(f"/api/v1/tenants/{tenant}/apps", content=b" " * (1024 * 1024 + 1))
    assert response.status_code == 413


# --- rate limiting ------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after() -> None:
    """With rate_limit=2, the third immediate request gets 429 rate_limited + Retry-After."""
    application = create_app(rate_limit=2)
    headers = {"X-Api-Key": application.store.identity.pat}
    try:
        with httpx.Client(transport=SyncASGITransport(application), base_url="http://t") as c:
            statuses = [c.get("/api/v1/me", headers=headers) for _ in range(3)]
    finally:
        application.store.close()
    assert [r.status_code for r in statuses[:2]] == [200, 200]
    limited = statuses[2]
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    error = error_of(limited)
    assert (error["code"], error["category"], error["retryable"]) == (
        "rate_limited",
        "rate_limited",
        True,
    )
    assert error["retry"]["after_ms"] > 0


def test_no_rate_limit_by_default(client: httpx.Client) -> None:
    """Without rate_limit, 50 quick requests all succeed."""
    assert {client.get("/api/v1/me").status_code for _ in range(50)} == {200}


# --- tenant apps --------------------------------------------------------------------------


def test_create_app_returns_201_with_the_full_object(
    client: httpx.Client, app: EmulatorApp
) -> None:
    """Creating an app answers 201 with the §5.1 object (schema_name, status draft, owner…)."""
    identity = app.store.identity
    response = client.post(
        f"/api/v1/tenants/{identity.tenant_id}/apps",
        json={"slug": "crm-app", "name": "CRM", "description": "d", "visibility": "invite_only"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["schema_name"] == "local_crm-app"
    assert (body["status"], body["visibility"], body["subdomain"]) == (
        "draft",
        "invite_only",
        "crm-app",
    )
    assert body["owner"] == {"id": identity.user_id, "name": "Local Developer", "avatar_url": None}
    assert body["deleted_at"] is None
    assert body["data_scopes"] == []
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", body["created_at"])
    for key in (
        "review_status",
        "operating_status",
        "auth_mode",
        "resource_tier",
        "like_count",
        "subscriber_count",
        "calls_count",
        "shared_tables_count",
        "tenant_id",
        "owner_id",
    ):
        assert key in body


@pytest.mark.parametrize("slug", ["a", "-abc", "abc-", "ABC", "my_app", "app-staging", "x" * 64])
def test_invalid_app_slug_is_400(client: httpx.Client, app: EmulatorApp, slug: str) -> None:
    """App slugs outside ^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$ or ending -staging are 400."""
    tenant = app.store.identity.tenant_id
    response = client.post(f"/api/v1/tenants/{tenant}/apps", json={"slug": slug, "name": "n"})
    assert response.status_code == 400
    assert error_of(response)["fields"][0]["name"] == "slug"


def test_duplicate_slug_is_409_slug_taken(
    make_app: AppFactory, client: httpx.Client, app: EmulatorApp
) -> None:
    """A second app with the same slug in the tenant answers 409 slug_taken."""
    make_app(slug="dupe-app")
    tenant = app.store.identity.tenant_id
    response = client.post(f"/api/v1/tenants/{tenant}/apps", json={"slug": "dupe-app", "name": "x"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "slug_taken"


def test_create_app_requires_slug_and_name(client: httpx.Client, app: EmulatorApp) -> None:
    """A create body without name answers 400 required naming the field."""
    tenant = app.store.identity.tenant_id
    response = client.post(f"/api/v1/tenants/{tenant}/apps", json={"slug": "okay-slug"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "required"
    assert error_of(response)["fields"][0]["name"] == "name"


def test_create_app_rejects_unknown_fields(client: httpx.Client, app: EmulatorApp) -> None:
    """Unknown create fields answer 400 invalid_value with the field named."""
    tenant = app.store.identity.tenant_id
    response = client.post(
        f"/api/v1/tenants/{tenant}/apps", json={"slug": "okay-slug", "name": "n", "bogus": 1}
    )
    assert error_of(response)["fields"][0]["name"] == "bogus"


def test_list_apps_is_paged(make_app: AppFactory, client: httpx.Client, app: EmulatorApp) -> None:
    """Tenant apps list as {items, page, per_page, has_more} in creation order."""
    created = [make_app()["id"] for _ in range(3)]
    tenant = app.store.identity.tenant_id
    first = client.get(f"/api/v1/tenants/{tenant}/apps", params={"per_page": 2}).json()
    second = client.get(f"/api/v1/tenants/{tenant}/apps", params={"per_page": 2, "page": 2}).json()
    assert [a["id"] for a in first["items"]] == created[:2]
    assert (first["page"], first["per_page"], first["has_more"]) == (1, 2, True)
    assert [a["id"] for a in second["items"]] == created[2:]
    assert second["has_more"] is False


def test_check_app_availability(
    make_app: AppFactory, client: httpx.Client, app: EmulatorApp
) -> None:
    """check-availability answers available/taken/invalid for slugs."""
    make_app(slug="taken-one")
    url = f"/api/v1/tenants/{app.store.identity.tenant_id}/apps/check-availability"
    assert client.get(url, params={"slug": "free-one"}).json() == {"available": True, "reason": ""}
    assert client.get(url, params={"slug": "taken-one"}).json() == {
        "available": False,
        "reason": "taken",
    }
    assert client.get(url, params={"slug": "x-staging"}).json() == {
        "available": False,
        "reason": "invalid",
    }
    assert client.get(url).status_code == 400


def test_unknown_tenant_is_404(client: httpx.Client) -> None:
    """A well-formed but unknown tenant UUID answers 404."""
    response = client.get("/api/v1/tenants/00000000-0000-4000-8000-000000000000/apps")
    assert response.status_code == 404


# --- one app -------------------------------------------------------------------------------


def test_get_and_patch_app(make_app: AppFactory, client: httpx.Client) -> None:
    """PATCH changes only the sent fields and bumps updated_at; GET shows the change."""
    created = make_app(description="before")
    response = client.patch(f"/api/v1/apps/{created['id']}", json={"name": "Renamed"})
    assert response.status_code == 200
    fetched = client.get(f"/api/v1/apps/{created['id']}").json()
    assert fetched["name"] == "Renamed"
    assert fetched["description"] == "before"
    assert fetched["updated_at"] >= created["updated_at"]


def test_patch_app_rejects_unknown_fields(make_app: AppFactory, client: httpx.Client) -> None:
    """PATCH with a field outside §5.4 (e.g. slug) answers 400 invalid_value naming it."""
    created = make_app()
    response = client.patch(f"/api/v1/apps/{created['id']}", json={"slug": "new-slug"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_value"
    assert error_of(response)["fields"][0]["name"] == "slug"


def test_unknown_app_is_404(client: httpx.Client) -> None:
    """A well-formed but unknown app id answers 404 not_found."""
    response = client.get("/api/v1/apps/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404


def test_app_soft_then_permanent_delete(make_app: AppFactory, client: httpx.Client) -> None:
    """Soft delete → 200 with deleted_at; GET still works; permanent → 204; then 410."""
    created = make_app()
    url = f"/api/v1/apps/{created['id']}"
    deleted = client.delete(url)
    assert deleted.status_code == 200
    assert deleted.json()["status"] == "deleted"
    assert deleted.json()["deleted_at"] is not None
    assert client.get(url).json()["deleted_at"] == deleted.json()["deleted_at"]
    assert client.delete(url).status_code == 409
    assert client.delete(f"{url}/permanent").status_code == 204
    gone = client.get(url)
    assert gone.status_code == 410
    assert error_of(gone)["code"] == "permanently_deleted"
    assert client.get(f"{url}/tables").status_code == 410


def test_permanent_delete_without_soft_delete_is_409(
    make_app: AppFactory, client: httpx.Client
) -> None:
    """DELETE …/permanent on a live app answers 409 not_deleted."""
    created = make_app()
    response = client.delete(f"/api/v1/apps/{created['id']}/permanent")
    assert response.status_code == 409
    assert error_of(response)["code"] == "not_deleted"


def test_soft_deleted_app_leaves_list_and_frees_nothing(
    make_app: AppFactory, client: httpx.Client, app: EmulatorApp
) -> None:
    """A soft-deleted app is not listed and its slug stays taken until permanent delete."""
    created = make_app()
    tenant = app.store.identity.tenant_id
    client.delete(f"/api/v1/apps/{created['id']}")
    listed = client.get(f"/api/v1/tenants/{tenant}/apps").json()["items"]
    assert created["id"] not in [a["id"] for a in listed]
    body = {"slug": created["slug"], "name": "again"}
    assert client.post(f"/api/v1/tenants/{tenant}/apps", json=body).status_code == 409
    client.delete(f"/api/v1/apps/{created['id']}/permanent")
    assert client.post(f"/api/v1/tenants/{tenant}/apps", json=body).status_code == 201


# --- env vars ------------------------------------------------------------------------------


def test_env_var_set_list_delete(make_app: AppFactory, client: httpx.Client) -> None:
    """POST creates (201) then replaces (200); list includes it; DELETE → 204 and it is gone."""
    url = f"/api/v1/apps/{make_app()['id']}/env-vars"
    first = client.post(url, json={"key": "API_MODE", "value": "test"})
    assert first.status_code == 201
    assert first.json() == {
        "key": "API_MODE",
        "value": "test",
        "secret": False,
        "stage": "runtime",
        "has_staging_override": False,
    }
    assert client.post(url, json={"key": "API_MODE", "value": "live"}).status_code == 200
    listed = client.get(url).json()
    assert [(e["key"], e["value"]) for e in listed["items"]] == [("API_MODE", "live")]
    assert client.delete(f"{url}/API_MODE").status_code == 204
    assert client.get(url).json()["items"] == []
    assert client.delete(f"{url}/API_MODE").status_code == 404


def test_secret_env_values_are_masked(make_app: AppFactory, client: httpx.Client) -> None:
    """A secret env var's value is returned as *** by POST and list."""
    url = f"/api/v1/apps/{make_app()['id']}/env-vars"
    created = client.post(url, json={"key": "DB_PASSWORD", "value": "hunter2", "secret": True})
    assert created.json()["value"] == "***"
    assert client.get(url).json()["items"][0]["value"] == "***"
    assert "hunter2" not in client.get(url).text


@pytest.mark.parametrize("key", ["lower", "1ABC", "A-B", "", "A B"])
def test_env_key_rule(make_app: AppFactory, client: httpx.Client, key: str) -> None:
    """Env keys must match ^[A-Z][A-Z0-9_]*$, else 400."""
    url = f"/api/v1/apps/{make_app()['id']}/env-vars"
    response = client.post(url, json={"key": key, "value": "v"})
    assert response.status_code == 400
    assert error_of(response)["fields"][0]["name"] == "key"


def test_second_user_is_a_member(app: EmulatorApp) -> None:
    """A user added to the tenant sees it as a member in /me with their own PAT."""
    identity = app.store.identity
    with app.store.transaction():
        other = app.store.add_user(identity.tenant_id, unique("u") + "@x.test", "Other")
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as c:
        me = c.get("/api/v1/me", headers={"X-Api-Key": other.pat}).json()
    assert me["user"]["id"] == other.user_id
    assert me["tenants"][0]["role"] == "member"
