"""Section 2: end to end against the emulator over loopback — ORM sync, ORM async, seed SDK.

The emulator runs in a process of its own (``run.py --serve-emulator``) so that no client shares
a GIL with the server; each client gets a fresh table per repeat in one shared app. The seed SDK
(``axhub-sdk==0.3.1``) lives in a separate venv and runs in a subprocess
(``seed_client.py``); it is never a dependency of this project.

Each run is made twice: over plain HTTP, and over HTTPS with a throwaway self-signed certificate
(``openssl``), as ``https://api.axhub.ai`` is served — where a client that opens a connection
per request pays a TLS handshake every time.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from _canned import COLUMN_DEFS, insert_values
from _emulator import client_kwargs, emulator_process
from _report import divide, median

from axhub_orm import AsyncAxHub, AsyncTable, AxHub, Column, Table

__all__ = [
    "CLIENTS",
    "WORKLOADS",
    "Counts",
    "E2EResult",
    "ensure_seed_venv",
    "run_e2e",
]

HERE = Path(__file__).resolve().parent
SEED_REQUIREMENT = "axhub-sdk==0.3.1"
CONCURRENCY = 8
WORKLOADS = ("insert", "get", "scan", "count")
CLIENTS = ("orm_sync", "orm_async", "seed")
COUNT_FILTERS: dict[str, object] = {"status": "new", "priority__gte": 3}
SEED_COUNT_QUERY = {"status": "eq.new", "priority": "gte.3"}

T = TypeVar("T")


@dataclass(frozen=True)
class Counts:
    """How many operations of each workload one client runs per repeat."""

    inserts: int
    gets: int
    scans: int
    counts: int

    def of(self, workload: str) -> int:
        """The operation count of ``workload``."""
        return {"insert": self.inserts, "get": self.gets, "scan": self.scans, "count": self.counts}[
            workload
        ]


@dataclass
class E2EResult:
    """Seconds per workload, per client, one dict per repeat."""

    counts: Counts
    seed_version: str | None = None
    seconds: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    cpu: dict[str, list[dict[str, float]]] = field(default_factory=dict)

    def add(self, client: str, clock: Clock) -> None:
        """Record one repeat of ``client``."""
        self.seconds.setdefault(client, []).append(clock.seconds)
        self.cpu.setdefault(client, []).append(clock.cpu)

    def cpu_us_per_op(self, client: str, workload: str) -> float:
        """Median over repeats of the client's own CPU µs per operation."""
        runs = self.cpu.get(client, [])
        return median([run[workload] / self.counts.of(workload) * 1e6 for run in runs])

    def ops_per_second(self, client: str, workload: str) -> float:
        """Median over repeats of operations per second."""
        runs = self.seconds.get(client, [])
        return median([self.counts.of(workload) / run[workload] for run in runs])

    def total_seconds(self, client: str) -> float:
        """Median over repeats of the time all four workloads took."""
        return median([sum(run.values()) for run in self.seconds.get(client, [])])

    def speedup(self, client: str, workload: str | None = None) -> float:
        """Throughput of ``client`` over the seed SDK's (``None``: all workloads together)."""
        if workload is None:
            return divide(self.total_seconds("seed"), self.total_seconds(client))
        return divide(self.ops_per_second(client, workload), self.ops_per_second("seed", workload))

    def as_dict(self) -> dict[str, Any]:
        """The raw figures for ``results.json``."""
        clients = [c for c in CLIENTS if c in self.seconds]
        return {
            "counts": self.counts.__dict__,
            "concurrency_async": CONCURRENCY,
            "seed_version": self.seed_version,
            "seconds_per_repeat": self.seconds,
            "client_cpu_seconds_per_repeat": self.cpu,
            "client_cpu_us_per_op_median": {
                c: {w: self.cpu_us_per_op(c, w) for w in WORKLOADS} for c in clients
            },
            "ops_per_second_median": {
                c: {w: self.ops_per_second(c, w) for w in WORKLOADS} for c in clients
            },
            "speedup_vs_seed": (
                {c: {w: self.speedup(c, w) for w in (*WORKLOADS, None)} for c in clients}
                if "seed" in self.seconds
                else None
            ),
        }


# --- the seed SDK venv ------------------------------------------------------------------------


def _has_seed(python: Path) -> bool:
    if not python.exists():
        return False
    probe = subprocess.run(  # noqa: S603  # the venv's own interpreter
        [str(python), "-c", "import axhub_sdk"], capture_output=True, check=False
    )
    return probe.returncode == 0


