"""Request budget: the fewest HTTP requests each public verb needs, enforced against the emulator.

Every test is a *scenario*: it builds what the verb needs without counting, then runs the verb
inside ``bench.counted()``; the ``@budget`` decorator registers the scenario in :data:`VERBS` and
fails the test unless the verb sent exactly its budget (more is a regression; fewer means the
verb became a no-op or the budget is stale). Written once in async; ``benchmarks/run.py``
imports the generated sync twin and runs the same scenarios for the requests-per-operation
table.

The emulator is private to this module so that other tests' apps never add list pages.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from axhub_orm import AsyncApp, AsyncAxHub, AsyncTable, Column
from axhub_orm.local import LocalAxHub
from axhub_orm.testing import AsyncCountingTransport, unique_slug

pytestmark = pytest.mark.anyio

Scenario = Callable[["AsyncBench"], Coroutine[Any, Any, None]]

COLUMNS = (
    Column("owner_id", "uuid", nullable=False),
    Column("title", "text", nullable=False),
    Column("status", "text"),
    Column("priority", "int", default="0"),
)


@dataclass(frozen=True)
class Verb:
    """A public verb, its request budget and the scenario that measures it."""

    name: str
    budget: int
    scenario: Scenario


VERBS: dict[str, Verb] = {}
"""Every registered verb by name, in declaration order."""

_names = itertools.count(1)


class AsyncBench:
    """A client over a counting transport, plus helpers that prepare a verb without counting.

    Only what runs inside :meth:`counted` is measured; the requests are kept in :attr:`sent`.
    """

    def __init__(
        self, hub: AsyncAxHub, counter: AsyncCountingTransport, app_id: str, user_id: str
    ) -> None:
        self.hub = hub
        self.counter = counter
        self.app_id = app_id
        self.user_id = user_id
        self.sent: list[httpx.Request] | None = None

    def __repr__(self) -> str:
        return (
            f"<AsyncBench app={self.app_id} sent={None if self.sent is None else len(self.sent)}>"
        )

    @contextmanager
    def counted(self) -> Iterator[None]:
        """Count the requests sent inside the block."""
        self.counter.reset()
        yield
        self.sent = list(self.counter.requests)

    async def app(self) -> AsyncApp:
        """The module's shared app, loaded through this bench's client."""
        return await self.hub.apps.get(self.app_id)

    async def fresh_app(self) -> AsyncApp:
        """A new app of its own (for verbs that change or delete an app)."""
        return await self.hub.apps.create(slug=unique_slug("budget"), name="budget app")

    async def table(self, rows: int = 0) -> AsyncTable:
        """A new owner-scoped table in the shared app, holding ``rows`` rows."""
        table = await (await self.app()).tables.create(
            f"t{next(_names)}", columns=list(COLUMNS), owner_column="owner_id"
        )
        for index in range(rows):
            await table.rows.create(title=f"row {index}", status="new", priority=index % 5)
        return table

    def check(self, verb: str, budget: int) -> None:
        """Fail unless the counted block sent exactly ``budget`` requests."""
        assert self.sent is not None, f"the scenario of {verb} never entered bench.counted()"
        sent = [f"{r.method} {r.url.path}" for r in self.sent]
        assert len(sent) == budget, f"{verb} sent {len(sent)} requests (budget {budget}): {sent}"


def budget(verb: str, requests: int) -> Callable[[Scenario], Scenario]:
    """Register a scenario for ``verb`` and turn it into a test enforcing ``requests``."""

    def register(scenario: Scenario) -> Scenario:
        VERBS[verb] = Verb(verb, requests, scenario)

        @functools.wraps(scenario)
        async def test(bench: AsyncBench) -> None:
            await scenario(bench)
            bench.check(verb, requests)

        return test

    return register


@pytest.fixture(scope="module")
def budget_local() -> Iterator[LocalAxHub]:
    """An emulator of this module's own."""
    with LocalAxHub() as local:
        yield local


