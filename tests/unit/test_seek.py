"""Keyset iteration (``_seek``) against the query oracle, with rows changing between requests.

The "server" here is :func:`query_oracle.evaluate` over a list of rows that a hypothesis
program mutates between requests: deletes, updates of non-key columns, updates that take a
yielded row out of the filter (the loop ``for r in q.filter(status=…): r[status] = …``),
updates of sort keys and inserts. The property: every row that matched when iteration began
and whose sort key and filter column never changed is yielded exactly once, in key order;
no row is yielded twice unless its key changed.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from query_oracle import evaluate

from axhub_orm._errors import QueryError
from axhub_orm._query import QuerySpec
from axhub_orm._seek import SeekPlan, seek_keys, segments

TYPES = {"a": "int", "t": "text", "f": "float", "ok": "bool", "ts": "timestamptz", "n": "int"}
TYPES_ALL = {**TYPES, "status": "text"}
KEYABLE = sorted(TYPES)

VALUES: dict[str, st.SearchStrategy[Any]] = {
    "a": st.sampled_from([None, -1, 0, 1, 2]),
    "t": st.sampled_from([None, "", "a", "b", "null", "a,b", "é"]),
    "f": st.sampled_from([None, -0.5, 0.0, 1.5, 1e16]),
    "ok": st.sampled_from([None, False, True]),
    "ts": st.sampled_from(
        [
            None,
            "2024-01-01T00:00:00.000000Z",
            "2024-01-01T00:00:00.000001Z",
            "1999-12-31T23:59:59.999999Z",
        ]
    ),
    "n": st.integers(0, 3),  # declared NOT NULL: no NULL segment is needed for it
}


def _row_values() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({**VALUES, "status": st.sampled_from(["pending", "done"])})


def _new_row(values: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A row with a unique id drawn from ``rng`` (hypothesis' own, so examples replay exactly)."""
    unique = next(_serial)
    return {"id": str(uuid.UUID(int=(rng.getrandbits(96) << 32) | unique, version=4)), **values}


_serial = itertools.count()


orders = st.lists(st.tuples(st.sampled_from([*KEYABLE, "id"]), st.booleans()), max_size=3).map(
    lambda fields: [f"-{name}" if desc else name for name, desc in fields]
)

Mutation = tuple[str, int, Any]
mutations = st.lists(
    st.tuples(
        st.sampled_from(["delete", "touch", "leave", "rekey", "insert"]),
        st.integers(0, 10_000),
        st.data(),
    ),
    max_size=4,
)


def _serve(
    rows: Sequence[dict[str, Any]], spec: QuerySpec, plan: SeekPlan
) -> tuple[list[Any], bool]:
    """Answer one keyset request as the server would: filters AND-ed, sorted, one page."""
    request = plan.next_request()
    assert request is not None
    conditions = spec.conditions + request.conditions
    probe = attrs.evolve(spec, conditions=conditions, limit=request.per_page + 1)
    found = evaluate(rows, probe, TYPES_ALL)
    return found[: request.per_page], len(found) > request.per_page


def _iterate(
    rows: list[dict[str, Any]], spec: QuerySpec, per_page: int, between: Iterator[None]
) -> list[dict[str, Any]]:
    plan = spec.seek_plan(per_page)
    yielded: list[dict[str, Any]] = []
    while plan.next_request() is not None:
        items, has_more = _serve(rows, spec, plan)
        plan = plan.advance(items, has_more)
        yielded.extend(items)
        next(between, None)
    return yielded


