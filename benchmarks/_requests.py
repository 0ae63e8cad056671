"""Section 4: the HTTP requests each public verb sends, measured against the emulator.

The scenarios (and their budgets) are the ones of ``tests/orm/_sync/test_request_budget.py``: this
module imports that file and runs each scenario with a counting transport, so the table and the
test can never disagree about what is measured.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from _report import format_table

from axhub_orm import ROUTES
from axhub_orm.local import LocalAxHub
from axhub_orm.testing import CountingTransport, unique_slug

__all__ = ["RequestCount", "load_scenarios", "markdown", "route_of", "run_requests"]

TEST_FILE = (
    Path(__file__).resolve().parents[1] / "tests" / "orm" / "_sync" / "test_request_budget.py"
)


@dataclass(frozen=True)
class RequestCount:
    """What one verb sent, against its budget."""

    verb: str
    budget: int
    sent: list[str]

    @property
    def within(self) -> bool:
        """Whether the verb stayed within its budget."""
        return len(self.sent) <= self.budget

    def as_dict(self) -> dict[str, Any]:
        """The raw figures for ``results.json``."""
        return {
            "verb": self.verb,
            "budget": self.budget,
            "measured": len(self.sent),
            "requests": self.sent,
            "within": self.within,
        }


def load_scenarios(path: Path = TEST_FILE) -> ModuleType:
    """Import the request-budget test module from its file."""
    spec = importlib.util.spec_from_file_location("_request_budget_scenarios", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def run_requests() -> list[RequestCount]:
    """Run every registered scenario once against a fresh emulator."""
    scenarios = load_scenarios()
    results: list[RequestCount] = []
    with LocalAxHub() as local:
        with local.client() as hub:
            app_id = str(hub.apps.create(slug=unique_slug("budget"), name="budget").id)
        for verb in scenarios.VERBS.values():
            counter = CountingTransport()
            with local.client(transport=counter) as hub:
                bench = scenarios.Bench(hub, counter, app_id, local.user_id)
                verb.scenario(bench)
                sent = [route_of(r) for r in bench.sent or []]
            results.append(RequestCount(verb.name, verb.budget, sent))
    return results


@functools.cache
def _templates() -> list[tuple[str, re.Pattern[str], str]]:
    routes = []
    for route in ROUTES.values():
        pattern = re.sub(r"\\\{[A-Za-z0-9_]+\\\}", "[^/]+", re.escape(route.path))
        routes.append((route.method, re.compile(pattern + "$"), route.path))
    # Literal segments first, so ``…/_count`` never reads as ``…/{id}``.
    routes.sort(key=lambda r: r[2].count("{"))
    return routes


def route_of(request: httpx.Request) -> str:
    """``METHOD /route/{template}?query`` for a request: ids and names become placeholders."""
    path = request.url.path
    for method, pattern, template in _templates():
        if method == request.method and pattern.match(path):
            path = template
            break
    query = request.url.query.decode()
    return f"{request.method} {path}" + (f"?{query}" if query else "")


def markdown(results: list[RequestCount]) -> str:
    """The requests-per-operation table."""
    rows = [
        [
            f"`{r.verb}`",
            r.budget,
            len(r.sent),
            "yes" if r.within else "**NO**",
            "<br>".join(f"`{s}`" for s in r.sent) or "—",
        ]
        for r in results
    ]
    return format_table(["verb", "budget", "measured", "within", "requests sent"], rows)
