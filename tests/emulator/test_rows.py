from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from axhub_orm.local import EmulatorApp, SyncASGITransport

from .conftest import error_of, rows_url, unique

TableFactory = Callable[..., tuple[dict[str, Any], dict[str, Any]]]

ALL_TYPES = [
    {"name": "t", "type": "text"},
    {"name": "i", "type": "int"},
    {"name": "b", "type": "bigint"},
    {"name": "f", "type": "float"},
    {"name": "ok", "type": "bool"},
    {"name": "at", "type": "timestamptz"},
    {"name": "u", "type": "uuid"},
    {"name": "j", "type": "jsonb"},
]
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


class Tbl:
    """A table under test: its URLs and a client."""

    def __init__(
        self, client: httpx.Client, application: dict[str, Any], table: dict[str, Any]
    ) -> None:
        self.client = client
        self.url = rows_url(application, table)
        self.count_url = rows_url(application, table, "/_count")
        self.grants_url = f"/api/v1/apps/{application['id']}/tables/{table['table_name']}/grants"

    def insert(self, **values: Any) -> dict[str, Any]:
        response = self.client.post(self.url, json=values)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def items(self, **params: Any) -> list[dict[str, Any]]:
        response = self.client.get(self.url, params=params)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])


@pytest.fixture
def typed(make_table: TableFactory, client: httpx.Client) -> Tbl:
    """A table with one column of each of the eight types, no owner column."""
    application, table = make_table(ALL_TYPES)
    return Tbl(client, application, table)


@pytest.fixture
def owned(make_table: TableFactory, client: httpx.Client) -> Tbl:
    """An owner-scoped table (owner_id uuid) with a title column."""
    application, table = make_table(
        [
            {"name": "owner_id", "type": "uuid", "nullable": False},
            {"name": "title", "type": "text", "nullable": False},
        ],
        owner_column="owner_id",
    )
    return Tbl(client, application, table)


# --- CRUD ---------------------------------------------------------------------------------


def test_insert_returns_every_column(typed: Tbl) -> None:
    """Insert answers 201 with id (uuid4), created_at/updated_at (µs, Z) and every column."""
    row = typed.insert(t="hello")
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", row["id"]
    )
    assert STAMP.fullmatch(row["created_at"])
    assert row["created_at"] == row["updated_at"]
    assert row == {
        **row,
        "t": "hello",
        "i": None,
        "b": None,
        "f": None,
        "ok": None,
        "at": None,
        "u": None,
        "j": None,
    }
    assert list(row)[:3] == ["id", "created_at", "updated_at"]


def test_get_patch_delete_row(typed: Tbl) -> None:
    """GET returns the bare row; PATCH changes fields and updated_at; DELETE 204 then 404."""
    row = typed.insert(t="a", i=1)
    url = f"{typed.url}/{row['id']}"
    assert typed.client.get(url).json() == row
    patched = typed.client.patch(url, json={"i": 2})
    assert patched.status_code == 200
    assert (patched.json()["i"], patched.json()["t"]) == (2, "a")
    assert patched.json()["updated_at"] >= row["updated_at"]
    assert patched.json()["created_at"] == row["created_at"]
    deleted = typed.client.delete(url)
    assert (deleted.status_code, deleted.content) == (204, b"")
    gone = typed.client.get(url)
    assert gone.status_code in (404, 410)
    assert error_of(gone)["code"] == "not_found"
    assert typed.client.patch(url, json={"i": 3}).status_code == 404
    assert typed.client.delete(url).status_code == 404


def test_get_row_with_select(typed: Tbl) -> None:
    """GET a row with _select returns only those columns."""
    row = typed.insert(t="a", i=1)
    got = typed.client.get(f"{typed.url}/{row['id']}", params={"_select": "id,i"}).json()
    assert got == {"id": row["id"], "i": 1}


def test_non_uuid_row_id_is_404(typed: Tbl) -> None:
    """A row id that is not a UUID cannot exist: 404."""
    assert typed.client.get(f"{typed.url}/nope").status_code == 404


