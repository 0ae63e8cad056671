"""The emulator's authorization policy (wire contract §13 items 22-24), table-driven.

Every case is (role of the caller) x (route) x (the caller's grant on the table: none, read,
read+write, revoked), run against a fresh app made by a plain member (its *creator*). Data
routes go through the ORM; the rest over plain HTTP. The expected outcome is computed from the
rule text, not from the emulator's own policy table.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from axhub_orm import AxHub, EntityState, PermissionDeniedError, Row
from axhub_orm.local import LocalAxHub, LocalUser, SyncASGITransport

ROLES = ("owner", "admin", "creator", "member")
GRANTS = ("none", "read", "read+write", "revoked")
_seq = itertools.count(1)


@dataclass
class World:
    """A fresh app (made by the creator) with a table ``t``, a row, an env var and grants."""

    app: dict[str, Any]
    row: dict[str, Any]
    spare_grant: str

    @property
    def app_url(self) -> str:
        return f"/api/v1/apps/{self.app['id']}"

    @property
    def table_url(self) -> str:
        return f"{self.app_url}/tables/t"

    @property
    def data_url(self) -> str:
        return f"/data/local/{self.app['slug']}/t"


class _Shared(httpx.BaseTransport):
    """One in-process transport shared by many short-lived clients (closing them keeps it)."""

    def __init__(self, inner: SyncASGITransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)


class Hub:
    """The running emulator, its users, and in-process HTTP clients for each of them."""

    def __init__(self, local: LocalAxHub, transport: SyncASGITransport) -> None:
        self.local = local
        self.transport = _Shared(transport)
        self.users: dict[str, LocalUser] = {
            "admin": local.add_user(role="admin"),
            "creator": local.add_user(),
            "member": local.add_user(),
            "bystander": local.add_user(),
            "outsider": local.add_user(role="owner", tenant=local.add_tenant()),
        }
        self.tokens = {name: user.token for name, user in self.users.items()}
        self.tokens["owner"] = local.token
        self.ids = {name: user.id for name, user in self.users.items()}
        self.ids["owner"] = local.user_id

    def http(self, role: str) -> httpx.Client:
        return httpx.Client(
            transport=self.transport,
            base_url="http://local.test",
            headers={"X-Api-Key": self.tokens[role]},
        )

    def orm(self, role: str) -> AxHub:
        user = None if role == "owner" else self.users[role]
        return self.local.client(user=user, transport=self.transport)

    def world(self, caller: str, grant: str) -> World:
        with self.http("creator") as c:
            slug = f"authz-{next(_seq)}"
            app = c.post(
                f"/api/v1/tenants/{self.local.tenant_id}/apps", json={"slug": slug, "name": "A"}
            ).json()
            base = f"/api/v1/apps/{app['id']}"
            columns = [{"name": "n", "type": "int"}, {"name": "extra", "type": "text"}]
            created = c.post(f"{base}/tables", json={"table_name": "t", "columns": columns})
            assert created.status_code == 201, created.text
            row = c.post(f"/data/local/{slug}/t", json={"n": 1}).json()
            assert c.post(f"{base}/env-vars", json={"key": "K", "value": "v"}).status_code == 201
            grants = f"{base}/tables/t/grants"
            spare = c.post(grants, json=_grant(self.ids["bystander"], ["read"])).json()["id"]
            if grant != "none":
                actions = ["read"] if grant == "read" else ["read", "write"]
                made = c.post(grants, json=_grant(self.ids[caller], actions))
                assert made.status_code == 201, made.text
                if grant == "revoked":
                    assert c.delete(f"{grants}/{made.json()['id']}").status_code == 200
        return World(app, row, spare)


def _grant(user_id: str, actions: list[str]) -> dict[str, Any]:
    return {"principal_type": "user", "principal_id": user_id, "actions": actions}


@pytest.fixture(scope="module")
def hub() -> Iterator[Hub]:
    """One emulator with an owner (seeded), an admin, an app creator, a member, an outsider."""
    with LocalAxHub() as local, SyncASGITransport(local.app) as transport:
        yield Hub(local, transport)


# --- the routes ---------------------------------------------------------------------------
# Each HTTP route: (name, need, success status, request(client, world) -> response).
# ``need`` is what §13.22 says: "manager" or "member" (metadata reads are open to members).

HttpCall = Callable[[httpx.Client, World], httpx.Response]


def _soft_deleted(client: httpx.Client, world: World) -> httpx.Response:
    return client.delete(f"{world.app_url}/permanent")


HTTP_ROUTES: list[tuple[str, str, int, HttpCall]] = [
    ("get app", "member", 200, lambda c, w: c.get(w.app_url)),
    ("patch app", "manager", 200, lambda c, w: c.patch(w.app_url, json={"name": "B"})),
    ("delete app", "manager", 200, lambda c, w: c.delete(w.app_url)),
    ("purge app", "manager", 204, _soft_deleted),
    ("list env", "manager", 200, lambda c, w: c.get(f"{w.app_url}/env-vars")),
    (
        "set env",
        "manager",
        201,
        lambda c, w: c.post(f"{w.app_url}/env-vars", json={"key": "NEW", "value": "x"}),
    ),
    ("delete env", "manager", 204, lambda c, w: c.delete(f"{w.app_url}/env-vars/K")),
    (
        "create table",
        "manager",
        201,
        lambda c, w: c.post(f"{w.app_url}/tables", json={"table_name": "u", "columns": []}),
    ),
    ("list tables", "member", 200, lambda c, w: c.get(f"{w.app_url}/tables")),
    ("inspect table", "member", 200, lambda c, w: c.get(w.table_url)),
    ("drop table", "manager", 204, lambda c, w: c.delete(w.table_url)),
    (
        "table availability",
        "member",
        200,
        lambda c, w: c.get(f"{w.app_url}/tables/check-availability", params={"table_name": "x"}),
    ),
    ("column types", "member", 200, lambda c, w: c.get(f"{w.app_url}/tables/column-types")),
    (
        "add column",
        "manager",
        201,
        lambda c, w: c.post(
            f"{w.table_url}/columns", json={"column": {"name": "z", "type": "int"}}
        ),
    ),
    ("drop column", "manager", 204, lambda c, w: c.delete(f"{w.table_url}/columns/extra")),
    (
        "create grant",
        "manager",
        201,
        lambda c, w: c.post(
            f"{w.table_url}/grants", json=_grant(w.app["owner_id"], ["read", "write"])
        ),
    ),
    ("list grants", "manager", 200, lambda c, w: c.get(f"{w.table_url}/grants")),
    (
        "revoke grant",
        "manager",
        200,
        lambda c, w: c.delete(f"{w.table_url}/grants/{w.spare_grant}"),
    ),
    ("admin browse", "manager", 200, lambda c, w: c.get(f"{w.table_url}/rows")),
]

# Data routes through the ORM: (name, action needed, call(hub, world)).
OrmCall = Callable[[AxHub, World], object]


def _table(hub: AxHub, world: World) -> Any:
    return hub.apps.get(world.app["id"]).tables.get("t")


def _persisted(hub: AxHub, world: World) -> Row:
    return Row(_table(hub, world), world.row, state=EntityState.PERSISTED)


def _patch(hub: AxHub, world: World) -> object:
    row = _persisted(hub, world)
    row["n"] = 5
    return row.save()


DATA_ROUTES: list[tuple[str, str, OrmCall]] = [
    ("list rows", "read", lambda h, w: _table(h, w).rows.filter(n=1).all()),
    ("count rows", "read", lambda h, w: _table(h, w).rows.filter(n=1).count()),
    ("get row", "read", lambda h, w: _table(h, w).rows.get(w.row["id"])),
    ("insert row", "write", lambda h, w: _table(h, w).rows.create(n=2)),
    ("patch row", "write", _patch),
    ("delete row", "write", lambda h, w: _persisted(h, w).delete()),
]


def _is_manager(role: str) -> bool:
    """§13.22: the app's creator and the tenant's owners and admins manage the app."""
    return role in ("owner", "admin", "creator")


def _has(grant: str, action: str) -> bool:
    """§13.23: a revoked grant counts as none; read+write covers both actions."""
    return grant == "read+write" or (grant == "read" and action == "read")


@pytest.mark.parametrize("grant", GRANTS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "need", "ok", "call"), HTTP_ROUTES, ids=[r[0] for r in HTTP_ROUTES]
)
def test_http_route_policy(
    hub: Hub, role: str, grant: str, name: str, need: str, ok: int, call: HttpCall
) -> None:
    """Managers may use every app route; other members only reads, else 403 not_admin."""
    world = hub.world(role, grant)
    with hub.http("creator") as creator:
        if name == "purge app":
            assert creator.delete(world.app_url).status_code == 200
    with hub.http(role) as client:
        response = call(client, world)
    if need == "member" or _is_manager(role):
        assert response.status_code == ok, response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "not_admin"
        assert response.json()["error"]["category"] == "permission_denied"


@pytest.mark.parametrize("grant", GRANTS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "action", "call"), DATA_ROUTES, ids=[r[0] for r in DATA_ROUTES])
def test_data_route_policy(
    hub: Hub, role: str, grant: str, name: str, action: str, call: OrmCall
) -> None:
    """Managers read and write rows; a member needs an active grant for the action (forbidden)."""
    world = hub.world(role, grant)
    with hub.orm(role) as orm:
        if _is_manager(role) or _has(grant, action):
            call(orm, world)
        else:
            with pytest.raises(PermissionDeniedError) as denied:
                call(orm, world)
            assert denied.value.code == "forbidden"
    with hub.http("creator") as creator:  # the creator's view: did the row change as expected?
        count = creator.get(f"{world.data_url}/_count", params={"n": "gte.0"}).json()["count"]
        n = creator.get(f"{world.data_url}/{world.row['id']}")
    allowed = _is_manager(role) or _has(grant, action)
    expected_count = {"insert row": 2, "delete row": 0}.get(name, 1) if allowed else 1
    assert count == expected_count
    if name == "patch row" and allowed:
        assert n.json()["n"] == 5
    elif name != "delete row" or not allowed:
        assert n.json()["n"] == 1


_ALL_ROUTES = [(r[0], r[3]) for r in HTTP_ROUTES] + [
    ("list rows", lambda c, w: c.get(w.data_url, params={"n": "eq.1"})),
    ("count rows", lambda c, w: c.get(f"{w.data_url}/_count", params={"n": "eq.1"})),
    ("get row", lambda c, w: c.get(f"{w.data_url}/{w.row['id']}")),
    ("insert row", lambda c, w: c.post(w.data_url, json={"n": 2})),
    ("patch row", lambda c, w: c.patch(f"{w.data_url}/{w.row['id']}", json={"n": 5})),
    ("delete row", lambda c, w: c.delete(f"{w.data_url}/{w.row['id']}")),
]


@pytest.mark.parametrize(("name", "call"), _ALL_ROUTES, ids=[r[0] for r in _ALL_ROUTES])
def test_another_tenants_user_is_not_a_member(hub: Hub, name: str, call: HttpCall) -> None:
    """An owner of another tenant gets 403 not_member on every route of this tenant's app."""
    world = hub.world("member", "read+write")
    with hub.http("outsider") as client:
        response = call(client, world)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "not_member"
    with hub.http("creator") as creator:
        assert creator.get(f"{world.data_url}/{world.row['id']}").json()["n"] == 1


