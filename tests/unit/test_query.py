"""Unit tests of the sans-IO query core: lookups, encoding, refusals, slicing, page plans."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from query_oracle import OracleRejectedError, count, evaluate

from axhub_orm._errors import QueryError, ValidationError
from axhub_orm._query import (
    LOOKUP_TABLE,
    MAX_PER_PAGE,
    WIRE_OPS,
    Condition,
    PagePlan,
    PageRequest,
    QuerySpec,
    escape_like,
    explain,
    format_query_string,
)
from axhub_orm._wire import to_text

Q = QuerySpec()
KST = timezone(timedelta(hours=9))
TICKETS = QuerySpec(known_columns={"status", "priority", "title", "owner_id", "first__name"})


class Color(str, enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


def params(spec: QuerySpec) -> list[tuple[str, str]]:
    """Return the filter parameters of ``spec``."""
    return spec.count_params()


# --- lookups -------------------------------------------------------------------------------


def test_plain_keyword_compiles_to_eq() -> None:
    """A bare keyword is an equality filter."""
    assert params(Q.filter(status="new")) == [("status", "eq.new")]


@pytest.mark.parametrize("lookup", ["eq", "ne", "gt", "gte", "lt", "lte"])
def test_comparison_lookups_use_their_operator(lookup: str) -> None:
    """Each comparison suffix becomes the wire operator of the same name."""
    assert params(Q.filter(**{f"priority__{lookup}": 3})) == [("priority", f"{lookup}.3")]


@pytest.mark.parametrize(
    "values",
    [["new", "open"], ("new", "open"), (v for v in ["new", "open"]), {"new": 1, "open": 2}.keys()],
)
def test_in_accepts_any_iterable(values: Any) -> None:
    """``__in`` joins any non-string iterable with commas."""
    assert params(Q.filter(status__in=values)) == [("status", "in.new,open")]


def test_in_encodes_each_item() -> None:
    """``__in`` items are encoded like single values."""
    ident = uuid.UUID("A8098C1A-F86E-11DA-BD1A-00112444BE1E")
    assert params(Q.filter(priority__in=[1, True, ident])) == [
        ("priority", "in.1,true,a8098c1a-f86e-11da-bd1a-00112444be1e")
    ]


@pytest.mark.parametrize(
    ("lookup", "expected"),
    [("contains", "like.%ab%"), ("startswith", "like.ab%"), ("endswith", "like.%ab")],
)
def test_pattern_lookups_wrap_the_text(lookup: str, expected: str) -> None:
    """contains/startswith/endswith put ``%`` around the text."""
    assert params(Q.filter(**{f"title__{lookup}": "ab"})) == [("title", expected)]


def test_pattern_lookups_escape_backslash_percent_and_underscore() -> None:
    """Wildcards and the escape character in the text are matched literally."""
    assert params(Q.filter(title__contains="50%_off\\")) == [("title", "like.%50\\%\\_off\\\\%")]


def test_escape_like_escapes_backslash_first() -> None:
    """The backslash is escaped before it is used to escape anything else."""
    assert escape_like("\\%") == "\\\\\\%"


def test_raw_like_is_sent_as_given() -> None:
    """``__like`` sends the caller's pattern untouched."""
    assert params(Q.filter(title__like="a%b_c\\%")) == [("title", "like.a%b_c\\%")]


@pytest.mark.parametrize(("flag", "expected"), [(True, "eq.null"), (False, "ne.null")])
def test_isnull_compiles_to_null_equality(flag: bool, expected: str) -> None:
    """``__isnull`` is eq.null or ne.null."""
    assert params(Q.filter(status__isnull=flag)) == [("status", expected)]


def test_same_column_repeats_as_separate_params() -> None:
    """Two lookups on one column become two AND-ed parameters, in the given order."""
    spec = Q.filter(priority__gte=1, priority__lt=5).filter(priority__ne=3)
    assert params(spec) == [("priority", "gte.1"), ("priority", "lt.5"), ("priority", "ne.3")]


def test_implicit_columns_pass_a_known_column_check() -> None:
    """``id``, ``created_at`` and ``updated_at`` exist on every table."""
    stamp = datetime(2026, 1, 2, tzinfo=timezone.utc)
    spec = TICKETS.filter(created_at__gte=stamp, updated_at__isnull=False, id__ne="x")
    assert [name for name, _ in params(spec)] == ["created_at", "updated_at", "id"]


def test_known_column_with_double_underscore_is_addressable() -> None:
    """A known column whose name contains ``__`` can still be filtered."""
    spec = TICKETS.filter(first__name="ada", first__name__startswith="a")
    assert params(spec) == [("first__name", "eq.ada"), ("first__name", "like.a%")]


