"""Page plans: which offset-only pages to fetch for a window of rows (sans-IO).

The data API pages by ``page``/``per_page`` only (wire-contract §9.1), so a row window
``[start, stop)`` is covered by page-aligned requests and trimmed on the client.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import TypeVar

import attrs

from ._errors import QueryError

__all__ = ["MAX_PER_PAGE", "PagePlan", "PageRequest", "best_per_page", "check_per_page"]

_T = TypeVar("_T")

MAX_PER_PAGE = 100
"""The largest ``per_page`` any request uses (the SDKs clamp to 100)."""


@lru_cache(maxsize=1024)
def best_per_page(start: int, stop: int, max_per_page: int) -> int:
    """Pick the per_page whose page-aligned cover of ``[start, stop)`` is cheapest.

    Cost = (requests, rows fetched beyond the window, per_page): fewest requests first,
    then least over-fetch, then the smaller page. The search tries every size (~20 µs), so its
    answers are cached: the same slices (``q[:10]``, ``q[20:40]``) come back again and again.
    """

    def cost(per_page: int) -> tuple[int, int, int]:
        pages = (stop - 1) // per_page - start // per_page + 1
        return pages, pages * per_page - (stop - start), per_page

    return min(range(1, max_per_page + 1), key=cost)


def check_per_page(per_page: object, what: str = "per_page") -> int:
    """The one ``per_page`` rule: an int in ``1..MAX_PER_PAGE`` (``QueryError`` otherwise)."""
    if (
        isinstance(per_page, bool)
        or not isinstance(per_page, int)
        or not (1 <= per_page <= MAX_PER_PAGE)
    ):
        raise QueryError(
            f"{what} must be an int in 1..{MAX_PER_PAGE}, got {per_page!r}; "
            f"use a value between 1 and {MAX_PER_PAGE}",
            code="invalid_per_page",
        )
    return per_page


def _valid_per_page(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    check_per_page(value)


@attrs.frozen(kw_only=True)
class PageRequest:
    """One list request of a plan, and which of its rows belong to the window.

    ``skip`` rows are dropped from the front of the page, then ``take`` rows are kept
    (``None``: all the rest). Example::

        >>> PageRequest(page=2, per_page=10, skip=3, take=4).pick(list(range(10)))
        [3, 4, 5, 6]
    """

    page: int
    per_page: int = attrs.field(validator=_valid_per_page)
    skip: int
    take: int | None

    def pick(self, items: Sequence[_T]) -> list[_T]:
        """Return the rows of this page's ``items`` that belong to the window."""
        end = None if self.take is None else self.skip + self.take
        return list(items[self.skip : end])


@attrs.frozen(kw_only=True)
class PagePlan:
    """The pages to fetch for the row window ``[start, stop)`` (``stop=None``: to the end).

    Page ``p`` with ``per_page`` n covers rows ``[(p - 1) * n, p * n)``. The I/O layer steps
    through :meth:`requests` and stops when :meth:`stops_after` says so::

        for request in plan.requests():
            body = send(spec.list_params(request.page, request.per_page))
            yield from request.pick(body["items"])
            if plan.stops_after(request, len(body["items"]), body["has_more"]):
                break

    Example::

        >>> [r.page for r in PagePlan(start=0, stop=250, per_page=100).requests()]
        [1, 2, 3]
    """

    start: int = attrs.field(validator=attrs.validators.ge(0))
    stop: int | None
    per_page: int = attrs.field(validator=_valid_per_page)

    @property
    def first_page(self) -> int:
        """The 1-based page holding row ``start``."""
        return self.start // self.per_page + 1

    @property
    def last_page(self) -> int | None:
        """The page holding the window's last row; ``None`` when unbounded."""
        if self.stop is None:
            return None
        return (self.stop - 1) // self.per_page + 1

    @property
    def request_count(self) -> int | None:
        """Requests for the whole window (fewer if rows run out); ``None`` when unbounded."""
        if self.stop is None:
            return None
        if self.stop <= self.start:
            return 0
        return (self.stop - 1) // self.per_page + 2 - self.first_page

    def requests(self) -> Iterator[PageRequest]:
        """Yield the requests in page order; endless when unbounded (stop on a short page)."""
        if self.stop is not None and self.stop <= self.start:
            return
        page = self.first_page
        while self.stop is None or (page - 1) * self.per_page < self.stop:
            low = (page - 1) * self.per_page
            skip = max(0, self.start - low)
            take = None if self.stop is None else min(self.stop, low + self.per_page) - low - skip
            yield PageRequest(page=page, per_page=self.per_page, skip=skip, take=take)
            page += 1

    def stops_after(self, request: PageRequest, received: int, has_more: bool) -> bool:
        """Whether no request follows ``request``, given its item count and ``has_more``."""
        return not has_more or received < request.per_page or request.page == self.last_page
