"""Benchmark of ``axhub-orm rows import/export`` against the emulator in its own process.

The emulator runs in a process of its own (``_emulator.py``); each command runs as the
installed ``axhub-orm`` script in its own process, as a user runs it, configured by the
``AXHUB_*`` variables. Measured side by side in one run:

Each figure includes starting the ``axhub-orm`` process (about a second; small against N rows).

- ``rows import`` of N rows of all eight column types (JSON Lines, default concurrency): rows/s;
- ``rows export`` of the same N rows to JSON Lines and to CSV: rows/s;
- peak memory of exporting all N rows against exporting N/10 of them (``--filter``), each in
  a fresh process: the Python heap peak (tracemalloc) and the process's peak RSS. Streaming
  export keeps both flat: the ratio of the two peaks should be near 1, not near 10.

Usage::

    python benchmarks/cli_rows.py --quick      # 20,000 rows
    python benchmarks/cli_rows.py              # 100,000 rows
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _emulator import client_kwargs, emulator_process  # noqa: E402
from _report import format_table  # noqa: E402

from axhub_orm import AxHub, Column  # noqa: E402

AXHUB_ORM = str(Path(sys.executable).with_name("axhub-orm"))
COLUMNS = [
    Column("t", "text"),
    Column("i", "int"),
    Column("b", "bigint"),
    Column("f", "float"),
    Column("ok", "bool"),
    Column("at", "timestamptz"),
    Column("u", "uuid"),
    Column("j", "jsonb"),
]

MEASURE = """\
import resource, sys, tracemalloc
tracemalloc.start()
from axhub_orm.__main__ import main
status = main(sys.argv[1:])
heap = tracemalloc.get_traced_memory()[1]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(f"{heap} {rss}", file=sys.stderr)
sys.exit(status)
"""


def sample(n: int) -> dict[str, Any]:
    """Row ``n``: every type, some nulls, unicode, a small jsonb document."""
    return {
        "t": f"ticket {n} ✓ 한국어",
        "i": n,
        "b": n * 10**9,
        "f": n / 7,
        "ok": n % 2 == 0,
        "at": f"2026-06-{n % 28 + 1:02d}T12:45:09.{n % 10**6:06d}Z",
        "u": str(uuid.UUID(int=n)),
        "j": None if n % 5 == 0 else {"n": n, "tags": ["a", "b"]},
    }


def run(env: dict[str, str], *args: str) -> float:
    """Run ``axhub-orm *args``; return the wall time in seconds."""
    started = time.perf_counter()
    subprocess.run([AXHUB_ORM, *args, "--quiet"], env=env, check=True)  # noqa: S603
    return time.perf_counter() - started


def peak_memory(env: dict[str, str], *args: str) -> tuple[int, int]:
    """(Python heap peak, peak RSS) in bytes of ``axhub-orm *args`` in a fresh process."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", MEASURE, *args, "--quiet"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    heap, rss = result.stderr.split()[-2:]
    return int(heap), int(rss)


def main() -> int:
    """Seed, export, import and measure; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows (default 100,000)")
    parser.add_argument("--quick", action="store_true", help="20,000 rows")
    args = parser.parse_args()
    n = 20_000 if args.quick else args.rows
    with emulator_process() as creds, tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        env = {
            **os.environ,
            **{f"AXHUB_{k.upper()}": str(v) for k, v in client_kwargs(creds).items()},
        }
        with AxHub(**client_kwargs(creds)) as hub:
            app = hub.apps.create(slug="bench", name="bench")
            for name in ("source", "copy"):
                app.tables.create(name, columns=COLUMNS)
        data = work / "data.jsonl"
        with data.open("w", encoding="utf-8") as out:
            for i in range(n):
                out.write(json.dumps(sample(i), ensure_ascii=False) + "\n")
        common = ("--app", "bench")
        seconds = {
            "import JSONL": run(env, "rows", "import", "source", str(data), *common),
            "export JSONL": run(
                env, "rows", "export", "source", "-o", str(work / "o.jsonl"), *common
            ),
            "export CSV": run(env, "rows", "export", "source", "-o", str(work / "o.csv"), *common),
            "import CSV": run(env, "rows", "import", "copy", str(work / "o.csv"), *common),
        }
        tenth = f"i__lt={n // 10}"
        small = peak_memory(
            env, "rows", "export", "source", "-o", str(work / "s.jsonl"), "--filter", tenth, *common
        )
        large = peak_memory(env, "rows", "export", "source", "-o", str(work / "l.jsonl"), *common)
    rows = [[what, f"{n:,}", f"{secs:.1f}", f"{n / secs:,.0f}"] for what, secs in seconds.items()]
    print(f"axhub-orm rows import/export, emulator in its own process, {n:,} rows of 8 types\n")
    print(format_table(["command", "rows", "seconds", "rows/s"], rows))
    print()
    mib = 1024 * 1024
    print(format_table(
        ["export", "rows", "Python heap peak (MiB)", "peak RSS (MiB)"],
        [
            [f"--filter {tenth}", f"{n // 10:,}", f"{small[0] / mib:.1f}", f"{small[1] / mib:.1f}"],
            ["all rows", f"{n:,}", f"{large[0] / mib:.1f}", f"{large[1] / mib:.1f}"],
            ["ratio (all / tenth)", "10", f"{large[0] / small[0]:.2f}",
             f"{large[1] / small[1]:.2f}"],
        ],
    ))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
