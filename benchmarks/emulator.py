"""Benchmark of the emulator itself (issue #14 item 5, issue #16): server in its own process.

Each subject — an ``axhub_orm`` source tree, a store and uvicorn's parser/loop — is seeded
(``_emulator_seed.py``, under that tree), served in a process of its own
(``_emulator.py``) and measured over loopback with a lean load generator
(``_loadgen.py``, raw keep-alive sockets):

- single-row ``GET /data/…/{id}`` requests/s at 1 and 8 connections, the median of
  ``--rounds`` windows interleaved across subjects (so load on a shared machine hits all
  alike), and the server process's CPU time per request over those windows;
- ``count`` of user A's 1,000 rows in an owner-scoped table that also holds ``--big`` rows of
  user B, against the same count in a table of only A's 1,000 rows (median latency, ratio);
- full iteration (100 rows a page) of B's ``--big`` rows against B's ``--small`` rows: by key
  (``sort=id&id=gt.<last>``, as the ORM's exact iteration sends) and by page number;
- the server's RSS after all that, per stored row.

The default subjects are the tree before the emulator speed work (``--baseline``, on plain
uvicorn as installed then), this tree on plain uvicorn (h11 + asyncio), and this tree as
installed (``uvicorn[standard]``: httptools + uvloop); ``--postgres DSN`` (or
``AXHUB_TEST_POSTGRES``) adds this tree on PostgreSQL. All run side by side in one run.

Usage::

    python benchmarks/emulator.py --quick          # 10k/1k rows, short rate windows
    python benchmarks/emulator.py                  # 50k/5k rows
    python benchmarks/emulator.py --big 100000 --small 10000 --postgres postgresql://…
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _emulator import emulator_process, process_cpu, process_rss  # noqa: E402
from _loadgen import RawConnection, requests_per_second  # noqa: E402
from _report import divide, format_table  # noqa: E402

DEFAULT_BASELINE = "785bb25"  # main just before the store boundary and the speed work


@dataclass
class Subject:
    """One thing to measure: a source tree (``None``: this one), a store, a parser/loop."""

    label: str
    src: Path | None = None
    postgres: str | None = None
    http: str | None = None
    loop: str | None = None
    figures: dict[str, float] = field(default_factory=dict)
    rounds: dict[str, list[float]] = field(default_factory=dict)
    seed: dict[str, Any] = field(default_factory=dict)
    creds: dict[str, Any] = field(default_factory=dict)


def _log(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


@contextmanager
def _tree_at(revision: str) -> Iterator[Path]:
    """The ``src`` folder of ``revision`` of this repository, extracted to a temporary dir."""
    with tempfile.TemporaryDirectory(prefix="axhub-bench-src-") as folder:
        archive = Path(folder) / "src.tar"
        command = ["git", "-C", str(HERE.parent), "archive", "-o", str(archive), revision, "src"]
        subprocess.run(command, check=True)  # noqa: S603  # git, on this repository
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder) / "src"


def _env(src: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def _seed(subject: Subject, target: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, str(HERE / "_emulator_seed.py")]
    command += [f"--{k}={v}" for k, v in target.items()]
    command += [f"--big={args.big}", f"--small={args.small}", f"--mine={args.mine}"]
    done = subprocess.run(  # noqa: S603  # our own script
        command, check=True, capture_output=True, text=True, env=_env(subject.src)
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _median_ms(conn: RawConnection, target: str, times: int) -> float:
    raw = conn.request_bytes("GET", target)
    conn.send(raw)
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        status, _ = conn.send(raw)
        samples.append(time.perf_counter() - start)
        if status != 200:
            raise RuntimeError(f"GET {target} answered {status}")
    return statistics.median(samples) * 1000


def _iterate(conn: RawConnection, base: str, by_key: bool) -> tuple[float, int]:
    """Seconds to read every row of ``base`` 100 a page, and the rows read."""
    start = time.perf_counter()
    rows, page, last = 0, 1, None
    while True:
        if by_key:
            target = f"{base}?sort=id&per_page=100" + (f"&id=gt.{last}" if last else "")
        else:
            target = f"{base}?per_page=100&page={page}"
        status, body = conn.get(target)
        if status != 200:
            raise RuntimeError(f"GET {target} answered {status}: {body[:200]!r}")
        answer = json.loads(body)
        rows += len(answer["items"])
        if not answer["has_more"]:
            return time.perf_counter() - start, rows
        page += 1
        last = answer["items"][-1]["id"]


def _paths(seed: dict[str, Any]) -> tuple[str, dict[str, str], dict[str, str]]:
    data = f"/data/{seed['tenant_slug']}/{seed['app_slug']}"
    return data, {"X-Api-Key": seed["a_token"]}, {"X-Api-Key": seed["b_token"]}


def _rate_round(subject: Subject, args: argparse.Namespace) -> None:
    """One window of single-row GETs at 1 and at 8 connections, with the server's CPU time."""
    data, a_headers, _ = _paths(subject.seed)
    single = f"{data}/mine/{subject.seed['a_row']}"
    pid = int(subject.creds["pid"])
    for connections in (1, 8):
        cpu = process_cpu(pid)
        rate = requests_per_second(
            subject.creds["base_url"], a_headers, single, connections, args.seconds
        )
        used = process_cpu(pid) - cpu
        subject.rounds.setdefault(f"rps_{connections}", []).append(rate)
        subject.rounds.setdefault(f"cpu_us_{connections}", []).append(
            divide(used * 1e6, rate * args.seconds)
        )