def test_type_round_trip(typed: Tbl) -> None:
    """Each type converts on the way in and out (bool, jsonb, µs UTC timestamps, uuid…)."""
    row = typed.insert(
        t="ü ☃ 'quote'",
        i=-(2**31),
        b=2**63 - 1,
        f=3,
        ok=False,
        at="2024-02-29T23:30:00.5+02:00",
        u="A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
        j={"z": [1, 2.5, None, True], "a": {"nested": "x"}},
    )
    assert row["t"] == "ü ☃ 'quote'"
    assert (row["i"], row["b"]) == (-(2**31), 2**63 - 1)
    assert row["f"] == 3.0
    assert isinstance(row["f"], float)
    assert row["ok"] is False
    assert row["at"] == "2024-02-29T21:30:00.500000Z"
    assert row["u"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert row["j"] == {"z": [1, 2.5, None, True], "a": {"nested": "x"}}


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("t", 5),
        ("i", 2**31),
        ("i", True),
        ("i", 1.5),
        ("b", 2**63),
        ("f", "1.0"),
        ("f", True),
        ("ok", 1),
        ("ok", "true"),
        ("at", "2024-01-01T00:00:00"),
        ("at", "yesterday"),
        ("u", "not-a-uuid"),
        ("u", 12),
        ("t", "nul\x00byte"),
    ],
)
def test_wrong_types_are_400_invalid_value(typed: Tbl, column: str, value: Any) -> None:
    """Values that do not fit the column type answer 400 invalid_value naming the column."""
    response = typed.client.post(typed.url, json={column: value})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_value"
    assert error["fields"][0]["name"] == column


def test_insert_rule_errors(make_table: TableFactory, client: httpx.Client) -> None:
    """Unknown column → invalid_value; missing NOT NULL → required; id → not_allowed."""
    application, table = make_table([{"name": "a", "type": "text", "nullable": False}])
    url = rows_url(application, table)
    unknown = client.post(url, json={"a": "x", "zzz": 1})
    assert (error_of(unknown)["code"], error_of(unknown)["fields"][0]["name"]) == (
        "invalid_value",
        "zzz",
    )
    missing = client.post(url, json={})
    assert (error_of(missing)["code"], error_of(missing)["fields"][0]["name"]) == ("required", "a")
    for auto in ("id", "created_at", "updated_at"):
        response = client.post(url, json={"a": "x", auto: "2024-01-01T00:00:00Z"})
        assert error_of(response)["code"] == "not_allowed"
    assert client.post(url, json=["a"]).status_code == 400


def test_defaults_are_converted(make_table: TableFactory, client: httpx.Client) -> None:
    """String defaults ("0", "true", JSON) become typed values on insert."""
    application, table = make_table(
        [
            {"name": "n", "type": "int", "nullable": False, "default": "0"},
            {"name": "ok", "type": "bool", "default": "true"},
            {"name": "j", "type": "jsonb", "default": '{"k": [1]}'},
            {"name": "s", "type": "text", "default": ""},
        ]
    )
    row = client.post(rows_url(application, table), json={}).json()
    assert (row["n"], row["ok"], row["j"], row["s"]) == (0, True, {"k": [1]}, "")


def test_patch_rules(typed: Tbl) -> None:
    """PATCH of id → not_allowed; unknown column → invalid_value; empty body → unchanged."""
    row = typed.insert(t="a")
    url = f"{typed.url}/{row['id']}"
    assert error_of(typed.client.patch(url, json={"id": row["id"]}))["code"] == "not_allowed"
    assert error_of(typed.client.patch(url, json={"nope": 1}))["code"] == "invalid_value"
    assert typed.client.patch(url, json={}).json() == row


# --- filters ------------------------------------------------------------------------------


@pytest.fixture
def numbers(typed: Tbl) -> Tbl:
    """Five rows: i = 1..5, t = n1..n5, ok alternating, plus one row of NULLs."""
    for n in range(1, 6):
        typed.insert(
            t=f"n{n}", i=n, f=n / 2, ok=n % 2 == 0, j={"n": n}, at=f"2024-01-0{n}T00:00:00Z"
        )
    typed.insert()
    return typed


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"i": "eq.3"}, [3]),
        ({"i": "ne.3"}, [1, 2, 4, 5]),
        ({"i": "gt.3"}, [4, 5]),
        ({"i": "gte.3"}, [3, 4, 5]),
        ({"i": "lt.3"}, [1, 2]),
        ({"i": "lte.3"}, [1, 2, 3]),
        ({"i": "in.1,3,5"}, [1, 3, 5]),
        ({"f": "gte.1.5"}, [3, 4, 5]),
        ({"ok": "eq.true"}, [2, 4]),
        ({"t": "like.n%"}, [1, 2, 3, 4, 5]),
        ({"t": "like.N%"}, []),
        ({"t": "like.n_"}, [1, 2, 3, 4, 5]),
        ({"at": "gt.2024-01-03T00:00:00+00:00"}, [4, 5]),
        ({"at": "lt.2024-01-03T01:00:00+02:00"}, [1, 2]),
        ({"j": 'eq.{"n": 2}'}, [2]),
        ({"i": "eq.null"}, [None]),
        ({"i": "ne.null"}, [1, 2, 3, 4, 5]),
    ],
)
def test_filter_operators(numbers: Tbl, params: dict[str, str], expected: list[Any]) -> None:
    """Each §9.1 operator filters as in PostgreSQL (like is case-sensitive, eq.null IS NULL)."""
    assert [r["i"] for r in numbers.items(**params)] == expected