# --- value encoding ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-12, "-12"),
        (1.5, "1.5"),
        (1e16, "1e+16"),
        ("héllo wörld", "héllo wörld"),
        ("", ""),
        (Color.RED, "red"),
        (Level.HIGH, "3"),
        (datetime(2026, 3, 4, 5, 6, 7, tzinfo=KST), "2026-03-03T20:06:07.000000Z"),
        (datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=timezone.utc), "2026-03-04T05:06:07.000089Z"),
        (date(2026, 3, 4), "2026-03-04"),
        (uuid.UUID("A8098C1A-F86E-11DA-BD1A-00112444BE1E"), "a8098c1a-f86e-11da-bd1a-00112444be1e"),
        ({"b": [1, 2], "a": None}, '{"a":null,"b":[1,2]}'),
        ([{"z": 1, "y": "é"}], '[{"y":"\\u00e9","z":1}]'),
    ],
)
def test_query_text_of_each_type(value: object, expected: str) -> None:
    """Each supported type has one wire spelling (wire-contract §9.1)."""
    assert to_text(value) == expected


def test_encoded_values_are_plain_str() -> None:
    """Enum members are encoded as plain strings, not as their subclass."""
    assert type(to_text(Color.RED)) is str


# --- refusals ------------------------------------------------------------------------------