def _measure(subject: Subject, args: argparse.Namespace) -> None:
    """Counts, iterations and RSS of one subject (after its rate rounds)."""
    figures, seed, base_url = subject.figures, subject.seed, subject.creds["base_url"]
    for key, values in subject.rounds.items():
        figures[key] = statistics.median(values)
    data, a_headers, b_headers = _paths(seed)
    a_conn, b_conn = RawConnection(base_url, a_headers), RawConnection(base_url, b_headers)
    pid = int(subject.creds["pid"])
    try:
        _log(f"{subject.label}: counts")
        for name, table in (("beside", "big"), ("alone", "mine")):
            cpu = process_cpu(pid)
            figures[f"count_{name}_ms"] = _median_ms(a_conn, f"{data}/{table}/_count", args.counts)
            figures[f"count_{name}_cpu_ms"] = (process_cpu(pid) - cpu) * 1000 / (args.counts + 1)
        for mode, by_key in (("key", True), ("page", False)):
            _log(f"{subject.label}: iteration by {mode}")
            for name, table, expected in (("big", "big", args.big), ("small", "small", args.small)):
                cpu = process_cpu(pid)
                figures[f"iter_{mode}_{name}_s"], rows = _iterate(b_conn, f"{data}/{table}", by_key)
                figures[f"iter_{mode}_{name}_cpu_s"] = process_cpu(pid) - cpu
                if rows != expected:
                    raise RuntimeError(f"iteration of {table} read {rows} rows, not {expected}")
    finally:
        a_conn.close()
        b_conn.close()
    rss = process_rss(int(subject.creds["pid"]))
    figures["rss_mb"] = rss / 2**20
    figures["rss_per_row_b"] = rss / (args.big + args.small + 3 * args.mine)


def _target(subject: Subject, folder: str) -> dict[str, str]:
    if subject.postgres is not None:
        return {"store": subject.postgres, "schema": f"axbench_{uuid.uuid4().hex[:10]}"}
    return {"db": str(Path(folder) / f"bench-{uuid.uuid4().hex[:8]}.sqlite3")}


def run_all(subjects: list[Subject], args: argparse.Namespace) -> None:
    """Seed and serve every subject at once; interleave the rate rounds; then the rest."""
    with tempfile.TemporaryDirectory(prefix="axhub-bench-db-") as folder, ExitStack() as stack:
        for subject in subjects:
            target = _target(subject, folder)
            if subject.postgres is not None:
                stack.callback(_drop_schema, subject.postgres, target["schema"])
            _log(f"{subject.label}: seeding {args.big + args.small + 2 * args.mine} rows")
            subject.seed = _seed(subject, target, args)
            subject.creds = stack.enter_context(
                emulator_process(
                    extra=target, src=subject.src, http=subject.http, loop=subject.loop
                )
            )
        for number in range(args.rounds):
            for subject in subjects:
                _log(f"{subject.label}: single-row GET, round {number + 1}/{args.rounds}")
                _rate_round(subject, args)
        for subject in subjects:
            _measure(subject, args)


