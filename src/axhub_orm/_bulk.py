"""Many rows at once: bounded concurrency, progress, and an account of every item.

The backend has no bulk route (wire-contract §9.3), so a bulk verb is one request per item,
``concurrency`` of them in flight. :class:`AsyncBulkRunner` runs them as asyncio tasks,
:class:`BulkRunner` on a thread pool over the one thread-safe httpx transport; both pull their
input lazily, so a generator of any length costs memory for ``concurrency`` items, not N.

Every input ends in exactly one of four lists (:class:`BulkError`):

- ``succeeded``: written;
- ``failed``: definitely not written (the server answered 4xx, or nothing was sent);
- ``unknown``: sent without an answer (a dropped connection, a timeout, a 5xx), so it may have
  been written;
- ``not_attempted``: never started, because ``fail_fast=True`` stopped the run.

Reading many rows fast (``scan()``) splits the ids into disjoint ranges (:func:`id_ranges`),
each paged by key, and drains them at once (:class:`AsyncMerger`, :class:`Merger`).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Sequence,
    Sized,
)
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

import attrs

from ._errors import AxHubError, TransportError, ValidationError
from ._query import Condition

__all__ = [
    "DEFAULT_CONCURRENCY",
    "MAX_CONCURRENCY",
    "AsyncBulkRunner",
    "AsyncMerger",
    "BulkError",
    "BulkItem",
    "BulkRunner",
    "Ledger",
    "Merger",
    "Progress",
    "id_ranges",
    "outcome_of",
]

T = TypeVar("T")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

DEFAULT_CONCURRENCY = 16
"""Requests in flight for a bulk verb unless ``concurrency=`` says otherwise."""

MAX_CONCURRENCY = 24
"""The most requests a bulk verb keeps in flight: beyond ~30, httpcore's pool thrashes."""

Progress = Callable[[int, "int | None"], object]
"""``progress(done, total)``: called after each item; ``total`` is ``None`` for a generator."""


@attrs.frozen
class BulkItem:
    """One input of a bulk call and what became of it.

    ``index`` is its position in the input, ``input`` the value given (``None`` where it is
    not kept, see :class:`BulkError`), ``result`` the row written (the id for deletes) and
    ``error`` the :class:`AxHubError` (or other exception) that stopped it.
    """

    index: int
    input: Any = None
    result: Any = None
    error: BaseException | None = None