REFUSALS: list[tuple[str, Callable[[], object], str, str]] = [
    ("unknown lookup", lambda: Q.filter(status__foo=1), "unknown_lookup", "use one of eq, ne"),
    ("icontains", lambda: Q.filter(title__icontains="a"), "unknown_lookup", "case-sensitive"),
    ("range", lambda: Q.filter(priority__range=(1, 2)), "unknown_lookup", "col__gte=low"),
    ("empty lookup", lambda: Q.filter(status__=1), "unknown_lookup", "use one of"),
    ("known dunder", lambda: TICKETS.filter(first__name__foo=1), "unknown_lookup", "use one of"),
    ("dunder null", lambda: TICKETS.filter(first__name="null"), "invalid_value", "name__like="),
    ("or", lambda: Q.filter(status__or="x"), "unsupported_query", "one query per branch"),
    ("not", lambda: Q.filter(status__not="x"), "unsupported_query", "invert the condition"),
    ("not in", lambda: Q.filter(status__not__in=["x"]), "unsupported_query", "per branch"),
    ("nested", lambda: Q.filter(owner__name__gte="x"), "unsupported_query", "col__lookup=value"),
    ("dict", lambda: Q.filter({"status": "x"}), "unsupported_query", "filter(**mapping)"),
    ("q object", lambda: Q.filter(object()), "unsupported_query", "pass keyword lookups"),
    ("param name", lambda: Q.filter(page=2), "unsupported_query", "filter on another column"),
    ("filter sliced", lambda: Q.slice(slice(5)).filter(a=1), "unsupported_query", "before slicing"),
    ("order sliced", lambda: Q.limit_to(5).order_by("a"), "unsupported_query", "before slicing"),
    ("random order", lambda: Q.order_by("?"), "unsupported_query", "shuffle in Python"),
    ("order expr", lambda: Q.order_by(3), "unsupported_query", "as str"),  # type: ignore[arg-type]
    ("related order", lambda: Q.order_by("owner__name"), "unsupported_query", "of this table"),
    ("unknown filter", lambda: TICKETS.filter(stauts="x"), "unknown_column", "mean 'status'"),
    ("unknown order", lambda: TICKETS.order_by("-prio"), "unknown_column", "use one of"),
    ("unknown only", lambda: TICKETS.only("nope"), "unknown_column", "use one of"),
    ("bad name", lambda: Q.filter(Status="x"), "unknown_column", "^[a-z][a-z0-9_]{0,62}$"),
    ("bad order name", lambda: Q.order_by("+a"), "unknown_column", "^[a-z]"),
    ("none eq", lambda: Q.filter(status=None), "invalid_value", "use status__isnull=True"),
    ("none ne", lambda: Q.filter(status__ne=None), "invalid_value", "use status__isnull=False"),
    ("none gt", lambda: Q.filter(priority__gt=None), "invalid_value", "priority__isnull=True"),
    ("isnull non-bool", lambda: Q.filter(status__isnull=1), "invalid_value", "status__isnull=True"),
    ("text null eq", lambda: Q.filter(status="null"), "invalid_value", "status__like='null'"),
    ("text null ne", lambda: Q.filter(status__ne="null"), "invalid_value", "status__isnull=True"),
    ("text null in", lambda: Q.filter(status__in=["a", "null"]), "invalid_value", "__like='null'"),
    ("empty in", lambda: Q.filter(status__in=[]), "invalid_value", "skip the query"),
    ("comma in", lambda: Q.filter(status__in=["a,b"]), "invalid_value", "its own query"),
    ("str in", lambda: Q.filter(status__in="ab"), "invalid_value", "status__in=['a', 'b']"),
    ("int in", lambda: Q.filter(status__in=3), "invalid_value", "status__in=['a', 'b']"),
    ("none in", lambda: Q.filter(status__in=["a", None]), "invalid_value", "status__isnull=True"),
    ("json comma in", lambda: Q.filter(data__in=[[1, 2]]), "invalid_value", "its own query"),
    ("nan", lambda: Q.filter(score=float("nan")), "invalid_value", "finite number"),
    ("inf", lambda: Q.filter(score__lt=float("inf")), "invalid_value", "finite number"),
    ("naive", lambda: Q.filter(at__gte=datetime(2026, 1, 1)), "invalid_value", "timezone-aware"),
    ("tuple", lambda: Q.filter(data=(1, 2)), "invalid_value", "to a list"),
    ("set", lambda: Q.filter(data={1}), "invalid_value", "to a list"),
    ("bytes", lambda: Q.filter(data=b"x"), "invalid_value", "pass a str"),
    ("decimal", lambda: Q.filter(price=Decimal("1.5")), "invalid_value", "pass a str, int, float"),
    ("json unserializable", lambda: Q.filter(data={"a": object()}), "invalid_value", "JSON types"),
    ("json nan", lambda: Q.filter(data=[float("nan")]), "invalid_value", "JSON types"),
    ("json order", lambda: Q.filter(data__gt={"a": 1}), "invalid_value", "equality lookup"),
    ("contains int", lambda: Q.filter(title__contains=3), "invalid_value", "str(value)"),
    ("like int", lambda: Q.filter(title__like=3), "invalid_value", "str(value)"),
    ("like wildcards", lambda: Q.filter(title__like="%a%b%c%d%"), "invalid_value", "fewer"),
    ("like only %", lambda: Q.filter(title__like="%%"), "invalid_value", "title__isnull=False"),
    ("like only wild", lambda: Q.filter(title__like="%_%"), "invalid_value", "title__isnull=False"),
    ("like dangling", lambda: Q.filter(title__like="ab\\"), "invalid_value", "escape it"),
    ("negative index", lambda: Q.slice(-1), "invalid_slice", "q.count()"),
    ("negative start", lambda: Q.slice(slice(-5, None)), "invalid_slice", "reverse order_by()"),
    ("negative stop", lambda: Q.slice(slice(0, -1)), "invalid_slice", "non-negative int"),
    ("step", lambda: Q.slice(slice(0, 10, 2)), "invalid_slice", "[::step]"),
    ("reverse step", lambda: Q.slice(slice(None, None, -1)), "invalid_slice", "[::step]"),
    ("zero step", lambda: Q.slice(slice(0, 5, 0)), "invalid_slice", "[::step]"),
    ("bool index", lambda: Q.slice(True), "invalid_slice", "non-negative int"),
    ("str index", lambda: Q.slice("1"), "invalid_slice", "non-negative int"),  # type: ignore[arg-type]
    ("negative limit", lambda: Q.limit_to(-1), "invalid_slice", "non-negative int"),
    ("per_page 0", lambda: Q.list_params(1, 0), "invalid_per_page", "between 1 and 100"),
    ("per_page 101", lambda: Q.list_params(1, 101), "invalid_per_page", "between 1 and 100"),
    ("per_page bool", lambda: Q.list_params(1, True), "invalid_per_page", "between 1 and 100"),
    ("plan 101", lambda: Q.page_plan(max_per_page=101), "invalid_per_page", "between 1 and 100"),
]