def test_tenant_routes_need_membership(hub: Hub) -> None:
    """Listing, creating and checking apps of a tenant one is not in → 403 not_member."""
    tenant = hub.local.tenant_id
    with hub.http("outsider") as client:
        responses = [
            client.get(f"/api/v1/tenants/{tenant}/apps"),
            client.post(f"/api/v1/tenants/{tenant}/apps", json={"slug": "nope", "name": "x"}),
            client.get(f"/api/v1/tenants/{tenant}/apps/check-availability", params={"slug": "x"}),
        ]
    assert [r.json()["error"]["code"] for r in responses] == ["not_member"] * 3


def test_members_create_apps_and_manage_their_own(hub: Hub) -> None:
    """A plain member may create an app and then manages it (env vars), but not another's."""
    mine = hub.world("member", "none")
    with hub.http("member") as member:
        created = member.post(
            f"/api/v1/tenants/{hub.local.tenant_id}/apps", json={"slug": "own-app", "name": "x"}
        )
        assert created.status_code == 201
        own_env = member.get(f"/api/v1/apps/{created.json()['id']}/env-vars")
        foreign_env = member.get(f"{mine.app_url}/env-vars")
    assert own_env.status_code == 200
    assert foreign_env.json()["error"]["code"] == "not_admin"


