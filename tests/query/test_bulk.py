"""Set operations and bulk writes against the emulator: counts, order, and every item accounted.

Clients run the emulator in-process; a counting transport checks the requests, and a
fault-injecting one drops the answers of chosen POSTs after the server has written them.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from axhub_orm import (
    MAX_CONCURRENCY,
    AxHub,
    BulkError,
    Column,
    ConnectError,
    QueryError,
    ValidationError,
)
from axhub_orm.local import LocalAxHub, SyncASGITransport
from axhub_orm.testing import AsyncCountingTransport, CountingTransport, unique_slug

from .conftest import async_in_process, in_process

_names = itertools.count(1)
COLUMNS = [
    Column("owner_id", "uuid", nullable=False),
    Column("status", "text"),
    Column("n", "int"),
]


@pytest.fixture
def table(module_app: Any) -> Iterator[Any]:
    """A fresh owner-scoped table (status text, n int), dropped afterwards."""
    created = module_app.tables.create(
        f"bulk{next(_names)}", columns=COLUMNS, owner_column="owner_id"
    )
    yield created
    created.delete()


def _rows_of(hub: AxHub, table: Any) -> Any:
    """``table.rows`` as seen through ``hub``."""
    return hub.apps.get(str(table.app.id)).tables.get(table.name).rows


def _posts(transport: CountingTransport | AsyncCountingTransport) -> int:
    return transport.count("POST")


def test_bulk_create_1000_rows_in_input_order_with_exactly_1000_posts(
    table: Any, counted: tuple[AxHub, CountingTransport]
) -> None:
    """bulk_create of 1,000 mappings writes 1,000 rows, returned in input order, 1 POST each."""
    hub, sent = counted
    rows = _rows_of(hub, table)
    sent.reset()
    created = rows.bulk_create({"n": n, "status": "new"} for n in range(1000))
    assert [row["n"] for row in created] == list(range(1000))
    assert all(row.id for row in created)
    assert _posts(sent) == 1000
    assert rows.count() == 1000


@pytest.mark.anyio
async def test_async_bulk_create_in_input_order_with_exactly_n_posts(
    table: Any, async_counted: tuple[Any, AsyncCountingTransport]
) -> None:
    """The async twin: tasks write every row once and return them in input order."""
    hub, sent = async_counted
    rows = (await (await hub.apps.get(str(table.app.id))).tables.get(table.name)).rows
    sent.reset()
    created = await rows.bulk_create([{"n": n} for n in range(300)], concurrency=8)
    assert [row["n"] for row in created] == list(range(300))
    assert _posts(sent) == 300
    assert await rows.count() == 300


def test_bad_items_are_failed_and_the_good_ones_written(table: Any) -> None:
    """Items refused by the client or by the server land in ``failed``; the others are written."""
    values: list[Any] = [{"n": n} for n in range(20)]
    values[3] = {"nope": 1}  # unknown column: refused before sending
    values[7] = {"n": "not a number"}  # the server answers 400
    values[11] = {"id": "x"}  # a server-set column
    values[15] = ["not", "a", "mapping"]
    with pytest.raises(BulkError) as raised:
        table.rows.bulk_create(values)
    error = raised.value
    assert [item.index for item in error.failed] == [3, 7, 11, 15]
    assert [item.input for item in error.failed] == [values[i] for i in (3, 7, 11, 15)]
    assert error.failed[0].error.code == "unknown_column"
    assert error.failed[0].error.status is None
    assert error.failed[1].error.status == 400
    assert error.unknown == [] and error.not_attempted == []
    assert [item.index for item in error.succeeded] == [
        i for i in range(20) if i not in (3, 7, 11, 15)
    ]
    assert all(item.result["n"] == item.input["n"] for item in error.succeeded)
    assert sorted(row["n"] for row in table.rows) == [
        i for i in range(20) if i not in (3, 7, 11, 15)
    ]


class DropAnswers(httpx.BaseTransport):
    """Forward every request; for the POSTs whose body has ``n`` in ``drop``, lose the answer."""

    def __init__(self, inner: httpx.BaseTransport, drop: set[int]) -> None:
        self.inner = inner
        self.drop = drop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``; raise ReadError after the server answered a dropped POST."""
        response = self.inner.handle_request(request)
        if request.method == "POST" and b'"n"' in request.content:
            n = httpx.Response(200, content=request.content).json().get("n")
            if n in self.drop:
                raise httpx.ReadError(
                    "connection reset after the request was sent", request=request
                )
        return response