@pytest.mark.parametrize(
    ("call", "code", "fix"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_refusals_carry_a_code_and_name_the_fix(
    call: Callable[[], object], code: str, fix: str
) -> None:
    """Every refusal is a QueryError with its code, no status, and a message naming the fix."""
    with pytest.raises(QueryError) as caught:
        call()
    assert caught.value.code == code
    assert fix in caught.value.message
    assert caught.value.status is None
    assert caught.value.category == "validation"
    assert isinstance(caught.value, ValidationError)


@pytest.mark.parametrize("pattern", ["a%b%c%d%", "___", "", "null", "%a\\%\\%\\%\\%", "a_%"])
def test_like_guard_accepts_reasonable_patterns(pattern: str) -> None:
    """Up to four ``%``, escaped ``%``, only-``_`` and empty patterns are allowed."""
    assert params(Q.filter(title__like=pattern)) == [("title", f"like.{pattern}")]


def test_like_text_null_is_allowed() -> None:
    """Matching the text 'null' through like is the documented way around eq.null."""
    assert params(Q.filter(status__contains="null")) == [("status", "like.%null%")]


# --- immutability --------------------------------------------------------------------------


def test_chaining_never_changes_the_original() -> None:
    """filter, order_by, only, slice and limit_to all return new specs."""
    base = Q.filter(status="new")
    before = attrs.asdict(base)
    base.filter(a=1).order_by("a").only("a").slice(slice(1, 3)).limit_to(1)
    base.order_by("b")
    base.only("c")
    base.slice(4)
    assert attrs.asdict(base) == before


def test_two_filters_on_one_base_are_independent() -> None:
    """Branches from one base do not see each other's conditions."""
    base = Q.filter(status="new")
    left, right = base.filter(priority=1), base.filter(priority=2)
    assert params(left) == [("status", "eq.new"), ("priority", "eq.1")]
    assert params(right) == [("status", "eq.new"), ("priority", "eq.2")]


def test_spec_is_frozen_and_hashable() -> None:
    """Specs cannot be mutated and equal specs hash alike."""
    spec = Q.filter(status="new")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        spec.offset = 3  # type: ignore[misc]
    assert hash(spec) == hash(Q.filter(status="new"))
    assert spec == Q.filter(status="new")


def test_direct_construction_validates_the_window() -> None:
    """A hand-built spec with a negative offset or limit is refused."""
    with pytest.raises(ValueError, match="offset"):
        QuerySpec(offset=-1)
    with pytest.raises(ValueError, match="limit"):
        QuerySpec(limit=-1)


def test_known_columns_accept_any_iterable() -> None:
    """``known_columns`` is stored as a frozenset."""
    assert QuerySpec(known_columns=["a", "b"]).known_columns == frozenset({"a", "b"})


# --- order_by and only ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "sort"),
    [
        (("-a", "b"), "-a,b,id"),
        (("a",), "a,id"),
        (("-id",), "-id"),
        (("a", "id"), "a,id"),
        (("-id", "a"), "-id,a"),
        (("a", "-a", "b"), "a,b,id"),
    ],
)
def test_order_by_appends_id_for_a_stable_order(fields: tuple[str, ...], sort: str) -> None:
    """``id`` closes every sort unless already present; a repeated column keeps its first use."""
    assert Q.order_by(*fields).sort == sort


def test_order_by_replaces_and_empty_order_by_clears() -> None:
    """A second order_by replaces the first; order_by() goes back to ordering by id alone."""
    spec = Q.order_by("a").order_by("-b")
    assert spec.sort == "-b,id"
    assert spec.order_by().sort == "id"
    assert [value for name, value in spec.order_by().list_params(1, 10) if name == "sort"] == ["id"]


def test_unordered_spec_sorts_by_id() -> None:
    """Without order_by rows come in id order, the order paging by key needs."""
    params = [("a", "eq.1"), ("sort", "id"), ("per_page", "100")]
    assert Q.filter(a=1).list_params(1, 100) == params


def test_only_keeps_user_order_dedupes_and_adds_id() -> None:
    """only() keeps the given order, drops repeats and appends ``id`` when missing."""
    assert Q.only("b", "a", "b").select == ("b", "a", "id")
    assert Q.only("b", "id", "a").select == ("b", "id", "a")


def test_only_replaces_and_empty_only_clears() -> None:
    """A second only() replaces the first; only() fetches every column again."""
    assert Q.only("a").only("b").select == ("b", "id")
    assert Q.only("a").only().select is None


def test_only_after_slicing_is_allowed() -> None:
    """Choosing columns does not change which rows a slice selects."""
    assert Q.slice(slice(2, 4)).only("a").select == ("a", "id")


# --- slicing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "offset", "limit"),
    [
        (lambda: Q.slice(slice(10, 50)).slice(slice(5, 10)), 15, 5),
        (lambda: Q.slice(slice(10, 50)).slice(slice(45, None)), 50, 0),
        (lambda: Q.slice(slice(10, 50)).slice(slice(5, 100)), 15, 35),
        (lambda: Q.slice(slice(5, None)).slice(slice(5, None)), 10, None),
        (lambda: Q.slice(slice(5, None)).slice(slice(None, 3)), 5, 3),
        (lambda: Q.slice(7), 7, 1),
        (lambda: Q.slice(slice(10, 20)).slice(3), 13, 1),
        (lambda: Q.slice(slice(None, 10)).slice(20), 10, 0),
        (lambda: Q.slice(slice(5, 3)), 3, 0),
        (lambda: Q.slice(slice(None, None)), 0, None),
        (lambda: Q.slice(slice(2, 8, 1)), 2, 6),
        (lambda: Q.limit_to(10), 0, 10),
        (lambda: Q.slice(slice(10, 50)).limit_to(5), 10, 5),
        (lambda: Q.limit_to(5).limit_to(10), 0, 5),
        (lambda: Q.limit_to(0), 0, 0),
    ],
)
def test_slices_compose_like_django(
    build: Callable[[], QuerySpec], offset: int, limit: int | None
) -> None:
    """A later slice narrows the earlier window, never widens it."""
    spec = build()
    assert (spec.offset, spec.limit) == (offset, limit)


