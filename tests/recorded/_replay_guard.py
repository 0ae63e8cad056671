"""A pytest plugin that makes the emulator unimportable: ``-p recorded._replay_guard``.

``test_replay.py`` runs the flow tests in a subprocess with it (and ``--block-network``) to prove
that replaying cassettes needs no server: any import of ``axhub_orm.local``, uvicorn or
starlette raises ImportError.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

import pytest

BLOCKED = ("axhub_orm.local", "uvicorn", "starlette")


def is_blocked(name: str) -> bool:
    """Whether importing module ``name`` would reach the emulator."""
    return any(name == root or name.startswith(root + ".") for root in BLOCKED)


class EmulatorBlocker(importlib.abc.MetaPathFinder):
    """Refuses to find the emulator's modules."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        """Raise ImportError for a blocked module; let every other import through."""
        if is_blocked(fullname):
            raise ImportError(f"{fullname} is blocked: replaying cassettes must not need it")
        return None


def pytest_configure(config: pytest.Config) -> None:
    """Install the blocker before any test module is imported."""
    loaded = sorted(name for name in sys.modules if is_blocked(name))
    if loaded:
        raise pytest.UsageError(f"replay guard installed too late: {loaded} already imported")
    sys.meta_path.insert(0, EmulatorBlocker())


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run if an emulator module got in anyway."""
    loaded = sorted(name for name in sys.modules if is_blocked(name))
    if loaded:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"replay guard: emulator modules were imported: {loaded}", file=sys.stderr)