def test_dropped_answers_are_unknown_and_were_written(table: Any, axhub_local: LocalAxHub) -> None:
    """A POST whose answer is lost is ``unknown`` (it was written); nothing else is."""
    drop = {2, 9, 10, 25}
    with in_process(axhub_local, DropAnswers(SyncASGITransport(axhub_local.app), drop)) as hub:
        rows = _rows_of(hub, table)
        with pytest.raises(BulkError) as raised:
            rows.bulk_create([{"n": n} for n in range(30)])
    error = raised.value
    assert [item.index for item in error.unknown] == sorted(drop)
    assert all(isinstance(item.error, ConnectError) for item in error.unknown)
    assert error.failed == [] and error.not_attempted == []
    assert len(error.succeeded) == 30 - len(drop)
    # Every input is in exactly one list.
    indexes = [
        i.index for i in error.succeeded + error.failed + error.unknown + error.not_attempted
    ]
    assert sorted(indexes) == list(range(30))
    assert table.rows.count() == 30  # the unknown ones were in fact written


def test_fail_fast_stops_scheduling_and_lists_the_rest(table: Any) -> None:
    """With fail_fast, items after the first failure are ``not_attempted`` and never sent."""
    values: list[Any] = [{"n": n} for n in range(40)]
    values[0] = {"bogus": 1}
    with pytest.raises(BulkError) as raised:
        table.rows.bulk_create(iter(values), concurrency=1, fail_fast=True)
    error = raised.value
    assert [item.index for item in error.failed] == [0]
    assert [item.index for item in error.not_attempted] == list(range(1, 40))
    assert error.not_attempted[0].input == {"n": 1}
    assert table.rows.count() == 0


def test_progress_reports_done_and_total(table: Any) -> None:
    """progress(done, total) runs once per item; total is None for a generator."""
    calls: list[tuple[int, int | None]] = []
    table.rows.bulk_create([{"n": n} for n in range(5)], progress=lambda d, t: calls.append((d, t)))
    assert calls == [(d, 5) for d in range(1, 6)]
    calls.clear()
    table.rows.bulk_create(({"n": n} for n in range(3)), progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, None), (2, None), (3, None)]


@pytest.mark.parametrize("concurrency", [0, MAX_CONCURRENCY + 1, True, 2.0])
def test_bad_concurrency_is_refused_before_sending(
    table: Any, counted: tuple[AxHub, CountingTransport], concurrency: Any
) -> None:
    """Concurrency outside 1..MAX_CONCURRENCY raises ValidationError and sends nothing."""
    hub, sent = counted
    rows = _rows_of(hub, table)
    sent.reset()
    with pytest.raises(ValidationError, match="concurrency"):
        rows.bulk_create([{"n": 1}], concurrency=concurrency)
    assert sent.requests == []


def test_query_update_and_delete_count_and_leave_nothing(
    table: Any, counted: tuple[AxHub, CountingTransport]
) -> None:
    """q.update() PATCHes every match once and returns the count; q.delete() removes them all."""
    hub, sent = counted
    rows = _rows_of(hub, table)
    rows.bulk_create({"n": n, "status": "pending" if n % 2 else "done"} for n in range(250))
    sent.reset()
    assert rows.filter(status="pending").update(status="closed") == 125
    assert sent.count("PATCH") == 125
    lists = [r for r in sent.requests if r.method == "GET"]
    assert all(r.url.params.get("_select") == "id" for r in lists)
    assert rows.filter(status="pending").count() == 0
    assert rows.filter(status="closed").count() == 125
    assert rows.filter(n__lt=100).delete() == 100
    assert rows.count() == 150
    assert rows.delete() == 150
    assert rows.count() == 0


def test_update_refuses_bad_values_and_slices_before_sending(
    table: Any, counted: tuple[AxHub, CountingTransport]
) -> None:
    """Unknown or server-set columns and sliced queries are refused with nothing sent."""
    hub, sent = counted
    rows = _rows_of(hub, table)
    sent.reset()
    with pytest.raises(ValidationError, match="no column 'stauts'"):
        rows.update(stauts="x")
    with pytest.raises(ValidationError, match="set by the server"):
        rows.update(id="x")
    with pytest.raises(QueryError, match="sliced"):
        rows[:10].delete()
    assert sent.requests == []


