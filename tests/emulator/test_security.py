from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from axhub_orm.local import EmulatorApp, SyncASGITransport, create_app

from .conftest import error_of, rows_url

TableFactory = Callable[..., tuple[dict[str, Any], dict[str, Any]]]

NASTY = [
    "x'; DROP TABLE ax_apps; --",
    'x"; DROP TABLE ax_apps; --',
    "a;b",
    "a--b",
    "a/*b*/",
    "a b",
    "ÄÖÜ",
    "名前",
    "\x00",
    "a\x00b",
    "x" * 10_000,
    "",
    "id)--",
    "1=1 OR",
    "a\nb",
    '"',
    "'",
    "\\",
    "%",
]


class Fixture:
    """A canary table with one row, to prove the store stays intact."""

    def __init__(
        self, client: httpx.Client, application: dict[str, Any], table: dict[str, Any]
    ) -> None:
        self.client = client
        self.app = application
        self.table = table
        self.url = rows_url(application, table)
        self.tables_url = f"/api/v1/apps/{application['id']}/tables"
        row = client.post(self.url, json={"t": "canary", "n": 1})
        assert row.status_code == 201

    def assert_intact(self) -> None:
        assert self.client.get(f"/api/v1/apps/{self.app['id']}").status_code == 200
        names = [t["table_name"] for t in self.client.get(self.tables_url).json()["items"]]
        assert names == [self.table["table_name"]]
        assert self.client.get(f"{self.url}/_count", params={"n": "eq.1"}).json() == {"count": 1}


@pytest.fixture
def canary(make_table: TableFactory, client: httpx.Client) -> Iterator[Fixture]:
    """A table with columns t (text) and n (int) holding one canary row."""
    application, table = make_table([{"name": "t", "type": "text"}, {"name": "n", "type": "int"}])
    fixture = Fixture(client, application, table)
    yield fixture
    fixture.assert_intact()


@pytest.mark.parametrize("name", NASTY)
def test_nasty_table_names_are_400(canary: Fixture, name: str) -> None:
    """Malicious table names in a create body and in the path answer 400."""
    created = canary.client.post(canary.tables_url, json={"table_name": name, "columns": []})
    assert created.status_code == 400
    if name and "/" not in name:
        path = f"{canary.tables_url}/{quote(name, safe='')}"
        assert canary.client.get(path).status_code == 400
        data = f"/data/local/{canary.app['slug']}/{quote(name, safe='')}"
        assert canary.client.get(data, params={"n": "eq.1"}).status_code == 400


@pytest.mark.parametrize("name", NASTY)
def test_nasty_column_names_are_400(canary: Fixture, name: str) -> None:
    """Malicious column names in create, add-column, filters, sort and _select answer 400."""
    client = canary.client
    body = {"table_name": "fresh", "columns": [{"name": name, "type": "text"}]}
    assert client.post(canary.tables_url, json=body).status_code == 400
    columns_url = f"{canary.tables_url}/{canary.table['table_name']}/columns"
    assert (
        client.post(columns_url, json={"column": {"name": name, "type": "text"}}).status_code == 400
    )
    for params in (
        {name: "eq.1"},
        {"n": "eq.1", "sort": name},
        {"n": "eq.1", "_select": name},
        {"n": "eq.1", "sort": f"-{name}"},
    ):
        response = client.get(canary.url, params=params)
        assert response.status_code == 400, params
        assert error_of(response)["category"] == "validation"
    assert client.post(canary.url, json={name: "x"}).status_code == 400


@pytest.mark.parametrize("value", [v for v in NASTY if "\x00" not in v])
def test_nasty_values_are_stored_and_filtered_literally(canary: Fixture, value: str) -> None:
    """Malicious text values round-trip unchanged and filter with eq and in literally."""
    row = canary.client.post(canary.url, json={"t": value, "n": 2})
    assert row.status_code == 201
    assert row.json()["t"] == value
    found = canary.client.get(canary.url, params={"t": f"eq.{value}"}).json()["items"]
    assert [r["id"] for r in found] == [row.json()["id"]]
    canary.client.delete(f"{canary.url}/{row.json()['id']}")


