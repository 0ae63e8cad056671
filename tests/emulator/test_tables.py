from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from axhub_orm.local import EmulatorApp

from .conftest import error_of, rows_url

AppFactory = Callable[..., dict[str, Any]]
TableFactory = Callable[..., tuple[dict[str, Any], dict[str, Any]]]

COLUMNS = [
    {"name": "owner_id", "type": "uuid", "nullable": False},
    {"name": "title", "type": "text", "nullable": False},
    {"name": "priority", "type": "int", "nullable": True, "default": "0"},
]


def _tables(app_json: dict[str, Any]) -> str:
    return f"/api/v1/apps/{app_json['id']}/tables"


def test_create_table_returns_the_inspect_object(
    make_app: AppFactory, client: httpx.Client
) -> None:
    """POST tables answers 201 with the §7.3 object; columns per §13.9."""
    created = make_app()
    response = client.post(
        _tables(created),
        json={
            "table_name": "tickets",
            "owner_column": "owner_id",
            "columns": COLUMNS,
            "description": "Support tickets",
        },
    )
    assert response.status_code == 201
    table = response.json()
    assert table["table_name"] == "tickets"
    assert table["app_id"] == created["id"]
    assert table["owner_column"] == "owner_id"
    assert table["description"] == "Support tickets"
    assert table["columns"] == [
        {"name": "owner_id", "type": "uuid", "nullable": False, "default": None},
        {"name": "title", "type": "text", "nullable": False, "default": None},
        {"name": "priority", "type": "int", "nullable": True, "default": "0"},
    ]
    assert (table["column_count"], table["row_count"]) == (3, 0)
    assert (table["aggregatable_paths"], table["references"]) == ([], {})
    inspected = client.get(f"{_tables(created)}/tickets").json()
    assert inspected == table


def test_owner_column_is_null_when_unset(make_table: TableFactory) -> None:
    """A table created without owner_column reports owner_column null."""
    _, table = make_table([{"name": "a", "type": "text"}])
    assert table["owner_column"] is None


def test_row_count_is_live(make_table: TableFactory, client: httpx.Client) -> None:
    """row_count in the inspect object follows inserts."""
    application, table = make_table([{"name": "a", "type": "text"}])
    for _ in range(3):
        client.post(rows_url(application, table), json={"a": "x"})
    inspected = client.get(f"{_tables(application)}/{table['table_name']}").json()
    assert inspected["row_count"] == 3


def test_list_tables(make_app: AppFactory, client: httpx.Client) -> None:
    """GET tables lists table objects in creation order in the page envelope."""
    created = make_app()
    for name in ("alpha", "beta"):
        client.post(_tables(created), json={"table_name": name, "columns": []})
    listed = client.get(_tables(created)).json()
    assert [t["table_name"] for t in listed["items"]] == ["alpha", "beta"]
    assert (listed["page"], listed["per_page"], listed["has_more"]) == (1, 20, False)


@pytest.mark.parametrize(
    "name",
    [
        "Tickets",
        "1abc",
        "_x",
        "a-b",
        "a" * 64,
        "",
        "tab le",
        'x"; DROP TABLE ax_apps; --',
        "ümlaut",
    ],
)
def test_invalid_table_names_are_400(make_app: AppFactory, client: httpx.Client, name: str) -> None:
    """Table names outside ^[a-z][a-z0-9_]{0,62}$ answer 400 invalid_format."""
    response = client.post(_tables(make_app()), json={"table_name": name, "columns": []})
    assert response.status_code == 400
    assert error_of(response)["code"] in ("invalid_format", "required")


def test_table_name_limit_is_63(make_app: AppFactory, client: httpx.Client) -> None:
    """A 63-character table name is accepted (the upper bound of the rule)."""
    response = client.post(_tables(make_app()), json={"table_name": "a" * 63, "columns": []})
    assert response.status_code == 201


