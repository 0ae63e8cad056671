"""One client's side of the side-by-side benchmark, run in a process of its own.

``python benchmarks/_clients.py`` reads a JSON job on stdin and prints JSON results: wall and
process-CPU seconds per workload, measured inside this process only (the emulator and the delay
proxy run elsewhere). The seed SDK's twin of this file is ``seed_client.py`` (it runs in the
seed venv, where neither ``axhub_orm`` nor ``httpx`` may be imported).

Jobs (``job["kind"]``):

- ``workloads`` for ``orm_sync``, ``orm_async`` (one request at a time, like the others) and
  ``httpx`` (a hand-built ``httpx.Client``, the floor of what the ORM could cost): ``n``
  inserts, ``n`` gets, ``n`` patches, ``n`` filtered counts on a fresh table, then ``pages``
  reads of the first 100-row page of a table that holds 100 rows.
- ``concurrency``: ``n`` async gets at each concurrency in ``levels`` (ops/s and CPU per op).
- ``construct``: how long ``AxHub()`` takes to build, first and typical, http and https.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from axhub_orm import AsyncAxHub, AxHub

__all__ = ["Clock", "main"]

INSERT = "schemaPostDataByTenantSlugByAppSlugByTable"
COUNT_FILTERS: dict[str, Any] = {"status": "new", "priority__gte": 3}
COUNT_QUERY = (("status", "eq.new"), ("priority", "gte.3"))


class Clock:
    """Wall and process-CPU seconds per workload."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        """Time the block as workload ``name``."""
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.seconds[name] = time.perf_counter() - wall
        self.cpu[name] = time.process_time() - cpu

    def result(self) -> dict[str, Any]:
        """The JSON answer."""
        return {"seconds": self.seconds, "cpu": self.cpu}


def _hub_kwargs(job: dict[str, Any]) -> dict[str, Any]:
    return {
        "base_url": job["base_url"],
        "token": job["token"],
        "token_type": "pat",
        "tenant_id": job["tenant_id"],
        "tenant_slug": job["tenant_slug"],
    }


def _orm_sync(job: dict[str, Any]) -> dict[str, Any]:
    clock, n = Clock(), job["n"]
    with AxHub(**_hub_kwargs(job)) as hub:
        app = hub.apps.get(job["app_id"])
        table, paged = app.tables.get(job["table"]), app.tables.get(job["page_table"])
        query = table.rows.filter(**COUNT_FILTERS)
        with clock.measure("insert"):
            rows = [table.rows.create(**body) for body in job["bodies"][:n]]
        with clock.measure("get"):
            for row in rows:
                table.rows.get(row.id)
        with clock.measure("patch"):
            for i, row in enumerate(rows):
                row["status"] = f"s{i}"
                row.save()
        with clock.measure("count"):
            for _ in range(n):
                query.count()
        with clock.measure("page"):
            for _ in range(job["pages"]):
                if len(list(paged.rows[:100])) != 100:
                    raise RuntimeError("a page did not hold 100 rows")
    return clock.result()


async def _orm_async_run(job: dict[str, Any]) -> dict[str, Any]:
    clock, n = Clock(), job["n"]
    async with AsyncAxHub(**_hub_kwargs(job)) as hub:
        app = await hub.apps.get(job["app_id"])
        table, paged = await app.tables.get(job["table"]), await app.tables.get(job["page_table"])
        query = table.rows.filter(**COUNT_FILTERS)
        with clock.measure("insert"):
            rows = [await table.rows.create(**body) for body in job["bodies"][:n]]
        with clock.measure("get"):
            for row in rows:
                await table.rows.get(row.id)
        with clock.measure("patch"):
            for i, row in enumerate(rows):
                row["status"] = f"s{i}"
                await row.save()
        with clock.measure("count"):
            for _ in range(n):
                await query.count()
        with clock.measure("page"):
            for _ in range(job["pages"]):
                if len([row async for row in paged.rows[:100]]) != 100:
                    raise RuntimeError("a page did not hold 100 rows")
    return clock.result()


def _httpx(job: dict[str, Any]) -> dict[str, Any]:
    """The same workloads by hand: auth header on the client, ``json=``, ``.json()``."""
    clock, n = Clock(), job["n"]
    data = f"/data/{job['tenant_slug']}/{job['app_slug']}/{job['table']}"
    paged = f"/data/{job['tenant_slug']}/{job['app_slug']}/{job['page_table']}"
    headers = {"X-Api-Key": job["token"], "Accept": "application/json"}
    with httpx.Client(base_url=job["base_url"], headers=headers) as client:

        def call(method: str, path: str, **kwargs: Any) -> Any:
            response = client.request(method, path, **kwargs)
            response.raise_for_status()
            return response.json()

        with clock.measure("insert"):
            ids = [call("POST", data, json=body)["id"] for body in job["bodies"][:n]]
        with clock.measure("get"):
            for row_id in ids:
                call("GET", f"{data}/{row_id}")
        with clock.measure("patch"):
            for i, row_id in enumerate(ids):
                call("PATCH", f"{data}/{row_id}", json={"status": f"s{i}"})
        with clock.measure("count"):
            for _ in range(n):
                call("GET", f"{data}/_count", params=COUNT_QUERY)
        with clock.measure("page"):
            for _ in range(job["pages"]):
                if len(call("GET", paged, params={"page": 1, "per_page": 100})["items"]) != 100:
                    raise RuntimeError("a page did not hold 100 rows")
    return clock.result()


async def _concurrency_run(job: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with AsyncAxHub(**_hub_kwargs(job)) as hub:
        table = await (await hub.apps.get(job["app_id"])).tables.get(job["table"])
        row_id = (await table.rows.first()).id  # type: ignore[union-attr]
        for level in job["levels"]:
            semaphore = asyncio.Semaphore(level)

            async def one() -> None:
                async with semaphore:  # noqa: B023  # used before the loop moves on
                    await table.rows.get(row_id)

            await asyncio.gather(*(one() for _ in range(level)))  # warm the pool up
            wall, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(one() for _ in range(job["n"])))
            out[str(level)] = {
                "seconds": time.perf_counter() - wall,
                "cpu": time.process_time() - cpu,
            }
    return out


def _construct(job: dict[str, Any]) -> dict[str, Any]:
    """Milliseconds to build ``AxHub()``: the first of the process, then the median of more."""
    out: dict[str, Any] = {}
    for scheme in ("http", "https"):
        url = f"{scheme}://127.0.0.1:9"
        times = []
        for _ in range(job.get("n", 50) + 1):
            start = time.perf_counter()
            hub = AxHub(base_url=url)
            times.append((time.perf_counter() - start) * 1000)
            hub.close()
        out[scheme] = {"first_ms": times[0], "median_ms": statistics.median(times[1:])}
    return out


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job."""
    runners: dict[str, Callable[[dict[str, Any]], Any]] = {
        "orm_sync": _orm_sync,
        "orm_async": lambda j: asyncio.run(_orm_async_run(j)),
        "httpx": _httpx,
        "concurrency": lambda j: asyncio.run(_concurrency_run(j)),
        "construct": _construct,
    }
    key = job["client"] if job["kind"] == "workloads" else job["kind"]
    result: dict[str, Any] = runners[key](job)
    return result


def main() -> None:
    """Read the job on stdin, print the result as JSON."""
    json.dump(run(json.load(sys.stdin)), sys.stdout)


if __name__ == "__main__":
    main()