def test_repeated_filters_are_anded(numbers: Tbl) -> None:
    """Repeating a column's filter ANDs the conditions."""
    response = numbers.client.get(numbers.url, params=[("i", "gt.1"), ("i", "lt.4")])
    assert [r["i"] for r in response.json()["items"]] == [2, 3]


def test_like_escapes(typed: Tbl) -> None:
    """In like, a backslash escapes % and _ so they match literally."""
    for text in ("100%", "100x", "a_b", "axb", "back\\slash"):
        typed.insert(t=text)
    assert [r["t"] for r in typed.items(t="like.100\\%")] == ["100%"]
    assert [r["t"] for r in typed.items(t="like.a\\_b")] == ["a_b"]
    assert [r["t"] for r in typed.items(t="like.%\\\\%")] == ["back\\slash"]


def test_count_uses_filters(numbers: Tbl) -> None:
    """_count answers {count} for the same filters as the list."""
    response = numbers.client.get(numbers.count_url, params={"i": "gte.2"})
    assert response.json() == {"count": 4}


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"nope": "eq.1"}, "invalid_value", "nope"),
        ({"i": "eq.1", "sort": "nope"}, "invalid_value", "nope"),
        ({"i": "eq.1", "_select": "id,nope"}, "invalid_value", "nope"),
        ({"i": "zz.1"}, "invalid_format", "i"),
        ({"i": "3"}, "invalid_format", "i"),
        ({"i": "eq.abc"}, "invalid_value", "i"),
        ({"i": "eq.99999999999"}, "invalid_value", "i"),
        ({"ok": "eq.yes"}, "invalid_value", "ok"),
        ({"u": "eq.xyz"}, "invalid_value", "u"),
        ({"at": "gt.tomorrow"}, "invalid_value", "at"),
        ({"j": "gt.1"}, "invalid_value", "j"),
        ({"i": "eq.1", "sort": "j"}, "invalid_value", "j"),
        ({"i": "like.1%"}, "invalid_value", "i"),
        ({"t": "like.abc\\"}, "invalid_value", "t"),
        ({"j": "eq.{bad"}, "invalid_value", "j"),
        ({"i": "gt.null"}, "invalid_value", "i"),
    ],
)
def test_filter_errors(typed: Tbl, params: dict[str, str], code: str, field: str) -> None:
    """Unknown columns, bad operators and unparsable values answer 400 per §13.5."""
    response = typed.client.get(typed.url, params=params)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert (error["code"], error["fields"][0]["name"]) == (code, field)


# --- sort, projection, pagination ----------------------------------------------------------


def test_sort_descending_by_float(numbers: Tbl) -> None:
    """sort=-f orders rows by a float column descending."""
    assert [r["i"] for r in numbers.items(f="gte.0", sort="-f")] == [5, 4, 3, 2, 1]


def test_sort_with_null_rows(typed: Tbl) -> None:
    """Sorting rows that include NULLs follows PostgreSQL's NULLS LAST / NULLS FIRST."""
    for value in (2, None, 1):
        typed.insert(t="x", i=value)
    assert [r["i"] for r in typed.items(t="eq.x", sort="i")] == [1, 2, None]
    assert [r["i"] for r in typed.items(t="eq.x", sort="-i")] == [None, 2, 1]


def test_text_sorts_by_code_point(typed: Tbl) -> None:
    """Text sorts by code point: uppercase before lowercase, ASCII before non-ASCII."""
    for text in ("b", "a", "B", "é", "A"):
        typed.insert(t=text, i=0)
    assert [r["t"] for r in typed.items(i="eq.0", sort="t")] == ["A", "B", "a", "b", "é"]


def test_multi_column_sort(typed: Tbl) -> None:
    """sort=-a,b orders by a descending then b ascending."""
    for i, text in ((1, "b"), (2, "a"), (1, "a")):
        typed.insert(t=text, i=i)
    rows = typed.items(i="gte.0", sort="-i,t")
    assert [(r["i"], r["t"]) for r in rows] == [(2, "a"), (1, "a"), (1, "b")]


def test_default_order_is_insertion_order(typed: Tbl) -> None:
    """Without sort, rows come in insertion order, stable across pages."""
    inserted = [typed.insert(i=7, t=str(n))["id"] for n in range(25)]
    pages = [typed.items(i="eq.7", page=p, per_page=10) for p in (1, 2, 3)]
    assert [r["id"] for page in pages for r in page] == inserted


def test_select_projects(numbers: Tbl) -> None:
    """_select returns only the listed columns, in the requested order."""
    rows = numbers.items(i="eq.1", _select="t,id")
    assert list(rows[0]) == ["t", "id"]