class BulkError(AxHubError):
    """Some items of a bulk call were not written; every input is in exactly one list.

    ``succeeded``, ``failed`` (definitely not written), ``unknown`` (sent, no answer: may have
    been written) and ``not_attempted`` hold :class:`BulkItem` s in input order. For
    ``q.update()`` / ``q.delete()`` and generator inputs, succeeded items carry only their
    ``index`` (their inputs are not kept, so memory does not grow with the number of rows).

    Example::

        try:
            rows = table.rows.bulk_create(values)
        except BulkError as exc:
            retry = [item.input for item in exc.failed]
    """

    default_category = "bulk"

    def __init__(
        self,
        message: str,
        *,
        succeeded: Sequence[BulkItem] = (),
        failed: Sequence[BulkItem] = (),
        unknown: Sequence[BulkItem] = (),
        not_attempted: Sequence[BulkItem] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("code", "bulk_incomplete")
        super().__init__(message, **kwargs)
        self.succeeded = list(succeeded)
        self.failed = list(failed)
        self.unknown = list(unknown)
        self.not_attempted = list(not_attempted)

    def _state(self) -> dict[str, Any]:
        return {
            **super()._state(),
            "succeeded": self.succeeded,
            "failed": self.failed,
            "unknown": self.unknown,
            "not_attempted": self.not_attempted,
        }


def outcome_of(error: BaseException) -> str:
    """``"failed"`` when ``error`` proves nothing was written, else ``"unknown"``.

    An answer with a 4xx status, or an error raised before sending, is ``failed``. A transport
    error is ``unknown`` unless the request never left (``request_sent`` false); a
    5xx answer is ``unknown`` too (the server may have written before failing).
    """
    if isinstance(error, TransportError):
        return "unknown" if error.request_sent else "failed"
    if isinstance(error, AxHubError):
        return "failed" if error.status is None or error.status < 500 else "unknown"
    return "unknown"


def check_concurrency(concurrency: object) -> int:
    """Validate ``concurrency=``: an int in ``1..MAX_CONCURRENCY``."""
    if (
        isinstance(concurrency, bool)
        or not isinstance(concurrency, int)
        or not 1 <= concurrency <= MAX_CONCURRENCY
    ):
        raise ValidationError(
            f"concurrency must be an int in 1..{MAX_CONCURRENCY}, got {concurrency!r} (more "
            "requests in flight than that make the connection pool slower, not faster)",
            code="invalid_value",
        )
    return concurrency


class Ledger(Generic[R]):
    """The account of one bulk call: which items went where (sans-IO).

    With ``keep_results`` the succeeded items keep their input and result (``bulk_create``
    returns the rows); otherwise only counts and a watermark of settled indexes are kept, so a
    ``q.delete()`` over 100,000 rows holds a few integers, not 100,000 items.
    """

    def __init__(self, *, keep_results: bool, inputs: object = None) -> None:
        self.keep_results = keep_results
        self._inputs = inputs if isinstance(inputs, Sequence) else None
        self.results: dict[int, R] = {}
        # Every index below ``_below`` has an outcome; ``_ahead`` holds those above it. Items
        # finish nearly in input order, so both stay about ``concurrency`` in size.
        self._below = 0
        self._ahead: set[int] = set()
        self.succeeded = 0
        self.written = 0
        self.failed: list[BulkItem] = []
        self.unknown: list[BulkItem] = []
        self.not_attempted: list[BulkItem] = []
        self.total = len(inputs) if isinstance(inputs, Sized) else None

    @property
    def done(self) -> int:
        """How many items have an outcome."""
        return self.succeeded + len(self.failed) + len(self.unknown) + len(self.not_attempted)

    @property
    def broken(self) -> bool:
        """Whether any item failed or has an unknown outcome."""
        return bool(self.failed or self.unknown)

    def _settled(self, index: int) -> None:
        self._ahead.add(index)
        while self._below in self._ahead:
            self._ahead.remove(self._below)
            self._below += 1

    def success(self, index: int, result: R) -> None:
        """Record item ``index`` as written, with its ``result``."""
        self.succeeded += 1
        self.written += bool(result)
        if self.keep_results:
            self.results[index] = result
        self._settled(index)

    def error(self, index: int, item: object, error: BaseException) -> None:
        """Record item ``index`` as failed or unknown, per :func:`outcome_of`."""
        entry = BulkItem(index, item, None, error)
        (self.failed if outcome_of(error) == "failed" else self.unknown).append(entry)
        self._settled(index)

    def skip(self, index: int, item: object) -> None:
        """Record item ``index`` as not attempted."""
        self.not_attempted.append(BulkItem(index, item))
        self._settled(index)

    def succeeded_items(self) -> list[BulkItem]:
        """The succeeded items in input order (inputs kept where the input is a sequence)."""
        if self.keep_results:
            return [
                BulkItem(i, self._input(i), self.results[i], None) for i in sorted(self.results)
            ]
        others = {item.index for item in self.failed + self.unknown + self.not_attempted}
        settled = [*range(self._below), *sorted(self._ahead)]
        return [BulkItem(i, self._input(i)) for i in settled if i not in others]

    def _input(self, index: int) -> object:
        return None if self._inputs is None else self._inputs[index]

    def ordered_results(self) -> list[R]:
        """The kept results, in input order."""
        return [self.results[index] for index in sorted(self.results)]

    def raise_if_broken(self, verb: str) -> None:
        """Raise :class:`BulkError` when anything was not written."""
        if not (self.broken or self.not_attempted):
            return
        by_index = sorted
        first = next((i.error for i in by_index(self.failed + self.unknown, key=_index)), None)
        raise BulkError(
            f"{verb}: {self.succeeded} succeeded, {len(self.failed)} failed, "
            f"{len(self.unknown)} unknown (sent, no answer), {len(self.not_attempted)} not "
            f"attempted; first error: {first!r}",
            succeeded=self.succeeded_items(),
            failed=by_index(self.failed, key=_index),
            unknown=by_index(self.unknown, key=_index),
            not_attempted=by_index(self.not_attempted, key=_index),
        )


def _index(item: BulkItem) -> int:
    return item.index


class _Outcome(Protocol[R_co]):
    """What asyncio tasks and thread-pool futures both offer once done."""

    def exception(self) -> BaseException | None: ...

    def result(self) -> R_co: ...


@attrs.frozen(kw_only=True)
class _Run:
    """The settings of one bulk call, and the bookkeeping both runners share."""

    concurrency: int = attrs.field(default=DEFAULT_CONCURRENCY, converter=check_concurrency)
    fail_fast: bool = False
    progress: Progress | None = None

    def ledger(self, inputs: object, keep_results: bool, total: int | None) -> Ledger[Any]:
        ledger: Ledger[Any] = Ledger(keep_results=keep_results, inputs=inputs)
        ledger.total = ledger.total if total is None else total
        return ledger

    def stopped(self, ledger: Ledger[Any], index: int, item: object) -> bool:
        """Whether ``fail_fast`` stops this item (then it is recorded as not attempted)."""
        if self.fail_fast and ledger.broken:
            ledger.skip(index, item)
            return True
        return False

    def harvest(
        self,
        ledger: Ledger[Any],
        pending: dict[Any, tuple[int, Any]],
        done: Iterable[_Outcome[Any]],
    ) -> None:
        """Record the finished tasks (or futures) of ``done``, then report progress."""
        for outcome in done:
            index, item = pending.pop(outcome)
            error = outcome.exception()
            if error is None:
                ledger.success(index, outcome.result())
            else:
                ledger.error(index, item, error)
            if self.progress is not None:
                self.progress(ledger.done, ledger.total)


class _Runner:
    """Validates the settings of a bulk call when it is built, before anything is sent."""

    def __init__(
        self,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        fail_fast: bool = False,
        progress: Progress | None = None,
    ) -> None:
        self._run = _Run(concurrency=concurrency, fail_fast=fail_fast, progress=progress)


class AsyncBulkRunner(_Runner):
    """Run ``op`` over inputs as asyncio tasks, at most ``concurrency`` at a time.

    Example::

        ledger = await AsyncBulkRunner(concurrency=16).run(values, insert, keep_results=True)
    """

    async def run(
        self,
        inputs: Iterable[T] | AsyncIterable[T],
        op: Callable[[T], Awaitable[R]],
        *,
        keep_results: bool,
        total: int | None = None,
    ) -> Ledger[R]:
        """Apply ``op`` to every input; return the ledger (raise nothing for item errors)."""
        run = self._run
        ledger = run.ledger(inputs, keep_results, total)
        pending: dict[asyncio.Future[R], tuple[int, T]] = {}
        try:
            index = 0
            async for item in _aiter(inputs):
                while len(pending) >= run.concurrency and not run.stopped(ledger, index, item):
                    done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    run.harvest(ledger, pending, done)
                if len(pending) < run.concurrency and not run.stopped(ledger, index, item):
                    pending[asyncio.ensure_future(op(item))] = (index, item)
                index += 1
            while pending:
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                run.harvest(ledger, pending, done)
        finally:
            for task in pending:
                task.cancel()
        return ledger

    async def written(
        self, verb: str, inputs: Iterable[T] | AsyncIterable[T], op: Callable[[T], Awaitable[R]]
    ) -> int:
        """Run ``op`` over ``inputs``; how many were written, or :class:`BulkError` for ``verb``."""
        ledger = await self.run(inputs, op, keep_results=False)
        ledger.raise_if_broken(verb)
        return ledger.written

    async def results(
        self, verb: str, inputs: Iterable[T] | AsyncIterable[T], op: Callable[[T], Awaitable[R]]
    ) -> list[R]:
        """Run ``op`` over ``inputs``; its results in input order, or :class:`BulkError`."""
        ledger = await self.run(inputs, op, keep_results=True)
        ledger.raise_if_broken(verb)
        return ledger.ordered_results()


async def _aiter(inputs: Iterable[T] | AsyncIterable[T]) -> AsyncIterator[T]:
    if isinstance(inputs, AsyncIterable):
        async for item in inputs:
            yield item
    else:
        for item in inputs:
            yield item


class BulkRunner(_Runner):
    """Run ``op`` over inputs on a thread pool, at most ``concurrency`` at a time.

    The client's transport is thread-safe; ``progress`` is called from the calling thread.
    """

    def run(
        self,
        inputs: Iterable[T],
        op: Callable[[T], R],
        *,
        keep_results: bool,
        total: int | None = None,
    ) -> Ledger[R]:
        """Apply ``op`` to every input; return the ledger (raise nothing for item errors)."""
        run = self._run
        ledger = run.ledger(inputs, keep_results, total)
        pending: dict[Future[R], tuple[int, T]] = {}
        pool = ThreadPoolExecutor(run.concurrency, thread_name_prefix="axhub-bulk")
        try:
            for index, item in enumerate(inputs):
                while len(pending) >= run.concurrency and not run.stopped(ledger, index, item):
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    run.harvest(ledger, pending, done)
                if len(pending) < run.concurrency and not run.stopped(ledger, index, item):
                    pending[pool.submit(op, item)] = (index, item)
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                run.harvest(ledger, pending, done)
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True)
        return ledger

    def written(self, verb: str, inputs: Iterable[T], op: Callable[[T], R]) -> int:
        """Run ``op`` over ``inputs``; how many were written, or :class:`BulkError` for ``verb``."""
        ledger = self.run(inputs, op, keep_results=False)
        ledger.raise_if_broken(verb)
        return ledger.written

    def results(self, verb: str, inputs: Iterable[T], op: Callable[[T], R]) -> list[R]:
        """Run ``op`` over ``inputs``; its results in input order, or :class:`BulkError`."""
        ledger = self.run(inputs, op, keep_results=True)
        ledger.raise_if_broken(verb)
        return ledger.ordered_results()


