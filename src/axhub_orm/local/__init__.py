"""The local AX Hub emulator: an ASGI app over SQLite, a background server, a sync transport.

Example::

    from axhub_orm.local import LocalAxHub

    with LocalAxHub() as local:
        print(local.base_url, local.tenant_slug)
        with local.client() as hub:
            hub.me()

``axhub-orm serve`` runs the same server in the foreground (see :func:`serve`).
Serving over a socket needs the ``local`` extra (uvicorn).
"""

from __future__ import annotations

from pathlib import Path

from ._app import EmulatorApp
from ._cli import serve
from ._server import LocalAxHub, LocalTenant, LocalUser
from ._sqlite import SQLiteStore
from ._store import Store, open_store
from ._transport import SyncASGITransport

__all__ = [
    "EmulatorApp",
    "LocalAxHub",
    "LocalTenant",
    "LocalUser",
    "SQLiteStore",
    "Store",
    "SyncASGITransport",
    "create_app",
    "open_store",
    "serve",
]


def create_app(
    db: str | Path | None = None,
    *,
    store: str | None = None,
    schema: str | None = None,
    rate_limit: float | None = None,
) -> EmulatorApp:
    """Build the emulator's ASGI app over a new store (see :func:`open_store`).

    ``db`` is an SQLite file (``None``: memory); ``store`` a ``postgresql://`` URL, with
    ``schema`` (kept) or a generated one (dropped on close). Close it with
    ``app.store.close()`` when done.
    """
    return EmulatorApp(open_store(db, store=store, schema=schema), rate_limit=rate_limit)
