"""What every ``axhub-orm`` command shares: one-line usage errors, exit codes, option types.

Exit status of every command: :data:`EXIT_OK` (0) when it did what was asked,
:data:`EXIT_FAILURE` (1) when it ran and something failed (a rejected row, a refused schema
change, an error from AX Hub), :data:`EXIT_USAGE` (2) when the command line itself is wrong
(an unknown option, a port out of range, a busy port, an unreadable ``--db``). A usage error is
one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_STATUS_HELP",
    "EXIT_USAGE",
    "CommandError",
    "CommandParser",
    "UsageError",
    "database_path",
    "port_number",
    "run_group",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

EXIT_STATUS_HELP = "exit status: 0 ok, 1 failure, 2 usage error."

_SQLITE_HEADER = b"SQLite format 3\x00"


class UsageError(Exception):
    """The command line is wrong: printed as one line on stderr, exit status 2."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(f"{prog}: error: {message} (see '{prog} --help')")


class CommandError(Exception):
    """The command ran and failed: printed as one line on stderr, exit status 1."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(f"{prog}: {message}")


class CommandParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one :class:`UsageError` line, not usage + message.

    Help keeps the description's and epilog's line breaks, so examples print as written.
    """

    def __init__(self, prog: str, description: str, epilog: str | None = None) -> None:
        super().__init__(
            prog=prog,
            description=description,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            allow_abbrev=False,
        )

    def error(self, message: str) -> NoReturn:
        """Raise the argparse complaint as a one-line :class:`UsageError`."""
        raise UsageError(self.prog, message)

    def fail(self, message: str) -> NoReturn:
        """A usage error found after parsing (two options that do not go together, ...)."""
        raise UsageError(self.prog, message)


def port_number(text: str) -> int:
    """An ``argparse`` type: a TCP port, 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0 to 65535)")
    return port


def database_path(text: str) -> str:
    """An ``argparse`` type: an SQLite file the emulator can open (existing or to create)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory, not an SQLite file")
    if path.exists():
        try:
            with path.open("rb") as file:
                header = file.read(len(_SQLITE_HEADER))
        except OSError as exc:
            raise argparse.ArgumentTypeError(f"cannot read {text}: {exc.strerror}") from None
        if header not in (b"", _SQLITE_HEADER):
            raise argparse.ArgumentTypeError(f"{text} is not an SQLite database")
        return text
    parent = path.parent
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"cannot create {text}: {parent} is not a directory")
    if not os.access(parent, os.W_OK):
        raise argparse.ArgumentTypeError(f"cannot create {text}: {parent} is not writable")
    return text


Runner = Callable[[list[str]], int]


def run_group(
    prog: str,
    description: str,
    commands: Mapping[str, tuple[str, Runner]],
    argv: Sequence[str],
    epilog: str = "",
) -> int:
    """Dispatch ``prog <command> ...`` to one of ``commands`` (name: summary, runner).

    Bare ``prog`` and ``prog --help`` print the group's help and exit 0.
    """
    args = list(argv)
    if not args or args[0] in ("-h", "--help"):
        print(group_help(prog, description, commands, epilog))
        return EXIT_OK
    name, rest = args[0], args[1:]
    if name not in commands:
        what = "option" if name.startswith("-") else "command"
        raise UsageError(prog, f"unknown {what} {name!r} (choose from {', '.join(commands)})")
    return commands[name][1](rest)


def group_help(
    prog: str, description: str, commands: Mapping[str, tuple[str, Runner]], epilog: str = ""
) -> str:
    """The help of a command group: usage, description, one line per command, epilog."""
    width = max(len(name) for name in commands) + 2
    lines = [f"usage: {prog} <command> [options]", "", description, "", "commands:"]
    lines += [f"  {name.ljust(width)}{summary}" for name, (summary, _) in commands.items()]
    lines += ["", *([epilog, ""] if epilog else [])]
    lines += [f"Run '{prog} <command> --help' for its options and examples.", EXIT_STATUS_HELP]
    return "\n".join(lines)