def _drop_schema(dsn: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


_ROWS = [
    ("single-row GET, 1 connection (req/s)", "rps_1", "{:.0f}"),
    ("single-row GET, 8 connections (req/s)", "rps_8", "{:.0f}"),
    ("server CPU per single-row GET, 1 conn. (µs)", "cpu_us_1", "{:.0f}"),
    ("server CPU per single-row GET, 8 conn. (µs)", "cpu_us_8", "{:.0f}"),
    ("count of A's 1k beside B's rows (ms)", "count_beside_ms", "{:.2f}"),
    ("count of A's 1k alone (ms)", "count_alone_ms", "{:.2f}"),
    ("  server CPU per count, beside (ms)", "count_beside_cpu_ms", "{:.2f}"),
    ("  server CPU per count, alone (ms)", "count_alone_cpu_ms", "{:.2f}"),
    ("iterate big by key (s)", "iter_key_big_s", "{:.2f}"),
    ("iterate small by key (s)", "iter_key_small_s", "{:.2f}"),
    ("iterate big by page number (s)", "iter_page_big_s", "{:.2f}"),
    ("iterate small by page number (s)", "iter_page_small_s", "{:.2f}"),
    ("  server CPU, iterate big by key (s)", "iter_key_big_cpu_s", "{:.2f}"),
    ("  server CPU, iterate small by key (s)", "iter_key_small_cpu_s", "{:.2f}"),
    ("  server CPU, iterate big by page (s)", "iter_page_big_cpu_s", "{:.2f}"),
    ("  server CPU, iterate small by page (s)", "iter_page_small_cpu_s", "{:.2f}"),
    ("server RSS (MiB)", "rss_mb", "{:.0f}"),
    ("server RSS per stored row (bytes)", "rss_per_row_b", "{:.0f}"),
]


def _derived(s: Subject) -> dict[str, float]:
    f = s.figures
    return {
        "count beside / alone": divide(f["count_beside_ms"], f["count_alone_ms"]),
        "  in server CPU": divide(f["count_beside_cpu_ms"], f["count_alone_cpu_ms"]),
        "iteration big / small, by key": divide(f["iter_key_big_s"], f["iter_key_small_s"]),
        "  in server CPU ": divide(f["iter_key_big_cpu_s"], f["iter_key_small_cpu_s"]),
        "iteration big / small, by page": divide(f["iter_page_big_s"], f["iter_page_small_s"]),
        "  in server CPU  ": divide(f["iter_page_big_cpu_s"], f["iter_page_small_cpu_s"]),
        "8 connections / 1": divide(f["rps_8"], f["rps_1"]),
    }


def report(subjects: list[Subject], args: argparse.Namespace) -> str:
    """The figures of every subject side by side, then ratios within and against the first."""
    first = subjects[0]
    headers = ["figure", *(s.label for s in subjects)]
    headers += [f"{s.label} / {first.label}" for s in subjects[1:]]
    rows: list[list[object]] = []
    for title, key, spec in _ROWS:
        row: list[object] = [title, *(spec.format(s.figures[key]) for s in subjects)]
        row += [f"{divide(s.figures[key], first.figures[key]):.2f}x" for s in subjects[1:]]
        rows.append(row)
    for title in _derived(first):
        row = [title, *(f"{_derived(s)[title]:.2f}x" for s in subjects)]
        rows.append(row + [""] * (len(subjects) - 1))
    size = f"big = {args.big:,} rows of B (+{args.mine:,} of A), small = {args.small:,} rows"
    return f"{size}\n\n{format_table(headers, rows)}"


def _subjects(args: argparse.Namespace, baseline: Path | None) -> list[Subject]:
    subjects = []
    if baseline is not None:
        subjects.append(Subject(f"{args.baseline}", baseline, http="h11", loop="asyncio"))
    subjects.append(Subject("this tree, h11+asyncio", http="h11", loop="asyncio"))
    subjects.append(Subject("this tree"))
    dsn = args.postgres or os.environ.get("AXHUB_TEST_POSTGRES")
    if dsn:
        subjects.append(Subject("this tree, PostgreSQL", postgres=dsn))
    return subjects


def main() -> None:
    """Run every subject and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k/1k rows, 1 s rate windows")
    parser.add_argument("--big", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=5_000)
    parser.add_argument("--mine", type=int, default=1_000)
    parser.add_argument("--seconds", type=float, default=2.0, help="each req/s window")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved req/s windows")
    parser.add_argument("--counts", type=int, default=50, help="counts timed per table")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git revision ('' = none)")
    parser.add_argument("--postgres", help="also measure this tree on this PostgreSQL DSN")
    args = parser.parse_args()
    if args.quick:
        args.big, args.small, args.seconds, args.counts, args.rounds = 10_000, 1_000, 1.0, 20, 3
    with _baseline(args.baseline) as baseline:
        subjects = _subjects(args, baseline)
        run_all(subjects, args)
    print(report(subjects, args))


@contextmanager
def _baseline(revision: str) -> Iterator[Path | None]:
    if not revision:
        yield None
        return
    with _tree_at(revision) as src:
        yield src


if __name__ == "__main__":
    main()
