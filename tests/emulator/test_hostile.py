"""Hostile input: every case answers a 4xx in the error envelope and leaves the store unchanged.

The store is an SQLite file; a second, read-only connection dumps it before and after each
request, so "unchanged" means every metadata and row table byte for byte. Also: the cut-short
body (§13.26), the pathological LIKE while another client is served, and the 0600 database file.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from axhub_orm import Column
from axhub_orm.local import EmulatorApp, LocalAxHub, SyncASGITransport, create_app
from axhub_orm.local._errors import emitted_code


@dataclass
class Canary:
    """An app with a table (t text, n int, j jsonb), a row, an env var and a grant, in a file."""

    client: httpx.Client
    application: EmulatorApp
    path: Path
    app: dict[str, Any]
    row: dict[str, Any]
    grant: dict[str, Any]
    tenant_id: str

    @property
    def app_url(self) -> str:
        return f"/api/v1/apps/{self.app['id']}"

    @property
    def data_url(self) -> str:
        return f"/data/local/{self.app['slug']}/t"

    def dump(self) -> str:
        """Every table of the store file, as SQL text."""
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as conn:
            return "\n".join(conn.iterdump())


@pytest.fixture(scope="module")
def canary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Canary]:
    """One emulator over a database file, with the canary app, shared by the module."""
    path = tmp_path_factory.mktemp("hostile") / "store.sqlite"
    application = create_app(path)
    identity = application.store.identity
    with httpx.Client(
        transport=SyncASGITransport(application),
        base_url="http://local.test",
        headers={"X-Api-Key": identity.pat},
    ) as client:
        app = client.post(
            f"/api/v1/tenants/{identity.tenant_id}/apps", json={"slug": "canary", "name": "C"}
        ).json()
        columns = [
            {"name": "t", "type": "text"},
            {"name": "n", "type": "int"},
            {"name": "j", "type": "jsonb"},
        ]
        base = f"/api/v1/apps/{app['id']}"
        table = client.post(f"{base}/tables", json={"table_name": "t", "columns": columns})
        assert table.status_code == 201
        row = client.post("/data/local/canary/t", json={"t": "canary", "n": 1, "j": {"k": 1}})
        assert client.post(f"{base}/env-vars", json={"key": "K", "value": "v"}).status_code == 201
        grant = client.post(
            f"{base}/tables/t/grants",
            json={"principal_type": "user", "principal_id": identity.user_id, "actions": ["read"]},
        )
        yield Canary(client, application, path, app, row.json(), grant.json(), identity.tenant_id)
    application.store.close()


def assert_4xx_envelope(response: httpx.Response) -> dict[str, Any]:
    """A 4xx whose body is the §2 envelope with a catalog code matching the status."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    error = response.json()["error"]
    assert isinstance(error["message"], str)
    assert error["request_id"] == response.headers["x-request-id"]
    entry = emitted_code(error["code"])
    assert (entry["status"], entry["category"]) == (response.status_code, error["category"])
    assert error["retryable"] is entry["retryable"]
    return dict(error)


# --- JSON bodies on every JSON-body route ----------------------------------------------------

BODY_ROUTES = [
    ("POST", "/api/v1/tenants/{tenant}/apps"),
    ("PATCH", "{app}"),
    ("POST", "{app}/env-vars"),
    ("POST", "{app}/tables"),
    ("POST", "{app}/tables/t/columns"),
    ("POST", "{app}/tables/t/grants"),
    ("POST", "{data}"),
    ("PATCH", "{data}/{row}"),
]

HOSTILE_BODIES = {
    "lone surrogate key": b'{"\\ud800": 1}',
    "lone low surrogate key": b'{"\\udfff": 1}',
    "surrogate value": b'{"name": "\\ud800", "t": "\\udc00", "slug": "\\ud83d"}',
    "surrogate nested": b'{"j": {"a": ["\\ud800"]}, "columns": [{"name": "\\ud800"}]}',
    "surrogate column name": b'{"column": {"name": "\\ud800", "type": "text"}}',
    "reversed pair": b'{"\\udc00\\ud800": 1}',
    "not json": b"{",
    "json array": b"[1, 2]",
    "json string": b'"x"',
    "json null": b"null",
    "NaN": b'{"n": NaN}',
    "Infinity": b'{"n": Infinity}',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "invalid utf-8": b'{"t": "\xff\xfe"}',
    "utf-8 encoded surrogate": b'{"t": "\xed\xa0\x80"}',
    "nul key": b'{"\\u0000": 1}',
    "huge key": b'{"' + b"k" * 200_000 + b'": 1}',
    "many keys": b"{" + b",".join(b'"k%d": 1' % i for i in range(20_000)) + b"}",
    "number too large for int": b'{"n": 1e999999, "slug": 1e999999}',
    "too large": b'{"t": "' + b"x" * (1024 * 1024 + 10) + b'"}',
}


