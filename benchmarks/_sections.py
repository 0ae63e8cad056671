"""The side-by-side sections of ``run.py``: links, concurrency, construction; tables and targets.

Each function runs its part (through ``_compare.py``), prints markdown tables and appends
``[target, wanted, measured, status]`` rows to ``targets``. Every ratio is a median over rounds
of a ratio taken within one round, followed by its range over the rounds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from _compare import (
    CLIENTS,
    SINGLE,
    Counts,
    LinkResult,
    run_concurrency,
    run_construct,
    run_link,
)
from _report import divide, format_table, median

__all__ = ["section_concurrency", "section_construct", "section_links"]

RTT_MS = 20.0
Targets = list[list[str]]


def _mark(met: bool) -> str:
    return "met" if met else "MISSED"


def _ratio(values: list[float]) -> str:
    """``median (min-max)`` of per-round ratios."""
    if not values:
        return "-"
    return f"{median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def _counts(link: str, quick: bool) -> Counts:
    if link == "rtt":
        return Counts(n=3, pages=1, rounds=2) if quick else Counts(n=15, pages=5, rounds=3)
    if link == "https":
        return Counts(n=5, pages=1, rounds=2) if quick else Counts(n=40, pages=10, rounds=3)
    return Counts(n=20, pages=4, rounds=2) if quick else Counts(n=100, pages=20, rounds=5)


def section_links(
    links: list[str], seed: Path | None, quick: bool, log: Callable[[str], None], targets: Targets
) -> dict[str, Any]:
    """Every client over every link; CPU and wall tables; the targets of issue #15."""
    out: dict[str, Any] = {}
    for link in links:
        result = run_link(link, _counts(link, quick), seed, log)
        _print_link(result)
        _link_targets(result, targets)
        out[link] = result.as_dict()
    return out


def _print_link(result: LinkResult) -> None:
    clients = [c for c in CLIENTS if c in result.rounds]
    counts = result.counts
    print(
        f"\n## {result.link}: client CPU per operation (µs, median of {counts.rounds} rounds; "
        f"{counts.n} of each single-row op, {counts.pages} pages of 100 rows)\n"
    )
    rows = []
    for workload in (*SINGLE, "page"):
        row = [workload, *(f"{result.cpu_us(c, workload):,.0f}" for c in clients)]
        row += [
            _ratio(result.cpu_ratio("orm_sync", "seed", workload)),
            _ratio(result.cpu_ratio("orm_async", "orm_sync", workload)),
            _ratio(result.cpu_ratio("orm_sync", "httpx", workload)),
        ]
        rows.append(row)
    headers = ["op", *clients, "sync / seed", "async / sync", "sync / httpx"]
    print(format_table(headers, rows))
    print(f"\n## {result.link}: wall throughput (ops/s, median; ratios per round)\n")
    rows = []
    for label, workloads in (("single-row mix", SINGLE), ("100-row pages", ("page",))):
        row = [label, *(f"{result.ops_per_s(c, workloads):,.1f}" for c in clients)]
        row += [
            _ratio(result.speedup("orm_sync", "seed", workloads)),
            _ratio(result.speedup("orm_async", "seed", workloads)),
            _ratio(result.speedup("orm_sync", "httpx", workloads)),
        ]
        rows.append(row)
    headers = ["workload", *clients, "sync / seed", "async / seed", "sync / httpx"]
    print(format_table(headers, rows))
    if result.link == "rtt":
        floor = 1000 / RTT_MS
        line = ", ".join(f"{c} {result.ops_per_s(c, SINGLE) / floor:.0%}" for c in clients)
        print(f"\nShare of the round-trip floor ({floor:.0f} ops/s at {RTT_MS:.0f} ms): {line}")