def test_revocation_takes_effect_on_the_next_request(hub: Hub) -> None:
    """A member reading with a grant is refused on the very next request after its revocation."""
    world = hub.world("member", "none")
    with hub.http("creator") as creator, hub.http("member") as member:
        grant = creator.post(
            f"{world.table_url}/grants", json=_grant(hub.ids["member"], ["read"])
        ).json()
        assert member.get(f"{world.data_url}/{world.row['id']}").status_code == 200
        creator.delete(f"{world.table_url}/grants/{grant['id']}")
        after = member.get(f"{world.data_url}/{world.row['id']}")
    assert after.json()["error"]["code"] == "forbidden"


def test_grants_do_not_leak_across_tables(hub: Hub) -> None:
    """A grant on one table gives nothing on another table of the same app."""
    world = hub.world("member", "read+write")
    with hub.http("creator") as creator, hub.http("member") as member:
        made = creator.post(
            f"{world.app_url}/tables",
            json={"table_name": "other", "columns": [{"name": "n", "type": "int"}]},
        )
        assert made.status_code == 201
        url = f"/data/local/{world.app['slug']}/other"
        assert member.get(url, params={"n": "eq.1"}).json()["error"]["code"] == "forbidden"
        assert member.get(world.data_url, params={"n": "eq.1"}).status_code == 200