def test_pagination_envelope(typed: Tbl) -> None:
    """per_page defaults to 20; has_more uses a probe row; page is 1-based."""
    for n in range(21):
        typed.insert(i=n)
    first = typed.client.get(typed.url, params={"i": "gte.0"}).json()
    assert (len(first["items"]), first["page"], first["per_page"], first["has_more"]) == (
        20,
        1,
        20,
        True,
    )
    second = typed.client.get(typed.url, params={"i": "gte.0", "page": 2}).json()
    assert (len(second["items"]), second["has_more"]) == (1, False)
    assert "total" not in first


def test_per_page_clamped_to_100(typed: Tbl) -> None:
    """per_page above 100 is clamped to 100 and the envelope reports 100."""
    body = typed.client.get(typed.url, params={"i": "gte.0", "per_page": 500}).json()
    assert body["per_page"] == 100


@pytest.mark.parametrize(
    "params",
    [
        {"per_page": "0"},
        {"per_page": "-1"},
        {"per_page": "ten"},
        {"per_page": "1.5"},
        {"page": "0"},
        {"page": "x"},
    ],
)
def test_bad_paging_is_400(typed: Tbl, params: dict[str, str]) -> None:
    """per_page < 1, page < 1 or non-integers answer 400 invalid_value."""
    response = typed.client.get(typed.url, params={"i": "gte.0", **params})
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_value"


# --- where-required and owner scoping ------------------------------------------------------


def test_unfiltered_list_on_non_owner_table_is_400_required(typed: Tbl) -> None:
    """An unfiltered list or count on a table without owner column answers 400 required/where."""
    for url in (typed.url, typed.count_url):
        response = typed.client.get(
            url, params={"sort": "i", "page": 1, "per_page": 5, "_select": "id"}
        )
        assert response.status_code == 400
        error = error_of(response)
        assert (error["code"], error["category"], error["retryable"]) == (
            "required",
            "validation",
            False,
        )
        assert error["fields"] == [{"name": "where", "code": "required"}]


@pytest.fixture
def other(app: EmulatorApp, owned: Tbl) -> Iterator[httpx.Client]:
    """A client for a second member of the tenant, granted read and write on ``owned``."""
    with app.store.transaction():
        user = app.store.add_user(app.store.identity.tenant_id, unique("o") + "@x.test", "Other")
    grant = {"principal_type": "user", "principal_id": user.user_id, "actions": ["read", "write"]}
    assert owned.client.post(owned.grants_url, json=grant).status_code == 201
    with httpx.Client(
        transport=SyncASGITransport(app),
        base_url="http://local.test",
        headers={"X-Api-Key": user.pat},
    ) as c:
        yield c


def test_owner_scoping(owned: Tbl, other: httpx.Client, app: EmulatorApp) -> None:
    """Owner-scoped lists show only the caller's rows; the owner column is filled in."""
    mine = owned.insert(title="mine")
    assert mine["owner_id"] == app.store.identity.user_id
    theirs = other.post(owned.url, json={"title": "theirs"}).json()
    assert [r["id"] for r in owned.items()] == [mine["id"]]
    assert [r["id"] for r in other.get(owned.url).json()["items"]] == [theirs["id"]]
    assert owned.client.get(owned.count_url).json() == {"count": 1}
    for method in ("GET", "DELETE"):
        assert other.request(method, f"{owned.url}/{mine['id']}").status_code == 404
    assert other.patch(f"{owned.url}/{mine['id']}", json={"title": "x"}).status_code == 404
    assert owned.client.get(f"{owned.url}/{mine['id']}").status_code == 200


def test_owner_column_rules(owned: Tbl, other: httpx.Client, app: EmulatorApp) -> None:
    """Inserting another owner → 403 forbidden; patching the owner column → 400 not_allowed."""
    foreign = other.post(owned.url, json={"title": "x", "owner_id": app.store.identity.user_id})
    assert foreign.status_code == 403
    assert error_of(foreign)["code"] == "forbidden"
    explicit = owned.insert(title="y", owner_id=app.store.identity.user_id.upper())
    patched = owned.client.patch(
        f"{owned.url}/{explicit['id']}", json={"owner_id": explicit["owner_id"]}
    )
    assert error_of(patched)["code"] == "not_allowed"


# --- async, in-process ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_client_through_asgi_transport(
    app: EmulatorApp, make_table: TableFactory
) -> None:
    """httpx.AsyncClient over httpx.ASGITransport drives the app (insert, then list)."""
    application, table = make_table([{"name": "a", "type": "text"}])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://t",
        headers={"X-Api-Key": app.store.identity.pat},
    ) as c:
        created = await c.post(rows_url(application, table), json={"a": "async"})
        listed = await c.get(rows_url(application, table), params={"a": "eq.async"})
    assert created.status_code == 201
    assert [r["id"] for r in listed.json()["items"]] == [created.json()["id"]]