def _sort_key(spec: QuerySpec, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(key.column) for key in spec.seek_plan().keys)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(_row_values(), max_size=30),
    order=orders,
    per_page=st.integers(1, 4),
    only_pending=st.booleans(),
    limit=st.one_of(st.none(), st.integers(101, 120)),
    data=st.data(),
)
def test_keyset_iteration_visits_every_stable_row_exactly_once(
    values: list[dict[str, Any]],
    order: list[str],
    per_page: int,
    only_pending: bool,
    limit: int | None,
    data: st.DataObject,
) -> None:
    """Rows whose key and filter never change are yielded once each, in order, despite writes."""
    rng = data.draw(st.randoms(use_true_random=False))
    rows = [_new_row(v, rng) for v in values]
    spec = QuerySpec(known_columns=set(TYPES_ALL), not_null_columns={"n"}).order_by(*order)
    if only_pending:
        spec = spec.filter(status="pending")
    if limit is not None:
        spec = spec.limit_to(limit)  # longer than a page: still paged by key
        assert spec.pages_by_key
    initial = {row["id"] for row in evaluate(rows, spec, TYPES_ALL)}
    unstable: set[str] = set()
    keys = [key.column for key in spec.seek_plan().keys]
    yielded: list[dict[str, Any]] = []

    def between() -> Iterator[None]:
        while True:
            for kind, pick, draw in data.draw(mutations):
                if kind == "insert":
                    row = _new_row(draw.draw(_row_values()), rng)
                    rows.append(row)
                    unstable.add(row["id"])
                    continue
                if not rows:
                    continue
                row = rows[pick % len(rows)]
                if kind == "delete":
                    rows.remove(row)
                    unstable.add(row["id"])
                elif kind == "touch":  # a column outside key and filter
                    column = draw.draw(
                        st.sampled_from([c for c in KEYABLE if c not in keys] or ["status"])
                    )
                    if column == "status":
                        continue
                    row[column] = draw.draw(VALUES[column])
                elif kind == "leave":  # the loop: a yielded row leaves the filter
                    if yielded:
                        target = next((r for r in rows if r["id"] == yielded[-1]["id"]), None)
                        if target is not None:
                            target["status"] = "done"
                            unstable.add(target["id"])
                else:  # rekey
                    column = draw.draw(st.sampled_from(keys))
                    if column != "id":
                        row[column] = draw.draw(VALUES[column])
                        unstable.add(row["id"])
            yield

    plan_rows = _iterate(rows, spec, per_page, between())
    yielded.extend(plan_rows)
    ids = [row["id"] for row in yielded]
    stable = initial - unstable
    for row_id in stable:
        assert ids.count(row_id) == 1, f"stable row {row_id} yielded {ids.count(row_id)} times"
    repeated = {row_id for row_id in ids if ids.count(row_id) > 1}
    assert repeated <= unstable, "only a row whose key changed may come twice"
    if limit is not None:
        assert len(ids) <= limit
    # Rows with unchanged keys come in key order (the order the server sorts by).
    in_order = [row for row in yielded if row["id"] in stable]
    expected = evaluate(in_order, attrs.evolve(spec, conditions=(), limit=None), TYPES_ALL)
    assert [row["id"] for row in in_order] == [row["id"] for row in expected]


def test_unordered_keyset_sends_one_request_per_page() -> None:
    """Without order_by the key is id alone: one request per page, ``id=gt.<last>``."""
    plan = QuerySpec().seek_plan(2)
    plan = plan.advance([{"id": "a"}, {"id": "b"}], has_more=True)
    request = plan.next_request()
    assert request is not None
    assert [c.param for c in request.conditions] == [("id", "gt.b")]
    assert plan.advance([{"id": "c"}], has_more=False).next_request() is None


def test_segments_follow_postgresql_null_order() -> None:
    """After (a=v) come the ties, a > v, then NULLs; descending, after NULL come non-NULLs."""
    ascending = seek_keys(("a",))
    assert [[c.param for c in s] for s in segments(ascending, (3, "x"))] == [
        [("a", "eq.3"), ("id", "gt.x")],
        [("a", "gt.3")],
        [("a", "eq.null")],
    ]
    descending = seek_keys(("-a",))
    assert [[c.param for c in s] for s in segments(descending, (None, "x"))] == [
        [("a", "eq.null"), ("id", "gt.x")],
        [("a", "ne.null")],
    ]
    not_null = seek_keys(("a",), not_null=frozenset({"a"}))
    assert [[c.param for c in s] for s in segments(not_null, (3, "x"))][-1] == [("a", "gt.3")]


def test_text_null_is_matched_with_like_not_eq() -> None:
    """The text 'null' cannot be sent with eq (it means IS NULL), so a tie uses like."""
    keys = seek_keys(("t",))
    assert segments(keys, ("null", "x"))[0][0].param == ("t", "like.null")


def test_order_after_id_is_dropped_from_the_key() -> None:
    """The key stops at id: it is unique, so later columns never break a tie."""
    assert QuerySpec().order_by("-id", "t").seek_plan().sort == "-id"


def test_ordering_by_jsonb_is_refused_before_sending() -> None:
    """A jsonb key cannot be compared on the wire: QueryError names the alternatives."""
    spec = QuerySpec(known_columns={"j"}, json_columns={"j"}).order_by("j")
    with pytest.raises(QueryError, match="sort in Python") as refused:
        spec.seek_plan()
    assert refused.value.code == "unsupported_query"
    # An offset slice does not page by key, so it is still sent (the server decides).
    assert not spec.slice(slice(5, 10)).pages_by_key


def test_projection_fetches_the_key_columns_it_lacks() -> None:
    """only() gains the sort columns on the wire; the caller drops them from the rows."""
    spec = QuerySpec().order_by("a").only("t")
    plan = spec.seek_plan()
    request = plan.next_request()
    assert request is not None
    assert ("_select", "t,id,a") in spec.seek_params(plan, request)
    assert spec.seek_extra_columns(plan) == ("a",)
