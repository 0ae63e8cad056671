"""``LocalAxHub``: the emulator on a loopback port, served by uvicorn in a background thread."""

from __future__ import annotations

import itertools
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._app import EmulatorApp
from ._policy import ROLES
from ._store import Identity, Store, open_store

if TYPE_CHECKING:
    import uvicorn

    from .._async._client import AsyncAxHub
    from .._sync._client import AxHub

__all__ = ["LocalAxHub", "LocalTenant", "LocalUser"]

_START_TIMEOUT = 10.0
_TENANT_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,61}[a-z0-9]")


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket whose ``proto`` is TCP, so asyncio sets TCP_NODELAY on clients.

    (``socket.create_server`` leaves ``proto`` 0, and each response then waits ~40 ms for a
    delayed ACK.)
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


@dataclass(frozen=True)
class LocalUser:
    """A user of a running emulator: ``id``, ``email``, ``name``, their tenant and ``role``.

    ``token`` is their PAT (``X-Api-Key``), ``jwt`` a JWT (``Authorization: Bearer``); neither
    is shown in ``repr``.
    """

    id: str
    email: str
    name: str
    role: str
    tenant_id: str
    tenant_slug: str
    token: str = field(repr=False)
    jwt: str = field(repr=False)


@dataclass(frozen=True)
class LocalTenant:
    """A tenant of a running emulator (``id``, ``slug``), as made by ``add_tenant``."""

    id: str
    slug: str