def _url(canary: Canary, template: str) -> str:
    return template.format(
        tenant=canary.tenant_id,
        app=canary.app_url,
        data=canary.data_url,
        row=canary.row["id"],
    )


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
@pytest.mark.parametrize(("method", "route"), BODY_ROUTES, ids=[f"{m} {r}" for m, r in BODY_ROUTES])
def test_hostile_json_bodies_are_4xx(canary: Canary, method: str, route: str, body: bytes) -> None:
    """Malformed, surrogate-laden, oversized or odd JSON bodies answer 4xx and change nothing."""
    before = canary.dump()
    response = canary.client.request(
        method, _url(canary, route), content=body, headers={"Content-Type": "application/json"}
    )
    error = assert_4xx_envelope(response)
    if b"\\ud" in body or b"\\udc" in body:
        assert error["code"] in ("invalid_format", "invalid_value"), error
    assert canary.dump() == before


# --- names, filter values, paths, pagination -------------------------------------------------

HOSTILE_GETS = [
    # names in paths
    "{app}/tables/%00",
    "{app}/tables/..%2F..%2Fetc",
    "{app}/tables/" + "a" * 5000,
    "{app}/tables/%ff%fe",
    "{app}/tables/T%C3%A4",
    "/data/local/canary/%ff",
    "/data/local/canary/x%00y?n=eq.1",
    "/data/%ff/canary/t?n=eq.1",
    "/data/local/%00/t?n=eq.1",
    "/api/v1/apps/not-a-uuid",
    "/api/v1/apps/%ff",
    "{data}/not-a-uuid",
    "{data}/urn:uuid:00000000-0000-0000-0000-000000000000",
    "/no/such/route",
    # filter values
    "{data}?t=like.abc%5C",
    "{data}?n=eq.99999999999999999999",
    "{data}?n=eq.1e3",
    "{data}?n=gt.",
    "{data}?n=in." + ",".join(["1"] * 1001),
    "{data}?j=eq.%7Bbad",
    "{data}?j=gt.1",
    "{data}?t=eq.a%00b",
    "{data}?t=eq.%ED%A0%80",
    "{data}?created_at=gt.not-a-date",
    "{data}?created_at=gt.2026-01-01T00:00:00%2B16:00",
    "{data}?id=eq.urn:uuid:00000000-0000-0000-0000-000000000000",
    "{data}?n=zz.1",
    "{data}?n=eq",
    "{data}?nope=eq.1",
    "{data}?%ff=eq.1",
    "{data}?n=eq.1&sort=-",
    "{data}?n=eq.1&sort=j",
    "{data}?n=eq.1&_select=",
    "{data}?n=eq.1&_select=t,nope",
    "{data}?" + "&".join(["n=eq.1"] * 101),  # SQLite's expression depth is 1000
    "{data}/_count?" + "&".join(["t=like.%25a%25"] * 1000),
    "{data}",
    "{data}/_count",
    # pagination
    "{data}?n=eq.1&page=0",
    "{data}?n=eq.1&page=-1",
    "{data}?n=eq.1&page=abc",
    "{data}?n=eq.1&page=" + "9" * 40,
    "{data}?n=eq.1&per_page=0",
    "{data}?n=eq.1&per_page=1e3",
    "{data}?n=eq.1&page=1&page=2",
    "{app}/tables?page=0",
    "{app}/env-vars?per_page=-5",
    "/api/v1/tenants/{tenant}/apps?page=%ff",
]