def test_bulk_update_sends_only_changes(
    table: Any, counted: tuple[AxHub, CountingTransport]
) -> None:
    """Unchanged rows send nothing; changed ones PATCH only their changed (or chosen) fields."""
    hub, sent = counted
    rows = _rows_of(hub, table)
    created = rows.bulk_create({"n": n, "status": "a"} for n in range(10))
    sent.reset()
    assert rows.bulk_update(created) == 0
    assert sent.requests == []
    for row in created[:4]:
        row["status"] = "b"
        row["n"] += 100
    assert rows.bulk_update(created, fields=["status"]) == 4
    assert sent.count("PATCH") == 4
    assert all(r.content == b'{"status":"b"}' for r in sent.requests)
    assert all(row.changes == {"n": row["n"]} for row in created[:4])  # n still pending
    assert rows.filter(status="b").count() == 4


def test_bulk_delete_takes_rows_and_ids(table: Any) -> None:
    """bulk_delete deletes rows and ids; a missing id is ``failed`` with a 404."""
    created = table.rows.bulk_create({"n": n} for n in range(6))
    assert table.rows.bulk_delete([created[0], created[1].id, created[2]]) == 3
    assert created[0].state.value == "deleted"
    with pytest.raises(BulkError) as raised:
        table.rows.bulk_delete([created[3].id, created[0].id])
    assert [item.index for item in raised.value.failed] == [1]
    assert raised.value.failed[0].error.status == 404
    assert table.rows.count() == 2


def test_in_bulk_reads_ids_in_chunks_of_100(
    table: Any, counted: tuple[AxHub, CountingTransport]
) -> None:
    """in_bulk of 250 ids sends 3 list requests with id=in. and returns rows by id."""
    hub, sent = counted
    rows = _rows_of(hub, table)
    created = rows.bulk_create({"n": n} for n in range(250))
    ids = [row.id for row in created]
    sent.reset()
    found = rows.in_bulk([*ids, "00000000-0000-4000-8000-000000000000"])
    assert set(found) == set(ids)
    assert found[ids[17]]["n"] == 17
    assert len(sent.requests) == 3
    assert all(r.url.params["id"].startswith("in.") for r in sent.requests)
    assert rows.filter(n__lt=5).in_bulk(ids[:10]).keys() == set(ids[:5])


def test_values_and_values_list_select_columns(
    table: Any, counted: tuple[AxHub, CountingTransport]
) -> None:
    """values() and values_list() are lazy, send _select, and shape each row."""
    hub, sent = counted
    rows = _rows_of(hub, table)
    rows.bulk_create({"n": n, "status": "s"} for n in range(3))
    sent.reset()
    query = rows.order_by("n").values("n")
    assert sent.requests == []
    assert query.all() == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert sent.requests[0].url.params["_select"] == "n,id"
    assert rows.order_by("-n").values_list("n", "status").all() == [(2, "s"), (1, "s"), (0, "s")]
    assert rows.order_by("n").values_list("n", flat=True)[1:].all() == [1, 2]
    assert rows.values_list("n", flat=True).first() in (0, 1, 2)
    with pytest.raises(QueryError):
        rows.values_list("n", "status", flat=True)


def test_get_or_create_and_update_or_create(table: Any) -> None:
    """Django semantics: find by lookups, else create from lookups plus defaults."""
    row, created = table.rows.get_or_create(n=1, defaults={"status": "new"})
    assert created and row["status"] == "new"
    again, created = table.rows.get_or_create(n=1, defaults={"status": "other"})
    assert not created and again.id == row.id and again["status"] == "new"
    updated, created = table.rows.update_or_create(n=1, defaults={"status": "done"})
    assert not created and updated.id == row.id and updated["status"] == "done"
    fresh, created = table.rows.update_or_create(
        n=2, defaults={"status": "x"}, create_defaults={"status": "born"}
    )
    assert created and fresh["status"] == "born"
    assert table.rows.get(n=1)["status"] == "done"