@given(
    total=st.integers(0, 60),
    first=st.tuples(st.none() | st.integers(0, 70), st.none() | st.integers(0, 70)),
    second=st.tuples(st.none() | st.integers(0, 70), st.none() | st.integers(0, 70)),
)
def test_composed_slices_match_python_list_slicing(
    total: int, first: tuple[int | None, int | None], second: tuple[int | None, int | None]
) -> None:
    """Two chained slices select what slicing a list twice would."""
    rows = list(range(total))
    spec = Q.slice(slice(*first)).slice(slice(*second))
    end = None if spec.limit is None else spec.offset + spec.limit
    assert rows[spec.offset : end] == rows[slice(*first)][slice(*second)]


# --- compilation ---------------------------------------------------------------------------


def test_list_params_order_and_page_omission() -> None:
    """Filters, sort, _select, page (omitted at 1), per_page come in that order."""
    spec = Q.filter(status="new").order_by("-created_at").only("title")
    assert spec.list_params(3, 25) == [
        ("status", "eq.new"),
        ("sort", "-created_at,id"),
        ("_select", "title,id"),
        ("page", "3"),
        ("per_page", "25"),
    ]
    assert ("page", "1") not in spec.list_params(1, 25)


def test_list_params_refuses_page_zero() -> None:
    """Pages are 1-based: a page below 1 is a programming error of the caller."""
    with pytest.raises(ValueError, match="page"):
        Q.list_params(0, 10)


def test_count_params_are_the_filters_only() -> None:
    """Count ignores order, projection and slicing."""
    spec = Q.filter(status="new", priority__gt=2).order_by("a").only("a")
    assert spec.slice(slice(3, 9)).count_params() == [("status", "eq.new"), ("priority", "gt.2")]


@pytest.mark.parametrize(
    ("offset", "limit", "total", "expected"),
    [
        (0, None, 42, 42),
        (10, None, 42, 32),
        (50, None, 42, 0),
        (10, 5, 42, 5),
        (40, 5, 42, 2),
        (0, 0, 42, 0),
        (0, 10, 0, 0),
    ],
)
def test_count_window_applies_the_slice_to_the_total(
    offset: int, limit: int | None, total: int, expected: int
) -> None:
    """count() of a sliced query counts the rows inside the window."""
    assert QuerySpec(offset=offset, limit=limit).count_window(total) == expected


# --- page plans ----------------------------------------------------------------------------


def serve_page(rows: list[int], page: int, per_page: int) -> tuple[list[int], bool]:
    """Answer one list request from ``rows`` the way the backend does (offset pages)."""
    assert 1 <= per_page <= MAX_PER_PAGE
    low = (page - 1) * per_page
    return rows[low : low + per_page], low + per_page < len(rows)


def run_plan(plan: PagePlan, rows: list[int]) -> tuple[list[int], list[tuple[int, int]]]:
    """Step through ``plan`` against a fake table; return the rows and the requests made."""
    got: list[int] = []
    sent: list[tuple[int, int]] = []
    for request in plan.requests():
        sent.append((request.page, request.per_page))
        items, has_more = serve_page(rows, request.page, request.per_page)
        got.extend(request.pick(items))
        if plan.stops_after(request, len(items), has_more):
            break
    return got, sent


def test_unsliced_query_pages_through_hundreds() -> None:
    """250 rows take pages 1, 2 and 3 of 100."""
    got, sent = run_plan(Q.page_plan(), list(range(250)))
    assert got == list(range(250))
    assert sent == [(1, 100), (2, 100), (3, 100)]


