"""Fixtures of the typed-row tests: a counted client, a fresh app, a ``tickets`` table."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from axhub_orm import AsyncApp, AsyncAxHub, AsyncTypedRowQuery, LocalAxHub
from axhub_orm.testing import AsyncCountingTransport, unique_slug

from ..models import OwnedTicket, Ticket


@pytest.fixture
async def counted(
    axhub_local: LocalAxHub,
) -> AsyncIterator[tuple[AsyncAxHub, AsyncCountingTransport]]:
    """A client whose requests are counted."""
    counter = AsyncCountingTransport()
    async with axhub_local.async_client(transport=counter) as hub:
        yield hub, counter


@pytest.fixture
async def app(counted: tuple[AsyncAxHub, AsyncCountingTransport]) -> AsyncIterator[AsyncApp]:
    """A fresh app on the counted client."""
    hub, _ = counted
    app = await hub.apps.create(slug=unique_slug("typed"), name="typed rows")
    yield app
    await app.delete(permanent=True)


@pytest.fixture
async def tickets(
    app: AsyncApp, counted: tuple[AsyncAxHub, AsyncCountingTransport]
) -> AsyncTypedRowQuery[Ticket]:
    """The typed rows of a fresh owner-scoped ``tickets`` table (request counter reset)."""
    await app.tables.sync(OwnedTicket, owner_column="owner_id")
    rows = (await app.tables.get("tickets")).rows.typed(Ticket)
    counted[1].reset()
    return rows
