"""Request budget: the fewest HTTP requests each public verb needs, enforced against the emulator.

Every test is a *scenario*: it builds what the verb needs without counting, then runs the verb
inside ``bench.counted()``; the ``@budget`` decorator registers the scenario in :data:`VERBS` and
fails the test when the verb sent more requests than its budget. ``benchmarks/run.py`` imports
this module and runs the same scenarios to print the requests-per-operation table.

The emulator is private to this module so that other tests' apps never add list pages.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest

from axhub_orm import App, AxHub, Column, Table
from axhub_orm.local import LocalAxHub
from axhub_orm.testing import CountingTransport, unique_slug

Scenario = Callable[["Bench"], None]

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


class Bench:
    """A client over a counting transport, plus helpers that prepare a verb without counting.

    Only what runs inside :meth:`counted` is measured; the requests are kept in :attr:`sent`.
    """

    def __init__(self, hub: AxHub, counter: CountingTransport, app_id: str, user_id: str) -> None:
        self.hub = hub
        self.counter = counter
        self.app_id = app_id
        self.user_id = user_id
        self.sent: list[httpx.Request] | None = None

    def __repr__(self) -> str:
        return f"<Bench app={self.app_id} sent={None if self.sent is None else len(self.sent)}>"

    @contextmanager
    def counted(self) -> Iterator[None]:
        """Count the requests sent inside the block."""
        self.counter.reset()
        yield
        self.sent = list(self.counter.requests)

    def app(self) -> App:
        """The module's shared app, loaded through this bench's client."""
        return self.hub.apps.get(self.app_id)

    def fresh_app(self) -> App:
        """A new app of its own (for verbs that change or delete an app)."""
        return self.hub.apps.create(slug=unique_slug("budget"), name="budget app")

    def table(self, rows: int = 0) -> Table:
        """A new owner-scoped table in the shared app, holding ``rows`` rows."""
        table = self.app().tables.create(
            f"t{next(_names)}", columns=list(COLUMNS), owner_column="owner_id"
        )
        for index in range(rows):
            table.rows.create(title=f"row {index}", status="new", priority=index % 5)
        return table

    def check(self, verb: str, budget: int) -> None:
        """Fail when the counted block sent more than ``budget`` requests."""
        assert self.sent is not None, f"the scenario of {verb} never entered bench.counted()"
        sent = [f"{r.method} {r.url.path}" for r in self.sent]
        assert len(sent) <= budget, f"{verb} sent {len(sent)} requests (budget {budget}): {sent}"


def budget(verb: str, requests: int) -> Callable[[Scenario], Scenario]:
    """Register a scenario for ``verb`` and turn it into a test enforcing ``requests``."""

    def register(scenario: Scenario) -> Scenario:
        VERBS[verb] = Verb(verb, requests, scenario)

        @functools.wraps(scenario)
        def test(bench: Bench) -> None:
            scenario(bench)
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
def bench(budget_local: LocalAxHub, shared_app_id: str) -> Iterator[Bench]:
    """A bench whose client counts every request it sends."""
    counter = CountingTransport()
    with budget_local.client(transport=counter) as hub:
        yield Bench(hub, counter, shared_app_id, budget_local.user_id)


# --- the client and apps ---------------------------------------------------------------------


@budget("hub.me", 1)
def test_hub_me(bench: Bench) -> None:
    """``hub.me()`` needs 1 request."""
    with bench.counted():
        assert bench.hub.me().id == bench.user_id


@budget("apps.create", 1)
def test_apps_create(bench: Bench) -> None:
    """``hub.apps.create(slug=, name=)`` needs 1 request."""
    with bench.counted():
        app = bench.hub.apps.create(slug=unique_slug("budget"), name="created")
    assert app.id


@budget("apps.get", 1)
def test_apps_get(bench: Bench) -> None:
    """``hub.apps.get(id)`` needs 1 request."""
    with bench.counted():
        assert bench.hub.apps.get(bench.app_id).id == bench.app_id


@budget("apps.list (1 page)", 1)
def test_apps_list(bench: Bench) -> None:
    """``hub.apps.list()`` needs 1 request while the tenant has at most one page of apps."""
    with bench.counted():
        apps = bench.hub.apps.list()
    assert bench.app_id in [a.id for a in apps]


@budget("app.save (changed)", 1)
def test_app_save_changed(bench: Bench) -> None:
    """``app.save()`` after a change needs 1 request."""
    app = bench.fresh_app()
    app.name = "renamed"
    with bench.counted():
        assert app.save() == {"name": "renamed"}


@budget("app.save (unchanged)", 0)
def test_app_save_unchanged(bench: Bench) -> None:
    """``app.save()`` with nothing changed needs 0 requests."""
    app = bench.app()
    with bench.counted():
        assert app.save() == {}


@budget("app.refresh", 1)
def test_app_refresh(bench: Bench) -> None:
    """``app.refresh()`` needs 1 request."""
    app = bench.app()
    with bench.counted():
        app.refresh()


@budget("app.delete", 1)
def test_app_delete(bench: Bench) -> None:
    """``app.delete()`` (soft) needs 1 request."""
    app = bench.fresh_app()
    with bench.counted():
        app.delete()
    assert app.deleted_at is not None


@budget("app.delete(permanent=True)", 2)
def test_app_delete_permanent(bench: Bench) -> None:
    """``app.delete(permanent=True)`` on a persisted app needs 2 requests (soft, then permanent)."""
    app = bench.fresh_app()
    with bench.counted():
        app.delete(permanent=True)


# --- env vars ---------------------------------------------------------------------------------


@budget("env_vars.set", 1)
def test_env_vars_set(bench: Bench) -> None:
    """``app.env_vars.set(key, value)`` needs 1 request."""
    env = bench.app().env_vars
    with bench.counted():
        env.set("BUDGET_SET", "on")


@budget("env_vars.list", 1)
def test_env_vars_list(bench: Bench) -> None:
    """``app.env_vars.list()`` needs 1 request."""
    env = bench.app().env_vars
    env.set("BUDGET_LIST", "on")
    with bench.counted():
        assert "BUDGET_LIST" in [v.key for v in env.list()]


@budget("env_vars.get", 1)
def test_env_vars_get(bench: Bench) -> None:
    """``app.env_vars.get(key)`` needs 1 request."""
    env = bench.app().env_vars
    env.set("BUDGET_GET", "on")
    with bench.counted():
        assert env.get("BUDGET_GET") == "on"


@budget("env_vars.delete", 1)
def test_env_vars_delete(bench: Bench) -> None:
    """``app.env_vars.delete(key)`` needs 1 request."""
    env = bench.app().env_vars
    env.set("BUDGET_DELETE", "on")
    with bench.counted():
        env.delete("BUDGET_DELETE")


# --- tables and columns -----------------------------------------------------------------------


@budget("tables.create", 1)
def test_tables_create(bench: Bench) -> None:
    """``app.tables.create(name, columns=...)`` needs 1 request."""
    tables = bench.app().tables
    with bench.counted():
        tables.create(f"t{next(_names)}", columns=list(COLUMNS), owner_column="owner_id")


@budget("tables.get", 1)
def test_tables_get(bench: Bench) -> None:
    """``app.tables.get(name)`` needs 1 request."""
    table = bench.table()
    tables = bench.app().tables
    with bench.counted():
        assert tables.get(table.name).id == table.id


@budget("tables.list", 1)
def test_tables_list(bench: Bench) -> None:
    """``app.tables.list()`` needs 1 request while the app has at most one page of tables."""
    table = bench.table()
    tables = bench.app().tables
    with bench.counted():
        assert table.name in [t.name for t in tables.list()]


@budget("table.refresh", 1)
def test_table_refresh(bench: Bench) -> None:
    """``table.refresh()`` needs 1 request."""
    table = bench.table()
    with bench.counted():
        table.refresh()


@budget("table.delete", 1)
def test_table_delete(bench: Bench) -> None:
    """``table.delete()`` needs 1 request."""
    table = bench.table()
    with bench.counted():
        table.delete()


@budget("table.browse", 1)
def test_table_browse(bench: Bench) -> None:
    """``table.browse()`` needs 1 request."""
    table = bench.table(rows=2)
    with bench.counted():
        assert len(table.browse().rows) == 2


@budget("columns.add", 1)
def test_columns_add(bench: Bench) -> None:
    """``table.columns.add(Column(...))`` needs 1 request."""
    table = bench.table()
    with bench.counted():
        table.columns.add(Column("extra", "text"))
    assert "extra" in table.columns


@budget("column.delete", 1)
def test_column_delete(bench: Bench) -> None:
    """``table.columns[name].delete()`` needs 1 request."""
    table = bench.table()
    column = table.columns["status"]
    with bench.counted():
        column.delete()
    assert "status" not in table.columns


# --- grants -----------------------------------------------------------------------------------


@budget("grants.create", 1)
def test_grants_create(bench: Bench) -> None:
    """``table.grants.create(principal_id=, actions=)`` needs 1 request."""
    grants = bench.table().grants
    with bench.counted():
        grants.create(principal_id=bench.user_id, actions=["read"])


@budget("grants.list", 1)
def test_grants_list(bench: Bench) -> None:
    """``table.grants.list()`` needs 1 request."""
    grants = bench.table().grants
    grant = grants.create(principal_id=bench.user_id, actions=["read"])
    with bench.counted():
        assert grant.id in [g.id for g in grants.list()]


@budget("grant.delete", 1)
def test_grant_delete(bench: Bench) -> None:
    """``grant.delete()`` (a soft revoke) needs 1 request."""
    grant = bench.table().grants.create(principal_id=bench.user_id, actions=["read"])
    with bench.counted():
        grant.delete()


@budget("grant.refresh", 1)
def test_grant_refresh(bench: Bench) -> None:
    """``grant.refresh()`` needs 1 request."""
    grant = bench.table().grants.create(principal_id=bench.user_id, actions=["read", "write"])
    with bench.counted():
        grant.refresh()


# --- rows -------------------------------------------------------------------------------------


@budget("rows.create", 1)
def test_rows_create(bench: Bench) -> None:
    """``table.rows.create(**values)`` needs 1 request."""
    rows = bench.table().rows
    with bench.counted():
        assert rows.create(title="one", status="new").id


@budget("rows.new + save", 1)
def test_rows_new_save(bench: Bench) -> None:
    """``table.rows.new(**values).save()`` needs 1 request."""
    rows = bench.table().rows
    with bench.counted():
        row = rows.new(title="one", status="new")
        row.save()
    assert row.id


@budget("rows.get(id)", 1)
def test_rows_get_by_id(bench: Bench) -> None:
    """``table.rows.get(row_id)`` needs 1 request."""
    table = bench.table()
    created = table.rows.create(title="one")
    with bench.counted():
        assert table.rows.get(str(created.id))["title"] == "one"


@budget("row.save (one change)", 1)
def test_row_save_one_change(bench: Bench) -> None:
    """``row.save()`` after one change needs 1 request."""
    row = bench.table().rows.create(title="one", status="new")
    row["status"] = "done"
    with bench.counted():
        assert row.save() == {"status": "done"}


@budget("row.save (no change)", 0)
def test_row_save_no_change(bench: Bench) -> None:
    """``row.save()`` with nothing changed needs 0 requests."""
    row = bench.table().rows.create(title="one", status="new")
    with bench.counted():
        assert row.save() == {}


@budget("row.refresh", 1)
def test_row_refresh(bench: Bench) -> None:
    """``row.refresh()`` needs 1 request."""
    row = bench.table().rows.create(title="one")
    with bench.counted():
        row.refresh()


@budget("row.delete", 1)
def test_row_delete(bench: Bench) -> None:
    """``row.delete()`` needs 1 request."""
    row = bench.table().rows.create(title="one")
    with bench.counted():
        row.delete()


# --- queries ----------------------------------------------------------------------------------


@budget("q.count()", 1)
def test_query_count(bench: Bench) -> None:
    """``q.count()`` needs 1 request and never lists rows."""
    table = bench.table(rows=5)
    with bench.counted():
        assert table.rows.filter(status="new", priority__gte=3).count() == 2


@budget("q.exists()", 1)
def test_query_exists(bench: Bench) -> None:
    """``q.exists()`` needs 1 request."""
    table = bench.table(rows=3)
    with bench.counted():
        assert table.rows.filter(status="new").exists()


@budget("q.first()", 1)
def test_query_first(bench: Bench) -> None:
    """``q.first()`` needs 1 request."""
    table = bench.table(rows=3)
    with bench.counted():
        assert table.rows.order_by("priority").first() is not None


@budget("q.get(**lookups)", 1)
def test_query_get_by_lookups(bench: Bench) -> None:
    """``table.rows.get(title=...)`` needs 1 request."""
    table = bench.table(rows=3)
    with bench.counted():
        assert table.rows.get(title="row 1")["priority"] == 1


@budget("list(q) of 250 rows", 3)
def test_query_list_250(bench: Bench) -> None:
    """``list(q)`` over 250 rows needs 3 requests (pages of 100)."""
    table = bench.table(rows=250)
    with bench.counted():
        assert len(list(table.rows)) == 250


@budget("q[:10]", 1)
def test_query_slice(bench: Bench) -> None:
    """``list(q[:10])`` needs 1 request."""
    table = bench.table(rows=12)
    with bench.counted():
        assert len(list(table.rows[:10])) == 10


# --- the registry itself ----------------------------------------------------------------------


def test_every_docstring_states_its_budget() -> None:
    """Each scenario's docstring names its budget, so the test list reads as the budget table."""
    for verb in VERBS.values():
        unit = "request" if verb.budget == 1 else "requests"
        assert f"{verb.budget} {unit}" in (verb.scenario.__doc__ or ""), verb.name