@pytest.fixture(scope="module")
def shared_app_id(budget_local: LocalAxHub) -> str:
    """One app whose tables most scenarios use."""
    with budget_local.client() as hub:
        return str(hub.apps.create(slug=unique_slug("budget"), name="request budget").id)


@pytest.fixture
async def bench(budget_local: LocalAxHub, shared_app_id: str) -> AsyncIterator[AsyncBench]:
    """A bench whose client counts every request it sends."""
    counter = AsyncCountingTransport()
    async with budget_local.async_client(transport=counter) as hub:
        yield AsyncBench(hub, counter, shared_app_id, budget_local.user_id)


# --- the client and apps ---------------------------------------------------------------------


@budget("hub.me", 1)
async def test_hub_me(bench: AsyncBench) -> None:
    """``hub.me()`` needs 1 request."""
    with bench.counted():
        assert (await bench.hub.me()).id == bench.user_id


@budget("apps.create", 1)
async def test_apps_create(bench: AsyncBench) -> None:
    """``hub.apps.create(slug=, name=)`` needs 1 request."""
    with bench.counted():
        app = await bench.hub.apps.create(slug=unique_slug("budget"), name="created")
    assert app.id


@budget("apps.get", 1)
async def test_apps_get(bench: AsyncBench) -> None:
    """``hub.apps.get(id)`` needs 1 request."""
    with bench.counted():
        assert (await bench.hub.apps.get(bench.app_id)).id == bench.app_id


@budget("apps.list (1 page)", 1)
async def test_apps_list(bench: AsyncBench) -> None:
    """``hub.apps.list()`` needs 1 request while the tenant has at most one page of apps."""
    with bench.counted():
        apps = await bench.hub.apps.list()
    assert bench.app_id in [a.id for a in apps]


@budget("app.save (changed)", 1)
async def test_app_save_changed(bench: AsyncBench) -> None:
    """``app.save()`` after a change needs 1 request."""
    app = await bench.fresh_app()
    app.name = "renamed"
    with bench.counted():
        assert await app.save() == {"name": "renamed"}


@budget("app.save (unchanged)", 0)
async def test_app_save_unchanged(bench: AsyncBench) -> None:
    """``app.save()`` with nothing changed needs 0 requests."""
    app = await bench.app()
    with bench.counted():
        assert await app.save() == {}


@budget("app.refresh", 1)
async def test_app_refresh(bench: AsyncBench) -> None:
    """``app.refresh()`` needs 1 request."""
    app = await bench.app()
    with bench.counted():
        await app.refresh()


@budget("app.delete", 1)
async def test_app_delete(bench: AsyncBench) -> None:
    """``app.delete()`` (soft) needs 1 request."""
    app = await bench.fresh_app()
    with bench.counted():
        await app.delete()
    assert app.deleted_at is not None


@budget("app.delete(permanent=True)", 2)
async def test_app_delete_permanent(bench: AsyncBench) -> None:
    """``app.delete(permanent=True)`` on a persisted app needs 2 requests (soft, then permanent)."""
    app = await bench.fresh_app()
    with bench.counted():
        await app.delete(permanent=True)


# --- env vars ---------------------------------------------------------------------------------


@budget("env_vars.set", 1)
async def test_env_vars_set(bench: AsyncBench) -> None:
    """``app.env_vars.set(key, value)`` needs 1 request."""
    env = (await bench.app()).env_vars
    with bench.counted():
        await env.set("BUDGET_SET", "on")


@budget("env_vars.list", 1)
async def test_env_vars_list(bench: AsyncBench) -> None:
    """``app.env_vars.list()`` needs 1 request."""
    env = (await bench.app()).env_vars
    await env.set("BUDGET_LIST", "on")
    with bench.counted():
        assert "BUDGET_LIST" in [v.key for v in await env.list()]


@budget("env_vars.get", 1)
async def test_env_vars_get(bench: AsyncBench) -> None:
    """``app.env_vars.get(key)`` needs 1 request."""
    env = (await bench.app()).env_vars
    await env.set("BUDGET_GET", "on")
    with bench.counted():
        assert await env.get("BUDGET_GET") == "on"


