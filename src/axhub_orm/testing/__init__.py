"""Pytest fixtures for testing your own code against the local AX Hub emulator.

Installed as a pytest plugin (entry point ``pytest11``), so the fixtures are available in any
project that installs ``axhub-orm[local]``:

- ``axhub_local``: one :class:`~axhub_orm.local.LocalAxHub` for the whole test session;
- ``axhub`` / ``axhub_async``: a client for it (closed after the test);
- ``axhub_app`` / ``axhub_async_app``: a fresh app per test, deleted permanently afterwards.

Example::

    def test_ticket_count(axhub_app):
        table = axhub_app.tables.create("tickets", columns=[Column("title", "text")])
        table.rows.create(title="hi")
        assert table.rows.filter(title="hi").count() == 1

The async fixtures need an async test runner (e.g. ``@pytest.mark.anyio``).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from .._errors import AxHubError

if TYPE_CHECKING:
    from .._async import AsyncAxHub
    from .._sync import AxHub
    from ..local import LocalAxHub
    from ..models import App, AsyncApp

__all__ = [
    "AsyncCountingTransport",
    "CountingTransport",
    "axhub",
    "axhub_app",
    "axhub_async",
    "axhub_async_app",
    "axhub_local",
    "unique_slug",
]

_counter = itertools.count(1)


def unique_slug(prefix: str = "test") -> str:
    """An app slug unique within this process and run: ``test-<time>-<pid>-<n>``."""
    return f"{prefix}-{int(time.time()) % 100000}-{os.getpid() % 10000}-{next(_counter)}"


@pytest.fixture(scope="session")
def axhub_local() -> Iterator[LocalAxHub]:
    """The local AX Hub emulator, started once per test session on a free loopback port."""
    from ..local import LocalAxHub

    with LocalAxHub() as local:
        yield local


@pytest.fixture
def axhub(axhub_local: LocalAxHub) -> Iterator[AxHub]:
    """A sync client for the session's emulator."""
    with axhub_local.client() as hub:
        yield hub


@pytest.fixture
async def axhub_async(axhub_local: LocalAxHub) -> AsyncIterator[AsyncAxHub]:
    """An async client for the session's emulator."""
    async with axhub_local.async_client() as hub:
        yield hub


@pytest.fixture
def axhub_app(axhub: AxHub) -> Iterator[App]:
    """A fresh app for one test, deleted permanently afterwards."""
    app = axhub.apps.create(slug=unique_slug(), name="test app")
    yield app
    with contextlib.suppress(AxHubError):  # the test may have deleted it itself
        app.delete(permanent=True)


@pytest.fixture
async def axhub_async_app(axhub_async: AsyncAxHub) -> AsyncIterator[AsyncApp]:
    """A fresh app for one async test, deleted permanently afterwards."""
    app = await axhub_async.apps.create(slug=unique_slug(), name="test app")
    yield app
    with contextlib.suppress(AxHubError):  # the test may have deleted it itself
        await app.delete(permanent=True)


class CountingTransport(httpx.BaseTransport):
    """A sync transport that records every request it sends (for request-count tests).

    Example::

        counter = CountingTransport()
        with axhub_local.client(transport=counter) as hub:
            hub.me()
        assert counter.count("GET") == 1
    """

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    def __repr__(self) -> str:
        return f"<CountingTransport requests={len(self.requests)}>"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Record the request, then send it through the inner transport."""
        self.requests.append(request)
        return self.inner.handle_request(request)

    def count(self, method: str | None = None) -> int:
        """How many requests were sent (of one method, if given)."""
        return sum(1 for r in self.requests if method is None or r.method == method)

    def reset(self) -> None:
        """Forget the recorded requests."""
        self.requests.clear()

    def close(self) -> None:
        """Close the inner transport."""
        self.inner.close()


class AsyncCountingTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`CountingTransport`."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    def __repr__(self) -> str:
        return f"<AsyncCountingTransport requests={len(self.requests)}>"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Record the request, then send it through the inner transport."""
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    def count(self, method: str | None = None) -> int:
        """How many requests were sent (of one method, if given)."""
        return sum(1 for r in self.requests if method is None or r.method == method)

    def reset(self) -> None:
        """Forget the recorded requests."""
        self.requests.clear()

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()
