"""The seed's destructive flow, sans-IO parts: names, step results, the step recorder.

The flow itself is written once in ``demo/_async/flow.py`` (its sync twin is generated); the
``axhub-orm demo`` command and the recorded tests run it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from .._errors import AxHubError, NotFoundError
from .._resolve import resolve_path
from ..models._sync.table import Column

__all__ = [
    "COLUMNS",
    "ENV_KEY",
    "EXTRA_COLUMN",
    "Check",
    "Created",
    "FlowAbortedError",
    "FlowCheckError",
    "FlowNames",
    "Recorder",
    "RequestLog",
    "StepResult",
    "describe",
    "operation_id_of",
]

ENV_KEY = "API_MODE"
EXTRA_COLUMN = "priority"
COLUMNS = (
    Column("owner_id", "uuid", nullable=False),
    Column("title", "text", nullable=False),
    Column("status", "text", nullable=False),
)
GONE = (404, 410)


# --- results and request accounting ----------------------------------------------------------


@dataclass(frozen=True)
class StepResult:
    """One step of the flow: its name, the operation ids it sent, its request count, its verdict.

    ``detail`` is the success assertion that held (``ok``) or what failed; ``error`` is the
    exception that failed the step, if any (an :class:`AxHubError`, a :class:`FlowCheckError`,
    or anything unexpected, which is a bug).
    """

    step: str
    operations: tuple[str, ...]
    requests: int
    ok: bool
    detail: str
    error: Exception | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class FlowNames:
    """The names the flow creates: a fixed set for recordings, a timestamped one for live QA.

    Example::

        FlowNames.timestamped()        # FlowNames(slug='axhub-orm-demo-12345678', table=...)
    """

    slug: str
    table: str = "items"
    app_name: str = "axhub-orm demo"
    row_title: str = "hello"

    @classmethod
    def timestamped(cls, prefix: str = "axhub-orm-demo") -> FlowNames:
        """Names suffixed with the current time: never reuse fixture names in live QA."""
        suffix = str(int(time.time() * 1000))[-8:]
        return cls(slug=f"{prefix}-{suffix}", table=f"items{suffix[-6:]}")


class RequestLog(Protocol):
    """Anything that keeps the requests its transport sent (``axhub_orm.testing``'s too)."""

    requests: list[httpx.Request]


def operation_id_of(request: httpx.Request) -> str:
    """The operation id of a sent request (``METHOD /path`` if no route matches)."""
    found = resolve_path(request.method, request.url.path)
    return found[0].operation_id if found else f"{request.method} {request.url.path}"


# --- the step recorder -------------------------------------------------------------------------


class FlowCheckError(Exception):
    """A success assertion of the seed's operation table did not hold."""


class FlowAbortedError(Exception):
    """A step failed; the steps that depend on it are not run."""


class Check:
    """The assertions of one step: each that() adds to the step's detail or fails it."""

    def __init__(self) -> None:
        self.held: list[str] = []

    def that(self, condition: object, assertion: str) -> None:
        """Hold ``assertion`` if ``condition`` is true; fail the step otherwise."""
        if not condition:
            raise FlowCheckError(f"expected: {assertion}")
        self.held.append(assertion)

    def gone(self, error: NotFoundError | None, what: str) -> None:
        """Hold "follow-up ``what`` returns 404 or 410" for the error a follow-up call raised."""
        if error is None:
            raise FlowCheckError(f"expected: follow-up {what} returns 404 or 410 (it succeeded)")
        self.that(error.status in GONE, f"follow-up {what} returns {error.status}")


class Recorder:
    """Runs steps, counting the requests each one sends, and keeps their results."""

    def __init__(self, log: RequestLog) -> None:
        self.log = log
        self.results: list[StepResult] = []

    @contextmanager
    def step(self, name: str) -> Iterator[Check]:
        """Run one step; any exception fails it and ends the flow (``FlowAbortedError``)."""
        start = len(self.log.requests)
        check = Check()
        try:
            yield check
        except Exception as exc:  # an error is the step's verdict, shown in the report
            self._add(name, start, ok=False, detail=describe(exc), error=exc)
            raise FlowAbortedError(name) from exc
        self._add(name, start, ok=True, detail="; ".join(check.held))

    def note(self, name: str, detail: str) -> None:
        """Add a step that sends nothing (e.g. "kept the app")."""
        self._add(name, len(self.log.requests), ok=True, detail=detail)

    def _add(
        self, name: str, start: int, *, ok: bool, detail: str, error: Exception | None = None
    ) -> None:
        sent = self.log.requests[start:]
        operations = tuple(dict.fromkeys(operation_id_of(r) for r in sent))
        self.results.append(StepResult(name, operations, len(sent), ok, detail, error))


_DETAIL_MAX = 200


def describe(exc: Exception) -> str:
    """One line for the report: AxHubErrors and failed checks as they are, others as bugs."""
    if isinstance(exc, AxHubError):
        text = f"{type(exc).__name__}: {exc}"
    elif isinstance(exc, FlowCheckError):
        text = str(exc)
    else:
        text = f"unexpected {type(exc).__name__} (a bug): {exc}"
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 3] + "..."


@dataclass
class Created:
    """What the flow has made so far, for the later steps and the cleanup.

    ``app`` and ``table`` are sync or async entities, as the flow is.
    """

    user_id: str = ""
    app: Any = None
    table: Any = None