def test_admin_browse_ignores_owner_scoping(hub: Hub) -> None:
    """Admin browse shows a manager every row; on /data owner scoping binds managers too."""
    with hub.http("creator") as creator, hub.http("owner") as owner:
        app = creator.post(
            f"/api/v1/tenants/{hub.local.tenant_id}/apps", json={"slug": "scoped", "name": "x"}
        ).json()
        columns = [{"name": "who", "type": "uuid", "nullable": False}, {"name": "n", "type": "int"}]
        body = {"table_name": "s", "columns": columns, "owner_column": "who"}
        assert creator.post(f"/api/v1/apps/{app['id']}/tables", json=body).status_code == 201
        url = "/data/local/scoped/s"
        creator.post(url, json={"n": 1})
        owner.post(url, json={"n": 2})
        browse = owner.get(f"/api/v1/apps/{app['id']}/tables/s/rows").json()["rows"]
        scoped = owner.get(url).json()["items"]
    assert sorted(r["n"] for r in browse) == [1, 2]
    assert [r["n"] for r in scoped] == [2]


def test_local_client_for_a_user_acts_as_that_user(hub: Hub) -> None:
    """local.client(user=...) and local.async_client(user=...) send that user's token and tenant."""
    outsider = hub.users["outsider"]
    with hub.local.client(user=outsider) as client:
        me = client.me()
    assert me.id == outsider.id
    assert client.tenant_slug == outsider.tenant_slug != hub.local.tenant_slug
    assert outsider.role == "owner"
    assert outsider.token not in repr(outsider)


@pytest.mark.anyio
async def test_local_async_client_for_a_user_is_denied_without_a_grant(hub: Hub) -> None:
    """An async client for a plain member gets PermissionDeniedError reading an ungranted table."""
    world = hub.world("member", "none")
    async with hub.local.async_client(user=hub.users["member"]) as client:
        table = await (await client.apps.get(world.app["id"])).tables.get("t")
        with pytest.raises(PermissionDeniedError) as denied:
            await table.rows.filter(n=1).count()
    assert denied.value.code == "forbidden"


def test_add_user_and_add_tenant_validate(hub: Hub) -> None:
    """Unknown roles, tenants and taken slugs or emails are ValueErrors; defaults are unique."""
    local = hub.local
    first, second = local.add_user(), local.add_user(role="admin")
    assert first.id != second.id and first.email != second.email
    assert (first.role, second.role) == ("member", "admin")
    tenant = local.add_tenant()
    for bad, match in (
        (lambda: local.add_user(role="root"), "role must be"),
        (lambda: local.add_user(tenant="00000000-0000-0000-0000-000000000000"), "no such tenant"),
        (lambda: local.add_user(email=first.email), "exists"),
        (lambda: local.add_tenant(tenant.slug), "is taken"),
        (lambda: local.add_tenant("Not A Slug"), "must match"),
    ):
        with pytest.raises(ValueError, match=match):
            bad()
    named = local.add_tenant("acme")
    assert local.add_user(tenant=named).tenant_slug == "acme"
