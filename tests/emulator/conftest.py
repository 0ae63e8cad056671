"""Fixtures for the emulator tests: an in-process app, a sync client, apps and tables."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from stores import STORES, store_options

from axhub_orm.local import EmulatorApp, SyncASGITransport, create_app

_counter = itertools.count(1)


@pytest.fixture
def anyio_backend() -> str:
    """Run anyio tests on asyncio only."""
    return "asyncio"


@pytest.fixture(params=STORES)
def app(request: pytest.FixtureRequest) -> Iterator[EmulatorApp]:
    """A fresh emulator on each store: SQLite in memory, and PostgreSQL (a schema of its own)."""
    application = create_app(**store_options(request.param))
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


SRC = str(Path(__file__).resolve().parents[2] / "src")


def start_serve(args: list[str]) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start ``axhub-orm serve ARGS --port 0`` from this tree; return it and what it printed."""
    code = "import sys; from axhub_orm.local._cli import serve; sys.exit(serve(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    info: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("Press Ctrl-C"):
            break
        if line.startswith("export AXHUB_"):  # export AXHUB_BASE_URL=http://...
            name, _, value = line.removeprefix("export AXHUB_").strip().partition("=")
            info[name.lower()] = value
        elif line.strip().startswith("user id:"):
            info["user_id"] = line.split(":", 1)[1].strip()
    return process, info