@budget("env_vars.delete", 1)
async def test_env_vars_delete(bench: AsyncBench) -> None:
    """``app.env_vars.delete(key)`` needs 1 request."""
    env = (await bench.app()).env_vars
    await env.set("BUDGET_DELETE", "on")
    with bench.counted():
        await env.delete("BUDGET_DELETE")


# --- tables and columns -----------------------------------------------------------------------


@budget("tables.create", 1)
async def test_tables_create(bench: AsyncBench) -> None:
    """``app.tables.create(name, columns=...)`` needs 1 request."""
    tables = (await bench.app()).tables
    with bench.counted():
        await tables.create(f"t{next(_names)}", columns=list(COLUMNS), owner_column="owner_id")


@budget("tables.get", 1)
async def test_tables_get(bench: AsyncBench) -> None:
    """``app.tables.get(name)`` needs 1 request."""
    table = await bench.table()
    tables = (await bench.app()).tables
    with bench.counted():
        assert (await tables.get(table.name)).id == table.id


@budget("tables.list", 1)
async def test_tables_list(bench: AsyncBench) -> None:
    """``app.tables.list()`` needs 1 request while the app has at most one page of tables."""
    table = await bench.table()
    tables = (await bench.app()).tables
    with bench.counted():
        assert table.name in [t.name for t in await tables.list()]


@budget("table.refresh", 1)
async def test_table_refresh(bench: AsyncBench) -> None:
    """``table.refresh()`` needs 1 request."""
    table = await bench.table()
    with bench.counted():
        await table.refresh()


@budget("table.delete", 1)
async def test_table_delete(bench: AsyncBench) -> None:
    """``table.delete()`` needs 1 request."""
    table = await bench.table()
    with bench.counted():
        await table.delete()


@budget("table.browse", 1)
async def test_table_browse(bench: AsyncBench) -> None:
    """``table.browse()`` needs 1 request."""
    table = await bench.table(rows=2)
    with bench.counted():
        assert len((await table.browse()).rows) == 2


@budget("columns.add", 1)
async def test_columns_add(bench: AsyncBench) -> None:
    """``table.columns.add(Column(...))`` needs 1 request."""
    table = await bench.table()
    with bench.counted():
        await table.columns.add(Column("extra", "text"))
    assert "extra" in table.columns


@budget("column.delete", 1)
async def test_column_delete(bench: AsyncBench) -> None:
    """``table.columns[name].delete()`` needs 1 request."""
    table = await bench.table()
    column = table.columns["status"]
    with bench.counted():
        await column.delete()
    assert "status" not in table.columns


# --- grants -----------------------------------------------------------------------------------


@budget("grants.create", 1)
async def test_grants_create(bench: AsyncBench) -> None:
    """``table.grants.create(principal_id=, actions=)`` needs 1 request."""
    grants = (await bench.table()).grants
    with bench.counted():
        await grants.create(principal_id=bench.user_id, actions=["read"])


@budget("grants.list", 1)
async def test_grants_list(bench: AsyncBench) -> None:
    """``table.grants.list()`` needs 1 request."""
    grants = (await bench.table()).grants
    grant = await grants.create(principal_id=bench.user_id, actions=["read"])
    with bench.counted():
        assert grant.id in [g.id for g in await grants.list()]


@budget("grant.delete", 1)
async def test_grant_delete(bench: AsyncBench) -> None:
    """``grant.delete()`` (a soft revoke) needs 1 request."""
    grant = await (await bench.table()).grants.create(principal_id=bench.user_id, actions=["read"])
    with bench.counted():
        await grant.delete()


@budget("grant.refresh", 1)
async def test_grant_refresh(bench: AsyncBench) -> None:
    """``grant.refresh()`` needs 1 request."""
    grant = await (await bench.table()).grants.create(
        principal_id=bench.user_id, actions=["read", "write"]
    )
    with bench.counted():
        await grant.refresh()


# --- rows -------------------------------------------------------------------------------------


