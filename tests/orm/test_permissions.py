"""The README's multi-user testing example, run through the pytest plugin's fixtures."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from axhub_orm import App, AsyncApp, AsyncAxHub, AxHub, Column, PermissionDeniedError
from axhub_orm.local import LocalAxHub, LocalUser


def test_member_needs_a_grant(
    axhub_app: App, axhub_member: LocalUser, axhub_client_for: Callable[[LocalUser], AxHub]
) -> None:
    """A plain member without a grant gets PermissionDeniedError(forbidden); with one, it works."""
    axhub_app.tables.create("tickets", columns=[Column("title", "text")])
    as_member = axhub_client_for(axhub_member).apps.get(axhub_app.id).tables.get("tickets")
    with pytest.raises(PermissionDeniedError) as denied:
        as_member.rows.create(title="hi")
    assert denied.value.code == "forbidden"

    axhub_app.tables.get("tickets").grants.create(
        principal_id=axhub_member.id, actions=["read", "write"]
    )
    assert as_member.rows.create(title="hi")["title"] == "hi"
    assert as_member.rows.filter(title="hi").count() == 1


def test_other_tenant_sees_nothing(
    axhub_local: LocalAxHub, axhub_app: App, axhub_client_for: Callable[[LocalUser], AxHub]
) -> None:
    """A user of another tenant gets PermissionDeniedError(not_member) for this tenant's app."""
    stranger = axhub_local.add_user(role="owner", tenant=axhub_local.add_tenant())
    with pytest.raises(PermissionDeniedError) as denied:
        axhub_client_for(stranger).apps.get(axhub_app.id)
    assert denied.value.code == "not_member"


def test_member_cannot_manage_the_app(
    axhub_app: App, axhub_member: LocalUser, axhub_client_for: Callable[[LocalUser], AxHub]
) -> None:
    """A plain member may read the app but not its env vars (PermissionDeniedError not_admin)."""
    app = axhub_client_for(axhub_member).apps.get(axhub_app.id)
    assert app.slug == axhub_app.slug
    with pytest.raises(PermissionDeniedError) as denied:
        app.env_vars.list()
    assert denied.value.code == "not_admin"


@pytest.mark.anyio
async def test_async_member_needs_a_grant(
    axhub_async_app: AsyncApp,
    axhub_member: LocalUser,
    axhub_async_client_for: Callable[[LocalUser], AsyncAxHub],
) -> None:
    """The async client factory acts as the member: no grant, no rows."""
    await axhub_async_app.tables.create("notes", columns=[Column("body", "text")])
    hub = axhub_async_client_for(axhub_member)
    table = await (await hub.apps.get(axhub_async_app.id)).tables.get("notes")
    with pytest.raises(PermissionDeniedError):
        await table.rows.filter(body="x").count()


def test_add_user_and_add_tenant_validate(axhub_local: LocalAxHub) -> None:
    """Unknown roles, tenants and taken slugs or emails are ValueErrors; defaults are unique."""
    first, second = axhub_local.add_user(), axhub_local.add_user(role="admin")
    assert first.id != second.id and first.email != second.email
    assert (first.role, second.role) == ("member", "admin")
    tenant = axhub_local.add_tenant()
    for bad, match in (
        (lambda: axhub_local.add_user(role="root"), "role must be"),
        (
            lambda: axhub_local.add_user(tenant="00000000-0000-0000-0000-000000000000"),
            "no such tenant",
        ),
        (lambda: axhub_local.add_user(email=first.email), "exists"),
        (lambda: axhub_local.add_tenant(tenant.slug), "is taken"),
        (lambda: axhub_local.add_tenant("Not A Slug"), "must match"),
    ):
        with pytest.raises(ValueError, match=match):
            bad()
    named = axhub_local.add_tenant("acme")
    assert axhub_local.add_user(tenant=named).tenant_slug == "acme"
