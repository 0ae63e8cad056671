"""A progress bar on stderr (tqdm) when it is a terminal; nothing otherwise or with ``--quiet``.

tqdm is optional (``pip install 'axhub-orm[cli]'``): without it the commands print their
summary only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["progress"]


def _nothing(done: int) -> None:
    return None


@contextmanager
def progress(
    description: str, total: int | None, *, quiet: bool
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``: a tqdm bar (rows done, rate, ETA) on a terminal, else a no-op."""
    if quiet or not sys.stderr.isatty():
        yield _nothing
        return
    try:
        from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        yield _nothing
        return
    with tqdm(total=total, desc=description, unit=" rows", file=sys.stderr, leave=False) as bar:
        yield bar.update