@budget("rows.create", 1)
async def test_rows_create(bench: AsyncBench) -> None:
    """``table.rows.create(**values)`` needs 1 request."""
    rows = (await bench.table()).rows
    with bench.counted():
        assert (await rows.create(title="one", status="new")).id


@budget("rows.new + save", 1)
async def test_rows_new_save(bench: AsyncBench) -> None:
    """``table.rows.new(**values).save()`` needs 1 request."""
    rows = (await bench.table()).rows
    with bench.counted():
        row = rows.new(title="one", status="new")
        await row.save()
    assert row.id


@budget("rows.get(id)", 1)
async def test_rows_get_by_id(bench: AsyncBench) -> None:
    """``table.rows.get(row_id)`` needs 1 request."""
    table = await bench.table()
    created = await table.rows.create(title="one")
    with bench.counted():
        assert (await table.rows.get(str(created.id)))["title"] == "one"


@budget("row.save (one change)", 1)
async def test_row_save_one_change(bench: AsyncBench) -> None:
    """``row.save()`` after one change needs 1 request."""
    row = await (await bench.table()).rows.create(title="one", status="new")
    row["status"] = "done"
    with bench.counted():
        assert await row.save() == {"status": "done"}


@budget("row.save (no change)", 0)
async def test_row_save_no_change(bench: AsyncBench) -> None:
    """``row.save()`` with nothing changed needs 0 requests."""
    row = await (await bench.table()).rows.create(title="one", status="new")
    with bench.counted():
        assert await row.save() == {}


@budget("row.refresh", 1)
async def test_row_refresh(bench: AsyncBench) -> None:
    """``row.refresh()`` needs 1 request."""
    row = await (await bench.table()).rows.create(title="one")
    with bench.counted():
        await row.refresh()


@budget("row.delete", 1)
async def test_row_delete(bench: AsyncBench) -> None:
    """``row.delete()`` needs 1 request."""
    row = await (await bench.table()).rows.create(title="one")
    with bench.counted():
        await row.delete()


# --- queries ----------------------------------------------------------------------------------


@budget("q.count()", 1)
async def test_query_count(bench: AsyncBench) -> None:
    """``q.count()`` needs 1 request and never lists rows."""
    table = await bench.table(rows=5)
    with bench.counted():
        assert await table.rows.filter(status="new", priority__gte=3).count() == 2


@budget("q.exists()", 1)
async def test_query_exists(bench: AsyncBench) -> None:
    """``q.exists()`` needs 1 request."""
    table = await bench.table(rows=3)
    with bench.counted():
        assert await table.rows.filter(status="new").exists()


@budget("q.first()", 1)
async def test_query_first(bench: AsyncBench) -> None:
    """``q.first()`` needs 1 request."""
    table = await bench.table(rows=3)
    with bench.counted():
        assert await table.rows.order_by("priority").first() is not None


@budget("q.get(**lookups)", 1)
async def test_query_get_by_lookups(bench: AsyncBench) -> None:
    """``table.rows.get(title=...)`` needs 1 request."""
    table = await bench.table(rows=3)
    with bench.counted():
        assert (await table.rows.get(title="row 1"))["priority"] == 1


@budget("list(q) of 250 rows", 3)
async def test_query_list_250(bench: AsyncBench) -> None:
    """``list(q)`` over 250 rows needs 3 requests (pages of 100)."""
    table = await bench.table(rows=250)
    with bench.counted():
        assert len([row async for row in table.rows]) == 250


@budget("q[:10]", 1)
async def test_query_slice(bench: AsyncBench) -> None:
    """``list(q[:10])`` needs 1 request."""
    table = await bench.table(rows=12)
    with bench.counted():
        assert len([row async for row in table.rows[:10]]) == 10


# --- the registry itself ----------------------------------------------------------------------


def test_every_docstring_states_its_budget() -> None:
    """Each scenario's docstring names its budget, so the test list reads as the budget table."""
    for verb in VERBS.values():
        unit = "request" if verb.budget == 1 else "requests"
        assert f"{verb.budget} {unit}" in (verb.scenario.__doc__ or ""), verb.name
