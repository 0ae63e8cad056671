"""Fixtures for the entity tests: a counted client and a ready table."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from axhub_orm import AsyncApp, AsyncAxHub, AsyncTable, Column
from axhub_orm.local import LocalAxHub
from axhub_orm.testing import AsyncCountingTransport, unique_slug


@pytest.fixture
def counter() -> AsyncCountingTransport:
    """A transport that records every request."""
    return AsyncCountingTransport()


@pytest.fixture
async def counted_hub(
    axhub_local: LocalAxHub, counter: AsyncCountingTransport
) -> AsyncIterator[AsyncAxHub]:
    """A client whose requests are recorded by ``counter``."""
    async with axhub_local.async_client(transport=counter) as hub:
        yield hub


@pytest.fixture
async def counted_app(counted_hub: AsyncAxHub) -> AsyncIterator[AsyncApp]:
    """A fresh app made through the counted client."""
    app = await counted_hub.apps.create(slug=unique_slug("orm"), name="ORM test")
    yield app
    await app.delete(permanent=True)


@pytest.fixture
async def tickets(counted_app: AsyncApp, counter: AsyncCountingTransport) -> AsyncTable:
    """A `tickets` table with an owner column, a jsonb column and method-named columns."""
    table = await counted_app.tables.create(
        "tickets",
        columns=[
            Column("owner_id", "uuid", nullable=False),
            Column("title", "text", nullable=False),
            Column("status", "text"),
            Column("meta", "jsonb"),
            Column("save", "text"),
            Column("items", "int"),
            Column("keys", "bool"),
        ],
        owner_column="owner_id",
    )
    counter.reset()
    return table
