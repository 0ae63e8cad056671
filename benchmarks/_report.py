"""Small helpers shared by the benchmark sections: timing, medians, text tables."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["divide", "format_table", "median", "time_batch"]


def time_batch(func: Callable[[], Any], iterations: int) -> float:
    """Seconds per call of ``func`` over one batch of ``iterations`` calls (GC left enabled)."""
    gc.collect()
    start = time.perf_counter()
    for _ in range(iterations):
        func()
    return (time.perf_counter() - start) / iterations


def median(values: Sequence[float]) -> float:
    """The median of ``values`` (``nan`` when empty)."""
    return statistics.median(values) if values else float("nan")


def divide(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, ``nan`` when the denominator is zero."""
    return numerator / denominator if denominator else float("nan")


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table, columns padded so it also reads well in a terminal."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])
