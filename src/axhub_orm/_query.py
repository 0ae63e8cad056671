"""The immutable row query and its compilation to wire parameters (sans-IO).

:class:`QuerySpec` is the value behind ``table.rows.filter(...)``: every method returns a new
spec, and nothing here sends a request. The I/O layer asks a spec for its wire parameters
(:meth:`QuerySpec.list_params`, :meth:`QuerySpec.count_params`) and for the pages to fetch
(:meth:`QuerySpec.page_plan`)::

    >>> spec = QuerySpec().filter(status="new", priority__gte=3).order_by("-created_at")
    >>> spec.list_params(page=1, per_page=10)
    [('status', 'eq.new'), ('priority', 'gte.3'), ('sort', '-created_at,id'), ('per_page', '10')]

Lookups (DESIGN §2, wire grammar in wire-contract §9.1)::

    col=v, col__eq=v      eq.v            col__in=[a, b]       in.a,b
    col__ne / gt / gte    ne.v gt.v ...   col__contains="x"    like.%x%
    col__lt / lte         lt.v lte.v      col__startswith="x"  like.x%
    col__isnull=True      eq.null         col__endswith="x"    like.%x
    col__isnull=False     ne.null         col__like="pa%t"     like.pa%t   (raw, guarded)

What the wire cannot express is refused with a :class:`~axhub_orm._errors.QueryError` before
anything is sent (``status`` is ``None``). Codes: ``unknown_lookup``, ``unsupported_query``
(OR, NOT, nested groups, positional Q-like arguments, filtering after slicing),
``unknown_column``, ``invalid_value``, ``invalid_slice``, ``invalid_per_page``.

Wire limitations that shape the refusals:

- ``col=eq.null`` means IS NULL (wire-contract §13.6), so the *text* ``"null"`` cannot be sent
  with ``eq``/``ne``/``gt``/.../``in``; match it with ``col__like="null"`` instead.
- ``in`` lists are comma-separated without escaping, so a value containing ``,`` is refused.
- ``page``, ``per_page`` and ``sort`` are wire parameters, so a *filter* on a column with one of
  those names would be ambiguous and is refused (ordering by or selecting them is fine).
- ``__`` separates a column from its lookup; a column whose name contains ``__`` is only
  addressable when the table's columns are known (``known_columns``).
- A raw ``__like`` pattern may hold at most :data:`LIKE_MAX_PERCENT` unescaped ``%``, must not
  consist of wildcards only (at least one ``%`` and nothing else but ``_``), and must not end
  in a lone escaping backslash.
"""

from __future__ import annotations

import builtins
import difflib
import json
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, SupportsIndex
from urllib.parse import urlencode

import attrs

from ._errors import QueryError
from ._pages import MAX_PER_PAGE, PagePlan, PageRequest, best_per_page, check_per_page
from ._wire import COLUMN_TYPES, IMPLICIT_COLUMNS, is_identifier, to_text

if TYPE_CHECKING:
    from ._seek import SeekPlan, SeekRequest

__all__ = [
    "LIKE_MAX_PERCENT",
    "LOOKUPS",
    "LOOKUP_TABLE",
    "MAX_PER_PAGE",
    "Condition",
    "Lookup",
    "PagePlan",
    "PageRequest",
    "QuerySpec",
    "escape_like",
    "explain",
    "format_query_string",
]


LIKE_MAX_PERCENT = 4
"""The most unescaped ``%`` wildcards a raw ``__like`` pattern may hold."""

WIRE_OPS = frozenset({"eq", "ne", "gt", "gte", "lt", "lte", "in", "like"})
"""The operators of the wire grammar (wire-contract §9.1)."""
_LOGICAL = frozenset({"or", "not", "and", "any", "all", "exclude"})
_PARAM_NAMES = frozenset({"sort", "page", "per_page"})
_CASELESS = "matching is case-sensitive; there is no case-insensitive lookup"
_LOOKUP_HINTS = {
    "exact": "use col=value",
    "range": "use col__gte=low, col__lte=high",
    **dict.fromkeys(("iexact", "icontains", "istartswith", "iendswith"), _CASELESS),
}


def _refuse(code: str, message: str) -> QueryError:
    return QueryError(message, code=code)