@pytest.mark.parametrize("template", HOSTILE_GETS)
def test_hostile_paths_and_queries_are_4xx(canary: Canary, template: str) -> None:
    """Bad names, filter values, paths and pagination answer 4xx and change nothing."""
    before = canary.dump()
    url = _url(canary, template)
    response = canary.client.send(canary.client.build_request("GET", url))
    assert_4xx_envelope(response)
    assert canary.dump() == before


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("DELETE", "{app}/env-vars/%00"),
        ("DELETE", "{app}/env-vars/" + "K" * 5000),
        ("DELETE", "{app}/tables/t/columns/xmin"),
        ("DELETE", "{app}/tables/t/columns/id"),
        ("DELETE", "{app}/tables/t/grants/not-a-uuid"),
        ("DELETE", "{data}/%ff"),
        ("DELETE", "{app}/permanent"),
        ("PUT", "{app}"),
    ],
)
def test_hostile_deletes_are_4xx(canary: Canary, method: str, template: str) -> None:
    """Deletes of odd, implicit or missing names answer 4xx and change nothing."""
    before = canary.dump()
    response = canary.client.request(method, _url(canary, template))
    assert_4xx_envelope(response)
    assert canary.dump() == before


def test_bad_headers_are_4xx(canary: Canary) -> None:
    """Odd tokens and auth schemes answer 401 in the envelope; odd request ids are replaced."""
    before = canary.dump()
    url = f"{canary.data_url}?n=eq.1"
    with httpx.Client(transport=SyncASGITransport(canary.application), base_url="http://l") as c:
        for headers in (
            {"X-Api-Key": b"\t"},
            {"X-Api-Key": b"x" * 10_000},
            {"X-Api-Key": b"\xe9\xff"},
            {"Authorization": b"Bearer"},
            {"Authorization": b"Basic abc"},
            {"Authorization": b"Bearer \xe9"},
        ):
            assert_4xx_envelope(c.get(url, headers=headers))
    odd_id = canary.client.get(url, headers={"X-Request-ID": b"\xe9\xe9"})
    assert odd_id.status_code == 200 and odd_id.headers["x-request-id"].startswith("req_")
    assert canary.dump() == before


_FIXTURE_OK = [HealthCheck.function_scoped_fixture]
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(
    body=st.dictionaries(st.text(max_size=12), _json, max_size=4),
    route=st.sampled_from(BODY_ROUTES),
)
def test_any_json_object_never_gets_a_5xx(
    canary: Canary, body: dict[str, Any], route: tuple[str, str]
) -> None:
    """Any JSON object (lone surrogates included) on any body route is answered below 500."""
    method, template = route
    content = json.dumps(body).encode()
    response = canary.client.request(
        method,
        _url(canary, template),
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_4xx_envelope(response)


def test_repeated_sort_keys_and_selects_are_harmless(canary: Canary) -> None:
    """5,000 repeats of one sort key or _select column answer 200 (a repeat changes nothing)."""
    params = {"n": "eq.1", "sort": ",".join(["-n"] * 5000), "_select": ",".join(["t"] * 5000)}
    response = canary.client.get(canary.data_url, params=params)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [{"t": "canary"}]


async def _asgi_get(application: EmulatorApp, path: str, query: bytes) -> tuple[int, Any]:
    """One GET straight into the ASGI app (for query strings longer than httpx allows)."""
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"x-api-key", application.store.identity.pat.encode())],
    }
    await application(scope, receive, send)
    return sent[0]["status"], json.loads(sent[1]["body"])


@pytest.mark.anyio
async def test_too_many_bound_values_is_a_400(canary: Canary) -> None:
    """40 in-lists of 999 values (SQLite binds at most 32,766) → 400 naming where."""
    before = canary.dump()
    in_list = b"n=in." + b",".join([b"1"] * 999)
    status, body = await _asgi_get(canary.application, canary.data_url, b"&".join([in_list] * 40))
    assert status == 400
    assert body["error"]["fields"] == [{"name": "where", "code": "invalid_value"}]
    assert canary.dump() == before


# --- a body cut short (§13.26) ---------------------------------------------------------------


def _count(path: Path, table: str = "t") -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        number = conn.execute(
            "SELECT seq FROM ax_tables WHERE table_name = ?", (table,)
        ).fetchone()[0]
        return int(conn.execute(f"SELECT COUNT(*) FROM ax_data_{int(number)}").fetchone()[0])  # noqa: S608 - test-only table number