def id_ranges(count: int) -> list[tuple[Condition, ...]]:
    """Split every possible id into ``count`` disjoint ranges, as AND-able conditions.

    The boundaries are evenly spaced UUIDs (ids are random UUIDs, so the ranges hold about
    as many rows each); the first range has no lower bound and the last no upper one, so
    any text id falls in exactly one. Example::

        >>> [[f"{c.op}.{c.wire_value[:2]}…" for c in r] for r in id_ranges(4)]
        [['lt.40…'], ['gte.40…', 'lt.80…'], ['gte.80…', 'lt.c0…'], ['gte.c0…']]
    """
    bounds = [str(UUID(int=(k << 128) // count)) for k in range(1, count)]
    lows = [None, *bounds]
    highs = [*bounds, None]
    return [
        tuple(
            Condition(column="id", op=op, wire_value=value)
            for op, value in (("gte", low), ("lt", high))
            if value is not None
        )
        for low, high in zip(lows, highs, strict=True)
    ]


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


class AsyncMerger(Generic[T]):
    """Drain several async iterators at once, yielding their items as they come (tasks).

    At most ``buffer`` items wait between the producers and the consumer; an error in any
    producer is raised to the consumer, and leaving early cancels the producers.
    """

    def __init__(self, sources: Sequence[AsyncIterator[T]], buffer: int) -> None:
        self._sources = sources
        self._buffer = buffer

    async def __aiter__(self) -> AsyncIterator[T]:
        queue: asyncio.Queue[object] = asyncio.Queue(self._buffer)

        async def pump(source: AsyncIterator[T]) -> None:
            try:
                async for item in source:
                    await queue.put(item)
            except Exception as exc:  # handed to the consumer, raised there
                await queue.put(_Failure(exc))
            await queue.put(_DONE)

        tasks = [asyncio.ensure_future(pump(source)) for source in self._sources]
        remaining = len(tasks)
        try:
            while remaining:
                item = await queue.get()
                if item is _DONE:
                    remaining -= 1
                elif isinstance(item, _Failure):
                    raise item.error
                else:
                    yield item  # type: ignore[misc]  # the queue holds T between the markers
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


class Merger(Generic[T]):
    """Drain several iterators at once on threads, yielding their items as they come.

    At most ``buffer`` items wait between the producers and the consumer; an error in any
    producer is raised to the consumer, and leaving early stops the producers.
    """

    def __init__(self, sources: Sequence[Iterator[T]], buffer: int) -> None:
        self._sources = sources
        self._buffer = buffer

    def __iter__(self) -> Iterator[T]:
        items: queue.Queue[object] = queue.Queue(self._buffer)
        stop = threading.Event()

        def put(item: object) -> bool:
            while not stop.is_set():
                try:
                    items.put(item, timeout=0.05)
                    return True
                except queue.Full:
                    continue
            return False

        def pump(source: Iterator[T]) -> None:
            try:
                for item in source:
                    if not put(item):
                        return
            except Exception as exc:  # handed to the consumer, raised there
                put(_Failure(exc))
            put(_DONE)

        threads = [
            threading.Thread(target=pump, args=(source,), name="axhub-scan", daemon=True)
            for source in self._sources
        ]
        for thread in threads:
            thread.start()
        remaining = len(threads)
        try:
            while remaining:
                item = items.get()
                if item is _DONE:
                    remaining -= 1
                elif isinstance(item, _Failure):
                    raise item.error
                else:
                    yield item  # type: ignore[misc]  # the queue holds T between the markers
        finally:
            stop.set()
            for thread in threads:
                thread.join()
