"""One request budget per client: a ``rate_limit=`` token bucket and a shared Retry-After gate.

Every request of a client, from any thread or task, passes :meth:`AsyncThrottle.wait` (or
:meth:`Throttle.wait`, the sync twin's name) before each attempt:

- the token bucket spaces requests to ``rate_limit`` per second, with bursts of up to
  ``max(1, rate_limit)`` (a GCRA reservation: each caller learns its own start time at once,
  so waiters never wake up to race for a token);
- when any request gets a 429, :meth:`close_for` shuts the gate for its ``Retry-After``, and
  every request of the client waits for it to open before sending, so concurrent workers do
  not spend their retries on a hub that already said "wait" (Client Policy §4: a request is
  still retried at most twice, only on 429).

:class:`ThrottleState` is the sans-IO arithmetic both share.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time

from ._errors import ValidationError

__all__ = ["AsyncThrottle", "Throttle", "ThrottleState", "check_rate_limit", "rate_limit_from_env"]


def check_rate_limit(rate_limit: object) -> float | None:
    """Validate ``rate_limit=``: ``None`` (no limit) or a finite number of requests/s > 0."""
    if rate_limit is None:
        return None
    if (
        isinstance(rate_limit, bool)
        or not isinstance(rate_limit, int | float)
        or not math.isfinite(rate_limit)
        or rate_limit <= 0
    ):
        raise ValidationError(
            f"rate_limit must be a positive number of requests per second or None, got "
            f"{rate_limit!r}",
            code="invalid_value",
        )
    return float(rate_limit)


def rate_limit_from_env(text: str) -> float:
    """Read ``AXHUB_RATE_LIMIT`` (requests per second), refusing what is not a positive number."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValidationError(
            f"AXHUB_RATE_LIMIT must be a positive number of requests per second, got {text!r}",
            code="invalid_value",
        )
    return value


class ThrottleState:
    """When may the next request start? (no clock, no sleeping: times are passed in).

    Example::

        >>> state = ThrottleState(rate=2)           # 2 requests/s, bursts of 2
        >>> [state.reserve(now=0.0) for _ in range(4)]
        [0.0, 0.0, 0.5, 1.0]
        >>> state.close_until(5.0)
        >>> state.reserve(now=1.0), state.gate_wait(now=4.0)
        (4.0, 1.0)
    """

    __slots__ = ("_interval", "_open_at", "_tat", "_tolerance")

    def __init__(self, rate: float | None) -> None:
        self._interval = 0.0 if rate is None else 1.0 / rate
        self._tolerance = 0.0 if rate is None else (max(1.0, rate) - 1.0) * self._interval
        self._tat = -math.inf  # theoretical arrival time of the next request
        self._open_at = -math.inf

    def reserve(self, now: float) -> float:
        """Reserve one request's slot; return the seconds to wait before sending it."""
        start = max(now, self._open_at)
        if self._interval:
            start = max(start, self._tat - self._tolerance)
            self._tat = max(self._tat, start) + self._interval
        return start - now

    def gate_wait(self, now: float) -> float:
        """Seconds until the Retry-After gate opens (0 when open)."""
        return max(0.0, self._open_at - now)

    def close_until(self, when: float) -> None:
        """Keep every request from starting before ``when`` (a 429's Retry-After)."""
        self._open_at = max(self._open_at, when)


class AsyncThrottle:
    """The throttle of an :class:`~axhub_orm.AsyncAxHub` (one event loop, no lock needed)."""

    __slots__ = ("_state",)

    def __init__(self, rate: float | None) -> None:
        self._state = ThrottleState(rate)

    async def wait(self) -> None:
        """Wait for this request's slot, then for the gate if a 429 closed it meanwhile."""
        delay = self._state.reserve(time.monotonic())
        while delay > 0:
            await asyncio.sleep(delay)
            delay = self._state.gate_wait(time.monotonic())

    def close_for(self, seconds: float) -> None:
        """Close the gate for ``seconds`` from now, for every request of the client."""
        self._state.close_until(time.monotonic() + seconds)


class Throttle:
    """The throttle of an :class:`~axhub_orm.AxHub`, shared by the threads using it."""

    __slots__ = ("_lock", "_state")

    def __init__(self, rate: float | None) -> None:
        self._state = ThrottleState(rate)
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Wait for this request's slot, then for the gate if a 429 closed it meanwhile."""
        with self._lock:
            delay = self._state.reserve(time.monotonic())
        while delay > 0:
            time.sleep(delay)
            with self._lock:
                delay = self._state.gate_wait(time.monotonic())

    def close_for(self, seconds: float) -> None:
        """Close the gate for ``seconds`` from now, for every request of the client."""
        with self._lock:
            self._state.close_until(time.monotonic() + seconds)