@pytest.mark.parametrize("reserved", ["id", "created_at", "updated_at"])
def test_reserved_columns_are_not_allowed(
    make_app: AppFactory, client: httpx.Client, reserved: str
) -> None:
    """Declaring id, created_at or updated_at answers 400 not_allowed."""
    response = client.post(
        _tables(make_app()),
        json={"table_name": "t", "columns": [{"name": reserved, "type": "text"}]},
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "not_allowed"


def test_duplicate_table_is_409(make_table: TableFactory, client: httpx.Client) -> None:
    """Creating a table whose name exists in the app answers 409 already_exists."""
    application, table = make_table([])
    response = client.post(
        _tables(application), json={"table_name": table["table_name"], "columns": []}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "already_exists"


def test_duplicate_column_in_create_is_409(make_app: AppFactory, client: httpx.Client) -> None:
    """Two columns with one name in a create body answer 409 already_exists."""
    response = client.post(
        _tables(make_app()),
        json={
            "table_name": "t",
            "columns": [{"name": "a", "type": "text"}, {"name": "a", "type": "int"}],
        },
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    "column",
    [
        {"name": "a", "type": "integer"},
        {"name": "a", "type": "int", "default": "abc"},
        {"name": "a", "type": "bool", "default": "yes"},
        {"name": "a", "type": "int", "default": 5},
        {"name": "a", "type": "text", "nullable": "no"},
        {"name": "a", "type": "text", "extra": 1},
    ],
)
def test_bad_column_definitions_are_400(
    make_app: AppFactory, client: httpx.Client, column: dict[str, Any]
) -> None:
    """Unknown types, defaults not of the column type and unknown keys answer 400."""
    response = client.post(_tables(make_app()), json={"table_name": "t", "columns": [column]})
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_value"


def test_owner_column_must_be_declared(make_app: AppFactory, client: httpx.Client) -> None:
    """owner_column naming an undeclared column answers 400 invalid_value."""
    response = client.post(
        _tables(make_app()),
        json={
            "table_name": "t",
            "owner_column": "owner_id",
            "columns": [{"name": "a", "type": "text"}],
        },
    )
    assert response.status_code == 400
    assert error_of(response)["fields"][0]["name"] == "owner_column"


def test_description_limit(make_app: AppFactory, client: httpx.Client) -> None:
    """A description over 1000 bytes answers 400 too_long."""
    response = client.post(
        _tables(make_app()), json={"table_name": "t", "columns": [], "description": "é" * 501}
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "too_long"


def test_check_table_availability(make_table: TableFactory, client: httpx.Client) -> None:
    """check-availability answers available / taken / invalid and 400 without table_name."""
    application, table = make_table([])
    url = f"{_tables(application)}/check-availability"
    assert client.get(url, params={"table_name": "free"}).json() == {
        "available": True,
        "reason": "",
    }
    assert client.get(url, params={"table_name": table["table_name"]}).json() == {
        "available": False,
        "reason": "taken",
    }
    assert client.get(url, params={"table_name": "Bad-Name"}).json() == {
        "available": False,
        "reason": "invalid",
    }
    assert client.get(url).status_code == 400


def test_column_types(make_app: AppFactory, client: httpx.Client) -> None:
    """column-types lists the eight column types."""
    response = client.get(f"{_tables(make_app())}/column-types")
    assert response.json() == {
        "types": ["text", "int", "bigint", "float", "bool", "timestamptz", "uuid", "jsonb"]
    }


def test_delete_table_is_hard(make_table: TableFactory, client: httpx.Client) -> None:
    """DELETE table → 204; inspect → 404 and its rows route → 404 (live-QA semantic)."""
    application, table = make_table([{"name": "a", "type": "text"}])
    url = f"{_tables(application)}/{table['table_name']}"
    client.post(rows_url(application, table), json={"a": "x"})
    deleted = client.delete(url)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert client.get(url).status_code in (404, 410)
    assert error_of(client.get(url))["code"] == "not_found"
    assert client.get(rows_url(application, table), params={"a": "eq.x"}).status_code == 404
    assert client.delete(url).status_code == 404


def test_recreated_table_starts_empty(make_table: TableFactory, client: httpx.Client) -> None:
    """A table re-created under a deleted table's name has no rows of the old one."""
    application, table = make_table([{"name": "a", "type": "text"}])
    client.post(rows_url(application, table), json={"a": "x"})
    client.delete(f"{_tables(application)}/{table['table_name']}")
    client.post(
        _tables(application),
        json={"table_name": table["table_name"], "columns": [{"name": "a", "type": "text"}]},
    )
    assert client.get(rows_url(application, table, "/_count"), params={"a": "eq.x"}).json() == {
        "count": 0
    }


def test_add_column_returns_201_with_table_and_fills_default(
    make_table: TableFactory, client: httpx.Client
) -> None:
    """Adding a column answers 201 with the table; existing rows get the default."""
    application, table = make_table([{"name": "a", "type": "text"}])
    client.post(rows_url(application, table), json={"a": "x"})
    url = f"{_tables(application)}/{table['table_name']}/columns"
    response = client.post(
        url, json={"column": {"name": "priority", "type": "int", "nullable": True, "default": "7"}}
    )
    assert response.status_code == 201
    assert response.json()["columns"][-1] == {
        "name": "priority",
        "type": "int",
        "nullable": True,
        "default": "7",
    }
    rows = client.get(rows_url(application, table), params={"a": "eq.x"}).json()["items"]
    assert rows[0]["priority"] == 7


def test_add_column_errors(make_table: TableFactory, client: httpx.Client) -> None:
    """Duplicate → 409; reserved → 400 not_allowed; unwrapped body → 400."""
    application, table = make_table([{"name": "a", "type": "text"}])
    url = f"{_tables(application)}/{table['table_name']}/columns"
    assert client.post(url, json={"column": {"name": "a", "type": "int"}}).status_code == 409
    reserved = client.post(url, json={"column": {"name": "id", "type": "uuid"}})
    assert error_of(reserved)["code"] == "not_allowed"
    assert client.post(url, json={"name": "b", "type": "int"}).status_code == 400


def test_add_non_nullable_column_to_non_empty_table_needs_default(
    make_table: TableFactory, client: httpx.Client
) -> None:
    """A NOT NULL column without default cannot be added to a table that has rows."""
    application, table = make_table([{"name": "a", "type": "text"}])
    client.post(rows_url(application, table), json={"a": "x"})
    url = f"{_tables(application)}/{table['table_name']}/columns"
    response = client.post(url, json={"column": {"name": "b", "type": "int", "nullable": False}})
    assert response.status_code == 400


def test_drop_column(make_table: TableFactory, client: httpx.Client) -> None:
    """DELETE column → 204 and inspect no longer contains it; rows lose the key."""
    application, table = make_table([{"name": "a", "type": "text"}, {"name": "b", "type": "int"}])
    client.post(rows_url(application, table), json={"a": "x", "b": 1})
    base = f"{_tables(application)}/{table['table_name']}"
    assert client.delete(f"{base}/columns/b").status_code == 204
    assert [c["name"] for c in client.get(base).json()["columns"]] == ["a"]
    row = client.get(rows_url(application, table), params={"a": "eq.x"}).json()["items"][0]
    assert "b" not in row
    assert client.delete(f"{base}/columns/b").status_code == 404


def test_drop_owner_or_implicit_column_is_not_allowed(
    make_table: TableFactory, client: httpx.Client
) -> None:
    """Dropping the owner column or an implicit column answers 400 not_allowed."""
    application, table = make_table([{"name": "owner_id", "type": "uuid"}], owner_column="owner_id")
    base = f"{_tables(application)}/{table['table_name']}/columns"
    for name in ("owner_id", "id", "created_at"):
        response = client.delete(f"{base}/{name}")
        assert response.status_code == 400
        assert error_of(response)["code"] == "not_allowed"


def test_unknown_table_is_404(make_app: AppFactory, client: httpx.Client) -> None:
    """Inspecting a table that does not exist answers 404 not_found."""
    response = client.get(f"{_tables(make_app())}/nosuchtable")
    assert response.status_code == 404


def test_tables_of_soft_deleted_app_are_404(make_table: TableFactory, client: httpx.Client) -> None:
    """After an app's soft delete, its table routes and row routes answer 404."""
    application, table = make_table([{"name": "a", "type": "text"}])
    client.delete(f"/api/v1/apps/{application['id']}")
    assert client.get(f"{_tables(application)}/{table['table_name']}").status_code == 404
    response = client.get(rows_url(application, table), params={"a": "eq.x"})
    assert response.status_code == 404


# --- grants ------------------------------------------------------------------------------


def test_grant_create_list_revoke(
    make_table: TableFactory, client: httpx.Client, app: EmulatorApp
) -> None:
    """Grant → 201; list contains it; revoke → 200 with revoked_at; still listed; re-revoke 409."""
    application, table = make_table([])
    url = f"{_tables(application)}/{table['table_name']}/grants"
    user_id = app.store.identity.user_id
    created = client.post(
        url, json={"principal_type": "user", "principal_id": user_id, "actions": ["read", "write"]}
    )
    assert created.status_code == 201
    grant = created.json()
    assert set(grant) == {
        "id",
        "table_name",
        "principal_type",
        "principal_id",
        "actions",
        "created_at",
        "revoked_at",
    }
    assert (grant["revoked_at"], grant["actions"]) == (None, ["read", "write"])
    assert [g["id"] for g in client.get(url).json()["items"]] == [grant["id"]]
    revoked = client.delete(f"{url}/{grant['id']}")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    listed = client.get(url).json()["items"]
    assert [(g["id"], g["revoked_at"]) for g in listed] == [
        (grant["id"], revoked.json()["revoked_at"])
    ]
    again = client.delete(f"{url}/{grant['id']}")
    assert again.status_code == 409
    assert error_of(again)["code"] == "already_revoked"


@pytest.mark.parametrize(
    "body",
    [
        {"principal_type": "group", "actions": ["read"]},
        {"principal_type": "user", "actions": []},
        {"principal_type": "user", "actions": ["delete"]},
        {"principal_type": "user", "actions": "read"},
    ],
)
def test_bad_grants_are_400(
    make_table: TableFactory, client: httpx.Client, app: EmulatorApp, body: dict[str, Any]
) -> None:
    """principal_type other than user, or actions not a non-empty subset of read/write → 400."""
    application, table = make_table([])
    url = f"{_tables(application)}/{table['table_name']}/grants"
    response = client.post(url, json={**body, "principal_id": app.store.identity.user_id})
    assert response.status_code == 400


def test_revoke_unknown_grant_is_404(make_table: TableFactory, client: httpx.Client) -> None:
    """Revoking a grant id that does not exist answers 404."""
    application, table = make_table([])
    url = f"{_tables(application)}/{table['table_name']}/grants/not-a-grant"
    assert client.delete(url).status_code == 404


# --- admin browse --------------------------------------------------------------------------


def test_admin_browse_rows(make_table: TableFactory, client: httpx.Client) -> None:
    """Admin browse returns {rows, columns, page, per_page, has_more} with declared columns."""
    application, table = make_table([{"name": "a", "type": "text"}])
    for value in ("x", "y", "z"):
        client.post(rows_url(application, table), json={"a": value})
    url = f"{_tables(application)}/{table['table_name']}/rows"
    body = client.get(url, params={"per_page": 2}).json()
    assert [r["a"] for r in body["rows"]] == ["x", "y"]
    assert body["columns"] == [{"name": "a", "type": "text", "nullable": True, "default": None}]
    assert (body["page"], body["per_page"], body["has_more"]) == (1, 2, True)
    assert client.get(url, params={"page": 2, "per_page": 2}).json()["has_more"] is False


def test_admin_browse_needs_no_filter(make_table: TableFactory, client: httpx.Client) -> None:
    """Admin browse of a table without owner column needs no WHERE filter (unlike /data)."""
    application, table = make_table([{"name": "a", "type": "text"}])
    url = f"{_tables(application)}/{table['table_name']}/rows"
    assert client.get(url).status_code == 200
