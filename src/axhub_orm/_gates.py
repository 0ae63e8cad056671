"""How many requests a client lets into its connection pool at once.

httpcore's pool looks at every queued request and every connection each time a request starts
or ends, so its cost per request grows with what waits inside it: the async client got slower as
concurrency rose past the pool size (409 ops/s at 16 concurrent requests, 124 at 64). A gate the
size of the pool keeps the excess waiting outside, in a plain semaphore, where waiting costs
nothing per request. ``AsyncPoolGate`` is the async client's, ``PoolGate`` (its generated sync
twin's name) the sync client's, for threads sharing one client.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

__all__ = ["AsyncPoolGate", "PoolGate"]


class AsyncPoolGate:
    """At most ``size`` requests inside the pool; the rest wait their turn (asyncio).

    ``size=None`` lets everything through (a transport someone else sized).
    """

    def __init__(self, size: int | None) -> None:
        self._semaphore = None if size is None else asyncio.Semaphore(size)

    async def __aenter__(self) -> None:
        if self._semaphore is not None:
            await self._semaphore.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._semaphore is not None:
            self._semaphore.release()


class PoolGate:
    """At most ``size`` requests inside the pool; the rest wait their turn (threads).

    ``size=None`` lets everything through (a transport someone else sized).
    """

    def __init__(self, size: int | None) -> None:
        self._semaphore = None if size is None else threading.BoundedSemaphore(size)

    def __enter__(self) -> None:
        if self._semaphore is not None:
            self._semaphore.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._semaphore is not None:
            self._semaphore.release()
