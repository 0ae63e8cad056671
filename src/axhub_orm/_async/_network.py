"""A network backend that holds every socket operation to the attempt's deadline.

Wraps the backend of an httpcore pool: each connect, read and write gets the time left of the
current :class:`~axhub_orm._deadline.Attempt` as its timeout (httpcore's per-operation timeout,
shortened), and fails with httpcore's own timeout error once the deadline has passed, so a
dripping or hanging server ends the attempt on time. Writes are recorded (``attempt.wrote``)
before they start, which is how the client knows whether a request may have been sent.
"""

from __future__ import annotations

import ssl
import typing
from collections.abc import Iterable
from typing import Any

import httpcore

from .._deadline import current_attempt, deadline_pools, remaining

__all__ = ["AsyncDeadlineBackend", "install_deadline"]

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    left = remaining(timeout)
    if left is not None and left <= 0:
        raise error("the attempt's deadline passed")
    return left


class AsyncDeadlineStream(httpcore.AsyncNetworkStream):
    """A network stream whose reads and writes end at the attempt's deadline."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        state = current_attempt()
        if state is not None:
            state.tracked = True  # so a write refused for want of time counts as not sent
        left = _left(timeout, httpcore.WriteTimeout)
        if state is not None and buffer:
            state.wrote = True
        await self._inner.write(buffer, left)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return AsyncDeadlineStream(await self._inner.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class AsyncDeadlineBackend(httpcore.AsyncNetworkBackend):
    """Wraps a pool's network backend so its streams keep the attempt's deadline."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        state = current_attempt()
        if state is not None:
            state.tracked = True
        stream = await self._inner.connect_tcp(host, port, left, local_address, socket_options)
        return AsyncDeadlineStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        stream = await self._inner.connect_unix_socket(path, left, socket_options)
        return AsyncDeadlineStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def install_deadline(client: Any) -> None:
    """Put the deadline backend under every httpcore pool of an httpx client (idempotent)."""
    for pool in deadline_pools(client):
        backend = pool._network_backend
        if not isinstance(backend, AsyncDeadlineBackend):
            pool._network_backend = AsyncDeadlineBackend(typing.cast(Any, backend))