def test_internal_looking_names_are_just_names(canary: Fixture) -> None:
    """Tables and columns named like internal tables (ax_tables, sqlite_master) are plain data."""
    client = canary.client
    for name in ("ax_tables", "sqlite_master"):
        body = {"table_name": name, "columns": [{"name": "ax_apps", "type": "text"}]}
        assert client.post(canary.tables_url, json=body).status_code == 201
        url = f"/data/local/{canary.app['slug']}/{name}"
        assert client.post(url, json={"ax_apps": "x"}).status_code == 201
        assert client.get(f"{url}/_count", params={"ax_apps": "eq.x"}).json() == {"count": 1}
        assert client.delete(f"{canary.tables_url}/{name}").status_code == 204


def test_nul_bytes_in_values_are_rejected(canary: Fixture) -> None:
    """NUL characters (which PostgreSQL text cannot hold) answer 400 in bodies and filters."""
    assert canary.client.post(canary.url, json={"t": "a\x00b"}).status_code == 400
    assert canary.client.get(canary.url, params={"t": "eq.a\x00b"}).status_code == 400


def test_invalid_utf8_in_query_is_400(canary: Fixture) -> None:
    """A percent-encoded byte sequence that is not UTF-8 answers 400 invalid_format."""
    response = canary.client.get(f"{canary.url}?t=eq.%ff%fe")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_format"


def test_pathological_like_pattern_is_fast(canary: Fixture) -> None:
    """A like pattern full of wildcards on a 10 kB value answers quickly (no backtracking)."""
    canary.client.post(canary.url, json={"t": "a" * 10_000, "n": 3})
    response = canary.client.get(canary.url, params={"t": "like." + "%a" * 200 + "%b"})
    assert response.status_code == 200
    assert response.json()["items"] == []


# --- property tests ------------------------------------------------------------------------

_FIXTURE_OK = [HealthCheck.function_scoped_fixture]


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[httpx.Client, str, EmulatorApp]]:
    """One app and table reused by all hypothesis examples (module scope, for speed)."""
    application = create_app()
    with httpx.Client(
        transport=SyncASGITransport(application),
        base_url="http://p",
        headers={"X-Api-Key": application.store.identity.pat},
    ) as client:
        tenant = application.store.identity.tenant_id
        app_json = client.post(
            f"/api/v1/tenants/{tenant}/apps", json={"slug": "prop-app", "name": "p"}
        ).json()
        client.post(
            f"/api/v1/apps/{app_json['id']}/tables",
            json={
                "table_name": "things",
                "columns": [{"name": "t", "type": "text"}, {"name": "j", "type": "jsonb"}],
            },
        )
        yield client, "/data/local/prop-app/things", application
    application.store.close()


@settings(max_examples=60, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(value=st.text(max_size=200).filter(lambda s: s != "null" and "," not in s))
def test_any_text_value_round_trips_and_filters(
    shared: tuple[httpx.Client, str, EmulatorApp], value: str
) -> None:
    """Any text (except NUL) is stored verbatim and found again by eq and in filters."""
    client, url, _ = shared
    response = client.post(url, json={"t": value})
    if "\x00" in value:
        assert response.status_code == 400
        return
    assert response.status_code == 201, response.text
    row = response.json()
    assert row["t"] == value
    for op in ("eq", "in"):
        found = client.get(url, params={"t": f"{op}.{value}", "id": f"eq.{row['id']}"})
        assert [r["id"] for r in found.json()["items"]] == [row["id"]]
    assert client.delete(f"{url}/{row['id']}").status_code == 204


@settings(max_examples=60, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(name=st.text(max_size=80), where=st.sampled_from(["filter", "sort", "_select"]))
def test_any_unknown_identifier_is_a_400(
    shared: tuple[httpx.Client, str, EmulatorApp], name: str, where: str
) -> None:
    """Any name that is not a column answers 400 wherever an identifier goes, never 5xx."""
    client, url, _ = shared
    if name in ("t", "j", "id", "created_at", "updated_at", "sort", "_select", "page", "per_page"):
        return
    params = {"t": "eq.x"}
    if where == "filter":
        params[name] = "eq.1"
    else:
        params[where] = name
    response = client.get(url, params=params)
    assert response.status_code == 400, response.text


@settings(max_examples=40, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_any_json_round_trips_through_jsonb(
    shared: tuple[httpx.Client, str, EmulatorApp], value: Any
) -> None:
    """Any JSON value is returned by a jsonb column as sent (NUL-free strings)."""
    client, url, _ = shared
    response = client.post(url, json={"j": value})
    if "\\u0000" in httpx.Request("POST", "http://x", json=value).content.decode():
        assert response.status_code == 400
        return
    assert response.status_code == 201, response.text
    assert response.json()["j"] == value
    client.delete(f"{url}/{response.json()['id']}")
