"""Value fidelity as PostgreSQL has it (wire contract §13 item 25)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from .conftest import error_of, rows_url

TableFactory = Callable[..., tuple[dict[str, Any], dict[str, Any]]]


@pytest.fixture
def typed(make_table: TableFactory, client: httpx.Client) -> tuple[httpx.Client, str]:
    """A table with a timestamptz, a uuid, a jsonb and a float column: (client, rows URL)."""
    application, table = make_table(
        [
            {"name": "at", "type": "timestamptz"},
            {"name": "u", "type": "uuid"},
            {"name": "j", "type": "jsonb"},
            {"name": "f", "type": "float"},
        ]
    )
    return client, rows_url(application, table)


@pytest.mark.parametrize("name", ["xmin", "xmax", "cmin", "cmax", "ctid", "tableoid"])
def test_system_column_names_are_refused(
    make_table: TableFactory, client: httpx.Client, name: str
) -> None:
    """PostgreSQL's system column names → 400 invalid_value, in create table and add column."""
    application, table = make_table([{"name": "t", "type": "text"}])
    tables = f"/api/v1/apps/{application['id']}/tables"
    created = client.post(
        tables, json={"table_name": "other", "columns": [{"name": name, "type": "int"}]}
    )
    added = client.post(
        f"{tables}/{table['table_name']}/columns", json={"column": {"name": name, "type": "int"}}
    )
    for response in (created, added):
        assert response.status_code == 400
        assert error_of(response)["code"] == "invalid_value"
        assert error_of(response)["fields"][0]["name"] == name


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2026-01-01T00:00:00+15:59", "2025-12-31T08:01:00.000000Z"),
        ("2026-01-01T00:00:00-15:59", "2026-01-01T15:59:00.000000Z"),
        ("2026-01-01T00:00:00.1234565Z", "2026-01-01T00:00:00.123456Z"),  # tie → even
        ("2026-01-01T00:00:00.1234575Z", "2026-01-01T00:00:00.123458Z"),  # tie → even
        ("2026-01-01T00:00:00.123456501Z", "2026-01-01T00:00:00.123457Z"),
        ("2026-01-01T00:00:00.1234564Z", "2026-01-01T00:00:00.123456Z"),
        ("2026-01-01T23:59:59.9999995Z", "2026-01-02T00:00:00.000000Z"),  # carries
        ("2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00.500000Z"),
    ],
)
def test_timestamps_round_and_accept_offsets_up_to_15_59(
    typed: tuple[httpx.Client, str], sent: str, stored: str
) -> None:
    """Fractions below a microsecond round half to even; offsets up to ±15:59 are accepted."""
    client, url = typed
    row = client.post(url, json={"at": sent})
    assert row.status_code == 201, row.text
    assert row.json()["at"] == stored
    found = client.get(url, params={"at": f"eq.{sent}", "id": f"eq.{row.json()['id']}"})
    assert [r["id"] for r in found.json()["items"]] == [row.json()["id"]]


