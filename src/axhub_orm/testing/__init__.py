"""Pytest fixtures for testing your own code against the local AX Hub emulator.

Installed as a pytest plugin (entry point ``pytest11``), so the fixtures are available in any
project that installs ``axhub-orm[local]``:

- ``axhub_local``: one :class:`~axhub_orm.local.LocalAxHub` for the whole test session;
- ``axhub`` / ``axhub_async``: a client for it (closed after the test);
- ``axhub_app`` / ``axhub_async_app``: a fresh app per test, deleted permanently afterwards;
- ``axhub_member``: a new plain member of the tenant (no grants) per test;
- ``axhub_client_for`` / ``axhub_async_client_for``: ``make(user)`` gives a client acting as
  that user (``axhub_local.add_user(role=..., tenant=...)`` and ``axhub_local.add_tenant()``
  make more users and tenants).

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
    from . import _fixtures
    from ._fixtures import *  # noqa: F403  # the fixtures, found by pytest's plugin loader

    __all__ += _fixtures.__all__
