"""Request counting: each terminal operation sends exactly the requests DESIGN §2 promises.

The clients here run the emulator in-process under a counting transport, so every assertion is
about the requests that really went out: their number, method, path and query string.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from axhub_orm import AsyncAxHub, Column
from axhub_orm.local import LocalAxHub
from axhub_orm.testing import AsyncCountingTransport

pytestmark = pytest.mark.anyio

ROWS = 250


@pytest.fixture(scope="module")
def filled(module_app: Any) -> Any:
    """An owner-scoped table of 250 rows: ``n`` is 0..249, ``kind`` cycles through a, b, c."""
    table = module_app.tables.create(
        "filled",
        columns=[
            Column("owner_id", "uuid", nullable=False),
            Column("n", "int"),
            Column("kind", "text"),
        ],
        owner_column="owner_id",
    )
    for n in range(ROWS):
        table.rows.create(n=n, kind="abc"[n % 3])
    return table


@pytest.fixture
async def table(filled: Any, async_counted: tuple[AsyncAxHub, AsyncCountingTransport]) -> Any:
    """``filled`` as seen by the counting client, with the requests that loaded it forgotten."""
    client, transport = async_counted
    loaded = await (await client.apps.get(str(filled.app.id))).tables.get(filled.name)
    transport.reset()
    return loaded


@pytest.fixture
def sent(async_counted: tuple[AsyncAxHub, AsyncCountingTransport]) -> AsyncCountingTransport:
    """The counting transport of the test's client."""
    return async_counted[1]


def _params(request: httpx.Request) -> list[tuple[str, str]]:
    return list(request.url.params.multi_items())


def _list_requests(transport: AsyncCountingTransport) -> list[httpx.Request]:
    return [r for r in transport.requests if r.method == "GET" and "_count" not in r.url.path]


async def test_count_sends_one_count_request_with_the_filters_only(
    table: Any, sent: AsyncCountingTransport
) -> None:
    """``count()`` sends one GET ``…/_count`` carrying the filters, no sort or paging."""
    assert await table.rows.filter(kind="a").order_by("-n")[5:].count() == 84 - 5
    assert len(sent.requests) == 1
    request = sent.requests[0]
    assert request.method == "GET" and request.url.path.endswith("/filled/_count")
    assert _params(request) == [("kind", "eq.a")]


@pytest.mark.parametrize("verb", ["exists", "first"])
async def test_exists_and_first_send_one_list_request_of_one_row(
    table: Any, sent: AsyncCountingTransport, verb: str
) -> None:
    """``exists()`` and ``first()`` each send one list request with ``per_page=1``."""
    result = await getattr(table.rows.filter(kind="b").order_by("-n"), verb)()
    assert result is True or result["n"] == 247
    assert len(sent.requests) == 1
    assert _params(sent.requests[0]) == [("kind", "eq.b"), ("sort", "-n,id"), ("per_page", "1")]


async def test_get_by_lookups_sends_one_list_request_of_two_rows(
    table: Any, sent: AsyncCountingTransport
) -> None:
    """``get(**lookups)`` sends one list request with ``per_page=2``, enough to see a second."""
    assert (await table.rows.get(n=7))["kind"] == "b"
    with pytest.raises(table.rows.MultipleObjectsReturned):
        await table.rows.get(kind="c")
    assert [_params(r) for r in sent.requests] == [
        [("n", "eq.7"), ("sort", "id"), ("per_page", "2")],
        [("kind", "eq.c"), ("sort", "id"), ("per_page", "2")],
    ]


async def test_get_by_id_sends_one_request_to_the_row(
    table: Any, sent: AsyncCountingTransport
) -> None:
    """``get(row_id)`` sends one GET of ``…/{id}``."""
    row = await table.rows.get(n=3)
    sent.reset()
    assert (await table.rows.get(row.id)).to_dict() == row.to_dict()
    assert len(sent.requests) == 1
    assert sent.requests[0].url.path.endswith(f"/filled/{row.id}")


async def test_iterating_250_rows_sends_3_list_requests(
    table: Any, sent: AsyncCountingTransport
) -> None:
    """Iteration fetches pages of 100 by key on demand: 250 rows take exactly 3 requests."""
    rows = [row async for row in table.rows]
    assert sorted(row["n"] for row in rows) == list(range(ROWS))
    ids = [row.id for row in rows]
    assert ids == sorted(ids)
    assert [_params(r) for r in sent.requests] == [
        [("sort", "id"), ("per_page", "100")],
        [("id", f"gt.{ids[99]}"), ("sort", "id"), ("per_page", "100")],
        [("id", f"gt.{ids[199]}"), ("sort", "id"), ("per_page", "100")],
    ]