def test_unsliced_query_stops_on_exactly_full_last_page() -> None:
    """With 200 rows, has_more=false on page 2 ends the walk."""
    _, sent = run_plan(Q.page_plan(), list(range(200)))
    assert sent == [(1, 100), (2, 100)]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (Q.limit_to(10), [(1, 10)]),
        (Q.slice(slice(10, 20)), [(2, 10)]),
        (Q.slice(slice(95, 105)), [(7, 15)]),
        (Q.slice(0), [(1, 1)]),
        (Q.slice(41), [(42, 1)]),
        (Q.limit_to(2), [(1, 2)]),
        (Q.slice(slice(0, 250)), [(1, 84), (2, 84), (3, 84)]),
        (Q.slice(slice(250, None)), [(3, 100), (4, 100), (5, 100)]),
    ],
)
def test_bounded_windows_get_the_cheapest_pages(
    spec: QuerySpec, expected: list[tuple[int, int]]
) -> None:
    """Windows are covered with the fewest requests, then the least over-fetch."""
    _, sent = run_plan(spec.page_plan(), list(range(500)))
    assert sent == expected


def test_empty_window_sends_nothing() -> None:
    """A limit of 0 needs no request at all."""
    plan = Q.limit_to(0).page_plan()
    assert list(plan.requests()) == []
    assert plan.request_count == 0
    assert Q.limit_to(0).explain("/p") == "GET /p (not sent: the slice is empty)"


def test_plan_request_count() -> None:
    """request_count is the bounded number of requests, None when unbounded."""
    assert Q.slice(slice(0, 250)).page_plan().request_count == 3
    assert Q.page_plan().request_count is None


def test_plan_respects_a_smaller_max_per_page() -> None:
    """max_per_page caps every request."""
    _, sent = run_plan(Q.page_plan(max_per_page=20), list(range(45)))
    assert sent == [(1, 20), (2, 20), (3, 20)]


def test_plan_objects_refuse_per_page_outside_1_to_100() -> None:
    """The plan's per_page invariant holds by construction."""
    with pytest.raises(QueryError, match="per_page"):
        PagePlan(start=0, stop=None, per_page=101)
    with pytest.raises(QueryError, match="per_page"):
        PageRequest(page=1, per_page=0, skip=0, take=None)


@settings(max_examples=300, deadline=None)
@given(
    offset=st.integers(0, 700),
    limit=st.none() | st.integers(0, 400),
    total=st.integers(0, 900),
    max_per_page=st.sampled_from([1, 7, 50, 100]),
)
def test_page_plan_returns_exactly_the_window(
    offset: int, limit: int | None, total: int, max_per_page: int
) -> None:
    """Simulating any plan over any table yields exactly rows[offset:offset+limit]."""
    rows = list(range(total))
    spec = QuerySpec(offset=offset, limit=limit)
    plan = spec.page_plan(max_per_page)
    got, sent = run_plan(plan, rows)
    end = None if limit is None else offset + limit
    assert got == rows[offset:end]
    assert all(1 <= per_page <= max_per_page for _, per_page in sent)
    if plan.request_count is not None:
        assert len(sent) <= plan.request_count
        assert plan.request_count <= (limit or 0) // max_per_page + 2


# --- query strings and explain -------------------------------------------------------------


def httpx_query(query: list[tuple[str, str]]) -> str:
    """Return the query string httpx 0.28 sends for ``query``."""
    return httpx.Request("GET", "http://x/p", params=query).url.query.decode("ascii")


def test_format_query_string_matches_httpx_on_a_real_query() -> None:
    """A typical list request encodes byte-for-byte like httpx."""
    spec = Q.filter(title__contains="50% off", tags__in=["a b", "c"], priority__gte=3)
    query = spec.filter(priority__lt=9).order_by("-created_at").list_params(2, 10)
    assert format_query_string(query) == httpx_query(query)
    assert format_query_string(query).startswith("title=like.%2550%5C%25+off%25&")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "sort", "per_page", "x_y"]),
            st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
        ),
        max_size=6,
    )
)
def test_format_query_string_matches_httpx(query: list[tuple[str, str]]) -> None:
    """Any parameter list (repeats included) encodes exactly like httpx."""
    assert format_query_string(query) == httpx_query(query)


def test_explain_renders_method_path_and_query() -> None:
    """explain() is one line: method, path and the encoded query."""
    assert explain("get", "/data/t/crm/tickets", [("status", "eq.new")]) == (
        "GET /data/t/crm/tickets?status=eq.new"
    )
    assert explain("GET", "/data/t/crm/tickets/_count", []) == "GET /data/t/crm/tickets/_count"


def test_spec_explain_shows_the_first_request() -> None:
    """A spec explains the first list request of its plan."""
    spec = Q.filter(status="new").order_by("-created_at").slice(slice(10, 20))
    assert spec.explain("/data/t/crm/tickets") == (
        "GET /data/t/crm/tickets?status=eq.new&sort=-created_at%2Cid&page=2&per_page=10"
    )


