"""cProfile of the ORM's request path against the emulator in its own process.

Only the client is profiled (the server runs in a child process, see ``_emulator.py``), and the
profiler's clock is the process CPU time, so waiting for the server and being preempted on a
shared machine do not count. Each operation runs ``n`` times without the profiler (the client
CPU per operation) and ``n`` times under it; the summary gives the split of own time by package
(grouped by the file a function lives in) and the top functions by own time.
``python benchmarks/_profile.py`` prints it for sync get, insert, 100-row page, count and async
get (8 concurrent).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from _canned import COLUMN_DEFS, insert_values
from _emulator import client_kwargs, emulator_process

from axhub_orm import AsyncAxHub, AxHub, Column, Table

__all__ = ["ProfileSummary", "profile_all"]

GROUPS = (
    ("axhub_orm", "/axhub_orm/"),
    ("httpx", "/httpx/"),
    ("httpcore", "/httpcore/"),
    ("h11", "/h11/"),
    ("anyio", "/anyio/"),
    ("asyncio", "/asyncio/"),
    ("json", "/json/"),
    ("ssl", "/ssl.py"),
)


def _group(filename: str) -> str:
    for name, marker in GROUPS:
        if marker in filename:
            return name
    if filename == "~":
        return "builtins (C)"
    return "other Python"


@dataclass
class ProfileSummary:
    """One operation's profile: CPU per op, own-time share per package, top functions."""

    name: str
    ops: int
    cpu_us_per_op: float
    bare_cpu_us_per_op: float
    shares: dict[str, float]
    top: str

    def text(self) -> str:
        """A short markdown-friendly summary."""
        split = ", ".join(f"{k} {v:.0%}" for k, v in self.shares.items() if v >= 0.01)
        return (
            f"{self.name}: {self.bare_cpu_us_per_op:,.0f} µs client CPU per op without the "
            f"profiler ({self.cpu_us_per_op:,.0f} under cProfile, {self.ops} ops); "
            f"own time by package: {split}\n{self.top}"
        )


def _summarize(
    name: str, ops: int, cpu: float, bare: float, profiler: cProfile.Profile, top: int
) -> ProfileSummary:
    stats = pstats.Stats(profiler)
    by_group: dict[str, float] = {}
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, _func), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        group = _group(filename)
        by_group[group] = by_group.get(group, 0.0) + tottime
    total = sum(by_group.values()) or 1.0
    shares = {k: v / total for k, v in sorted(by_group.items(), key=lambda kv: -kv[1])}
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    body = "\n".join(lines[lines.index(next(ln for ln in lines if "ncalls" in ln)) :])
    return ProfileSummary(name, ops, cpu / ops * 1e6, bare / ops * 1e6, shares, body)


def _profile_sync(name: str, func: Callable[[], Any], ops: int, top: int) -> ProfileSummary:
    func()
    cpu = time.process_time()
    for _ in range(ops):
        func()
    bare = time.process_time() - cpu
    profiler = cProfile.Profile(time.process_time)
    cpu = time.process_time()
    profiler.enable()
    for _ in range(ops):
        func()
    profiler.disable()
    return _summarize(name, ops, time.process_time() - cpu, bare, profiler, top)


def _table(hub: AxHub, user: str) -> Table:
    app = hub.apps.create(slug=f"prof-{int(time.time() * 1000)}", name="profile")
    columns = tuple(
        Column(c["name"], c["type"], nullable=c["nullable"], default=c["default"])
        for c in COLUMN_DEFS
    )
    table = app.tables.create("tickets", columns=columns, owner_column="owner_id")
    for i in range(120):
        table.rows.create(**(insert_values(i) | {"owner_id": user}))
    return table


def profile_all(ops: int = 300, top: int = 14) -> list[ProfileSummary]:
    """Profile the ORM's sync verbs and async get against a fresh emulator process."""
    out = []
    with emulator_process() as creds, AxHub(**client_kwargs(creds)) as hub:
        table = _table(hub, creds["user_id"])
        row_id = str(next(iter(table.rows)).id)
        body = insert_values(7) | {"owner_id": creds["user_id"]}
        query = table.rows.filter(status="new", priority__gte=3)
        out.append(_profile_sync("sync get", lambda: table.rows.get(row_id), ops, top))
        out.append(_profile_sync("sync insert", lambda: table.rows.create(**body), ops, top))
        out.append(
            _profile_sync("sync 100-row page", lambda: list(table.rows[:100]), ops // 5, top)
        )
        out.append(_profile_sync("sync count", query.count, ops, top))

        out.append(_async_get(creds, table, row_id, ops, top))
    return out


def _async_get(creds: dict[str, str], table: Table, row_id: str, ops: int, top: int) -> Any:
    async def run() -> ProfileSummary:
        async with AsyncAxHub(**client_kwargs(creds)) as ahub:
            atable = await (await ahub.apps.get(str(table.app_id))).tables.get(table.name)
            await atable.rows.get(row_id)
            semaphore = asyncio.Semaphore(8)

            async def one() -> None:
                async with semaphore:
                    await atable.rows.get(row_id)

            cpu = time.process_time()
            await asyncio.gather(*(one() for _ in range(ops)))
            bare = time.process_time() - cpu
            profiler = cProfile.Profile(time.process_time)
            cpu = time.process_time()
            profiler.enable()
            await asyncio.gather(*(one() for _ in range(ops)))
            profiler.disable()
            spent = time.process_time() - cpu
            return _summarize("async get (8 concurrent)", ops, spent, bare, profiler, top)

    return asyncio.run(run())


def main() -> None:
    """Print the summaries."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--top", type=int, default=14)
    args = parser.parse_args()
    for summary in profile_all(args.ops, args.top):
        print(summary.text())
        print()


if __name__ == "__main__":
    main()