@pytest.mark.anyio
async def test_async_set_operations(table: Any, axhub_local: LocalAxHub) -> None:
    """Async q.update/q.delete/in_bulk/values/get_or_create behave like the sync ones."""
    async with async_in_process(axhub_local) as hub:
        rows = (await (await hub.apps.get(str(table.app.id))).tables.get(table.name)).rows
        created = await rows.bulk_create({"n": n, "status": "p"} for n in range(120))
        assert await rows.filter(n__gte=20).update(status="q") == 100
        assert await rows.filter(status="q").count() == 100
        assert len(await rows.in_bulk([row.id for row in created[:150]])) == 120
        assert await rows.order_by("n").values_list("n", flat=True)[:3].all() == [0, 1, 2]
        _, made = await rows.get_or_create(n=500)
        assert made
        assert await rows.bulk_update(created) == 0
        assert await rows.bulk_delete(created[:10]) == 10
        assert await rows.delete() == 111
        assert await rows.count() == 0


def test_bulk_create_against_a_rate_limited_hub_writes_everything() -> None:
    """LocalAxHub(rate_limit=50): 500 rows at concurrency=16 are all written, nothing raised.

    The client has no rate_limit of its own here: its 429 retries (behind the shared gate,
    proven in tests/unit/test_throttle.py) absorb the hub's limit.
    """
    with LocalAxHub(rate_limit=50) as local, local.client() as hub:
        app = hub.apps.create(slug=unique_slug("limited"), name="rate limited")
        table = app.tables.create("t", columns=COLUMNS, owner_column="owner_id")
        created = table.rows.bulk_create(({"n": n} for n in range(500)), concurrency=16)
        assert [row["n"] for row in created] == list(range(500))
        assert table.rows.count() == 500


@pytest.mark.anyio
async def test_async_bulk_create_paced_by_a_client_rate_limit() -> None:
    """With rate_limit=45 on the client, the 500 POSTs are paced (about 10 s) and all written."""
    counter = AsyncCountingTransport()
    with LocalAxHub(rate_limit=50) as local:
        async with local.async_client(transport=counter, rate_limit=45) as hub:
            app = await hub.apps.create(slug=unique_slug("paced"), name="paced")
            table = await app.tables.create("t", columns=COLUMNS, owner_column="owner_id")
            start = time.monotonic()
            created = await table.rows.bulk_create([{"n": n} for n in range(500)])
            elapsed = time.monotonic() - start
            assert len(created) == 500
            assert await table.rows.count() == 500
    # A burst of 45, then one request every 1/45 s: no faster than the bucket allows.
    assert elapsed >= (500 - 45) / 45 - 0.5
    assert counter.count("POST") >= 502  # the app, the table, the rows (plus any 429 retried)


@pytest.mark.parametrize("concurrency", [1, 3, 8])
def test_scan_yields_every_matching_row_once(
    table: Any, counted: tuple[AxHub, CountingTransport], concurrency: int
) -> None:
    """scan() reads disjoint id ranges at once and yields each matching row exactly once."""
    hub, sent = counted
    rows = _rows_of(hub, table)
    created = rows.bulk_create(
        {"n": n, "status": "even" if n % 2 == 0 else "odd"} for n in range(250)
    )
    sent.reset()
    ids = [row.id for row in rows.scan(concurrency=concurrency)]
    assert sorted(ids) == sorted(row.id for row in created)
    evens = [row["n"] for row in rows.filter(status="even").scan(concurrency=concurrency)]
    assert sorted(evens) == list(range(0, 250, 2))
    first = next(iter(rows.scan()))  # leaving early stops the readers
    assert first.id in ids


def test_scan_refuses_order_slices_and_bad_concurrency(table: Any) -> None:
    """An ordered or sliced scan is refused, pointing to iteration; concurrency is checked."""
    with pytest.raises(QueryError, match="iterate the query"):
        list(table.rows.order_by("n").scan())
    with pytest.raises(QueryError, match="iterate the query"):
        list(table.rows[:10].scan())
    with pytest.raises(ValidationError, match="concurrency"):
        list(table.rows.scan(concurrency=0))


@pytest.mark.anyio
async def test_async_scan_yields_every_row_once(table: Any, axhub_local: LocalAxHub) -> None:
    """The async scan drains its ranges as tasks; every row comes once."""
    async with async_in_process(axhub_local) as hub:
        rows = (await (await hub.apps.get(str(table.app.id))).tables.get(table.name)).rows
        created = await rows.bulk_create({"n": n} for n in range(230))
        ids = [row.id async for row in rows.scan(concurrency=5)]
        assert sorted(ids) == sorted(row.id for row in created)
        async for row in rows.scan():
            assert row.id in ids
            break
