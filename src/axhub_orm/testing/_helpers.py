"""Test helpers that need no pytest: counting transports and unique app slugs."""

from __future__ import annotations

import itertools
import os
import time

import httpx

__all__ = ["AsyncCountingTransport", "CountingTransport", "unique_slug"]

_counter = itertools.count(1)


def unique_slug(prefix: str = "test") -> str:
    """An app slug unique within this process and run: ``test-<time>-<pid>-<n>``."""
    return f"{prefix}-{int(time.time()) % 100000}-{os.getpid() % 10000}-{next(_counter)}"


class CountingTransport(httpx.BaseTransport):
    """A sync transport that records every request it sends (for request-count tests).

    Example::

        counter = CountingTransport()
        with axhub_local.client(transport=counter) as hub:
            hub.me()
        assert counter.count("GET") == 1
    """

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    def __repr__(self) -> str:
        return f"<CountingTransport requests={len(self.requests)}>"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Record the request, then send it through the inner transport."""
        self.requests.append(request)
        return self.inner.handle_request(request)

    def count(self, method: str | None = None) -> int:
        """How many requests were sent (of one method, if given)."""
        return sum(1 for r in self.requests if method is None or r.method == method)

    def reset(self) -> None:
        """Forget the recorded requests."""
        self.requests.clear()

    def close(self) -> None:
        """Close the inner transport."""
        self.inner.close()


class AsyncCountingTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`CountingTransport`."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    def __repr__(self) -> str:
        return f"<AsyncCountingTransport requests={len(self.requests)}>"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Record the request, then send it through the inner transport."""
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    def count(self, method: str | None = None) -> int:
        """How many requests were sent (of one method, if given)."""
        return sum(1 for r in self.requests if method is None or r.method == method)

    def reset(self) -> None:
        """Forget the recorded requests."""
        self.requests.clear()

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()