async def test_exactly_200_rows_take_2_requests(table: Any, sent: AsyncCountingTransport) -> None:
    """A full last page with ``has_more`` false ends the iteration without an empty request."""
    assert len(await table.rows.filter(n__lt=200).all()) == 200
    assert len(sent.requests) == 2


async def test_iteration_is_lazy_page_by_page(table: Any, sent: AsyncCountingTransport) -> None:
    """Stopping after the first row or the first page sends only one request."""
    async for _ in table.rows:
        break
    async for _ in table.rows.pages():
        break
    assert len(sent.requests) == 2


async def test_a_slice_across_pages_is_fetched_in_one_request(
    table: Any, sent: AsyncCountingTransport
) -> None:
    """``q[95:105]`` picks a page size whose single page covers the window, then trims."""
    window = table.rows.order_by("n")[95:105]
    assert [row["n"] async for row in window] == list(range(95, 105))
    assert len(sent.requests) == 1
    params = dict(_params(sent.requests[0]))
    page, per_page = int(params.get("page", "1")), int(params["per_page"])
    assert (page - 1) * per_page <= 95 and page * per_page >= 105


async def test_index_sends_one_request_of_one_row(table: Any, sent: AsyncCountingTransport) -> None:
    """``q[i]`` fetches exactly the i-th row with ``per_page=1``."""
    assert (await table.rows.order_by("n")[123])["n"] == 123
    assert [_params(r) for r in sent.requests] == [
        [("sort", "n,id"), ("page", "124"), ("per_page", "1")]
    ]


async def test_building_chaining_repr_and_explain_send_nothing(
    table: Any, sent: AsyncCountingTransport, axhub_local: LocalAxHub
) -> None:
    """Building, chaining, ``repr`` and ``explain()`` send no request at all."""
    base = table.rows
    query = base.filter(kind="a", n__gte=10).order_by("-n").only("n").limit(5)
    query = query[2:4]
    text, shown = repr(query), query.explain()
    assert sent.requests == []
    path = f"/data/{axhub_local.tenant_slug}/{table.app.slug}/filled"
    assert shown == f"GET {path}?kind=eq.a&n=gte.10&sort=-n%2Cid&_select=n%2Cid&page=2&per_page=2"
    assert text == f"<AsyncRowQuery {shown}>"


@pytest.mark.parametrize(
    "make",
    [
        lambda rows: rows.filter(kind="c", n__lt=50).order_by("-n"),
        lambda rows: rows.filter(kind__in=["a", "b"]).only("kind")[150:230],
        lambda rows: rows.order_by("kind", "-n")[99:101],
    ],
)
async def test_explain_is_exactly_the_first_request_sent(
    table: Any, sent: AsyncCountingTransport, make: Any
) -> None:
    """``explain()`` equals the method, path and query string of the first request sent."""
    query = make(table.rows)
    shown = query.explain()
    await query.all()
    first = sent.requests[0]
    assert shown == f"{first.method} {first.url.path}?{first.url.query.decode()}"


async def test_reusing_a_base_query_leaks_no_filters(
    table: Any, sent: AsyncCountingTransport
) -> None:
    """Two filters on one base query give two independent queries; the base is unchanged."""
    base = table.rows.filter(n__lt=30)
    kind_a, kind_b = base.filter(kind="a"), base.filter(kind="b")
    assert {row["kind"] async for row in kind_a} == {"a"}
    assert {row["kind"] async for row in kind_b} == {"b"}
    assert (await base.count(), await kind_a.count(), await kind_b.count()) == (30, 10, 10)
    assert [_params(r) for r in sent.requests][-3:] == [
        [("n", "lt.30")],
        [("n", "lt.30"), ("kind", "eq.a")],
        [("n", "lt.30"), ("kind", "eq.b")],
    ]


async def test_text_value_on_a_jsonb_column_is_sent_as_a_json_string(axhub_async_app: Any) -> None:
    """filter(meta="x") on a jsonb column sends eq."x" (JSON), and finds the row holding "x"."""
    table = await axhub_async_app.tables.create(
        "docs",
        columns=[Column("owner_id", "uuid"), Column("meta", "jsonb")],
        owner_column="owner_id",
    )
    await table.rows.create(meta="x")
    await table.rows.create(meta={"k": "x"})
    query = table.rows.filter(meta="x")
    assert "meta=eq.%22x%22" in query.explain()
    assert [r["meta"] async for r in query] == ["x"]
    assert await table.rows.filter(meta__in=["x", "y"]).count() == 1
    assert await table.rows.filter(meta__ne="x").count() == 1
