"""``axhub-orm`` as a user runs it: version, help, exit codes, one-line usage errors, serve."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

import axhub_orm
from axhub_orm import AxHub

from .conftest import Run, one_line_error, served

COMMANDS = [
    ["demo"],
    ["serve"],
    ["rows"],
    ["rows", "export"],
    ["rows", "import"],
    ["rows", "count"],
    ["schema"],
    ["schema", "plan"],
    ["schema", "apply"],
]


def test_version_matches_the_package(run: Run) -> None:
    """`axhub-orm --version` prints the package version and exits 0."""
    result = run("--version")
    assert (result.returncode, result.stdout) == (0, f"axhub-orm {axhub_orm.__version__}\n")


def test_bare_command_shows_help_and_exits_0(run: Run) -> None:
    """A bare `axhub-orm` prints help naming every command and the exit codes, exit status 0."""
    result = run()
    assert result.returncode == 0 and result.stderr == ""
    for command in ("demo", "serve", "rows", "schema", "--version"):
        assert f"  {command} " in result.stdout
    assert "exit status: 0 ok, 1 failure, 2 usage error." in result.stdout


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_examples(run: Run, command: list[str]) -> None:
    """`--help` on every command exits 0 with examples that use that command."""
    result = run(*command, "--help")
    assert result.returncode == 0 and result.stderr == ""
    assert "examples:" in result.stdout
    assert f"axhub-orm {' '.join(command)} " in result.stdout.split("examples:")[1]
    assert "exit status: 0 ok, 1 failure, 2 usage error." in result.stdout


def busy_port() -> tuple[socket.socket, int]:
    """A loopback port that a listening socket holds."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder, holder.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--port", "99999"], "argument --port: 99999 is not a port number (0 to 65535)"),
        (["serve", "--port", "-5"], "argument --port: -5 is not a port number (0 to 65535)"),
        (["serve", "--port", "http"], "argument --port: 'http' is not a port number"),
        (["serve", "--db", "."], "argument --db: . is a directory, not an SQLite file"),
        (["serve", "--db", "notes.txt"], "argument --db: notes.txt is not an SQLite database"),
        (["serve", "--db", "no/such/dir/hub.db"], "cannot create no/such/dir/hub.db"),
        (["serve", "--rate-limit", "0"], "--rate-limit must be positive"),
        (["serve", "--bogus"], "unrecognized arguments: --bogus"),
        (["bogus"], "unknown command 'bogus'"),
        (["--bogus"], "unknown option '--bogus'"),
        (["rows", "export"], "the following arguments are required: TABLE, --app"),
        (["rows", "count", "t", "--app", "a", "--filter", "nonsense"], "is not COLUMN__OP=VALUE"),
        (["demo", "--db", "notes.txt"], "argument --db: notes.txt is not an SQLite database"),
        (["schema", "plan", "nomodule", "--app", "a"], "is not MODULE:Model"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(
    run: Run, tmp_path: Path, args: list[str], message: str
) -> None:
    """Each usage error exits 2 with one line on stderr naming the problem, and no traceback."""
    (tmp_path / "notes.txt").write_text("not a database\n")
    result = run(*args)
    assert result.returncode == 2
    line = one_line_error(result)
    assert message in line and line.startswith("axhub-orm")


def test_busy_port_is_a_one_line_usage_error(run: Run) -> None:
    """`serve` on a port another socket holds exits 2 with one line naming the port."""
    holder, port = busy_port()
    with holder:
        result = run("serve", "--port", str(port))
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in one_line_error(result)


def test_serve_prints_paste_ready_exports() -> None:
    """`serve` prints `export AXHUB_...` lines that configure a working client; SIGTERM stops it."""
    with served() as (exports, lines):
        assert sorted(exports) == [
            "AXHUB_BASE_URL",
            "AXHUB_TENANT_ID",
            "AXHUB_TENANT_SLUG",
            "AXHUB_TOKEN",
            "AXHUB_TOKEN_TYPE",
        ]
        assert exports["AXHUB_TOKEN_TYPE"] == "pat"
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", exports["AXHUB_BASE_URL"])
        settings = {name.removeprefix("AXHUB_").lower(): v for name, v in exports.items()}
        with AxHub(**settings) as hub:
            assert hub.me().id
    assert "Stopping." in lines[-1]
