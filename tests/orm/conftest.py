"""Fixtures for the entity tests: a counted client and a ready table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from axhub_orm import App, AxHub, Column, Table
from axhub_orm.local import LocalAxHub
from axhub_orm.testing import CountingTransport, unique_slug


@pytest.fixture
def counter() -> CountingTransport:
    """A transport that records every request."""
    return CountingTransport()


@pytest.fixture
def counted_hub(axhub_local: LocalAxHub, counter: CountingTransport) -> Iterator[AxHub]:
    """A sync client whose requests are recorded by ``counter``."""
    with axhub_local.client(transport=counter) as hub:
        yield hub


@pytest.fixture
def counted_app(counted_hub: AxHub) -> Iterator[App]:
    """A fresh app made through the counted client."""
    app = counted_hub.apps.create(slug=unique_slug("orm"), name="ORM test")
    yield app
    app.delete(permanent=True)


@pytest.fixture
def tickets(counted_app: App, counter: CountingTransport) -> Table:
    """A `tickets` table with an owner column, a jsonb column and method-named columns."""
    table = counted_app.tables.create(
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
