"""The ``axhub-orm`` command: ``demo``, ``serve``, ``rows`` and ``schema``.

Every command answers ``--help`` with examples. Exit status: 0 ok, 1 failure, 2 usage error;
errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ._cli import EXIT_FAILURE, EXIT_USAGE, CommandError, UsageError, run_group
from ._cli._args import Runner
from ._errors import AxHubError
from ._version import __version__

PROG = "axhub-orm"

DESCRIPTION = "AX Hub apps, tables and rows from the command line, and a local AX Hub emulator."

EPILOG = """\
options:
  -h, --help   show this help and exit
  --version    print the version and exit

examples:
  axhub-orm demo                          the quickstart flow against an embedded emulator
  axhub-orm serve --port 8765             run the emulator; prints `export AXHUB_...` lines
  axhub-orm rows export tickets --app crm --output tickets.jsonl
  axhub-orm schema plan myapp.models:Ticket --app crm"""


def _demo(argv: list[str]) -> int:
    from .demo import demo

    return demo(argv)


def _serve(argv: list[str]) -> int:
    from .local._cli import serve

    return serve(argv)


def _rows(argv: list[str]) -> int:
    from ._cli._rows import rows

    return rows(argv)


def _schema(argv: list[str]) -> int:
    from ._cli._schema import schema

    return schema(argv)


COMMANDS: dict[str, tuple[str, Runner]] = {
    "demo": ("walk the AX Hub quickstart and destructive flow through the ORM", _demo),
    "serve": ("run the local AX Hub emulator", _serve),
    "rows": ("export, import and count a table's rows (JSONL or CSV)", _rows),
    "schema": ("plan or apply a table's schema from a RowModel", _schema),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``axhub-orm``; return the exit status (0 ok, 1 failure, 2 usage error)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--version"]:
        print(f"{PROG} {__version__}")
        return 0
    try:
        return run_group(PROG, DESCRIPTION, COMMANDS, args, EPILOG)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except (CommandError, AxHubError) as exc:
        print(exc if isinstance(exc, CommandError) else f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
