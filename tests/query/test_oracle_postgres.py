"""The query oracle's assumptions, checked against a real PostgreSQL server (issue #16 item 4).

Each test evaluates the same values in PostgreSQL (bound parameters, no emulator in between)
and with the oracle's own functions. Where PostgreSQL's answer depends on a setting (text
collation), the test pins what the emulator's PostgreSQL store uses and shows the alternative.
Runs when ``AXHUB_TEST_POSTGRES`` holds a PostgreSQL URL.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg
import pytest
import query_oracle as oracle
from psycopg import sql
from stores import postgres_url

from .test_differential import _LIKE_PIECES, TEXT_POOL

_ICU_SAMPLE = ["B", "b", "ä", "A", "a", "1", "_x"]


@pytest.fixture(scope="module")
def pg() -> Iterator[psycopg.Connection[Any]]:
    """A connection to the test server (the module skips without one)."""
    with psycopg.connect(postgres_url(), autocommit=True) as conn:
        yield conn


def _order(pg: psycopg.Connection[Any], values: list[str], collation: str) -> list[str]:
    query = sql.SQL(
        "SELECT v FROM unnest(%s::text[]) WITH ORDINALITY AS u(v, i) ORDER BY v COLLATE {}, i"
    ).format(sql.Identifier(collation))
    return [r[0] for r in pg.execute(query, (values,)).fetchall()]


def test_text_orders_by_code_point_as_the_store_declares(pg: psycopg.Connection[Any]) -> None:
    """Text under COLLATE "C" (the store's text columns) sorts as the oracle does: code points."""
    assert _order(pg, TEXT_POOL, "C") == sorted(TEXT_POOL)


def test_a_linguistic_collation_would_order_text_otherwise(pg: psycopg.Connection[Any]) -> None:
    """Under ICU en-US, PostgreSQL orders ``_x 1 a A ä b B``: code-point order is our choice."""
    found = pg.execute("SELECT 1 FROM pg_collation WHERE collname = 'en-US-x-icu'").fetchone()
    if found is None:
        pytest.skip("this PostgreSQL has no ICU en-US collation")
    assert _order(pg, _ICU_SAMPLE, "en-US-x-icu") == ["_x", "1", "a", "A", "ä", "b", "B"]
    assert sorted(_ICU_SAMPLE) == ["1", "A", "B", "_x", "a", "b", "ä"]


def test_like_matches_as_the_oracle_reads_it(pg: psycopg.Connection[Any]) -> None:
    """``value LIKE pattern`` (backslash escapes, case-sensitive) agrees for every pool pair."""
    patterns = sorted({"".join(p) for p in itertools.product(_LIKE_PIECES, repeat=2)} | {""})
    rows = pg.execute(
        "SELECT v, p, v LIKE p FROM unnest(%s::text[]) AS v, unnest(%s::text[]) AS p",
        (TEXT_POOL, patterns),
    ).fetchall()
    disagree = [(v, p) for v, p, match in rows if match != bool(oracle._like_regex(p).fullmatch(v))]
    assert len(rows) == len(TEXT_POOL) * len(patterns)
    assert disagree == []


def test_nulls_sort_last_ascending_and_first_descending(pg: psycopg.Connection[Any]) -> None:
    """PostgreSQL's NULL order is the oracle's: last ascending, first descending."""
    values = [3, None, 1, None, 2]
    rows = [{"id": str(uuid.UUID(int=i)), "n": n} for i, n in enumerate(values)]
    ascending = "SELECT i FROM unnest(%s::int[]) WITH ORDINALITY AS u(n, i) ORDER BY n ASC, i"
    for query, field in ((ascending, "n"), (ascending.replace("ASC", "DESC"), "-n")):
        postgres = [values[r[0] - 1] for r in pg.execute(query, (values,)).fetchall()]
        assert postgres == [
            row["n"] for row in oracle._sort(rows, [field], {"n": "int", "id": "uuid"})
        ]


_JSON_PAIRS = [
    ("1", "1.0"),
    ("1", "1.5"),
    ("true", "1"),
    ("0", "false"),
    ('"1"', "1"),
    ("[1, 2]", "[1.0, 2]"),
    ('{"a": 1, "b": [2]}', '{"b": [2.0], "a": 1.00}'),
    ('{"a": null}', "{}"),
    ("1e2", "100"),
    ("null", "null"),
]


def test_jsonb_equality_compares_numbers_by_value_not_booleans(
    pg: psycopg.Connection[Any],
) -> None:
    """The jsonb ``=`` agrees with the oracle: ``1 = 1.0``, ``1e2 = 100``, but ``true <> 1``."""
    for left, right in _JSON_PAIRS:
        postgres = pg.execute("SELECT %s::jsonb = %s::jsonb", (left, right)).fetchone()
        expected = oracle._equal(json.loads(left), json.loads(right), "jsonb")
        assert postgres == (expected,), (left, right)


def test_numbers_timestamps_and_uuids_compare_as_the_oracle(pg: psycopg.Connection[Any]) -> None:
    """Integers against floats, timestamps by instant and uuids by bytes order alike."""
    numbers = [-1.5, -0.0, 0, 1, 1.0, 2**53, 2.5e-7]
    for a, b in itertools.product(numbers, repeat=2):
        row = pg.execute("SELECT %s::float8 < %s::float8, %s::float8 = %s::float8", (a, b, a, b))
        assert row.fetchone() == (a < b, a == b)
    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    stamps = [base, base + timedelta(microseconds=1), base - timedelta(hours=1)]
    texts = [s.isoformat() for s in stamps] + ["2024-01-01T01:00:00+01:00"]
    for a, b in itertools.product(texts, repeat=2):
        row = pg.execute("SELECT %s::timestamptz < %s::timestamptz", (a, b)).fetchone()
        assert row == (oracle._parse_timestamp(a) < oracle._parse_timestamp(b),)
    ids = sorted(str(uuid.uuid4()) for _ in range(20))
    query = "SELECT v FROM unnest(%s::uuid[]) AS v ORDER BY v"
    assert [str(r[0]) for r in pg.execute(query, (ids[::-1],)).fetchall()] == ids
