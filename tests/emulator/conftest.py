"""Fixtures for the emulator tests: an in-process app, a sync client, apps and tables."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from axhub_orm.local import EmulatorApp, SyncASGITransport, create_app

_counter = itertools.count(1)


@pytest.fixture
def anyio_backend() -> str:
    """Run anyio tests on asyncio only."""
    return "asyncio"


@pytest.fixture
def app() -> Iterator[EmulatorApp]:
    """A fresh in-memory emulator."""
    application = create_app()
    yield application
    application.store.close()


@pytest.fixture
def client(app: EmulatorApp) -> Iterator[httpx.Client]:
    """A sync client authenticated as the seeded user (PAT), running the app in-process."""
    with httpx.Client(
        transport=SyncASGITransport(app),
        base_url="http://local.test",
        headers={"X-Api-Key": app.store.identity.pat},
    ) as c:
        yield c


@pytest.fixture
def anon(app: EmulatorApp) -> Iterator[httpx.Client]:
    """A sync client sending no token."""
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://local.test") as c:
        yield c


def unique(prefix: str) -> str:
    """A name unique within the test session."""
    return f"{prefix}{next(_counter)}"


@pytest.fixture
def make_app(client: httpx.Client, app: EmulatorApp) -> Callable[..., dict[str, Any]]:
    """Create an app in the seeded tenant and return its JSON."""

    def make(**body: Any) -> dict[str, Any]:
        body.setdefault("slug", unique("app-"))
        body.setdefault("name", "Test app")
        tenant = app.store.identity.tenant_id
        response = client.post(f"/api/v1/tenants/{tenant}/apps", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    return make


@pytest.fixture
def make_table(
    client: httpx.Client, make_app: Callable[..., dict[str, Any]]
) -> Callable[..., tuple[dict[str, Any], dict[str, Any]]]:
    """Create a table in a new app; return ``(app, table)``."""

    def make(columns: list[dict[str, Any]], **extra: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        application = make_app()
        body = {"table_name": unique("t"), "columns": columns, **extra}
        response = client.post(f"/api/v1/apps/{application['id']}/tables", json=body)
        assert response.status_code == 201, response.text
        return application, dict(response.json())

    return make


def rows_url(application: dict[str, Any], table: dict[str, Any], suffix: str = "") -> str:
    """The ``/data/...`` URL of a table."""
    tenant_slug = application["schema_name"].split("_", 1)[0]
    return f"/data/{tenant_slug}/{application['slug']}/{table['table_name']}{suffix}"


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of an error response."""
    return dict(response.json()["error"])