REFUSED = [
    # timestamptz offsets beyond ±15:59, or minutes ≥ 60
    ("at", "2026-01-01T00:00:00+16:00"),
    ("at", "2026-01-01T00:00:00-23:59"),
    ("at", "2026-01-01T00:00:00+10:60"),
    # uuid forms PostgreSQL does not read
    ("u", "urn:uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ("u", "uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ("u", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1"),
    ("u", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ("u", "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11"),
    ("u", "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
]


@pytest.mark.parametrize(("column", "sent"), REFUSED)
def test_values_postgres_refuses_are_400(
    typed: tuple[httpx.Client, str], column: str, sent: str
) -> None:
    """Offsets beyond ±15:59 and ``urn:uuid:``-like forms → 400 invalid_value, body and filter."""
    client, url = typed
    for response in (
        client.post(url, json={column: sent}),
        client.get(url, params={column: f"eq.{sent}"}),
    ):
        assert response.status_code == 400
        assert error_of(response)["code"] == "invalid_value"


@pytest.mark.parametrize(
    "sent",
    [
        "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
        "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
        "a0eebc999c0b4ef8bb6d6bb9bd380a11",
        "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
        "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
    ],
)
def test_uuid_forms_postgres_reads_are_stored_canonically(
    typed: tuple[httpx.Client, str], sent: str
) -> None:
    """Every input form PostgreSQL reads is stored as the lowercase hyphenated form."""
    client, url = typed
    row = client.post(url, json={"u": sent})
    assert row.status_code == 201, row.text
    assert row.json()["u"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"


EXACT = [
    ("1E2", "100"),
    ("1e-2", "0.01"),
    ("1.50", "1.50"),
    ("12.345e1", "123.45"),
    ("-0", "0"),
    ("-0.0", "0.0"),
    ("0.1", "0.1"),
    ("3.14159265358979323846264338327950288419716939937510", None),
    ("123456789012345678901234567890123456789012345678901234567890", None),
    ("9" * 5000, None),
    ("-1.0E+3", "-1000"),
]


@pytest.mark.parametrize(("sent", "answered"), EXACT)
def test_jsonb_numbers_round_trip_exactly(
    typed: tuple[httpx.Client, str], sent: str, answered: str | None
) -> None:
    """Numbers in jsonb keep every digit (``1E2`` → ``100``, ``1.50`` stays) in all answers."""
    client, url = typed
    expected = answered or sent
    body = '{"j": {"n": ' + sent + ', "list": [' + sent + "]}}"
    row = client.post(url, content=body, headers={"Content-Type": "application/json"})
    assert row.status_code == 201, row.text
    row_id = json.loads(row.text, parse_int=Decimal)["id"]
    again = client.get(f"{url}/{row_id}")
    listed = client.get(url, params={"id": f"eq.{row_id}"})
    for text in (row.text, again.text, listed.text):
        assert f'{{"list":[{expected}],"n":{expected}}}' in text
    value = json.loads(again.text, parse_float=Decimal, parse_int=Decimal)["j"]["n"]
    assert Decimal(value) == Decimal(sent)


def test_jsonb_equality_compares_numbers_by_value(typed: tuple[httpx.Client, str]) -> None:
    """``eq`` on jsonb matches 100 with 1E2 and 1.5 with 1.50, as PostgreSQL's jsonb does."""
    client, url = typed
    first = client.post(url, content=b'{"j": 1E2}', headers={"Content-Type": "application/json"})
    second = client.post(url, content=b'{"j": 1.50}', headers={"Content-Type": "application/json"})
    for literal, row in (("100", first), ("100.0", first), ("1.5", second), ("15E-1", second)):
        found = client.get(url, params={"j": f"eq.{literal}", "id": f"eq.{row.json()['id']}"})
        assert len(found.json()["items"]) == 1, literal
    assert (
        client.get(url, params={"j": "eq.1.51", "id": f"eq.{second.json()['id']}"}).json()["items"]
        == []
    )


@pytest.mark.parametrize("sent", ["1e131072", "1e-16384", "1e999999999"])
def test_jsonb_numbers_beyond_numeric_are_400(typed: tuple[httpx.Client, str], sent: str) -> None:
    """A jsonb number outside PostgreSQL numeric's range → 400 invalid_value (not a huge text)."""
    client, url = typed
    response = client.post(
        url, content=('{"j": ' + sent + "}").encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_value"


def test_float_columns_take_exact_json_numbers_as_floats(typed: tuple[httpx.Client, str]) -> None:
    """A float column stores the nearest double of any JSON number; out of range → 400."""
    client, url = typed
    headers = {"Content-Type": "application/json"}
    row = client.post(url, content=b'{"f": 0.1000000000000000000001}', headers=headers)
    assert row.json()["f"] == 0.1
    assert client.post(url, content=b'{"f": 1e400}', headers=headers).status_code == 400
