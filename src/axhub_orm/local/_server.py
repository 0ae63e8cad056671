"""``LocalAxHub``: the emulator on a loopback port, served by uvicorn in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._app import EmulatorApp
from ._store import Identity, Store, open_store

if TYPE_CHECKING:
    import uvicorn

    from .._async._client import AsyncAxHub
    from .._sync._client import AxHub

__all__ = ["LocalAxHub", "LocalUser"]

_START_TIMEOUT = 10.0


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
    """A user of a running emulator: ``id``, ``email``, ``name`` and a PAT ``token``."""

    id: str
    email: str
    name: str
    token: str = field(repr=False)
    jwt: str = field(repr=False)


class LocalAxHub:
    """The AX Hub emulator, served on ``host:port`` (``port=0``: a free port) while entered.

    ``db`` is an SQLite file (state, tokens included, survives restarts) or ``None`` for
    memory; ``rate_limit`` is requests per second (``None``: unlimited). With ``ssl_certfile``
    and ``ssl_keyfile`` (PEM) it serves HTTPS, so clients can be tested over TLS as against
    ``https://api.axhub.ai``.

    Example::

        with LocalAxHub() as local, local.client() as hub:
            hub.me()
    """

    def __init__(
        self,
        *,
        db: str | Path | None = None,
        rate_limit: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_certfile: str | Path | None = None,
        ssl_keyfile: str | Path | None = None,
    ) -> None:
        if (ssl_certfile is None) != (ssl_keyfile is None):
            raise ValueError("ssl_certfile and ssl_keyfile go together")
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

    def __repr__(self) -> str:
        state = f"base_url={self._url!r}" if self._url else "stopped"
        return f"LocalAxHub({state}, db={str(self.db) if self.db else None!r})"

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> LocalAxHub:
        """Open the store and serve it; return once the port accepts connections."""
        if self._thread is not None:
            raise RuntimeError("LocalAxHub is already running")
        import uvicorn  # the optional "local" extra

        self._store = open_store(self.db)
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

    def create_user(self, *, email: str, name: str) -> LocalUser:
        """Add a member of the seeded tenant and return them with their PAT."""
        identity = self._need()
        assert self._store is not None  # noqa: S101
        with self._store.transaction():
            user = self._store.add_user(identity.tenant_id, email, name)
        return LocalUser(user.user_id, user.email, user.name, user.pat, user.jwt)

    def _client_kwargs(self, overrides: dict[str, Any]) -> dict[str, Any]:
        from .._http import TokenType

        kwargs: dict[str, Any] = {
            "base_url": self.base_url,
            "token": self.token,
            "token_type": TokenType.PAT,
            "tenant_id": self.tenant_id,
            "tenant_slug": self.tenant_slug,
        }
        kwargs.update(overrides)
        return kwargs

    def client(self, **overrides: Any) -> AxHub:
        """An ``axhub_orm.AxHub`` configured for this emulator (``overrides`` win).

        Example::

            with LocalAxHub() as local, local.client() as hub:
                hub.me()
        """
        from .._sync._client import AxHub

        return AxHub(**self._client_kwargs(overrides))

    def async_client(self, **overrides: Any) -> AsyncAxHub:
        """An ``axhub_orm.AsyncAxHub`` configured for this emulator (``overrides`` win)."""
        from .._async._client import AsyncAxHub

        return AsyncAxHub(**self._client_kwargs(overrides))
