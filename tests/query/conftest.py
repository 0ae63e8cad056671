"""Shared fixtures of the query-builder integration tests: in-process clients and tables.

Every module gets one app on the session's emulator, reached in-process (no socket) so that
hundreds of requests stay fast. Tables have one column of each of the eight types.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from stores import STORES, store_options

from axhub_orm import AsyncAxHub, AxHub, AxHubError, Column
from axhub_orm.local import LocalAxHub, SyncASGITransport
from axhub_orm.testing import AsyncCountingTransport, CountingTransport, unique_slug

TYPED_COLUMNS = {
    "t": "text",
    "i": "int",
    "b": "bigint",
    "f": "float",
    "ok": "bool",
    "ts": "timestamptz",
    "u": "uuid",
    "j": "jsonb",
}
"""One nullable column of each of the eight column types."""

OWNED_TYPES = {"owner_id": "uuid", "batch": "int", **TYPED_COLUMNS}
"""The column types of an owner-scoped table: what the oracle needs to read its rows."""


def owned_columns() -> list[Column]:
    """The columns of an owner-scoped table: owner, a batch number and the eight typed ones."""
    return [
        Column("owner_id", "uuid", nullable=False),
        Column("batch", "int"),
        *(Column(name, type_) for name, type_ in TYPED_COLUMNS.items()),
    ]


def in_process(local: LocalAxHub, transport: httpx.BaseTransport | None = None) -> Any:
    """A sync client that serves the emulator in-process (through ``transport`` if given)."""
    return local.client(transport=transport or SyncASGITransport(local.app))


def async_in_process(local: LocalAxHub, transport: httpx.AsyncBaseTransport | None = None) -> Any:
    """An async client that serves the emulator in-process (through ``transport`` if given)."""
    return local.async_client(transport=transport or httpx.ASGITransport(app=local.app))


@pytest.fixture(scope="session", params=STORES)
def axhub_local(request: pytest.FixtureRequest) -> Iterator[LocalAxHub]:
    """The session's emulator, once per store (the plugin's fixture, on both stores)."""
    with LocalAxHub(**store_options(request.param)) as local:
        yield local


@pytest.fixture(scope="module")
def hub(axhub_local: LocalAxHub) -> Iterator[AxHub]:
    """A sync in-process client shared by the module's tests."""
    with in_process(axhub_local) as client:
        yield client


@pytest.fixture(scope="module")
def module_app(hub: AxHub) -> Iterator[Any]:
    """One app for the whole module, deleted permanently afterwards."""
    app = hub.apps.create(slug=unique_slug("query"), name="query tests")
    yield app
    with contextlib.suppress(AxHubError):  # a test may have deleted it already
        app.delete(permanent=True)


@pytest.fixture
def counted(axhub_local: LocalAxHub) -> Iterator[tuple[AxHub, CountingTransport]]:
    """A sync in-process client and the counting transport under it."""
    transport = CountingTransport(SyncASGITransport(axhub_local.app))
    with in_process(axhub_local, transport) as client:
        yield client, transport


@pytest.fixture
async def async_counted(
    axhub_local: LocalAxHub,
) -> AsyncIterator[tuple[AsyncAxHub, AsyncCountingTransport]]:
    """An async in-process client and the counting transport under it."""
    transport = AsyncCountingTransport(httpx.ASGITransport(app=axhub_local.app))
    async with async_in_process(axhub_local, transport) as client:
        yield client, transport
