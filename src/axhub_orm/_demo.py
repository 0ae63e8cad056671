"""``axhub-orm demo``: the seed README's quickstart and destructive flow, walked through the ORM.

By default the flow runs against the embedded emulator (:class:`~axhub_orm.local.LocalAxHub`
on a free loopback port, in this process). ``--remote``, or any of ``--base-url``, ``--token``,
``--token-type``, ``--tenant-id`` and ``--tenant-slug``, points it at a real AX Hub instead; the
options not given are read from the ``AXHUB_*`` variables (:meth:`AxHub.from_env`). Each step
prints the operation ids it sent, how many HTTP requests it took and the "Success assertion" of
the seed's operation table; the exit status is 0 only if every assertion held.

The flow is reusable: :func:`run_flow` and :func:`run_flow_async` take a client and the request
log of its transport and return one :class:`StepResult` per step. The recorded tests replay
exactly this flow from cassettes.

Example::

    from axhub_orm.local import LocalAxHub
    from axhub_orm.testing import CountingTransport

    log = CountingTransport()
    with LocalAxHub() as local, local.client(transport=log) as hub:
        results = run_flow(hub, log, FlowNames(slug="demo"))
    print(render_report(results))
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from ._async import AsyncAxHub
from ._errors import AxHubError, NotFoundError, ValidationError
from ._http import redacted_token
from ._resolve import resolve_path
from ._sync import AxHub
from .models import App, AsyncApp, AsyncTable, Column, Table
from .testing import CountingTransport

__all__ = [
    "FlowNames",
    "RequestLog",
    "StepResult",
    "demo",
    "operation_id_of",
    "render_report",
    "run_flow",
    "run_flow_async",
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


class _FlowAbortedError(Exception):
    """A step failed; the steps that depend on it are not run."""


class _Check:
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


class _Recorder:
    """Runs steps, counting the requests each one sends, and keeps their results."""

    def __init__(self, log: RequestLog) -> None:
        self.log = log
        self.results: list[StepResult] = []

    @contextmanager
    def step(self, name: str) -> Iterator[_Check]:
        """Run one step; any exception fails it and ends the flow (``_FlowAbortedError``)."""
        start = len(self.log.requests)
        check = _Check()
        try:
            yield check
        except Exception as exc:  # an error is the step's verdict, shown in the report
            self._add(name, start, ok=False, detail=_describe(exc), error=exc)
            raise _FlowAbortedError(name) from exc
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


def _describe(exc: Exception) -> str:
    """One line for the report: AxHubErrors and failed checks as they are, others as bugs."""
    if isinstance(exc, AxHubError):
        text = f"{type(exc).__name__}: {exc}"
    elif isinstance(exc, FlowCheckError):
        text = str(exc)
    else:
        text = f"unexpected {type(exc).__name__} (a bug): {exc}"
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 3] + "..."


def _gone(call: Callable[[], object]) -> NotFoundError | None:
    """Run a follow-up read; return the NotFoundError it raised (None if it succeeded)."""
    try:
        call()
    except NotFoundError as exc:
        return exc
    return None


async def _gone_async(call: Callable[[], Awaitable[object]]) -> NotFoundError | None:
    """The async twin of :func:`_gone`."""
    try:
        await call()
    except NotFoundError as exc:
        return exc
    return None


# --- the sync flow -----------------------------------------------------------------------------


@dataclass
class _Created:
    """What the flow has made so far, for the later steps and the cleanup.

    ``app`` and ``table`` are sync or async entities, as the flow is.
    """

    user_id: str = ""
    app: Any = None
    table: Any = None


def run_flow(
    hub: AxHub, log: RequestLog, names: FlowNames, *, keep: bool = False
) -> list[StepResult]:
    """Walk the seed's quickstart and destructive flow through ``hub``; one result per step.

    ``log`` is the request log of ``hub``'s transport (e.g. a
    :class:`~axhub_orm.testing.CountingTransport` passed as ``transport=``). The flow stops at
    the first failing step, then deletes what it created unless ``keep``; with ``keep`` the
    app is left in place (and the last step names it).
    """
    rec, made = _Recorder(log), _Created()
    try:
        _app_steps(rec, hub, names, made)
        _schema_steps(rec, made.app, names, made)
        _row_steps(rec, made.table, names, made)
        _teardown_steps(rec, hub, made, keep=keep)
    except _FlowAbortedError:
        if made.app is not None and not keep:
            _cleanup(rec, made.app)
    return rec.results


def _app_steps(rec: _Recorder, hub: AxHub, names: FlowNames, made: _Created) -> None:
    with rec.step("who am I") as check:
        me = hub.me()
        check.that(me.id, "response has the caller's user id")
        made.user_id = me.id
    with rec.step("create app") as check:
        app = hub.apps.create(slug=names.slug, name=names.app_name, visibility="private")
        made.app = app
        check.that(app.id and app.slug == names.slug, f"app {app.slug} has an id")
    with rec.step("set env var") as check:
        app.env_vars.set(ENV_KEY, "live")
        check.that(ENV_KEY in [v.key for v in app.env_vars.list()], f"env.list includes {ENV_KEY}")
    with rec.step("delete env var") as check:
        app.env_vars.delete(ENV_KEY)
        keys = [v.key for v in app.env_vars.list()]
        check.that(ENV_KEY not in keys, f"env.list no longer includes {ENV_KEY}")


def _schema_steps(rec: _Recorder, app: App, names: FlowNames, made: _Created) -> None:
    with rec.step("create table") as check:
        table = app.tables.create(names.table, columns=list(COLUMNS), owner_column="owner_id")
        made.table = table
        check.that(table.name == names.table, f"tableName equals {names.table!r}")
    with rec.step("inspect table") as check:
        inspected = app.tables.get(names.table)
        check.that((inspected.id, inspected.name) == (table.id, names.table), "id and name match")
    with rec.step("add column") as check:
        table.columns.add(Column(EXTRA_COLUMN, "int", default="0"))
        check.that(EXTRA_COLUMN in app.tables.get(names.table).columns, "inspect has the column")
    with rec.step("drop column") as check:
        table.columns[EXTRA_COLUMN].delete()
        columns = app.tables.get(names.table).columns
        check.that(EXTRA_COLUMN not in columns, "inspect no longer has the column")
    _grant_steps(rec, table, made)


def _grant_steps(rec: _Recorder, table: Table, made: _Created) -> None:
    with rec.step("add grant") as check:
        grant = table.grants.create(principal_id=made.user_id, actions=["read", "write"])
        check.that(grant.id, "response has a grant id")
    with rec.step("list grants") as check:
        check.that(grant.id in [g.id for g in table.grants.list()], "list contains the grant id")
    with rec.step("revoke grant") as check:
        grant.delete()
        listed = {g.id: g for g in table.grants.list()}
        check.that(grant.id in listed, "list still contains the grant")
        check.that(listed[grant.id].revoked_at is not None, "with revokedAt set")


def _row_steps(rec: _Recorder, table: Table, names: FlowNames, made: _Created) -> None:
    user_id = made.user_id
    with rec.step("insert row") as check:
        row = table.rows.create(owner_id=user_id, title=names.row_title, status="new")
        fields = (row["owner_id"], row["title"], row["status"])
        check.that(row.id and fields == (user_id, names.row_title, "new"), "id + submitted fields")
    with rec.step("get row") as check:
        check.that(table.rows.get(str(row.id)).id == row.id, "response row id matches")
    with rec.step("update row") as check:
        row["status"] = "done"
        check.that(row.save() == {"status": "done"}, "PATCH sent only the changed field")
        check.that(row["status"] == "done", "response contains the patched field")
    with rec.step("list rows") as check:
        check.that(row.id in [r.id for r in table.rows], "items contain the row id")
    with rec.step("count rows") as check:
        count = table.rows.filter(status="done").count()
        check.that(count == 1, f"count is {count}, as expected")
    with rec.step("browse rows") as check:
        browse = table.browse()
        check.that(isinstance(browse.rows, list), "response has a rows array")
        check.that(isinstance(browse.columns, list), "and a columns array")
    with rec.step("delete row") as check:
        row.delete()
        check.gone(_gone(lambda: table.rows.get(str(row.id))), "row get")


def _teardown_steps(rec: _Recorder, hub: AxHub, made: _Created, *, keep: bool) -> None:
    app, table = made.app, made.table
    with rec.step("delete table") as check:
        table.delete()
        check.gone(_gone(lambda: app.tables.get(table.name)), "table inspect")
    if keep:
        rec.note("keep app", f"kept app {app.slug} (id {app.id}) for inspection")
        return
    with rec.step("soft-delete app") as check:
        app.delete()
        check.that(app.deleted_at is not None, "app is soft-deleted (deletedAt set)")
    with rec.step("delete app permanently") as check:
        app.delete(permanent=True)
        check.gone(_gone(lambda: hub.apps.get(str(app.id))), "app get")


def _cleanup(rec: _Recorder, app: App) -> None:
    try:
        with rec.step("cleanup: delete app") as check:
            app.delete(permanent=True)
            check.that(True, f"deleted app {app.slug} permanently")
    except _FlowAbortedError:
        pass  # reported as a failed step; nothing more to do


# --- the async flow ----------------------------------------------------------------------------


async def run_flow_async(
    hub: AsyncAxHub, log: RequestLog, names: FlowNames, *, keep: bool = False
) -> list[StepResult]:
    """The async twin of :func:`run_flow`: the same steps, requests and results."""
    rec, made = _Recorder(log), _Created()
    try:
        await _app_steps_async(rec, hub, names, made)
        await _schema_steps_async(rec, made.app, names, made)
        await _row_steps_async(rec, made.table, names, made)
        await _teardown_steps_async(rec, hub, made, keep=keep)
    except _FlowAbortedError:
        if made.app is not None and not keep:
            await _cleanup_async(rec, made.app)
    return rec.results


async def _app_steps_async(
    rec: _Recorder, hub: AsyncAxHub, names: FlowNames, made: _Created
) -> None:
    with rec.step("who am I") as check:
        me = await hub.me()
        check.that(me.id, "response has the caller's user id")
        made.user_id = me.id
    with rec.step("create app") as check:
        app = await hub.apps.create(slug=names.slug, name=names.app_name, visibility="private")
        made.app = app
        check.that(app.id and app.slug == names.slug, f"app {app.slug} has an id")
    with rec.step("set env var") as check:
        await app.env_vars.set(ENV_KEY, "live")
        keys = [v.key for v in await app.env_vars.list()]
        check.that(ENV_KEY in keys, f"env.list includes {ENV_KEY}")
    with rec.step("delete env var") as check:
        await app.env_vars.delete(ENV_KEY)
        keys = [v.key for v in await app.env_vars.list()]
        check.that(ENV_KEY not in keys, f"env.list no longer includes {ENV_KEY}")


async def _schema_steps_async(
    rec: _Recorder, app: AsyncApp, names: FlowNames, made: _Created
) -> None:
    with rec.step("create table") as check:
        table = await app.tables.create(names.table, columns=list(COLUMNS), owner_column="owner_id")
        made.table = table
        check.that(table.name == names.table, f"tableName equals {names.table!r}")
    with rec.step("inspect table") as check:
        inspected = await app.tables.get(names.table)
        check.that((inspected.id, inspected.name) == (table.id, names.table), "id and name match")
    with rec.step("add column") as check:
        await table.columns.add(Column(EXTRA_COLUMN, "int", default="0"))
        columns = (await app.tables.get(names.table)).columns
        check.that(EXTRA_COLUMN in columns, "inspect has the column")
    with rec.step("drop column") as check:
        await table.columns[EXTRA_COLUMN].delete()
        columns = (await app.tables.get(names.table)).columns
        check.that(EXTRA_COLUMN not in columns, "inspect no longer has the column")
    await _grant_steps_async(rec, table, made)


async def _grant_steps_async(rec: _Recorder, table: AsyncTable, made: _Created) -> None:
    with rec.step("add grant") as check:
        grant = await table.grants.create(principal_id=made.user_id, actions=["read", "write"])
        check.that(grant.id, "response has a grant id")
    with rec.step("list grants") as check:
        ids = [g.id for g in await table.grants.list()]
        check.that(grant.id in ids, "list contains the grant id")
    with rec.step("revoke grant") as check:
        await grant.delete()
        listed = {g.id: g for g in await table.grants.list()}
        check.that(grant.id in listed, "list still contains the grant")
        check.that(listed[grant.id].revoked_at is not None, "with revokedAt set")


async def _row_steps_async(
    rec: _Recorder, table: AsyncTable, names: FlowNames, made: _Created
) -> None:
    user_id = made.user_id
    with rec.step("insert row") as check:
        row = await table.rows.create(owner_id=user_id, title=names.row_title, status="new")
        fields = (row["owner_id"], row["title"], row["status"])
        check.that(row.id and fields == (user_id, names.row_title, "new"), "id + submitted fields")
    with rec.step("get row") as check:
        check.that((await table.rows.get(str(row.id))).id == row.id, "response row id matches")
    with rec.step("update row") as check:
        row["status"] = "done"
        check.that(await row.save() == {"status": "done"}, "PATCH sent only the changed field")
        check.that(row["status"] == "done", "response contains the patched field")
    with rec.step("list rows") as check:
        check.that(row.id in [r.id async for r in table.rows], "items contain the row id")
    with rec.step("count rows") as check:
        count = await table.rows.filter(status="done").count()
        check.that(count == 1, f"count is {count}, as expected")
    with rec.step("browse rows") as check:
        browse = await table.browse()
        check.that(isinstance(browse.rows, list), "response has a rows array")
        check.that(isinstance(browse.columns, list), "and a columns array")
    with rec.step("delete row") as check:
        await row.delete()
        check.gone(await _gone_async(lambda: table.rows.get(str(row.id))), "row get")


async def _teardown_steps_async(
    rec: _Recorder, hub: AsyncAxHub, made: _Created, *, keep: bool
) -> None:
    app, table = made.app, made.table
    with rec.step("delete table") as check:
        await table.delete()
        check.gone(await _gone_async(lambda: app.tables.get(table.name)), "table inspect")
    if keep:
        rec.note("keep app", f"kept app {app.slug} (id {app.id}) for inspection")
        return
    with rec.step("soft-delete app") as check:
        await app.delete()
        check.that(app.deleted_at is not None, "app is soft-deleted (deletedAt set)")
    with rec.step("delete app permanently") as check:
        await app.delete(permanent=True)
        check.gone(await _gone_async(lambda: hub.apps.get(str(app.id))), "app get")


async def _cleanup_async(rec: _Recorder, app: AsyncApp) -> None:
    try:
        with rec.step("cleanup: delete app") as check:
            await app.delete(permanent=True)
            check.that(True, f"deleted app {app.slug} permanently")
    except _FlowAbortedError:
        pass  # reported as a failed step; nothing more to do


# --- the report --------------------------------------------------------------------------------


def _marks() -> tuple[str, str]:
    """✓/✗ where the terminal can print them, ``ok``/``FAIL`` where it cannot."""
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "✓✗".encode(encoding)
    except (LookupError, UnicodeEncodeError):
        return "ok", "FAIL"
    return "✓", "✗"


def render_report(results: Sequence[StepResult]) -> str:
    """The results as an aligned table: step, operation id(s), requests, result.

    A step that sent several operations lists one per line.
    """
    good, bad = _marks()
    header = ("#", "step", "operation id(s)", "req", "result")
    lines: list[tuple[str, ...]] = []
    for number, result in enumerate(results, 1):
        operations = result.operations or ("-",)
        mark = good if result.ok else bad
        lines.append(
            (
                str(number),
                result.step,
                operations[0],
                str(result.requests),
                f"{mark} {result.detail}",
            )
        )
        lines.extend(("", "", operation, "", "") for operation in operations[1:])
    widths = [max(len(row[i]) for row in (header, *lines)) for i in range(4)]
    rule = ("-" * widths[0], "-" * widths[1], "-" * widths[2], "-" * widths[3], "-" * 6)
    return "\n".join(_format_row(row, widths) for row in (header, rule, *lines))


def _format_row(row: Sequence[str], widths: Sequence[int]) -> str:
    number, step, operation, requests, result = row
    return "  ".join(
        (
            number.rjust(widths[0]),
            step.ljust(widths[1]),
            operation.ljust(widths[2]),
            requests.rjust(widths[3]),
            result,
        )
    ).rstrip()


def _summary(results: Sequence[StepResult]) -> str:
    total = sum(r.requests for r in results)
    failed = [r for r in results if not r.ok]
    if not failed:
        return f"{len(results)} steps, {total} requests: every success assertion held."
    first = failed[0]
    return f"{len(results)} steps, {total} requests: FAILED at step {first.step!r}: {first.detail}"


# --- the command -------------------------------------------------------------------------------

_REMOTE_OPTIONS = ("base_url", "token", "token_type", "tenant_id", "tenant_slug")
_REQUIRED_REMOTE = (
    ("token", "AXHUB_TOKEN"),
    ("token_type", "AXHUB_TOKEN_TYPE"),
    ("tenant_id", "AXHUB_TENANT_ID"),
    ("tenant_slug", "AXHUB_TENANT_SLUG"),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="axhub-orm demo",
        description="Walk the AX Hub quickstart and destructive flow through the ORM: against "
        "an embedded emulator by default, or a real AX Hub with --remote / --base-url / --token "
        "(options not given are read from AXHUB_BASE_URL, AXHUB_TOKEN, AXHUB_TOKEN_TYPE, "
        "AXHUB_TENANT_ID, AXHUB_TENANT_SLUG).",
    )
    parser.add_argument(
        "--remote",
        action="store_true",
        help="run against a real AX Hub configured by the AXHUB_* variables",
    )
    parser.add_argument("--base-url", help="AX Hub base URL (e.g. https://api.axhub.ai)")
    parser.add_argument("--token", help="a PAT or JWT (never printed)")
    parser.add_argument(
        "--token-type",
        choices=["pat", "jwt", "PAT", "JWT"],
        help="PAT (sent as X-Api-Key) or JWT (Authorization: Bearer)",
    )
    parser.add_argument("--tenant-id", help="the tenant UUID the app is created in")
    parser.add_argument("--tenant-slug", help="the tenant slug used by the row routes")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the app in place for inspection (prints its id and slug)",
    )
    parser.add_argument(
        "--db",
        help="emulator only: an SQLite file instead of memory, so a "
        "--keep app can be inspected later with `axhub-orm serve --db FILE`",
    )
    return parser


def demo(argv: list[str]) -> int:
    """Run ``axhub-orm demo``; 0 if every success assertion held, 1 if not, 2 on usage errors."""
    args = _parser().parse_args(argv)
    remote = args.remote or any(getattr(args, name) for name in _REMOTE_OPTIONS)
    if remote:
        return _demo_remote(args)
    return _demo_local(args)


def _demo_local(args: argparse.Namespace) -> int:
    try:
        from .local import LocalAxHub
    except ImportError as exc:
        print(
            f"axhub-orm demo: the embedded emulator needs the `local` extra "
            f"(pip install 'axhub-orm[local]'): {exc}",
            file=sys.stderr,
        )
        return 2
    names = FlowNames.timestamped() if args.db else FlowNames(slug="demo")
    log = CountingTransport()
    with LocalAxHub(db=args.db) as local:
        print(
            f"AX Hub emulator at {local.base_url} (tenant {local.tenant_slug}, "
            f"token {redacted_token()})\n"
        )
        with local.client(transport=log) as hub:
            results = run_flow(hub, log, names, keep=args.keep)
    if args.keep and not args.db:
        print(
            "note: the embedded emulator kept its state in memory, which ends with this "
            "process; pass --db FILE to inspect a kept app later.\n"
        )
    return _finish(results)


def _demo_remote(args: argparse.Namespace) -> int:
    overrides = {name: getattr(args, name) for name in _REMOTE_OPTIONS if getattr(args, name)}
    missing = _missing_settings(overrides)
    if missing:
        print(f"axhub-orm demo: a real AX Hub needs {'; '.join(missing)}", file=sys.stderr)
        return 2
    log = CountingTransport()
    try:
        hub = AxHub.from_env(transport=log, **overrides)
    except ValidationError as exc:
        print(f"axhub-orm demo: {exc}", file=sys.stderr)
        return 2
    print(f"AX Hub at {hub.base_url} (tenant {hub.tenant_slug}, token {redacted_token()})\n")
    with hub:
        results = run_flow(hub, log, FlowNames.timestamped(), keep=args.keep)
    return _finish(results)


def _missing_settings(overrides: dict[str, str]) -> list[str]:
    """The settings a real AX Hub run lacks (neither an option nor a variable gives them)."""
    return [
        f"--{name.replace('_', '-')} (or {variable})"
        for name, variable in _REQUIRED_REMOTE
        if not overrides.get(name) and not os.environ.get(variable)
    ]


def _finish(results: Sequence[StepResult]) -> int:
    print(render_report(results))
    print()
    print(_summary(results))
    return 0 if results and all(r.ok for r in results) else 1