def _link_targets(result: LinkResult, targets: Targets) -> None:
    if "seed" not in result.rounds:
        return
    link = result.link
    mix = result.speedup("orm_sync", "seed", SINGLE)
    if link == "http":
        for op in SINGLE:
            cpu = median(result.cpu_ratio("orm_sync", "seed", op))
            targets.append(
                [f"http CPU/op {op}: sync / seed", "≤ 1.15", f"{cpu:.2f}", _mark(cpu <= 1.15)]
            )
        for op in SINGLE:
            ratio = median(result.cpu_ratio("orm_async", "orm_sync", op))
            targets.append(
                [f"http CPU/op {op}: async / sync", "≤ 1.3", f"{ratio:.2f}", _mark(ratio <= 1.3)]
            )
        page = median(result.cpu_ratio("orm_sync", "seed", "page"))
        targets.append(
            ["http CPU/op 100-row page: sync / seed", "≤ 0.5", f"{page:.2f}", _mark(page <= 0.5)]
        )
        pages = median(result.speedup("orm_sync", "seed", ("page",)))
        targets.append(
            [
                "http wall, single-row mix: sync / seed",
                "≥ 1.3",
                f"{median(mix):.2f}",
                _mark(median(mix) >= 1.3),
            ]
        )
        targets.append(["http wall, pages: sync / seed", "≥ 2", f"{pages:.2f}", _mark(pages >= 2)])
    elif link == "https":
        targets.append(
            [
                "https (system CAs) wall, single-row mix: sync / seed",
                "≥ 10",
                f"{median(mix):.2f}",
                _mark(median(mix) >= 10),
            ]
        )
    elif link == "rtt":
        targets.append(
            [
                f"{RTT_MS:.0f} ms RTT wall, single-row mix: sync / seed",
                "≥ 1.8",
                f"{median(mix):.2f}",
                _mark(median(mix) >= 1.8),
            ]
        )
        share = result.ops_per_s("orm_sync", SINGLE) / (1000 / RTT_MS)
        targets.append(
            [
                f"{RTT_MS:.0f} ms RTT: sync share of the round-trip floor",
                "≥ 90 %",
                f"{share:.0%}",
                _mark(share >= 0.9),
            ]
        )


def section_concurrency(
    quick: bool, log: Callable[[str], None], targets: Targets
) -> dict[str, Any]:
    """Async gets at 1, 16, 32 and 64 concurrent requests (plain HTTP)."""
    levels = [1, 16, 64] if quick else [1, 16, 32, 64]
    n, rounds = (150, 2) if quick else (500, 4)
    result = run_concurrency(levels, n, rounds, log)
    runs = result["levels"]
    print(f"\n## Async concurrency: {n} gets per level, median of {rounds} rounds (plain HTTP)\n")
    rows = []
    for level in levels:
        figures = runs[str(level)]
        ops = median([n / f["seconds"] for f in figures])
        cpu = median([f["cpu"] / n * 1e6 for f in figures])
        rows.append([str(level), f"{ops:,.0f}", f"{cpu:,.0f}"])
    print(format_table(["concurrent", "ops/s", "client CPU µs/op"], rows))
    ratios = [
        divide(b["seconds"], a["seconds"]) for a, b in zip(runs["64"], runs["16"], strict=True)
    ]
    print(f"\nThroughput at 64 over 16, per round: {_ratio(ratios)}")
    value = median(ratios)
    targets.append(["async throughput at 64 / at 16", "≥ 1.0", _ratio(ratios), _mark(value >= 1.0)])
    return result


def section_construct(quick: bool, targets: Targets) -> list[dict[str, Any]]:
    """How long ``AxHub()`` takes to build, each sample a fresh process."""
    samples = run_construct(1 if quick else 5)
    print("\n## AxHub() construction (ms; first of a fresh process / typical after it)\n")
    rows = []
    for scheme in ("http", "https"):
        first = median([s[scheme]["first_ms"] for s in samples])
        typical = median([s[scheme]["median_ms"] for s in samples])
        rows.append([f"{scheme}://", f"{first:.2f}", f"{typical:.3f}"])
    print(format_table(["base URL", "first", "typical"], rows))
    first_http = median([s["http"]["first_ms"] for s in samples])
    targets.append(
        [
            "AxHub() for http:// (first in a process)",
            "< 5 ms",
            f"{first_http:.2f} ms",
            _mark(first_http < 5),
        ]
    )
    return samples
