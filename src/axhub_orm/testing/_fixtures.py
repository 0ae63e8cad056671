"""The plugin's pytest fixtures (imported by :mod:`axhub_orm.testing` when pytest is installed)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from .._errors import AxHubError
from ._helpers import unique_slug

if TYPE_CHECKING:
    from .._async._client import AsyncAxHub
    from .._sync._client import AxHub
    from ..local import LocalAxHub, LocalUser
    from ..models._async.app import AsyncApp
    from ..models._sync.app import App

__all__ = [
    "axhub",
    "axhub_app",
    "axhub_async",
    "axhub_async_app",
    "axhub_async_client_for",
    "axhub_client_for",
    "axhub_local",
    "axhub_member",
]


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


@pytest.fixture
def axhub_member(axhub_local: LocalAxHub) -> LocalUser:
    """A new plain ``member`` of the session's tenant (no grants), for permission tests."""
    return axhub_local.add_user(role="member")


@pytest.fixture
def axhub_client_for(axhub_local: LocalAxHub) -> Iterator[Callable[[LocalUser], AxHub]]:
    """A factory: ``axhub_client_for(user)`` is a sync client acting as ``user``, closed after."""
    with contextlib.ExitStack() as stack:

        def make(user: LocalUser) -> AxHub:
            return stack.enter_context(axhub_local.client(user=user))

        yield make


@pytest.fixture
async def axhub_async_client_for(
    axhub_local: LocalAxHub,
) -> AsyncIterator[Callable[[LocalUser], AsyncAxHub]]:
    """A factory: ``axhub_async_client_for(user)`` is an async client acting as ``user``."""
    async with contextlib.AsyncExitStack() as stack:

        def make(user: LocalUser) -> AsyncAxHub:
            client = axhub_local.async_client(user=user)
            stack.push_async_callback(client.aclose)
            return client

        yield make
