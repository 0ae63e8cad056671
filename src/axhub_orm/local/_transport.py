"""A synchronous httpx transport that runs an ASGI application in-process."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx

__all__ = ["SyncASGITransport"]

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


class SyncASGITransport(httpx.BaseTransport):
    """Serve sync ``httpx.Client`` requests from an ASGI ``app`` without a socket.

    The app runs on a private event loop in a helper thread (started on first use), through
    ``httpx.ASGITransport``; each request's body is read completely before it is returned.
    Safe to share between threads. ``close()`` (called by ``httpx.Client.close()``) stops the
    loop and joins the thread.

    Example::

        with httpx.Client(transport=SyncASGITransport(app), base_url="http://local") as c:
            c.get("/api/v1/me", headers={"X-Api-Key": token})
    """

    def __init__(self, app: ASGIApp, *, raise_app_exceptions: bool = True) -> None:
        self._inner = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"SyncASGITransport(running={self._thread is not None})"

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise RuntimeError("the transport is closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="axhub-sync-asgi", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        try:
            content = await response.aread()
        finally:
            await response.aclose()
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=content,
            extensions=response.extensions,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Run one request through the app and return the buffered response."""
        request.read()
        loop = self._ensure_loop()
        future = asyncio.run_coroutine_threadsafe(self._send(request), loop)
        return future.result()

    def close(self) -> None:
        """Stop the helper loop and thread (idempotent)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._closed = True
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
