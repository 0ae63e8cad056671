"""One request budget per client: the rate_limit= token bucket and the shared Retry-After gate.

Clients run on httpx.MockTransport handlers that stamp each request's arrival time, so the
tests see when requests were really sent, from several tasks or threads at once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest

from axhub_orm import AsyncAxHub, AxHub, RateLimitError, ValidationError
from axhub_orm._throttle import ThrottleState

TOKEN = "pat_test_token"


class Stamps:
    """A handler that records arrival times and answers 429 (Retry-After) to chosen requests."""

    def __init__(self, limited: set[int] = frozenset(), retry_after: str = "0.3") -> None:  # type: ignore[assignment]
        self.limited = limited
        self.retry_after = retry_after
        self.times: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.times.append(time.monotonic())
            number = len(self.times)
        if number in self.limited:
            body = {"error": {"code": "rate_limited", "category": "rate_limited"}}
            return httpx.Response(429, json=body, headers={"Retry-After": self.retry_after})
        return httpx.Response(200, json={"id": "u1", "email": "a@b.c"})


def _kwargs(handler: Stamps, **extra: Any) -> dict[str, Any]:
    return {"base_url": "https://hub.test", "token": TOKEN, "token_type": "pat", **extra}


def test_throttle_state_spaces_requests_after_a_burst() -> None:
    """GCRA: a burst of max(1, rate) goes at once, then one request every 1/rate seconds."""
    state = ThrottleState(rate=4)
    waits = [state.reserve(now=0.0) for _ in range(8)]
    assert waits == [0.0, 0.0, 0.0, 0.0, 0.25, 0.5, 0.75, 1.0]
    unlimited = ThrottleState(rate=None)
    assert [unlimited.reserve(now=1.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    unlimited.close_until(3.0)
    assert unlimited.reserve(now=1.0) == 2.0
    assert unlimited.gate_wait(now=3.5) == 0.0


@pytest.mark.anyio
async def test_async_429_holds_back_every_request_of_the_client() -> None:
    """After one request gets 429 + Retry-After, a concurrent one waits for the gate too."""
    handler = Stamps(limited={1})
    async with AsyncAxHub(transport=httpx.MockTransport(handler), **_kwargs(handler)) as hub:
        first = asyncio.ensure_future(hub.me())
        await asyncio.sleep(0.05)  # the first request has had its 429
        await hub.me()
        await first
    t429, *later = handler.times
    assert len(later) == 2
    assert all(t - t429 >= 0.28 for t in later), [t - t429 for t in later]


def test_sync_429_holds_back_every_thread_of_the_client() -> None:
    """The sync client shares its gate between threads the same way."""
    handler = Stamps(limited={1})
    with AxHub(transport=httpx.MockTransport(handler), **_kwargs(handler)) as hub:
        first = threading.Thread(target=hub.me)
        first.start()
        time.sleep(0.05)
        hub.me()
        first.join()
    t429, *later = handler.times
    assert len(later) == 2
    assert all(t - t429 >= 0.28 for t in later), [t - t429 for t in later]


def test_a_request_is_still_retried_at_most_twice() -> None:
    """The gate changes when requests go, not how often: the third 429 is raised."""
    handler = Stamps(limited={1, 2, 3}, retry_after="0")
    with (
        AxHub(transport=httpx.MockTransport(handler), **_kwargs(handler)) as hub,
        pytest.raises(RateLimitError),
    ):
        hub.me()
    assert len(handler.times) == 3


@pytest.mark.anyio
async def test_async_rate_limit_is_one_bucket_for_all_tasks() -> None:
    """rate_limit=20: 30 concurrent requests take at least (30 - 20) / 20 s from first to last."""
    handler = Stamps()
    transport = httpx.MockTransport(handler)
    async with AsyncAxHub(transport=transport, **_kwargs(handler, rate_limit=20)) as hub:
        await asyncio.gather(*(hub.me() for _ in range(30)))
    assert handler.times[-1] - handler.times[0] >= 0.45


def test_sync_rate_limit_is_one_bucket_for_all_threads() -> None:
    """Three threads of one client share its bucket: 30 requests at 20/s span 0.45 s or more."""
    handler = Stamps()
    with AxHub(transport=httpx.MockTransport(handler), **_kwargs(handler, rate_limit=20)) as hub:
        threads = [threading.Thread(target=lambda: [hub.me() for _ in range(10)]) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(handler.times) == 30
    assert handler.times[-1] - handler.times[0] >= 0.45


def test_rate_limit_from_env_and_refusals(monkeypatch: pytest.MonkeyPatch) -> None:
    """AXHUB_RATE_LIMIT sets rate_limit; a bad value is refused when the client is built."""
    monkeypatch.setenv("AXHUB_BASE_URL", "https://hub.test")
    monkeypatch.setenv("AXHUB_RATE_LIMIT", "12.5")
    with AxHub.from_env() as hub:
        assert hub.rate_limit == 12.5
    monkeypatch.setenv("AXHUB_RATE_LIMIT", "fast")
    with pytest.raises(ValidationError, match="AXHUB_RATE_LIMIT"):
        AxHub.from_env()
    for bad in (0, -1, float("inf"), True, "5"):
        with pytest.raises(ValidationError, match="rate_limit"):
            AxHub(base_url="https://hub.test", rate_limit=bad)
