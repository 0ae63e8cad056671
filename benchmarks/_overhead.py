"""Section 1: the ORM's client-side cost over hand-built ``httpx`` requests.

Both sides talk to the same in-process :class:`~_canned.CannedServer` through
``httpx.MockTransport``, so the difference is only what each client does per call: building
the request, the Client Policy pipeline (request id, error mapping), decoding, and for the ORM
turning JSON into ``Row`` objects with change tracking.
"""

from __future__ import annotations

import cProfile
import io
import pstats
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from _canned import (
    APP_ID,
    APP_SLUG,
    BASE_URL,
    TABLE,
    TENANT_SLUG,
    TOKEN,
    CannedServer,
    canned_hub,
    insert_values,
    row_id,
)
from _report import divide, median, time_batch

from axhub_orm import AxHub, Table

__all__ = ["OPERATIONS", "OverheadResult", "Pair", "build_pairs", "profile_orm", "run_overhead"]

DATA_PATH = f"/data/{TENANT_SLUG}/{APP_SLUG}/{TABLE}"
COUNT_PARAMS = (("status", "eq.new"), ("priority", "gte.3"))

OPERATIONS: dict[str, tuple[str, float]] = {
    "insert": ("table.rows.create(**values)", 1.3),
    "get": ("table.rows.get(id)", 1.3),
    "patch": ('row["status"] = "x"; row.save()', 1.3),
    "list100": ("list(table.rows[:100])", 1.5),
    "count": ("rows.filter(status=, priority__gte=).count()", 1.3),
}
"""Operation key → (the ORM verb measured, the target ratio ORM / raw)."""


@dataclass
class Pair:
    """One operation done two ways: by hand with httpx and through the ORM."""

    raw: Callable[[], Any]
    orm: Callable[[], Any]


@dataclass
class OverheadResult:
    """Per-call seconds of every batch, per side, for one operation."""

    name: str
    verb: str
    target: float
    raw: list[float] = field(default_factory=list)
    orm: list[float] = field(default_factory=list)

    @property
    def raw_us(self) -> float:
        """Median µs per raw call."""
        return median(self.raw) * 1e6

    @property
    def orm_us(self) -> float:
        """Median µs per ORM call."""
        return median(self.orm) * 1e6

    @property
    def ratio(self) -> float:
        """Median over batch pairs of ORM time / raw time (pairs cancel machine drift)."""
        return median([divide(o, r) for o, r in zip(self.orm, self.raw, strict=True)])

    @property
    def ratio_of_medians(self) -> float:
        """Median ORM time over median raw time."""
        return divide(self.orm_us, self.raw_us)

    @property
    def met(self) -> bool:
        """Whether the ratio is within the target."""
        return self.ratio <= self.target

    def as_dict(self) -> dict[str, Any]:
        """The raw figures for ``results.json``."""
        return {
            "verb": self.verb,
            "target_ratio": self.target,
            "raw_us_median": self.raw_us,
            "orm_us_median": self.orm_us,
            "ratio": self.ratio,
            "ratio_of_medians": self.ratio_of_medians,
            "met": self.met,
            "raw_us_batches": [s * 1e6 for s in self.raw],
            "orm_us_batches": [s * 1e6 for s in self.orm],
        }


def _raw_pairs(raw: httpx.Client) -> dict[str, Callable[[], Any]]:
    values = insert_values(1)
    one = f"{DATA_PATH}/{row_id(1)}"

    def insert() -> Any:
        response = raw.post(DATA_PATH, json=values)
        response.raise_for_status()
        return response.json()

    def get() -> Any:
        response = raw.get(one)
        response.raise_for_status()
        return response.json()

    def patch() -> Any:
        response = raw.patch(one, json={"status": "in_progress"})
        response.raise_for_status()
        return response.json()

    def list100() -> Any:
        response = raw.get(DATA_PATH, params={"per_page": 100})
        response.raise_for_status()
        return response.json()["items"]

    def count() -> Any:
        response = raw.get(f"{DATA_PATH}/_count", params=COUNT_PARAMS)
        response.raise_for_status()
        return response.json()["count"]

    return {"insert": insert, "get": get, "patch": patch, "list100": list100, "count": count}


def _orm_pairs(table: Table) -> dict[str, Callable[[], Any]]:
    values = insert_values(1)
    ident = row_id(1)
    row = table.rows.get(ident)

    def patch() -> Any:
        row["status"] = "in_progress"  # the canned answer says "done": always a real change
        return row.save()

    return {
        "insert": lambda: table.rows.create(**values),
        "get": lambda: table.rows.get(ident),
        "patch": patch,
        "list100": lambda: list(table.rows[:100]),
        "count": lambda: table.rows.filter(status="new", priority__gte=3).count(),
    }


def _clients(server: CannedServer) -> tuple[httpx.Client, AxHub]:
    raw = httpx.Client(
        transport=server.transport(),
        base_url=BASE_URL,
        headers={"X-Api-Key": TOKEN, "Accept": "application/json"},
    )
    return raw, canned_hub(server.transport())


def build_pairs(raw: httpx.Client, hub: AxHub) -> dict[str, Pair]:
    """Both ways of every operation; the ORM's Table is loaded once, here, not per call."""
    table = hub.apps.get(APP_ID).tables.get(TABLE)
    raws, orms = _raw_pairs(raw), _orm_pairs(table)
    return {name: Pair(raw=raws[name], orm=orms[name]) for name in OPERATIONS}


def _iterations(name: str, quick: bool) -> int:
    if name == "list100":
        return 12 if quick else 50
    return 120 if quick else 500


def run_overhead(*, quick: bool, repeats: int) -> list[OverheadResult]:
    """Time every operation in raw / ORM batch pairs, alternating which side goes first."""
    server = CannedServer()
    raw, hub = _clients(server)
    try:
        pairs = build_pairs(raw, hub)
        results = []
        for name, (verb, target) in OPERATIONS.items():
            pair, result = pairs[name], OverheadResult(name, verb, target)
            iterations = _iterations(name, quick)
            time_batch(pair.raw, max(iterations // 10, 5))  # warm-up both sides
            time_batch(pair.orm, max(iterations // 10, 5))
            for rep in range(repeats):
                if rep % 2:
                    orm_s = time_batch(pair.orm, iterations)
                    raw_s = time_batch(pair.raw, iterations)
                else:
                    raw_s = time_batch(pair.raw, iterations)
                    orm_s = time_batch(pair.orm, iterations)
                result.raw.append(raw_s)
                result.orm.append(orm_s)
            results.append(result)
        return results
    finally:
        raw.close()
        hub.close()


def profile_orm(name: str, *, iterations: int = 2000, top: int = 18, raw: bool = False) -> str:
    """A cProfile summary (top entries by own time) of one operation done ``iterations`` times."""
    server = CannedServer()
    raw_client, hub = _clients(server)
    try:
        pair = build_pairs(raw_client, hub)[name]
        func = pair.raw if raw else pair.orm
        func()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(iterations):
            func()
        profiler.disable()
    finally:
        raw_client.close()
        hub.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()
