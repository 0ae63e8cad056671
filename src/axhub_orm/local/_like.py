r"""SQL ``LIKE`` (case-sensitive, ``\`` escapes) in time linear in the value.

The pattern splits at each run of ``%`` into *segments* of fixed length (characters and ``_``).
A value matches when the first segment is at its start, the last at its end, and the middle ones
appear in order in between; taking each middle segment's leftmost occurrence is optimal (it leaves
the longest rest for the others), so there is no backtracking. Each segment is found by:

- ``str.find`` / ``startswith`` / ``endswith`` when it has no ``_`` (linear C code);
- a regular expression of literals and ``.`` when it has ``_`` and at most
  :data:`_SHORT` characters (at most ``_SHORT`` steps per value character, in C);
- bit-parallel Shift-And over a Python integer otherwise (one step per value character).

So ``%aaaa…b`` (1,002 characters) against 50,000 ``a`` is one ``str.find``, not 50 million
steps. The store calls :func:`like_match` per row; :func:`compile_like` validates a pattern
and is cached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ._errors import field_error

__all__ = ["LikePattern", "compile_like", "like_match"]

_ANY = None  # a ``_`` in a segment
_SHORT = 64


@dataclass(frozen=True)
class _Segment:
    """A fixed-length run of characters and ``_`` wildcards."""

    tokens: tuple[str | None, ...]
    literal: str | None  # the text when there is no ``_``
    regex: re.Pattern[str] | None  # for short segments with ``_``
    masks: dict[str, int] | None  # Shift-And masks for long segments with ``_``
    any_mask: int

    @classmethod
    def of(cls, tokens: list[str | None]) -> _Segment:
        if _ANY not in tokens:
            return cls(tuple(tokens), "".join(t for t in tokens if t is not None), None, None, 0)
        if len(tokens) <= _SHORT:
            text = "".join("." if t is _ANY else re.escape(t) for t in tokens)
            return cls(tuple(tokens), None, re.compile(text, re.DOTALL), None, 0)
        masks: dict[str, int] = {}
        any_mask = 0
        for i, token in enumerate(tokens):
            if token is _ANY:
                any_mask |= 1 << i
            else:
                masks[token] = masks.get(token, 0) | 1 << i
        return cls(tuple(tokens), None, None, masks, any_mask)

    def __len__(self) -> int:
        return len(self.tokens)

    def at(self, value: str, pos: int) -> bool:
        """Whether the segment occurs in ``value`` starting at ``pos``."""
        if self.literal is not None:
            return value.startswith(self.literal, pos)
        if pos + len(self.tokens) > len(value):
            return False
        return all(t is _ANY or t == value[pos + i] for i, t in enumerate(self.tokens))

    def find(self, value: str, start: int, end: int) -> int:
        """The leftmost index ``>= start`` where the segment occurs within ``value[:end]``."""
        if self.literal is not None:
            return value.find(self.literal, start, end)
        if self.regex is not None:
            found = self.regex.search(value, start, end)
            return -1 if found is None else found.start()
        assert self.masks is not None  # noqa: S101 - the third representation
        masks, any_mask, goal = self.masks, self.any_mask, 1 << (len(self.tokens) - 1)
        state = 0
        for i in range(start, end):
            state = ((state << 1) | 1) & (masks.get(value[i], 0) | any_mask)
            if state & goal:
                return i - len(self.tokens) + 1
        return -1


@dataclass(frozen=True)
class LikePattern:
    """A compiled pattern: ``segments`` between ``%`` runs; ``wild`` when there is any ``%``."""

    segments: tuple[_Segment, ...]
    wild: bool

    def matches(self, value: str) -> bool:
        """Whether ``value LIKE pattern``."""
        first, last = self.segments[0], self.segments[-1]
        if not self.wild:
            return len(value) == len(first) and first.at(value, 0)
        end = len(value) - len(last)
        if end < len(first) or not first.at(value, 0) or not last.at(value, end):
            return False
        pos = len(first)
        for segment in self.segments[1:-1]:
            found = segment.find(value, pos, end)
            if found < 0:
                return False
            pos = found + len(segment)
        return True


@lru_cache(maxsize=256)
def compile_like(pattern: str, name: str = "like") -> LikePattern:
    r"""Compile a LIKE pattern; a trailing lone ``\`` is 400 ``invalid_value`` naming ``name``."""
    segments: list[_Segment] = []
    tokens: list[str | None] = []
    wild = False
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise field_error("invalid_value", name, "a like pattern cannot end with \\")
            tokens.append(escaped)
        elif char == "%":
            wild = True
            segments.append(_Segment.of(tokens))
            tokens = []
        else:
            tokens.append(_ANY if char == "_" else char)
    segments.append(_Segment.of(tokens))
    middle = [s for s in segments[1:-1] if len(s)]
    return LikePattern((segments[0], *middle, segments[-1]) if wild else (segments[0],), wild)


def like_match(value: str | None, pattern: str | None) -> int | None:
    """SQL ``value LIKE pattern`` (1/0), NULL in, NULL out; an invalid pattern matches nothing."""
    if value is None or pattern is None:
        return None
    try:
        compiled = compile_like(pattern)
    except Exception:
        return 0
    return int(compiled.matches(value))