def ensure_seed_venv(venv: Path) -> Path:
    """The seed venv's interpreter, creating the venv and installing the seed SDK if needed."""
    python = venv / "bin" / "python"
    if _has_seed(python):
        return python
    print(f"creating {venv} with {SEED_REQUIREMENT} ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # noqa: S603
    subprocess.run(  # noqa: S603  # pip of the venv we just created
        [str(python), "-m", "pip", "install", "--quiet", SEED_REQUIREMENT], check=True
    )
    return python


def _run_seed(python: Path, job: dict[str, Any], cafile: str | None) -> dict[str, Any]:
    # urllib's default context trusts SSL_CERT_FILE, so the seed verifies our certificate.
    env = dict(os.environ) if cafile is None else {**os.environ, "SSL_CERT_FILE": cafile}
    done = subprocess.run(  # noqa: S603  # our own script in the seed venv
        [str(python), str(HERE / "seed_client.py")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the seed client failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# --- the ORM clients --------------------------------------------------------------------------


@dataclass
class Clock:
    """Wall and client-CPU seconds per workload (CPU: this process only, not the server)."""

    seconds: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        """Time the block as workload ``name``."""
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.seconds[name] = time.perf_counter() - wall
        self.cpu[name] = time.process_time() - cpu


def _orm_sync(table: Table, bodies: list[dict[str, Any]], counts: Counts) -> Clock:
    clock = Clock()
    with clock.measure("insert"):
        ids = [str(table.rows.create(**b).id) for b in bodies]
    with clock.measure("get"):
        for row_id in ids[: counts.gets]:
            table.rows.get(row_id)
    with clock.measure("scan"):
        for _ in range(counts.scans):
            if sum(1 for _ in table.rows) != len(ids):
                raise RuntimeError("a scan did not see every row")
    query = table.rows.filter(**COUNT_FILTERS)
    with clock.measure("count"):
        for _ in range(counts.counts):
            query.count()
    return clock


async def _gather(calls: list[Callable[[], Awaitable[T]]]) -> list[T]:
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def limited(call: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await call()

    return await asyncio.gather(*(limited(call) for call in calls))


async def _orm_async(table: AsyncTable, bodies: list[dict[str, Any]], counts: Counts) -> Clock:
    clock = Clock()

    async def timed(name: str, calls: list[Callable[[], Awaitable[T]]]) -> list[T]:
        with clock.measure(name):
            return await _gather(calls)

    def create(body: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
        return lambda: table.rows.create(**body)

    def get(row_id: str) -> Callable[[], Awaitable[Any]]:
        return lambda: table.rows.get(row_id)

    async def scan() -> int:
        return len([row async for row in table.rows])

    rows = await timed("insert", [create(b) for b in bodies])
    await timed("get", [get(str(r.id)) for r in rows[: counts.gets]])
    seen = await timed("scan", [scan for _ in range(counts.scans)])
    if any(n != len(rows) for n in seen):
        raise RuntimeError("a scan did not see every row")
    query = table.rows.filter(**COUNT_FILTERS)
    await timed("count", [query.count for _ in range(counts.counts)])
    return clock


def _verify(creds: dict[str, str]) -> ssl.SSLContext | bool:
    cafile = creds.get("cafile")
    return True if cafile is None else ssl.create_default_context(cafile=cafile)


def _sync_hub(creds: dict[str, str]) -> AxHub:
    transport = httpx.HTTPTransport(verify=_verify(creds))
    return AxHub(**client_kwargs(creds), transport=transport)


def _async_hub(creds: dict[str, str]) -> AsyncAxHub:
    transport = httpx.AsyncHTTPTransport(verify=_verify(creds))
    return AsyncAxHub(**client_kwargs(creds), transport=transport)


def _new_table(hub: AxHub, app_id: str, name: str) -> Table:
    columns = tuple(
        Column(c["name"], c["type"], nullable=c["nullable"], default=c["default"])
        for c in COLUMN_DEFS
    )
    return hub.apps.get(app_id).tables.create(name, columns=columns, owner_column="owner_id")


async def _run_async_client(
    creds: dict[str, str], app_id: str, name: str, bodies: list[dict[str, Any]], counts: Counts
) -> Clock:
    async with _async_hub(creds) as hub:
        table = await (await hub.apps.get(app_id)).tables.get(name)
        return await _orm_async(table, bodies, counts)


def run_e2e(
    *,
    counts: Counts,
    repeats: int,
    seed_python: Path | None,
    progress: Callable[[str], None],
    tls_dir: str | None = None,
) -> E2EResult:
    """Run every client ``repeats`` times (interleaved) against one emulator process."""
    result = E2EResult(counts=counts)
    with emulator_process(tls_dir) as creds, _sync_hub(creds) as admin:
        user = creds["user_id"]
        bodies = [insert_values(i) | {"owner_id": user} for i in range(counts.inserts)]
        app = admin.apps.create(slug=f"bench-{int(time.time())}", name="benchmark")
        app_id = str(app.id)
        for rep in range(repeats):
            progress(f"e2e repeat {rep + 1}/{repeats}: orm_sync")
            table = _new_table(admin, app_id, f"sync_{rep}")
            with _sync_hub(creds) as hub:
                own = hub.apps.get(app_id).tables.get(table.name)
                result.add("orm_sync", _orm_sync(own, bodies, counts))
            progress(f"e2e repeat {rep + 1}/{repeats}: orm_async")
            table = _new_table(admin, app_id, f"async_{rep}")
            result.add(
                "orm_async",
                asyncio.run(_run_async_client(creds, app_id, table.name, bodies, counts)),
            )
            if seed_python is None:
                continue
            progress(f"e2e repeat {rep + 1}/{repeats}: seed")
            table = _new_table(admin, app_id, f"seed_{rep}")
            job = {
                **creds,
                "app_slug": app.slug,
                "table": table.name,
                "bodies": bodies,
                "gets": counts.gets,
                "scans": counts.scans,
                "counts": counts.counts,
                "count_query": SEED_COUNT_QUERY,
            }
            seed = _run_seed(seed_python, job, creds.get("cafile"))
            result.seed_version = seed["version"]
            result.add("seed", Clock(seconds=seed["seconds"], cpu=seed["cpu"]))
    return result
