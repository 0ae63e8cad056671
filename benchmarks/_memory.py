"""Section 3: streaming iteration keeps about a page of rows alive; ``list(q)`` grows with N.

The data source is a :class:`~_canned.PagedServer` whose page bodies are built *before*
``tracemalloc`` starts, so only the client's own allocations (the response, the decoded JSON and
the ``Row`` objects) are traced. The unit is the retained size of one page of 100 ``Row``
objects, measured the same way.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from _canned import APP_ID, TABLE, PagedServer, canned_hub

from axhub_orm import Table

__all__ = ["MemoryResult", "run_memory"]


@dataclass(frozen=True)
class MemoryResult:
    """Peak traced bytes of one consumption style over ``rows`` rows."""

    rows: int
    page_bytes: int
    stream_peak: int
    list_peak: int

    @property
    def stream_pages(self) -> float:
        """Streaming peak in pages of rows."""
        return self.stream_peak / self.page_bytes

    @property
    def list_pages(self) -> float:
        """``list(q)`` peak in pages of rows."""
        return self.list_peak / self.page_bytes

    def as_dict(self) -> dict[str, Any]:
        """The raw figures for ``results.json``."""
        return {**self.__dict__, "stream_pages": self.stream_pages, "list_pages": self.list_pages}


@contextmanager
def _client(server: PagedServer) -> Iterator[Table]:
    with canned_hub(server.transport()) as hub:
        yield hub.apps.get(APP_ID).tables.get(TABLE)


def _peak(func: Callable[[], Any]) -> tuple[int, int]:
    """Peak and retained traced bytes while ``func`` runs, above what was live before it."""
    gc.collect()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    kept = func()
    current, peak = tracemalloc.get_traced_memory()
    del kept
    return peak - before, current - before


def _consume(table: Table) -> int:
    return sum(1 for _ in table.rows)


def measure(rows: int) -> MemoryResult:
    """Measure one page, streaming over ``rows`` rows, and ``list(q)`` over them."""
    server = PagedServer(rows, prebuilt=True)
    with _client(server) as table:
        list(table.rows[:100])  # warm every code path before tracing
        tracemalloc.start()
        try:
            _, page_bytes = _peak(lambda: list(table.rows[:100]))
            stream_peak, _ = _peak(lambda: _consume(table))
            list_peak, _ = _peak(lambda: list(table.rows))
        finally:
            tracemalloc.stop()
    return MemoryResult(rows, page_bytes, stream_peak, list_peak)


def run_memory(sizes: list[int]) -> list[MemoryResult]:
    """One :class:`MemoryResult` per table size."""
    return [measure(rows) for rows in sizes]
