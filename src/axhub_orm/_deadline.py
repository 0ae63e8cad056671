"""The per-attempt deadline and what one attempt did on the wire (sans-IO).

``timeout=`` is the budget of one attempt, from sending to the last byte of the answer. httpcore
applies a timeout to each socket operation separately (``sock.settimeout`` per read/write), so a
server dripping a byte at a time never trips it. The client therefore opens an :class:`Attempt`
(an absolute deadline, held in a context variable) around each attempt, and the network backend
wrappers in ``_async/_network.py`` / ``_sync/_network.py`` shorten every connect, read and write
to the time left, raising httpcore's own timeout once none is left. The same wrappers record
whether any byte of the request was handed to the socket, which is what ``request_sent`` means.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from typing import Any

import attrs

__all__ = ["Attempt", "attempt", "current_attempt", "deadline_pools", "remaining"]


@attrs.define
class Attempt:
    """One attempt of one request: its absolute deadline and what reached the socket."""

    deadline: float | None
    tracked: bool = False
    """True once the deadline backend saw a connect or write for this attempt."""
    wrote: bool = False
    """True once a byte of the request was handed to the socket (it may have reached the server)."""


_CURRENT: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar(
    "axhub_orm_attempt", default=None
)


def current_attempt() -> Attempt | None:
    """The attempt being made in this context, if any."""
    return _CURRENT.get()


@contextlib.contextmanager
def attempt(budget: float | None) -> Iterator[Attempt]:
    """Open an attempt whose deadline is ``budget`` seconds from now (``None``: no deadline)."""
    state = Attempt(None if budget is None else time.monotonic() + budget)
    token = _CURRENT.set(state)
    try:
        yield state
    finally:
        _CURRENT.reset(token)


def remaining(timeout: float | None) -> float | None:
    """``timeout`` shortened to what is left of the current attempt's deadline (may be <= 0)."""
    state = _CURRENT.get()
    if state is None or state.deadline is None:
        return timeout
    left = state.deadline - time.monotonic()
    return left if timeout is None else min(timeout, left)


def deadline_pools(client: Any) -> list[Any]:
    """The httpcore connection pools behind an httpx client or transport, where reachable.

    httpx exposes no hook for a network backend, so this walks its transports (the default one
    and the proxy mounts) to their pools; anything else (a mock or ASGI transport) is skipped and
    keeps httpx's per-operation timeouts.
    """
    transports = [getattr(client, "_transport", client)]
    transports += list((getattr(client, "_mounts", None) or {}).values())
    pools = [getattr(t, "_pool", None) for t in transports if t is not None]
    return [p for p in pools if p is not None and hasattr(p, "_network_backend")]
