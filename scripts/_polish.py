"""Lint-fix and format generated Python with the project's own ruff settings."""

from __future__ import annotations

import functools
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def ruff_command() -> list[str]:
    """How to run ruff: this Python's module, else ``ruff`` on PATH, else the project's venv."""
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    for candidate in (shutil.which("ruff"), ROOT / ".venv" / "bin" / "ruff"):
        if candidate is not None and Path(candidate).exists():
            return [str(candidate)]
    sys.exit("ruff not found: install the dev extra (pip install -e '.[dev]')")


def polish(text: str, path: Path) -> str:
    """``text`` after ``ruff check --fix`` and ``ruff format``, as if it lived at ``path``."""
    for command in (["check", "--fix", "--quiet", "--exit-zero"], ["format"]):
        text = subprocess.run(
            [*ruff_command(), *command, "--stdin-filename", str(path), "-"],
            input=text,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
    return text