@pytest.mark.anyio
async def test_cut_short_body_is_not_processed_in_process(canary: Canary) -> None:
    """An ASGI request whose body stops at a disconnect gets no answer and commits nothing."""
    application = canary.application
    before = canary.dump()
    body = json.dumps({"t": "cut", "n": 7}).encode()
    messages = [
        {"type": "http.request", "body": body, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": canary.data_url,
        "raw_path": canary.data_url.encode(),
        "query_string": b"",
        "headers": [
            (b"x-api-key", application.store.identity.pat.encode()),
            (b"content-type", b"application/json"),
            (b"content-length", b"127"),
        ],
    }
    await application(scope, receive, send)
    assert sent == []
    assert canary.dump() == before


def test_cut_short_body_over_a_socket_is_not_committed(tmp_path: Path) -> None:
    """Content-Length 127, 27 bytes sent, then disconnect: after shutdown the row is not there."""
    path = tmp_path / "cut.sqlite"
    with LocalAxHub(db=path) as local, local.client() as hub:
        app = hub.apps.create(slug="cut", name="cut")
        app.tables.create("t", columns=[Column("t", "text"), Column("n", "int")])
        body = json.dumps({"t": "cut", "n": 7}).encode().ljust(127)
        head = (
            f"POST /data/local/cut/t HTTP/1.1\r\nHost: x\r\nX-Api-Key: {local.token}\r\n"
            "Content-Type: application/json\r\nContent-Length: 127\r\n\r\n"
        ).encode()
        host, port = local.base_url.rsplit("/", 1)[1].split(":")
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(head + body[:27])
        hub.me()  # a later request on another connection: the cut one was read first
        assert json.loads(body[:27]) == {"t": "cut", "n": 7}  # the prefix alone is a full row
    # the server has shut down (graceful: in-flight requests finished); read the file
    assert _count(path) == 0


# --- LIKE cannot stall the server ------------------------------------------------------------


def test_pathological_like_does_not_stall_another_client() -> None:
    """`%aaaa…b` (1,002 chars) on 50,000 chars answers < 1 s while another client is served."""
    with LocalAxHub() as local, local.client() as hub:
        app = hub.apps.create(slug="like", name="like")
        table = app.tables.create("t", columns=[Column("t", "text")])
        table.rows.create(t="a" * 50_000)
        url = f"{local.base_url}/data/local/like/t"
        pattern = "like.%" + "a" * 1000 + "b"
        assert len(pattern) - len("like.") == 1002
        like_times: list[float] = []
        results: list[Any] = []

        def attacker() -> None:
            with httpx.Client(headers={"X-Api-Key": local.token}, timeout=60) as c:
                for _ in range(3):
                    start = time.perf_counter()
                    results.append(c.get(url, params={"t": pattern}).json())
                    like_times.append(time.perf_counter() - start)

        thread = threading.Thread(target=attacker)
        waits: list[float] = []
        with httpx.Client(headers={"X-Api-Key": local.token}, timeout=60) as other:
            thread.start()
            while thread.is_alive() or len(waits) < 5:
                start = time.perf_counter()
                assert other.get(f"{local.base_url}/api/v1/me").status_code == 200
                waits.append(time.perf_counter() - start)
        thread.join()
    assert results == [{"items": [], "page": 1, "per_page": 20, "has_more": False}] * 3
    assert max(like_times) < 1.0, like_times
    assert max(waits) < 1.0, max(waits)


def test_like_still_matches_through_the_api(canary: Canary) -> None:
    """The linear matcher keeps LIKE semantics: anchors, _ and escaped wildcards."""
    cases = {"canary": 1, "can%": 1, "%nar%": 1, "c_n_r_": 1, "%y": 1, "%x%": 0, "can\\%": 0}
    for pattern, expected in cases.items():
        params = {"t": f"like.{pattern}", "id": f"eq.{canary.row['id']}"}
        response = canary.client.get(f"{canary.data_url}/_count", params=params)
        assert response.json() == {"count": expected}, pattern


# --- the database file -----------------------------------------------------------------------


def test_db_file_is_created_owner_only(tmp_path: Path) -> None:
    """A new --db file (and its WAL and shared-memory files) is mode 0600: it holds the tokens."""
    path = tmp_path / "private.sqlite"
    application = create_app(path)
    try:
        with application.store.transaction():
            pass
        files = [p for p in tmp_path.iterdir() if p.name.startswith("private.sqlite")]
        assert path in files
        for file in files:
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    finally:
        application.store.close()