# --- reprs ---------------------------------------------------------------------------------


def test_spec_repr_is_deterministic() -> None:
    """The spec repr shows filters, order, select and window, and nothing else."""
    spec = TICKETS.filter(status="new", priority__gte=3).order_by("-created_at").only("title")
    assert repr(spec.slice(slice(5, 15))) == (
        "<QuerySpec filters=[status=eq.new, priority=gte.3] order=-created_at,id "
        "select=title,id offset=5 limit=10>"
    )
    assert repr(Q) == "<QuerySpec filters=[]>"


def test_value_object_reprs() -> None:
    """Conditions and plan pieces have attrs' deterministic reprs."""
    assert repr(Condition(column="a", op="eq", wire_value="1")) == (
        "Condition(column='a', op='eq', wire_value='1')"
    )
    assert repr(Q.slice(slice(10, 20)).page_plan()) == "PagePlan(start=10, stop=20, per_page=10)"
    assert repr(PageRequest(page=2, per_page=10, skip=0, take=None)) == (
        "PageRequest(page=2, per_page=10, skip=0, take=None)"
    )


def test_condition_refuses_an_unknown_operator() -> None:
    """Only the wire's operators can be put in a Condition."""
    with pytest.raises(ValueError, match="op"):
        Condition(column="a", op="regex", wire_value="x")


# --- the oracle ----------------------------------------------------------------------------

TYPES = {
    "title": "text",
    "n": "int",
    "score": "float",
    "done": "bool",
    "data": "jsonb",
    "due": "timestamptz",
    "ref": "uuid",
}


def make_rows() -> list[dict[str, Any]]:
    """Build five server-shaped rows with NULLs and ties."""
    specs = [("b", 2, None), ("a", None, 1.5), ("C", 2, 0.5), ("a_b", 1, 2.0), (None, 3, None)]
    return [
        {
            "id": f"00000000-0000-0000-0000-00000000000{i}",
            "title": title,
            "n": n,
            "score": score,
            "done": i % 2 == 0,
            "data": {"k": i} if i != 4 else None,
            "due": f"2026-01-0{i + 1}T00:00:00.000000Z",
            "ref": None,
            "created_at": "2026-01-01T00:00:00.000000Z",
            "updated_at": "2026-01-01T00:00:00.000000Z",
        }
        for i, (title, n, score) in enumerate(specs)
    ]


def titles(spec: QuerySpec) -> list[str | None]:
    """Return the titles the oracle selects for ``spec``."""
    return [row["title"] for row in evaluate(make_rows(), spec, TYPES)]


def test_oracle_without_order_keeps_insertion_order() -> None:
    """No sort means the rows come back as inserted."""
    assert titles(Q) == ["b", "a", "C", "a_b", None]


def test_oracle_orders_like_postgresql() -> None:
    """Ascending puts NULLs last, descending first; ties fall back to id; text by code point."""
    assert titles(Q.order_by("title")) == ["C", "a", "a_b", "b", None]
    assert titles(Q.order_by("-title")) == [None, "b", "a_b", "a", "C"]
    assert titles(Q.order_by("n")) == ["a_b", "b", "C", None, "a"]
    assert titles(Q.order_by("-n")) == ["a", None, "b", "C", "a_b"]
    assert titles(Q.order_by("n", "-id")) == ["a_b", "C", "b", None, "a"]


def test_oracle_null_semantics() -> None:
    """eq.null is IS NULL, and every other comparison with NULL is false."""
    assert titles(Q.filter(score__isnull=True)) == ["b", None]
    assert titles(Q.filter(score__isnull=False)) == ["a", "C", "a_b"]
    assert titles(Q.filter(score__ne=1.5)) == ["C", "a_b"]
    assert titles(Q.filter(n__in=[2, 3])) == ["b", "C", None]


def test_oracle_like_is_case_sensitive_and_honors_escapes() -> None:
    """The like operator uses % and _ as wildcards, backslash escapes, and case matters."""
    assert titles(Q.filter(title__like="a%")) == ["a", "a_b"]
    assert titles(Q.filter(title__contains="_")) == ["a_b"]
    assert titles(Q.filter(title__like="_")) == ["b", "a", "C"]
    assert titles(Q.filter(title__startswith="c")) == []