@attrs.frozen(kw_only=True)
class Condition:
    """One AND-ed filter: the wire parameter ``<column>=<op>.<wire_value>``.

    Example::

        >>> Condition(column="status", op="eq", wire_value="new").param
        ('status', 'eq.new')
    """

    column: str
    op: str = attrs.field(validator=attrs.validators.in_(WIRE_OPS))
    wire_value: str

    @property
    def param(self) -> tuple[str, str]:
        """The ``(name, value)`` query parameter, e.g. ``('status', 'eq.new')``."""
        return (self.column, f"{self.op}.{self.wire_value}")


# --- like patterns --------------------------------------------------------------------------


def escape_like(text: str) -> str:
    r"""Escape ``\``, ``%`` and ``_`` so ``text`` matches itself inside a like pattern.

    Example::

        >>> escape_like("50%_off")
        '50\\%\\_off'
    """
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- lookups -------------------------------------------------------------------------------


def _build_condition(column: str, lookup: str, value: object, *, jsonb: bool) -> Condition:
    entry = LOOKUP_TABLE[lookup]
    where = f"{column}__{lookup}"
    if value is None and lookup != "isnull":
        fix = "isnull=False" if lookup == "ne" else "isnull=True"
        raise _refuse(
            "invalid_value", f"{where}=None cannot be sent; use {column}__{fix} to match NULL"
        )
    if jsonb and entry.json_operand is not None:
        value = entry.json_operand(value)
    return Condition(column=column, op=entry.op(value), wire_value=entry.encode(where, value))


