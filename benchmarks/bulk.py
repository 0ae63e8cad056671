"""Many rows over a slow link (issue #12): bulk writes, set operations, scan, q.delete memory.

Runs standalone (``python benchmarks/bulk.py``) or from ``run.py`` through :func:`run`. The
emulator serves in its own process (``_emulator.py``) behind a loopback proxy adding a fixed
round trip (``_delay_proxy.py``, 20 ms by default), so a request costs what it would against a
hub 20 ms away. Figures are wall-clock seconds measured side by side in one run, each with its
ratio to the round-trip floor: ``N / concurrency x RTT`` for N writes (no client can beat it
with ``concurrency`` requests in flight), ``pages x RTT`` for a read.

Reported (the "Done when" of #12):

- ``bulk_create`` of 1,000 rows at the default concurrency, sync and async, against the floor
  ``1000 / 16 x RTT`` and against the one-at-a-time loop (``rows.create`` in a loop) and the
  seed SDK's ``insert_many`` (a serial loop; run in ``benchmarks/.venv-seed``), both measured
  on ``--serial-n`` rows and scaled to 1,000 (marked as scaled);
- ``q.update()`` over 1,000 rows;
- ``scan()`` of 5,000 rows vs iterating them;
- the ``tracemalloc`` peak of ``q.delete()`` over ``--delete-n`` rows vs ``--delete-small``
  rows (against the emulator directly: the figure is memory, not time).

Usage::

    python benchmarks/bulk.py                     # everything (about 5 minutes)
    python benchmarks/bulk.py --quick             # smaller N, no seed SDK (under a minute)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _delay_proxy import delay_proxy  # noqa: E402
from _emulator import client_kwargs, emulator_process  # noqa: E402

from axhub_orm import DEFAULT_CONCURRENCY, AsyncAxHub, AxHub, Column  # noqa: E402
from axhub_orm.testing import unique_slug  # noqa: E402

COLUMNS = [Column("owner_id", "uuid", nullable=False), Column("n", "int"), Column("s", "text")]
SEED_BULK = HERE / "_seed_bulk.py"


def _values(count: int) -> Iterator[dict[str, Any]]:
    return ({"n": n, "s": "pending"} for n in range(count))


@contextmanager
def _timed(into: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    into[name] = time.perf_counter() - start


def _table(hub: AxHub, name: str) -> Any:
    app = hub.apps.create(slug=unique_slug("bulkbench"), name="bulk benchmark")
    return app.tables.create(name, columns=COLUMNS, owner_column="owner_id")


def _writes(base_url: str, creds: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Every timed figure over the delayed link."""
    kwargs = {**client_kwargs(creds), "base_url": base_url}
    seconds: dict[str, float] = {}
    with AxHub(**kwargs) as hub:
        table = _table(hub, "writes")
        rows = table.rows
        with _timed(seconds, "bulk_create_sync"):
            created = rows.bulk_create(_values(args.n))
        assert len(created) == args.n
        with _timed(seconds, "q_update"):
            assert rows.filter(s="pending").update(s="closed") == args.n
        with _timed(seconds, "serial_create"):
            for values in _values(args.serial_n):
                rows.create(**values)
        scan_table = _table(hub, "scan")
        scan_table.rows.bulk_create(_values(args.scan_n))
        with _timed(seconds, "iterate"):
            assert sum(1 for _ in scan_table.rows) == args.scan_n
        with _timed(seconds, "scan"):
            assert sum(1 for _ in scan_table.rows.scan(concurrency=8)) == args.scan_n
        app_slug, table_name = table.app.slug, table.name
    seconds["bulk_create_async"] = asyncio.run(_async_create(kwargs, table_name, app_slug, args.n))
    return {"seconds": seconds, "app_slug": app_slug, "table": table_name}


async def _async_create(
    kwargs: dict[str, Any], table_name: str, app_slug: str, count: int
) -> float:
    async with AsyncAxHub(**kwargs) as hub:
        app = next(a for a in await hub.apps.list() if a.slug == app_slug)
        rows = (await app.tables.get(table_name)).rows
        start = time.perf_counter()
        created = await rows.bulk_create(_values(count))
        elapsed = time.perf_counter() - start
        assert len(created) == count
        return elapsed