def test_oracle_typed_comparisons() -> None:
    """Wire values are read as the column type: floats, bools, timestamps, jsonb."""
    noon = datetime(2026, 1, 3, 12, tzinfo=timezone.utc)
    assert titles(Q.filter(score__gte=1)) == ["a", "a_b"]
    assert titles(Q.filter(done=True)) == ["b", "C", None]
    assert titles(Q.filter(due__gt=noon)) == ["a_b", None]
    assert titles(Q.filter(data={"k": 1})) == ["a"]


def test_oracle_jsonb_equality_is_json_equality() -> None:
    """A jsonb 1 equals 1.0 but never true."""
    rows = [
        {"id": "00000000-0000-0000-0000-000000000001", "data": 1},
        {"id": "00000000-0000-0000-0000-000000000002", "data": True},
    ]
    assert [r["id"][-1] for r in evaluate(rows, Q.filter(data=1.0), {"data": "jsonb"})] == ["1"]
    assert [r["id"][-1] for r in evaluate(rows, Q.filter(data=True), {"data": "jsonb"})] == ["2"]


def test_oracle_select_window_and_count() -> None:
    """The oracle projects with id, applies the window, and counts inside it."""
    spec = Q.filter(n__gte=2).order_by("title").only("n").slice(slice(1, 10))
    assert evaluate(make_rows(), spec, TYPES) == [
        {"n": 2, "id": "00000000-0000-0000-0000-000000000000"},
        {"n": 3, "id": "00000000-0000-0000-0000-000000000004"},
    ]
    assert count(make_rows(), spec, TYPES) == 2
    assert count(make_rows(), Q.filter(n__gte=2), TYPES) == 3


@pytest.mark.parametrize(
    "spec", [Q.filter(n="abc"), Q.filter(n__like="1%"), Q.filter(missing=1), Q.filter(done=1)]
)
def test_oracle_rejects_what_the_server_would(spec: QuerySpec) -> None:
    """Values that do not parse as the column type, and unknown columns, are 400s."""
    with pytest.raises(OracleRejectedError):
        evaluate(make_rows(), spec, TYPES)


@settings(max_examples=200, deadline=None)
@given(needle=st.text(max_size=4), haystack=st.text(max_size=8))
def test_escaped_patterns_match_literally(needle: str, haystack: str) -> None:
    """contains/startswith/endswith match exactly Python's substring tests, for any text."""
    rows = [{"id": "00000000-0000-0000-0000-000000000001", "title": haystack}]

    def hit(**lookup: str) -> bool:
        return bool(evaluate(rows, Q.filter(**lookup), {"title": "text"}))

    assert hit(title__contains=needle) == (needle in haystack)
    assert hit(title__startswith=needle) == haystack.startswith(needle)
    assert hit(title__endswith=needle) == haystack.endswith(needle)


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}
AWARE = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([timezone.utc, KST, timezone(timedelta(hours=-5, minutes=-30))]),
)
TYPED_VALUES = st.one_of(
    st.tuples(st.just("int"), st.integers(-(2**63), 2**63 - 1), st.integers(-(2**63), 2**63 - 1)),
    st.tuples(
        st.just("float"),
        st.floats(allow_nan=False, allow_infinity=False),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    st.tuples(st.just("text"), st.text(max_size=5), st.text(max_size=5)),
    st.tuples(st.just("timestamptz"), AWARE, AWARE),
)


def to_row_json(value: Any) -> Any:
    """Render a Python value the way the server returns it in a row."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


@settings(max_examples=300, deadline=None)
@given(case=TYPED_VALUES, op=st.sampled_from(sorted(COMPARE)))
def test_encoded_values_round_trip_through_the_oracle(case: tuple[str, Any, Any], op: str) -> None:
    """A compiled comparison selects a row exactly when Python's comparison holds."""
    type_, stored, probe = case
    if probe == "null":
        return  # refused by design; covered by the refusal tests
    rows = [{"id": "00000000-0000-0000-0000-000000000001", "v": to_row_json(stored)}]
    selected = evaluate(rows, Q.filter(**{f"v__{op}": probe}), {"v": type_})
    assert bool(selected) == COMPARE[op](stored, probe)


def test_lookup_table_drives_the_compiler_and_the_refusal() -> None:
    """Each LOOKUP_TABLE row compiles to its own operator; the unknown-lookup refusal lists them."""
    samples: dict[str, object] = {"in": ["a", "b"], "isnull": False}
    for name, entry in LOOKUP_TABLE.items():
        value = samples.get(name, "ab")
        (condition,) = Q.filter(**{f"title__{name}": value}).conditions
        assert condition.op == entry.op(value)
        assert condition.op in WIRE_OPS
    with pytest.raises(QueryError) as caught:
        Q.filter(title__nope="x")
    assert f"use one of {', '.join(LOOKUP_TABLE)}" in str(caught.value)
