"""Seek plans: page through a query by key, not by offset (sans-IO).

Offset paging skips rows when the loop that consumes them updates or deletes them (every
removed row shifts the later pages). A seek plan asks instead for the rows *after the last
one seen*, by the sort key, which always ends in ``id``. The backend ANDs its filters and
has no OR (wire-contract §9.1), so "after" is split into disjoint segments, each an AND of
conditions, read in key order. For ``order_by("a")`` after the row ``(a=v, id=x)``::

    a=eq.v & id=gt.x        the rest of the rows tied on a=v
    a=gt.v                  the rows with a greater a
    a=eq.null               then the NULLs (PostgreSQL sorts NULL last ascending)

Descending, NULLs come first, so after a value only ``a=lt.v`` follows, and after a NULL
``a=ne.null``. A column known to be NOT NULL gets no NULL segment.

The I/O layer loops::

    plan = SeekPlan(keys=seek_keys(spec.order))
    while (request := plan.next_request()) is not None:
        body = send(request params)             # conditions AND-ed to the query's own
        plan = plan.advance(body["items"], body["has_more"])

A segment is done when a request returns a short page (or ``has_more`` is false); a full page
moves the anchor to its last row and starts again from the deepest segment. Rows whose sort
key does not change are visited exactly once, whatever other rows do meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ._errors import InternalError, QueryError
from ._pages import MAX_PER_PAGE
from ._query import Condition, escape_like
from ._wire import IMPLICIT_COLUMNS, to_text

__all__ = ["SeekKey", "SeekPlan", "SeekRequest", "seek_keys"]


@attrs.frozen
class SeekKey:
    """One column of the sort key: its name, direction, and whether it may hold NULL."""

    column: str
    descending: bool = False
    nullable: bool = True

    @property
    def sort(self) -> str:
        """The column as written in the ``sort`` parameter (``-`` for descending)."""
        return f"-{self.column}" if self.descending else self.column


def seek_keys(
    order: Sequence[str],
    *,
    not_null: frozenset[str] = frozenset(),
    json_columns: frozenset[str] = frozenset(),
) -> tuple[SeekKey, ...]:
    """The sort key of ``order``: cut after ``id`` (unique), or with ``id`` appended.

    A jsonb column cannot be compared on the wire, so ordering by one is refused with a
    :class:`QueryError` that names the alternatives. Example::

        >>> [k.sort for k in seek_keys(("-priority", "id", "title"))]
        ['-priority', 'id']
    """
    keys: list[SeekKey] = []
    for field in order:
        name = field.lstrip("-")
        if name in json_columns:
            raise QueryError(
                f"cannot iterate a query ordered by the jsonb column {name!r}: rows are paged "
                "by their sort key and jsonb values cannot be compared on the wire; order by "
                "another column and sort in Python, or take an offset-based slice "
                "(q[a:b], not exact when rows change meanwhile)",
                code="unsupported_query",
            )
        never_null = name in not_null or name in IMPLICIT_COLUMNS
        keys.append(SeekKey(name, field.startswith("-"), nullable=not never_null))
        if name == "id":
            return tuple(keys)
    return (*keys, SeekKey("id", nullable=False))


@attrs.frozen(kw_only=True)
class SeekRequest:
    """One list request of a plan: extra AND-ed ``conditions`` and the ``per_page`` to ask."""

    conditions: tuple[Condition, ...]
    per_page: int


def _equal(key: SeekKey, value: object) -> Condition:
    if value is None:
        return Condition(column=key.column, op="eq", wire_value="null")
    text = _wire(key, value)
    if text == "null":  # eq.null means IS NULL; a LIKE without wildcards is equality
        return Condition(column=key.column, op="like", wire_value=escape_like(text))
    return Condition(column=key.column, op="eq", wire_value=text)


def _after(key: SeekKey, value: object) -> list[Condition]:
    """The AND-able conditions, in sort order, of the values after ``value`` in one column."""
    if key.descending:  # NULLS FIRST
        if value is None:
            return [Condition(column=key.column, op="ne", wire_value="null")]
        return [Condition(column=key.column, op="lt", wire_value=_wire(key, value))]
    if value is None:  # NULLS LAST: nothing follows a NULL
        return []
    after = [Condition(column=key.column, op="gt", wire_value=_wire(key, value))]
    if key.nullable:
        after.append(Condition(column=key.column, op="eq", wire_value="null"))
    return after


def _wire(key: SeekKey, value: object) -> str:
    if isinstance(value, dict | list):
        raise QueryError(
            f"column {key.column!r} holds JSON values, which cannot be a sort key; order by "
            "another column",
            code="unsupported_query",
        )
    return to_text(value, where=key.column, error=QueryError)


def segments(keys: Sequence[SeekKey], anchor: Sequence[object]) -> list[tuple[Condition, ...]]:
    """The disjoint condition sets covering every row after ``anchor``, in key order."""
    out: list[tuple[Condition, ...]] = []
    for level in range(len(keys) - 1, -1, -1):
        prefix = tuple(_equal(keys[i], anchor[i]) for i in range(level))
        out.extend((*prefix, after) for after in _after(keys[level], anchor[level]))
    return out


@attrs.frozen(kw_only=True)
class SeekPlan:
    """Where a keyset iteration stands: the last full page's key and the segment being read.

    ``remaining`` is the number of rows still wanted (``None``: all). Example::

        >>> plan = SeekPlan(keys=seek_keys(()), per_page=2)
        >>> plan.next_request()
        SeekRequest(conditions=(), per_page=2)
        >>> plan = plan.advance([{"id": "a"}, {"id": "b"}], has_more=True)
        >>> [c.param for c in plan.next_request().conditions]
        [('id', 'gt.b')]
        >>> plan.advance([{"id": "c"}], has_more=False).next_request() is None
        True
    """

    keys: tuple[SeekKey, ...]
    per_page: int = attrs.field(default=MAX_PER_PAGE, validator=attrs.validators.in_(range(1, 101)))
    remaining: int | None = None
    anchor: tuple[object, ...] | None = None
    segment: int = 0
    done: bool = False

    @property
    def sort(self) -> str:
        """The ``sort`` parameter every request of the plan sends."""
        return ",".join(key.sort for key in self.keys)

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns a row must carry for the plan to read its key."""
        return tuple(key.column for key in self.keys)

    def next_request(self) -> SeekRequest | None:
        """The next request to send, or ``None`` when every row has been read."""
        if self.done:
            return None
        per_page = self.per_page if self.remaining is None else min(self.per_page, self.remaining)
        if self.anchor is None:
            return SeekRequest(conditions=(), per_page=per_page)
        return SeekRequest(
            conditions=segments(self.keys, self.anchor)[self.segment], per_page=per_page
        )

    def advance(self, items: Sequence[Mapping[str, Any]], has_more: bool) -> SeekPlan:
        """The plan after the current request returned ``items`` (and ``has_more``)."""
        request = self.next_request()
        if request is None:
            raise ValueError("advance() after the plan is done")
        remaining = None if self.remaining is None else max(0, self.remaining - len(items))
        if remaining == 0:
            return attrs.evolve(self, remaining=0, done=True)
        if has_more and len(items) >= request.per_page:
            return attrs.evolve(self, remaining=remaining, anchor=self._key(items[-1]), segment=0)
        if self.anchor is None:
            return attrs.evolve(self, remaining=remaining, done=True)
        # This segment is exhausted; the rows read from it changed nothing about the later
        # segments (they share the anchor's prefix), so the anchor stays.
        following = self.segment + 1
        done = following >= len(segments(self.keys, self.anchor))
        return attrs.evolve(self, remaining=remaining, segment=following, done=done)

    def _key(self, item: Mapping[str, Any]) -> tuple[object, ...]:
        try:
            return tuple(item[key.column] for key in self.keys)
        except KeyError as exc:
            raise InternalError(
                f"a listed row lacks its sort column {exc.args[0]!r}; cannot page by key",
                code="invalid_response",
            ) from None
