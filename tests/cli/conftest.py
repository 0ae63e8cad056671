"""Fixtures for the command-line tests: the installed ``axhub-orm`` run as a subprocess."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from axhub_orm import App, Column
from axhub_orm.local import LocalAxHub

#: The console script pip installed beside this interpreter.
AXHUB_ORM = str(Path(sys.executable).with_name("axhub-orm"))

#: One column of each of the eight column types.
ALL_TYPES = [
    Column("t", "text"),
    Column("i", "int"),
    Column("b", "bigint"),
    Column("f", "float"),
    Column("ok", "bool"),
    Column("at", "timestamptz"),
    Column("u", "uuid"),
    Column("j", "jsonb"),
]

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """Run ``axhub-orm *args`` in ``tmp_path`` (stdin closed, output captured, 60 s at most)."""

    def run_cli(
        *args: str, env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [AXHUB_ORM, *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            stdin=subprocess.DEVNULL,
            cwd=tmp_path,
            env=None if env is None else {**os.environ, **env},
            timeout=timeout,
            check=False,
        )

    return run_cli


@pytest.fixture
def hub_db(tmp_path: Path) -> Path:
    """The path of an emulator SQLite file (created by the first LocalAxHub that opens it)."""
    return tmp_path / "hub.db"


@pytest.fixture
def seeded(hub_db: Path) -> Callable[..., Iterator[App]]:
    """A context manager: the app ``crm`` of the emulator file, served in-process while open."""

    @contextmanager
    def open_crm() -> Iterator[App]:
        with LocalAxHub(db=hub_db) as local, local.client() as hub:
            found = [app for app in hub.apps.list() if app.slug == "crm"]
            yield found[0] if found else hub.apps.create(slug="crm", name="CRM")

    return open_crm


@contextmanager
def served(*options: str) -> Iterator[tuple[dict[str, str], list[str]]]:
    """`axhub-orm serve --port 0 *options` in its own process: its exported variables and output.

    Stopped with SIGTERM (a shell may start background jobs with SIGINT ignored).
    """
    process = subprocess.Popen(
        [AXHUB_ORM, "serve", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C"):
                break
        exports = dict(
            shlex.split(line.removeprefix("export "))[0].split("=", 1)
            for line in lines
            if line.startswith("export ")
        )
        yield exports, lines
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            out, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
        lines.append(out)
        assert process.returncode == 0


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a usage error (asserting there is exactly one, no traceback)."""
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]
