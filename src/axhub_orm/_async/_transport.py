"""The connection pool a client builds for itself when it is given no transport.

Two decisions live here. A pool whose keep-alive limit is below its connection limit closes
connections as soon as more than that many are idle, so under concurrency it opens and drops
connections continuously (the async client fell from 409 ops/s at 16 concurrent requests to 124
at 64); the pool keeps every connection it may open, and the client lets no more requests into
it than it has connections (``_gates.py``). And the TLS context: an ``http://`` base
URL gets none at all, an ``https://`` one shares the process's (:mod:`axhub_orm._tls`) unless
``verify=`` says otherwise.
"""

from __future__ import annotations

import ssl

import httpcore
import httpx

from .._tls import shared_ssl_context

__all__ = ["POOL_LIMITS", "POOL_SIZE", "PlainAsyncHTTPTransport", "pool_transport"]

POOL_SIZE = 16
"""Connections of a client's own pool, and requests let into it at once (see ``_gates.py``)."""
POOL_LIMITS = httpx.Limits(
    max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE, keepalive_expiry=5.0
)
"""The pool of a client's own transport: keep-alive equal to the connection limit."""


class PlainAsyncHTTPTransport(httpx.AsyncHTTPTransport):
    """httpx's transport for a plain-HTTP origin, built without an SSL context.

    ``httpx.AsyncHTTPTransport()`` builds an SSL context (loading the CA bundle, ~25 ms) even
    when it will only ever talk ``http://``; httpcore's pool needs one only to connect to an
    ``https://`` origin, which a client of an ``http://`` base URL never does. So only the pool
    is made here; mapping requests, responses and errors and closing are httpx's own.
    """

    def __init__(self, limits: httpx.Limits = POOL_LIMITS) -> None:
        # super().__init__() is not called on purpose: it is what builds the SSL context.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=None,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
        )


def pool_transport(
    base_url: httpx.URL, verify: ssl.SSLContext | bool = True
) -> httpx.AsyncHTTPTransport:
    """The transport a client builds for ``base_url``: no TLS for http, the shared context else."""
    if base_url.scheme == "http" and verify is True:
        return PlainAsyncHTTPTransport(POOL_LIMITS)
    context = shared_ssl_context() if verify is True else verify
    return httpx.AsyncHTTPTransport(verify=context, limits=POOL_LIMITS)
