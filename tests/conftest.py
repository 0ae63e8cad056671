"""Shared fixtures: the anyio backend for async tests; a per-store line in the summary."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
from stores import POSTGRES_ENV, postgres_url

_POSTGRES_ID = re.compile(r"postgres")  # the store parameter, or a PostgreSQL-only module


@pytest.fixture
def anyio_backend() -> str:
    """Run async tests on asyncio."""
    return "asyncio"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran on the PostgreSQL store (so CI shows it was not skipped)."""
    counts: Counter[str] = Counter()
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if _POSTGRES_ID.search(getattr(report, "nodeid", "")):
                counts[outcome] += 1
    if counts:
        summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
        terminalreporter.write_line(f"PostgreSQL store: {summary}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Report every "no PostgreSQL" skip at one place, so the summary shows it on one line."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    reason = report.longrepr[2] if report.skipped and isinstance(report.longrepr, tuple) else ""
    if POSTGRES_ENV in reason:
        report.longrepr = ("tests/stores.py", postgres_url.__code__.co_firstlineno, reason)
