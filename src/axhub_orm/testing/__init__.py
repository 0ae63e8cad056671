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
:class:`CountingTransport` and :func:`unique_slug` work without pytest.
"""

from __future__ import annotations

from ._helpers import AsyncCountingTransport, CountingTransport, unique_slug

__all__ = ["AsyncCountingTransport", "CountingTransport", "unique_slug"]

try:
    import pytest  # noqa: F401  # the fixtures need pytest; the transports do not
except ImportError:  # pragma: no cover - exercised only without the dev extra
    pass
else:
    from ._fixtures import (
        axhub,
        axhub_app,
        axhub_async,
        axhub_async_app,
        axhub_local,
    )

    __all__ += ["axhub", "axhub_app", "axhub_async", "axhub_async_app", "axhub_local"]