def _json_string(value: object) -> object:
    """On a jsonb column a text value is a JSON string: ``"x"`` is sent as ``"x"`` (quoted)."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else value


def _json_strings(value: object) -> object:
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_string(v) for v in value]
    return value


def _isnull(where: str, value: object) -> str:
    if not isinstance(value, bool):
        column = _column_of(where)
        raise _refuse(
            "invalid_value",
            f"{column}__isnull needs a bool, got {value!r}; "
            f"use {column}__isnull=True (IS NULL) or {column}__isnull=False (IS NOT NULL)",
        )
    return "null"


def _equality(where: str, value: object) -> str:
    return _not_null_text(where, to_text(value, where=where, error=QueryError))


def _ordering(where: str, value: object) -> str:
    if isinstance(value, (dict, list)):
        raise _refuse(
            "invalid_value",
            f"{where}: JSON values can only be compared with eq, ne or in; use an equality lookup",
        )
    return _not_null_text(where, to_text(value, where=where, error=QueryError))


def _not_null_text(where: str, text: str) -> str:
    if text == "null":
        column = _column_of(where)
        raise _refuse(
            "invalid_value",
            f"{where}: the text 'null' is indistinguishable on the wire from NULL "
            f"(eq.null means IS NULL); use {column}__like='null' to match the text, "
            f"or {column}__isnull=True to match NULL",
        )
    return text


def _in_list(where: str, value: object) -> str:
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
        raise _refuse(
            "invalid_value",
            f"{where} needs a list of values, got {type(value).__name__}; use {where}=['a', 'b']",
        )
    items = [_in_item(where, item) for item in value]
    if not items:
        raise _refuse(
            "invalid_value",
            f"{where}=[] matches no row; skip the query when the list is empty",
        )
    return ",".join(items)


def _in_item(where: str, item: object) -> str:
    if item is None:
        column = _column_of(where)
        raise _refuse(
            "invalid_value",
            f"{where}: None cannot be in an IN list; query {column}__isnull=True separately",
        )
    text = _not_null_text(where, to_text(item, where=where, error=QueryError))
    if "," in text:
        raise _refuse(
            "invalid_value",
            f"{where}: {text!r} contains ',' and the wire's IN list has no escaping; "
            "filter that value with its own query (col=value)",
        )
    return text


def _require_text(where: str, value: object) -> str:
    if not isinstance(value, str):
        raise _refuse(
            "invalid_value",
            f"{where} needs a str, got {type(value).__name__}; pass text, e.g. str(value)",
        )
    return str.__str__(value)


def _guard_like(where: str, value: object) -> str:
    pattern = _require_text(where, value)
    percents, literals, dangling = _scan_like(pattern)
    column = _column_of(where)
    if dangling:
        raise _refuse(
            "invalid_value", f"{where}: the pattern ends in a lone '\\'; escape it as '\\\\'"
        )
    if percents > LIKE_MAX_PERCENT:
        raise _refuse(
            "invalid_value",
            f"{where}: {percents} '%' wildcards (at most {LIKE_MAX_PERCENT}); "
            f"use fewer wildcards, or {column}__contains for a plain substring",
        )
    if percents and not literals:
        raise _refuse(
            "invalid_value",
            f"{where}: a pattern of only wildcards matches every non-NULL value; "
            f"use {column}__isnull=False",
        )
    return pattern


def _scan_like(pattern: str) -> tuple[int, int, bool]:
    """Count unescaped ``%`` and literal characters; report a dangling final backslash."""
    percents = literals = 0
    escaped = False
    for char in pattern:
        if escaped:
            literals, escaped = literals + 1, False
        elif char == "\\":
            escaped = True
        elif char == "%":
            percents += 1
        elif char != "_":
            literals += 1
    return percents, literals, escaped


def _pattern(template: str) -> Callable[[str, object], str]:
    def encode(where: str, value: object) -> str:
        return template.format(escape_like(_require_text(where, value)))

    return encode


def _always(op: str) -> Callable[[object], str]:
    return lambda value: op


_ANY_TYPE: frozenset[str] = frozenset(COLUMN_TYPES)
_TEXT: frozenset[str] = frozenset({"text"})


@attrs.frozen
class Lookup:
    """One ``col__<name>=value`` lookup: its wire operator, value encoder and column types.

    ``op`` picks the wire operator for a value (``isnull`` picks ``eq`` or ``ne``); ``encode``
    turns the value into wire text or refuses it (``where`` is ``col__name`` for messages);
    ``column_types`` are the column types it applies to (typed rows check it before sending);
    ``json_operand`` rewrites a value for a jsonb column (a str becomes a JSON string).
    """

    name: str
    wire: str
    op: Callable[[object], str]
    encode: Callable[[str, object], str]
    column_types: frozenset[str] = _ANY_TYPE
    json_operand: Callable[[object], object] | None = None


LOOKUP_TABLE: Mapping[str, Lookup] = {
    lookup.name: lookup
    for lookup in (
        Lookup("eq", "eq.v", _always("eq"), _equality, json_operand=_json_string),
        Lookup("ne", "ne.v", _always("ne"), _equality, json_operand=_json_string),
        Lookup("gt", "gt.v", _always("gt"), _ordering),
        Lookup("gte", "gte.v", _always("gte"), _ordering),
        Lookup("lt", "lt.v", _always("lt"), _ordering),
        Lookup("lte", "lte.v", _always("lte"), _ordering),
        Lookup("in", "in.a,b", _always("in"), _in_list, json_operand=_json_strings),
        Lookup("contains", "like.%v%", _always("like"), _pattern("%{}%"), _TEXT),
        Lookup("startswith", "like.v%", _always("like"), _pattern("{}%"), _TEXT),
        Lookup("endswith", "like.%v", _always("like"), _pattern("%{}"), _TEXT),
        Lookup("like", "like.pattern", _always("like"), _guard_like, _TEXT),
        Lookup("isnull", "eq.null / ne.null", lambda v: "eq" if v else "ne", _isnull),
    )
}
"""Every lookup by name: a new lookup is one row here (plus the emulator's side if it is new)."""

LOOKUPS = tuple(LOOKUP_TABLE)
"""Every lookup suffix ``filter()`` accepts (``col__<lookup>=value``)."""


def _column_of(where: str) -> str:
    return where.rpartition("__")[0]


def _split_lookup(key: str, known: frozenset[str] | None) -> tuple[str, str]:
    if known is not None and key in known:
        return key, "eq"
    parts = key.split("__")
    logical = [part for part in parts[1:] if part in _LOGICAL]
    if logical:
        raise _refuse(
            "unsupported_query",
            f"{key}: the backend ANDs filters and cannot express {logical[0].upper()}; "
            "run one query per branch and merge, or invert the condition (e.g. __ne)",
        )
    head, _, tail = key.rpartition("__")
    if known is not None and head in known:
        return head, _known_lookup(key, tail)
    if len(parts) == 1:
        return key, "eq"
    if len(parts) > 2:
        raise _refuse(
            "unsupported_query",
            f"{key}: nested lookups (related fields, JSON paths, chained lookups) cannot be "
            "expressed; filter one column with one lookup: col__lookup=value",
        )
    return parts[0], _known_lookup(key, parts[1])


def _known_lookup(key: str, lookup: str) -> str:
    if lookup in LOOKUPS:
        return lookup
    close = difflib.get_close_matches(lookup, LOOKUPS, n=1)
    hint = _LOOKUP_HINTS.get(lookup) or (f"did you mean __{close[0]}?" if close else "")
    raise _refuse(
        "unknown_lookup",
        f"{key}: unknown lookup {lookup!r}; use one of {', '.join(LOOKUPS)}"
        + (f" ({hint})" if hint else ""),
    )


def _check_column(name: object, known: frozenset[str] | None) -> str:
    if not isinstance(name, str):
        raise _refuse(
            "unsupported_query",
            f"{name!r} is not a column name; pass column names as str (expressions are "
            "not supported)",
        )
    if known is not None:
        return _check_known(name, known)
    if "__" in name:
        raise _refuse(
            "unsupported_query",
            f"{name}: related-field and JSON-path lookups are not supported; use a column "
            "of this table",
        )
    if not is_identifier(name):
        raise _refuse(
            "unknown_column",
            f"{name!r} is not a column name; column names match ^[a-z][a-z0-9_]{{0,62}}$",
        )
    return name


def _check_known(name: str, known: frozenset[str]) -> str:
    allowed = known | IMPLICIT_COLUMNS
    if name in allowed:
        return name
    close = difflib.get_close_matches(name, sorted(allowed), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise _refuse(
        "unknown_column",
        f"unknown column {name!r}; {hint}use one of: {', '.join(sorted(allowed))}",
    )


# --- slicing -------------------------------------------------------------------------------


def _index(value: object, what: str) -> int:
    number = operator.index(value) if isinstance(value, SupportsIndex) else -1
    if isinstance(value, bool) or number < 0:
        raise _refuse(
            "invalid_slice",
            f"{what} must be a non-negative int, got {value!r}; negative indexing needs the "
            "total: use q.count() for it, or reverse order_by() and take from the front",
        )
    return number


def _to_columns(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


def _to_names(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen(kw_only=True, repr=False)
class QuerySpec:
    """An immutable row query: filters, order, projection and a row window.

    Every method returns a new spec; the original never changes. With ``known_columns`` set,
    each column is checked (plus ``id``, ``created_at``, ``updated_at``) before sending.

    Example::

        >>> base = QuerySpec(known_columns={"status", "priority"})
        >>> q = base.filter(status="new").order_by("-created_at").slice(slice(0, 10))
        >>> q
        <QuerySpec filters=[status=eq.new] order=-created_at,id limit=10>
        >>> base
        <QuerySpec filters=[]>
    """

    conditions: tuple[Condition, ...] = ()
    order: tuple[str, ...] = ()
    select: tuple[str, ...] | None = None
    offset: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    limit: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(0))
    )
    known_columns: frozenset[str] | None = attrs.field(default=None, converter=_to_columns)
    json_columns: frozenset[str] = attrs.field(default=frozenset(), converter=_to_names)
    """Columns of type jsonb: a ``str`` compared with them is sent as a JSON string."""
    not_null_columns: frozenset[str] = attrs.field(default=frozenset(), converter=_to_names)
    """Columns declared NOT NULL: paging by key needs no NULL segment for them."""

    # --- building ---

    def filter(self, *groups: object, **lookups: object) -> QuerySpec:
        """Add AND-ed conditions, one per keyword lookup.

        Example::

            >>> QuerySpec().filter(priority__gte=3, status__in=["new", "open"]).count_params()
            [('priority', 'gte.3'), ('status', 'in.new,open')]
        """
        if groups:
            raise _refuse(
                "unsupported_query",
                "positional filters (Q objects, dicts, OR/NOT groups) cannot be expressed; "
                "pass keyword lookups, e.g. filter(status='new') or filter(**mapping)",
            )
        self._refuse_if_sliced("filter")
        added = tuple(self._condition(key, value) for key, value in lookups.items())
        return attrs.evolve(self, conditions=self.conditions + added)

    def order_by(self, *fields: str) -> QuerySpec:
        """Replace the order; ``-`` means descending, ``id`` is appended on the wire.

        ``order_by()`` with no fields removes the order (rows come in ``id`` order).

        Example::

            >>> QuerySpec().order_by("-priority", "title").list_params(1, 100)[0]
            ('sort', '-priority,title,id')
        """
        self._refuse_if_sliced("order_by")
        order: dict[str, str] = {}
        for field in fields:
            descending, name = self._order_field(field)
            order.setdefault(name, f"-{name}" if descending else name)  # first mention wins
        return attrs.evolve(self, order=tuple(order.values()))

    def only(self, *columns: str) -> QuerySpec:
        """Fetch only these columns (plus ``id``); ``only()`` with none fetches all again.

        Example::

            >>> QuerySpec().only("title", "status", "title").select
            ('title', 'status', 'id')
        """
        if not columns:
            return attrs.evolve(self, select=None)
        names = dict.fromkeys(_check_column(c, self.known_columns) for c in columns)
        names.setdefault("id")
        return attrs.evolve(self, select=tuple(names))

    def limit_to(self, count: int) -> QuerySpec:
        """Keep at most ``count`` rows of the current window (same as ``slice(slice(0, n))``).

        Example::

            >>> QuerySpec().slice(slice(10, 50)).limit_to(5)
            <QuerySpec filters=[] offset=10 limit=5>
        """
        return self._window(0, _index(count, "limit"))

    def slice(self, key: int | builtins.slice) -> QuerySpec:
        """Narrow the row window like Django: ``q[10:50][5:10]`` is rows 15..19.

        An int ``i`` keeps the one row at ``i`` (``limit=1``). Negative indices and steps
        other than 1 raise ``invalid_slice``.

        Example::

            >>> QuerySpec().slice(slice(10, 50)).slice(slice(5, 10))
            <QuerySpec filters=[] offset=15 limit=5>
        """
        if not isinstance(key, builtins.slice):
            start = _index(key, "index")
            return self._window(start, start + 1)
        if key.step is not None and (isinstance(key.step, bool) or key.step != 1):
            raise _refuse(
                "invalid_slice",
                f"slice step {key.step!r} is not supported; slice first, then step over the "
                "list in Python: list(q[a:b])[::step]",
            )
        start = 0 if key.start is None else _index(key.start, "slice start")
        stop = None if key.stop is None else _index(key.stop, "slice stop")
        return self._window(start, stop)

    # --- compiling ---

    @property
    def is_sliced(self) -> bool:
        """Whether a slice or limit narrowed the rows (then filter/order_by are refused)."""
        return self.offset != 0 or self.limit is not None

    @property
    def sort(self) -> str:
        """The ``sort`` parameter: the order plus ``id`` for stability; ``id`` when unordered.

        Rows always come in a definite order, the one paging by key needs (``first()`` is
        the first row iteration yields). Example::

            >>> QuerySpec().order_by("-id", "title").sort, QuerySpec().sort
            ('-id,title', 'id')
        """
        if not self.order:
            return "id"
        has_id = any(field.lstrip("-") == "id" for field in self.order)
        return ",".join(self.order if has_id else (*self.order, "id"))

    def count_params(self) -> list[tuple[str, str]]:
        """Return the query parameters of ``GET …/_count``: the filters only, in order.

        Example::

            >>> QuerySpec().filter(status="new").order_by("title").count_params()
            [('status', 'eq.new')]
        """
        return [condition.param for condition in self.conditions]

    def list_params(self, page: int, per_page: int) -> list[tuple[str, str]]:
        """Return one list request's parameters: filters, sort, _select, page, per_page.

        ``page`` is omitted when it is 1. Example::

            >>> QuerySpec().filter(done=False).only("title").list_params(page=2, per_page=5)[1:]
            [('sort', 'id'), ('_select', 'title,id'), ('page', '2'), ('per_page', '5')]
        """
        check_per_page(per_page)
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            raise ValueError(f"page must be an int >= 1, got {page!r}")
        params = self.count_params()
        params.append(("sort", self.sort))
        if self.select is not None:
            params.append(("_select", ",".join(self.select)))
        if page != 1:
            params.append(("page", str(page)))
        params.append(("per_page", str(per_page)))
        return params

    def count_window(self, total: int) -> int:
        """Apply the row window to the server's count of matching rows.

        Example::

            >>> QuerySpec().slice(slice(10, 50)).count_window(30)
            20
        """
        remaining = max(0, total - self.offset)
        return remaining if self.limit is None else min(remaining, self.limit)

    def page_plan(self, max_per_page: int = MAX_PER_PAGE) -> PagePlan:
        """Plan the list requests that return exactly rows ``[offset, offset + limit)``.

        Unbounded windows page through ``max_per_page`` rows at a time; bounded windows get
        the ``per_page`` with the fewest requests, then the least over-fetch. For ``first()``
        or ``exists()`` plan ``spec.slice(0)`` (``per_page=1``); for ``get()`` plan
        ``spec.limit_to(2)`` (``per_page=2``).

        Example::

            >>> list(QuerySpec().slice(slice(10, 20)).page_plan().requests())
            [PageRequest(page=2, per_page=10, skip=0, take=10)]
        """
        check_per_page(max_per_page, "max_per_page")
        if self.limit is None:
            return PagePlan(start=self.offset, stop=None, per_page=max_per_page)
        stop = self.offset + self.limit
        per_page = best_per_page(self.offset, stop, max_per_page) if self.limit else 1
        return PagePlan(start=self.offset, stop=stop, per_page=per_page)

    @property
    def pages_by_key(self) -> bool:
        """Whether iteration pages by key (:class:`SeekPlan`) rather than by offset.

        A window with an offset (``q[200:300]``) pages by offset; a window one request covers
        is one snapshot anyway and is sent as is. Everything else pages by key, so rows are
        neither skipped nor repeated when the loop updates or deletes them.

        Example::

            >>> QuerySpec().pages_by_key, QuerySpec().slice(slice(5, 500)).pages_by_key
            (True, False)
        """
        return self.offset == 0 and (self.limit is None or self.limit > MAX_PER_PAGE)

    def seek_plan(self, max_per_page: int = MAX_PER_PAGE) -> SeekPlan:
        """Plan iteration by key: the sort key is the order cut at (or ending in) ``id``.

        Raises :class:`QueryError` for an order a key cannot express (a jsonb column).

        Example::

            >>> QuerySpec().order_by("-priority").seek_plan().sort
            '-priority,id'
        """
        from ._seek import SeekPlan, seek_keys  # here: _seek builds on this module

        check_per_page(max_per_page, "max_per_page")
        keys = seek_keys(self.order, not_null=self.not_null_columns, json_columns=self.json_columns)
        return SeekPlan(keys=keys, per_page=max_per_page, remaining=self.limit)

    def seek_params(self, plan: SeekPlan, request: SeekRequest) -> list[tuple[str, str]]:
        """Return the parameters of one keyset request: filters, seek conditions, sort, select.

        A projection gains the key columns (the caller drops them from the rows again, see
        :meth:`seek_extra_columns`). Example::

            >>> spec = QuerySpec().filter(done=False)
            >>> plan = spec.seek_plan().advance([{"id": "x"}] * 100, has_more=True)
            >>> spec.seek_params(plan, plan.next_request())
            [('done', 'eq.false'), ('id', 'gt.x'), ('sort', 'id'), ('per_page', '100')]
        """
        params = self.count_params()
        params += [condition.param for condition in request.conditions]
        params.append(("sort", plan.sort))
        if self.select is not None:
            params.append(("_select", ",".join((*self.select, *self.seek_extra_columns(plan)))))
        params.append(("per_page", str(request.per_page)))
        return params

    def seek_extra_columns(self, plan: SeekPlan) -> tuple[str, ...]:
        """Key columns a projection lacks: fetched for paging, then dropped from each row."""
        if self.select is None:
            return ()
        return tuple(column for column in plan.columns if column not in self.select)

    def explain(self, path: str, max_per_page: int = MAX_PER_PAGE) -> str:
        """Show the first list request this spec sends, as ``GET <path>?<query>``.

        Example::

            >>> QuerySpec().filter(status="new").slice(0).explain("/data/t/app/tickets")
            'GET /data/t/app/tickets?status=eq.new&sort=id&per_page=1'
            >>> QuerySpec().filter(status="new").explain("/data/t/app/tickets")
            'GET /data/t/app/tickets?status=eq.new&sort=id&per_page=100'
        """
        if self.pages_by_key:
            plan = self.seek_plan(max_per_page)
            request = plan.next_request()
            assert request is not None  # noqa: S101  # a fresh plan always has a first request
            return explain("GET", path, self.seek_params(plan, request))
        first = next(iter(self.page_plan(max_per_page).requests()), None)
        if first is None:
            return f"GET {path} (not sent: the slice is empty)"
        return explain("GET", path, self.list_params(first.page, first.per_page))

    def __repr__(self) -> str:
        filters = ", ".join("=".join(condition.param) for condition in self.conditions)
        parts = [f"filters=[{filters}]"]
        if self.order:
            parts.append(f"order={self.sort}")
        if self.select is not None:
            parts.append(f"select={','.join(self.select)}")
        if self.offset:
            parts.append(f"offset={self.offset}")
        if self.limit is not None:
            parts.append(f"limit={self.limit}")
        return f"<QuerySpec {' '.join(parts)}>"

    # --- helpers ---

    def _condition(self, key: str, value: object) -> Condition:
        column, lookup = _split_lookup(key, self.known_columns)
        # Before the column check: filter(per_page=10) is paging misuse, not a typo of a column.
        if column in _PARAM_NAMES:
            intent = (
                "to order rows use order_by()"
                if column == "sort"
                else "to page through rows slice the query (q[100:200]) or iterate q.pages()"
            )
            raise _refuse(
                "unsupported_query",
                f"{key}: {column!r} is a wire parameter, not a filter; {intent}. A column "
                f"named {column!r} cannot be filtered: filter on another column (ordering by "
                "it works)",
            )
        column = _check_column(column, self.known_columns)
        return _build_condition(column, lookup, value, jsonb=column in self.json_columns)

    def _order_field(self, field: object) -> tuple[bool, str]:
        if field == "?":
            raise _refuse(
                "unsupported_query",
                "random order ('?') cannot be expressed; fetch the rows and shuffle in Python",
            )
        descending = isinstance(field, str) and field.startswith("-")
        name = field[1:] if isinstance(field, str) and descending else field
        return descending, _check_column(name, self.known_columns)

    def _refuse_if_sliced(self, verb: str) -> None:
        if self.is_sliced:
            raise _refuse(
                "unsupported_query",
                f"cannot {verb}() a sliced query: the slice would apply after it, not before; "
                f"call {verb}() before slicing or limit_to()",
            )

    def _window(self, low: int, high: int | None) -> QuerySpec:
        # Django's set_limits on absolute row marks: the new window is inside the old one.
        old_high = None if self.limit is None else self.offset + self.limit
        new_high = old_high
        if high is not None:
            new_high = self.offset + high if old_high is None else min(old_high, self.offset + high)
        new_low = self.offset + low if new_high is None else min(new_high, self.offset + low)
        limit = None if new_high is None else new_high - new_low
        return attrs.evolve(self, offset=new_low, limit=limit)


# --- query strings -------------------------------------------------------------------------


def format_query_string(params: Sequence[tuple[str, str]]) -> str:
    """Percent-encode ``params`` exactly as httpx 0.28 puts them on the wire.

    httpx groups repeated names at their first position and encodes with ``quote_plus``
    (space as ``+``). Example::

        >>> format_query_string([("a", "eq.x y"), ("b", "in.1,2"), ("a", "ne.z")])
        'a=eq.x+y&a=ne.z&b=in.1%2C2'
    """
    grouped: dict[str, list[str]] = {}
    for name, value in params:
        grouped.setdefault(name, []).append(value)
    return urlencode([(name, value) for name, values in grouped.items() for value in values])


def explain(method: str, path: str, params: Sequence[tuple[str, str]]) -> str:
    """One request as text: ``METHOD path?query`` (no ``?`` without parameters).

    Example::

        >>> explain("GET", "/data/t/crm/tickets", [("status", "eq.new"), ("per_page", "10")])
        'GET /data/t/crm/tickets?status=eq.new&per_page=10'
    """
    query = format_query_string(params)
    return f"{method.upper()} {path}?{query}" if query else f"{method.upper()} {path}"