def _seed_insert_many(
    base_url: str, creds: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any] | None:
    """The seed SDK's ``insert_many`` of ``serial_n`` rows, in the seed venv (None: skipped)."""
    if args.no_seed:
        return None
    from _compare import ensure_seed_venv  # only when the seed SDK is wanted

    python = ensure_seed_venv(Path(args.seed_venv))
    with AxHub(**{**client_kwargs(creds), "base_url": creds["base_url"]}) as hub:
        table = _table(hub, "seed")
    job = {
        **client_kwargs(creds),
        "base_url": base_url,
        "app_slug": table.app.slug,
        "table": table.name,
        "bodies": list(_values(args.serial_n)),
    }
    done = subprocess.run(  # noqa: S603  # our own script in the seed venv
        [str(python), str(SEED_BULK)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the seed SDK run failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _delete_peak(creds: dict[str, Any], count: int) -> tuple[float, int]:
    """(seconds, tracemalloc peak bytes) of ``q.delete()`` over ``count`` rows (no delay)."""
    with AxHub(**client_kwargs(creds)) as hub:
        rows = _table(hub, f"del{count}").rows
        rows.bulk_create(_values(count), concurrency=DEFAULT_CONCURRENCY)
        tracemalloc.start()
        start = time.perf_counter()
        deleted = rows.delete()
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert deleted == count
        assert rows.count() == 0
        return elapsed, peak


def run(args: argparse.Namespace, out: Callable[[str], object] = print) -> dict[str, Any]:
    """Measure everything; print a markdown report through ``out``; return the figures."""
    rtt = args.rtt_ms / 1000
    with emulator_process() as creds:
        with delay_proxy(creds["base_url"], rtt_ms=args.rtt_ms) as slow_url:
            writes = _writes(slow_url, creds, args)
            seed = _seed_insert_many(slow_url, creds, args)
        small = _delete_peak(creds, args.delete_small)
        large = _delete_peak(creds, args.delete_n)
    s = writes["seconds"]
    write_floor = args.n / DEFAULT_CONCURRENCY * rtt
    scale = args.n / args.serial_n
    scan_pages = -(-args.scan_n // 100)
    figures: dict[str, Any] = {
        "rtt_ms": args.rtt_ms,
        "n": args.n,
        "seconds": s,
        "write_floor": write_floor,
        "serial_scaled": s["serial_create"] * scale,
        "seed_insert_many_scaled": None if seed is None else seed["seconds"] * scale,
        "seed_version": None if seed is None else seed["version"],
        "delete_peak": {args.delete_small: small[1], args.delete_n: large[1]},
        "delete_seconds": {args.delete_small: small[0], args.delete_n: large[0]},
    }
    out(f"\n### Many rows over a {args.rtt_ms:g} ms round trip (emulator in its own process)\n")
    out("| workload | seconds | floor (s) | floor / time | notes |")
    out("|---|---:|---:|---:|---|")
    for key, label in (("bulk_create_sync", "sync"), ("bulk_create_async", "async")):
        out(
            f"| `bulk_create` {args.n} rows, {label}, concurrency {DEFAULT_CONCURRENCY} "
            f"| {s[key]:.2f} | {write_floor:.2f} | {write_floor / s[key]:.0%} | "
            f"{figures['serial_scaled'] / s[key]:.1f}x faster than the create loop |"
        )
    out(
        f"| `rows.create` loop ({args.serial_n} rows, x{scale:g} to {args.n}) "
        f"| {figures['serial_scaled']:.2f} | {args.n * rtt:.2f} | "
        f"{args.n * rtt / figures['serial_scaled']:.0%} | one request at a time (scaled) |"
    )
    if seed is not None:
        seed_scaled = figures["seed_insert_many_scaled"]
        out(
            f"| seed SDK {seed['version']} `insert_many` ({args.serial_n} rows, x{scale:g}) "
            f"| {seed_scaled:.2f} | {args.n * rtt:.2f} | {args.n * rtt / seed_scaled:.0%} | "
            f"serial loop (scaled); `bulk_create` sync is "
            f"{seed_scaled / s['bulk_create_sync']:.1f}x faster |"
        )
    update_floor = write_floor + (args.n // 100 + 1) * rtt
    out(
        f"| `q.update()` over {args.n} rows | {s['q_update']:.2f} | {update_floor:.2f} | "
        f"{update_floor / s['q_update']:.0%} | PATCHes at {DEFAULT_CONCURRENCY}, ids read by key |"
    )
    out(
        f"| `scan(concurrency=8)` of {args.scan_n} rows | {s['scan']:.2f} | "
        f"{scan_pages / 8 * rtt:.2f} | {scan_pages / 8 * rtt / s['scan']:.0%} | "
        f"{s['iterate'] / s['scan']:.1f}x faster than iterating |"
    )
    out(
        f"| iterating {args.scan_n} rows | {s['iterate']:.2f} | {scan_pages * rtt:.2f} | "
        f"{scan_pages * rtt / s['iterate']:.0%} | one page of 100 per round trip |"
    )
    out("\n| `q.delete()` (no delay) | rows | seconds | tracemalloc peak |")
    out("|---|---:|---:|---:|")
    for count, (elapsed, peak) in ((args.delete_small, small), (args.delete_n, large)):
        out(f"| | {count} | {elapsed:.1f} | {peak / 1024:.0f} KiB |")
    out(
        f"\npeak ratio {args.delete_n} / {args.delete_small} rows: {large[1] / small[1]:.2f} "
        f"(rows ratio {args.delete_n / args.delete_small:g})"
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small N, no seed SDK")
    parser.add_argument("--rtt-ms", type=float, default=20.0)
    parser.add_argument("--n", type=int, default=1000, help="rows for bulk_create / q.update")
    parser.add_argument("--serial-n", type=int, default=200, help="rows of the serial loops")
    parser.add_argument("--scan-n", type=int, default=5000)
    parser.add_argument("--delete-n", type=int, default=100_000)
    parser.add_argument("--delete-small", type=int, default=10_000)
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--seed-venv", default=str(HERE / ".venv-seed"))
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.serial_n, args.scan_n = 300, 50, 1000
        args.delete_n, args.delete_small, args.no_seed = 5000, 500, True
    figures = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
