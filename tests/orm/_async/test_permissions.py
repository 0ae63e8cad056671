"""The README's multi-user testing example, run through the pytest plugin's fixtures."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from axhub_orm import AsyncApp, AsyncAxHub, Column, PermissionDeniedError
from axhub_orm.local import LocalAxHub, LocalUser

pytestmark = pytest.mark.anyio


async def test_member_needs_a_grant(
    axhub_async_app: AsyncApp,
    axhub_member: LocalUser,
    axhub_async_client_for: Callable[[LocalUser], AsyncAxHub],
) -> None:
    """A plain member without a grant gets PermissionDeniedError(forbidden); with one, it works."""
    await axhub_async_app.tables.create("tickets", columns=[Column("title", "text")])
    hub = axhub_async_client_for(axhub_member)
    as_member = await (await hub.apps.get(axhub_async_app.id)).tables.get("tickets")
    with pytest.raises(PermissionDeniedError) as denied:
        await as_member.rows.create(title="hi")
    assert denied.value.code == "forbidden"

    table = await axhub_async_app.tables.get("tickets")
    await table.grants.create(principal_id=axhub_member.id, actions=["read", "write"])
    assert (await as_member.rows.create(title="hi"))["title"] == "hi"
    assert await as_member.rows.filter(title="hi").count() == 1


async def test_other_tenant_sees_nothing(
    axhub_local: LocalAxHub,
    axhub_async_app: AsyncApp,
    axhub_async_client_for: Callable[[LocalUser], AsyncAxHub],
) -> None:
    """A user of another tenant gets PermissionDeniedError(not_member) for this tenant's app."""
    stranger = axhub_local.add_user(role="owner", tenant=axhub_local.add_tenant())
    with pytest.raises(PermissionDeniedError) as denied:
        await axhub_async_client_for(stranger).apps.get(axhub_async_app.id)
    assert denied.value.code == "not_member"


async def test_member_cannot_manage_the_app(
    axhub_async_app: AsyncApp,
    axhub_member: LocalUser,
    axhub_async_client_for: Callable[[LocalUser], AsyncAxHub],
) -> None:
    """A plain member may read the app but not its env vars (PermissionDeniedError not_admin)."""
    app = await axhub_async_client_for(axhub_member).apps.get(axhub_async_app.id)
    assert app.slug == axhub_async_app.slug
    with pytest.raises(PermissionDeniedError) as denied:
        await app.env_vars.list()
    assert denied.value.code == "not_admin"
