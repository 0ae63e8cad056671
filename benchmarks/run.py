"""Benchmarks of axhub-orm (issues #8, #15): what the ORM costs, and what it saves.

Sections, each printed as markdown tables and written to ``benchmarks/results.json``:

1. ``links`` — the seed SDK ``axhub-sdk==0.3.1`` (its own venv), raw ``httpx``, the ORM sync
   and async, each in a process of its own, side by side in rotating rounds against the
   emulator in a process of its own: client CPU (process time) and wall time per operation,
   over plain HTTP, HTTPS (system CAs plus the test certificate) and HTTP at a 20 ms RTT.
2. ``concurrency`` — async throughput at 1, 16, 32 and 64 concurrent requests.
3. ``construct`` — how long ``AxHub()`` takes to build.
4. ``overhead`` — µs per operation, hand-built ``httpx`` vs the ORM, on one in-process
   ``httpx.MockTransport`` with canned responses; the ratio ORM / raw per operation.
5. ``memory`` — ``tracemalloc`` peak of streaming iteration vs ``list(q)``, in pages of rows.
6. ``requests`` — HTTP requests per public verb against the emulator (also
   ``benchmarks/requests.md``), from the scenarios of ``tests/orm/test_request_budget.py``.

Usage::

    python benchmarks/run.py --quick              # under a minute
    python benchmarks/run.py                      # the full run (a few minutes)
    python benchmarks/run.py --sections overhead --profile
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the sibling modules, when imported from elsewhere
    sys.path.insert(0, str(HERE))

import _compare  # noqa: E402  # after the path fix above
import _emulator  # noqa: E402
import _memory  # noqa: E402
import _overhead  # noqa: E402
import _requests  # noqa: E402
import _sections  # noqa: E402
from _report import format_table  # noqa: E402

SECTIONS = ("links", "concurrency", "construct", "overhead", "memory", "requests")
MEMORY_TARGET_PAGES = 2.0


def _log(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "httpx": version("httpx"),
        "axhub_orm": version("axhub-orm"),
    }
    if shutil.which("lscpu"):
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False)  # noqa: S607
        for line in lscpu.stdout.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in {"Model name", "CPU(s)", "Hypervisor vendor"}:
                info[key.strip()] = value.strip()
    return info


def _fmt(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


def _mark(met: bool) -> str:
    return "met" if met else "MISSED"


# --- sections ---------------------------------------------------------------------------------


def section_overhead(args: argparse.Namespace, targets: list[list[str]]) -> dict[str, Any]:
    """Client overhead on a mock transport."""
    repeats = args.repeats or (3 if args.quick else 21)
    _log(f"overhead: {repeats} batch pairs per operation")
    results = _overhead.run_overhead(quick=args.quick, repeats=repeats)
    rows = [
        [
            r.name,
            r.verb,
            _fmt(r.raw_us, 1),
            _fmt(r.orm_us, 1),
            _fmt(r.ratio),
            f"≤ {r.target}",
            _mark(r.met),
        ]
        for r in results
    ]
    print("\n## 1. Client overhead (µs per operation, median of batches; in-process mock)\n")
    print(format_table(["op", "ORM verb", "raw httpx", "ORM", "ORM/raw", "target", ""], rows))
    for r in results:
        targets.append(
            [f"overhead {r.name}: ORM/raw", f"≤ {r.target}", _fmt(r.ratio), _mark(r.met)]
        )
    profiles: dict[str, str] = {}
    if args.profile:
        for r in results:
            if not r.met or args.profile_all:
                iterations = 200 if r.name == "list100" else 2000
                profiles[r.name] = _overhead.profile_orm(r.name, iterations=iterations)
                print(f"\n### cProfile of ORM `{r.verb}`, {iterations} calls (by own time)\n")
                print(profiles[r.name])
    return {"repeats": repeats, "operations": [r.as_dict() for r in results], "profiles": profiles}


def section_links(args: argparse.Namespace, targets: list[list[str]]) -> dict[str, Any]:
    """The seed SDK, raw httpx, ORM sync and async side by side over each link."""
    seed = None if args.no_seed else _compare.ensure_seed_venv(Path(args.seed_venv))
    links = [s.strip() for s in args.links.split(",") if s.strip()]
    if "https" in links and not _emulator.tls_available():
        _log("links: openssl not found, skipping HTTPS")
        links.remove("https")
    return _sections.section_links(links, seed, args.quick, _log, targets)


def section_concurrency(args: argparse.Namespace, targets: list[list[str]]) -> dict[str, Any]:
    """Async throughput against concurrency."""
    return _sections.section_concurrency(args.quick, _log, targets)


def section_construct(args: argparse.Namespace, targets: list[list[str]]) -> Any:
    """AxHub() construction time."""
    return _sections.section_construct(args.quick, targets)


def section_memory(args: argparse.Namespace, targets: list[list[str]]) -> dict[str, Any]:
    """Peak memory of streaming vs list(q)."""
    sizes = [2_000, 5_000] if args.quick else [2_000, 5_000, 10_000, 20_000]
    _log(f"memory: {sizes}")
    results = _memory.run_memory(sizes)
    rows = [
        [
            f"{r.rows:,}",
            f"{r.page_bytes:,}",
            f"{r.stream_peak:,}",
            _fmt(r.stream_pages),
            f"{r.list_peak:,}",
            _fmt(r.list_pages, 1),
        ]
        for r in results
    ]
    print("\n## 3. Memory (tracemalloc peak bytes above the baseline; 1 page = 100 Row objects)\n")
    print(
        format_table(
            ["rows", "1 page (bytes)", "for row in q: peak", "pages", "list(q) peak", "pages"], rows
        )
    )
    largest = results[-1]
    targets.append(
        [
            f"memory: streaming {largest.rows:,} rows, peak in pages",
            f"≤ {MEMORY_TARGET_PAGES}",
            _fmt(largest.stream_pages),
            _mark(largest.stream_pages <= MEMORY_TARGET_PAGES),
        ]
    )
    grows = all(b.list_peak > a.list_peak * 1.5 for a, b in itertools.pairwise(results))
    targets.append(
        ["memory: list(q) grows with N", "grows", f"{largest.list_pages:.0f} pages", _mark(grows)]
    )
    return {"sizes": sizes, "results": [r.as_dict() for r in results]}


def section_requests(args: argparse.Namespace, targets: list[list[str]]) -> dict[str, Any]:
    """Requests per public verb against the emulator."""
    _log("requests: running the request-budget scenarios")
    results = _requests.run_requests()
    table = _requests.markdown(results)
    print("\n## 4. Requests per operation (measured with a counting transport, emulator)\n")
    print(table)
    over = [r.verb for r in results if not r.within]
    targets.append(
        ["requests: every verb within its budget", "0 over", f"{len(over)} over", _mark(not over)]
    )
    header = (
        "# Requests per operation\n\n"
        "Measured by `python benchmarks/run.py` with `axhub_orm.testing.CountingTransport`\n"
        "against the local emulator; the budgets are enforced by\n"
        "`tests/orm/test_request_budget.py`, whose scenarios this table runs.\n\n"
    )
    (HERE / "requests.md").write_text(header + table + "\n", encoding="utf-8")
    return {"verbs": [r.as_dict() for r in results]}


# --- main -------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (under a minute)")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {', '.join(SECTIONS)}",
    )
    parser.add_argument("--repeats", type=int, default=0, help="overhead batch pairs per op")
    parser.add_argument(
        "--links",
        default="http,https,rtt",
        help="links for the side-by-side section: http, https (system CAs + test certificate), "
        "rtt (http through a 20 ms round-trip proxy)",
    )
    parser.add_argument(
        "--seed-venv",
        default=str(HERE / ".venv-seed"),
        metavar="PATH",
        help="venv holding axhub-sdk==0.3.1 (created on demand)",
    )
    parser.add_argument("--no-seed", action="store_true", help="skip the seed SDK")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the ORM side of every missed overhead target",
    )
    parser.add_argument("--profile-all", action="store_true", help="with --profile: every op")
    parser.add_argument("--output", default=str(HERE / "results.json"), metavar="PATH")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the selected sections, print their tables and write the JSON figures."""
    args = _parser().parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        _parser().error(f"unknown section(s): {', '.join(unknown)}")
    info = machine()
    print(f"# axhub-orm benchmarks{' (--quick)' if args.quick else ''}\n")
    print(", ".join(f"{k}: {v}" for k, v in info.items()))
    targets: list[list[str]] = []
    runners = {
        "overhead": section_overhead,
        "links": section_links,
        "concurrency": section_concurrency,
        "construct": section_construct,
        "memory": section_memory,
        "requests": section_requests,
    }
    started = time.perf_counter()
    report: dict[str, Any] = {
        "machine": info,
        "quick": args.quick,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    for name in SECTIONS:
        if name in sections:
            report[name] = runners[name](args, targets)
    report["targets"] = [
        dict(zip(["target", "wanted", "measured", "status"], t, strict=True)) for t in targets
    ]
    report["seconds"] = time.perf_counter() - started
    print("\n## Targets\n")
    print(format_table(["target", "wanted", "measured", ""], targets))
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nraw figures: {args.output} ({report['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