class LocalAxHub:
    """The AX Hub emulator, served on ``host:port`` (``port=0``: a free port) while entered.

    ``db`` is an SQLite file (state, tokens included, survives restarts) or ``None`` for
    memory; or ``store`` is a ``postgresql://`` URL (``axhub-orm[postgres]``), the state kept
    in ``schema`` (survives restarts) or in a generated schema dropped on stop. ``rate_limit``
    is requests per second (``None``: unlimited). With ``ssl_certfile`` and ``ssl_keyfile``
    (PEM) it serves HTTPS, so clients can be tested over TLS as against
    ``https://api.axhub.ai``.

    Example::

        with LocalAxHub() as local, local.client() as hub:
            hub.me()
    """

    def __init__(
        self,
        *,
        db: str | Path | None = None,
        store: str | None = None,
        schema: str | None = None,
        rate_limit: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_certfile: str | Path | None = None,
        ssl_keyfile: str | Path | None = None,
    ) -> None:
        if (ssl_certfile is None) != (ssl_keyfile is None):
            raise ValueError("ssl_certfile and ssl_keyfile go together")
        if db is not None and store is not None:
            raise ValueError("give db (SQLite) or store (PostgreSQL), not both")
        self.store = store
        self.schema = schema
        self.ssl_certfile = ssl_certfile
        self.ssl_keyfile = ssl_keyfile
        self.db = db
        self.rate_limit = rate_limit
        self.host = host
        self.port = port
        self._store: Store | None = None
        self._app: EmulatorApp | None = None
        self._identity: Identity | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._url: str | None = None
        self._users = itertools.count(1)

    def __repr__(self) -> str:
        state = f"base_url={self._url!r}" if self._url else "stopped"
        if self.store is not None:  # never the URL: it may hold a password
            return f"LocalAxHub({state}, store='postgresql', schema={self.schema!r})"
        return f"LocalAxHub({state}, db={str(self.db) if self.db else None!r})"

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> LocalAxHub:
        """Open the store and serve it; return once the port accepts connections."""
        if self._thread is not None:
            raise RuntimeError("LocalAxHub is already running")
        import uvicorn  # the optional "local" extra

        self._store = open_store(self.db, store=self.store, schema=self.schema)
        self._identity = self._store.identity
        self._app = EmulatorApp(self._store, rate_limit=self.rate_limit)
        try:
            self._sock = _listen(self.host, self.port)
            host, port = self._sock.getsockname()[:2]
            config = uvicorn.Config(
                self._app,
                log_level="warning",
                access_log=False,
                lifespan="off",
                ws="none",  # no WebSocket routes; uvicorn then imports no WebSocket library
                timeout_graceful_shutdown=2,
                ssl_certfile=None if self.ssl_certfile is None else str(self.ssl_certfile),
                ssl_keyfile=None if self.ssl_keyfile is None else str(self.ssl_keyfile),
            )
            self._server = uvicorn.Server(config)
            self._thread = threading.Thread(
                target=self._server.run,
                kwargs={"sockets": [self._sock]},
                name="axhub-local-server",
                daemon=True,
            )
            self._thread.start()
            self._wait_started()
        except BaseException:
            self.stop()
            raise
        scheme = "http" if self.ssl_certfile is None else "https"
        self._url = f"{scheme}://{host}:{port}"
        return self

    def _wait_started(self) -> None:
        if self._server is None or self._thread is None:  # pragma: no cover
            raise RuntimeError("not started")
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the local AX Hub server did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop serving, join the thread and close the socket and the store (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        if self._store is not None:
            self._store.close()
        self._server = self._thread = self._sock = self._store = None
        self._url = None

    def __enter__(self) -> LocalAxHub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what a test needs -------------------------------------------------------------

    def _need(self) -> Identity:
        if self._identity is None or self._url is None:
            raise RuntimeError("LocalAxHub is not running; use `with LocalAxHub() as local:`")
        return self._identity

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        self._need()
        assert self._url is not None  # noqa: S101
        return self._url

    @property
    def store_schema(self) -> str | None:
        """The PostgreSQL schema holding the state (``None`` on SQLite)."""
        self._need()
        return getattr(self._store, "schema", None)

    @property
    def token(self) -> str:
        """The development PAT of the seeded user (send it as ``X-Api-Key``)."""
        return self._need().pat

    @property
    def jwt(self) -> str:
        """A JWT-shaped token of the seeded user (send it as ``Authorization: Bearer``)."""
        return self._need().jwt

    @property
    def tenant_id(self) -> str:
        """The seeded tenant's UUID."""
        return self._need().tenant_id

    @property
    def tenant_slug(self) -> str:
        """The seeded tenant's slug (``local``)."""
        return self._need().tenant_slug

    @property
    def user_id(self) -> str:
        """The seeded user's UUID."""
        return self._need().user_id

    @property
    def app(self) -> EmulatorApp:
        """The ASGI application being served."""
        self._need()
        assert self._app is not None  # noqa: S101
        return self._app

    def _store_of(self) -> Store:
        self._need()
        assert self._store is not None  # noqa: S101
        return self._store

    def add_tenant(self, slug: str | None = None) -> LocalTenant:
        """Create another tenant (no members yet), e.g. for cross-tenant tests.

        ``slug`` defaults to a fresh ``tenant-<n>``; a taken or malformed slug is a
        ``ValueError``. Add people to it with ``add_user(tenant=...)``.
        """
        store = self._store_of()
        with store.transaction():
            if slug is None:
                slug = next(
                    f"tenant-{n}"
                    for n in itertools.count(2)
                    if store.tenant(slug=f"tenant-{n}") is None
                )
            elif not _TENANT_SLUG.fullmatch(slug):
                raise ValueError("a tenant slug must match [a-z0-9][a-z0-9-]{0,61}[a-z0-9]")
            elif store.tenant(slug=slug) is not None:
                raise ValueError(f"tenant slug {slug!r} is taken")
            tenant_id = store.add_tenant(slug, slug)
        return LocalTenant(tenant_id, slug)

    def add_user(
        self,
        role: str = "member",
        *,
        email: str | None = None,
        name: str | None = None,
        tenant: LocalTenant | str | None = None,
    ) -> LocalUser:
        """Add a user with ``role`` (``owner``, ``admin`` or ``member``) to a tenant.

        ``tenant`` is a :class:`LocalTenant`, a tenant id, or ``None`` for the seeded tenant.
        ``email`` and ``name`` default to fresh ``user-<n>@local.axhub`` / ``User <n>``. What
        each role may do is the emulator's policy (wire contract §13 items 22-24): a plain
        member reads and writes rows only with a grant.

        Example::

            alice = local.add_user()
            with local.client(user=alice) as hub:
                ...
        """
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        store = self._store_of()
        tenant_id = self._need().tenant_id if tenant is None else str(getattr(tenant, "id", tenant))
        with store.transaction():
            if store.tenant(tenant_id=tenant_id) is None:
                raise ValueError("no such tenant")
            n = next(self._users)
            email = email or f"user-{n}-{uuid.uuid4().hex[:8]}@local.axhub"
            if store.email_taken(email):
                raise ValueError(f"a user with email {email!r} exists")
            user = store.add_user(tenant_id, email, name or f"User {n}", role=role)
        return LocalUser(
            user.user_id,
            user.email,
            user.name,
            role,
            user.tenant_id,
            user.tenant_slug,
            user.pat,
            user.jwt,
        )

    def create_user(self, *, email: str, name: str) -> LocalUser:
        """Add a member of the seeded tenant (same as ``add_user(email=..., name=...)``)."""
        return self.add_user(email=email, name=name)

    def _client_kwargs(self, user: LocalUser | None, overrides: dict[str, Any]) -> dict[str, Any]:
        from .._http import TokenType

        kwargs: dict[str, Any] = {
            "base_url": self.base_url,
            "token": self.token if user is None else user.token,
            "token_type": TokenType.PAT,
            "tenant_id": self.tenant_id if user is None else user.tenant_id,
            "tenant_slug": self.tenant_slug if user is None else user.tenant_slug,
        }
        kwargs.update(overrides)
        return kwargs

    def client(self, user: LocalUser | None = None, **overrides: Any) -> AxHub:
        """An ``axhub_orm.AxHub`` for this emulator, as ``user`` (default: the seeded owner).

        The client sends the user's PAT and uses their tenant; ``overrides`` win.

        Example::

            with LocalAxHub() as local, local.client() as hub:
                hub.me()
        """
        from .._sync._client import AxHub

        return AxHub(**self._client_kwargs(user, overrides))

    def async_client(self, user: LocalUser | None = None, **overrides: Any) -> AsyncAxHub:
        """An ``axhub_orm.AsyncAxHub`` for this emulator, as ``user`` (``overrides`` win)."""
        from .._async._client import AsyncAxHub

        return AsyncAxHub(**self._client_kwargs(user, overrides))
