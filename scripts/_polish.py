"""Lint-fix and format generated Python with the project's own ruff settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def polish(text: str, path: Path) -> str:
    """``text`` after ``ruff check --fix`` and ``ruff format``, as if it lived at ``path``."""
    for command in (["check", "--fix", "--quiet", "--exit-zero"], ["format"]):
        text = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--stdin-filename", str(path), "-"],
            input=text,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
    return text
