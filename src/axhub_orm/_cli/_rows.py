"""``axhub-orm rows export | import | count``: a table's rows out to a file, in, counted."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from .._errors import QueryError
from ..models._sync.query import RowQuery
from ..models._sync.table import Table
from ._args import EXIT_OK, EXIT_STATUS_HELP, CommandParser, run_group
from ._codecs import FORMATS, IMPLICIT_COLUMNS, CsvWriter, write_jsonl
from ._connect import CONNECTION_HELP, add_connection_options, open_app
from ._progress import progress

__all__ = ["count", "export", "parse_filters", "rows"]

PROG = "axhub-orm rows"

_BOOL_TEXT = {"true": True, "1": True, "false": False, "0": False}


def _table_arguments(parser: CommandParser) -> None:
    parser.add_argument("table", metavar="TABLE", help="the table's name")
    add_connection_options(parser)


def _filter_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="COLUMN__OP=VALUE",
        help="AND a condition (repeatable): status=new, priority__gte=3, tag__in=a,b, "
        "due__isnull=true; lookups as in table.rows.filter()",
    )


def parse_filters(parser: CommandParser, texts: list[str]) -> dict[str, Any]:
    """``--filter`` texts as ``filter(**lookups)`` keywords (``__in`` split on commas)."""
    lookups: dict[str, Any] = {}
    for text in texts:
        key, sep, value = text.partition("=")
        if not sep or not key:
            parser.fail(f"--filter {text!r} is not COLUMN__OP=VALUE")
        if key.endswith("__in"):
            lookups[key] = value.split(",")
        elif key.endswith("__isnull"):
            if value.lower() not in _BOOL_TEXT:
                parser.fail(f"--filter {text!r}: isnull takes true or false")
            lookups[key] = _BOOL_TEXT[value.lower()]
        else:
            lookups[key] = value
    return lookups


def _query(parser: CommandParser, table: Table, lookups: dict[str, Any]) -> RowQuery:
    """The table's rows matching ``lookups``.

    AX Hub refuses to list or count a table without an owner column unless at least one filter
    is given; with none, ``id IS NOT NULL`` (every row) is sent.
    """
    if not lookups and not table.owner_column:
        lookups = {"id__isnull": False}
    try:
        return table.rows.filter(**lookups)
    except QueryError as exc:
        parser.fail(f"--filter: {exc.message}")


def column_types(table: Table) -> dict[str, str]:
    """Column name to type, the implicit columns included."""
    types = {"id": "uuid", "created_at": "timestamptz", "updated_at": "timestamptz"}
    types.update({column.name: column.type for column in table.columns})
    return types


def format_of(parser: CommandParser, given: str | None, path: str | None) -> str:
    """``--format``, else the file's extension (``.csv``; ``.jsonl``, ``.ndjson``), else jsonl."""
    if given:
        return given
    suffix = Path(path).suffix.lower() if path else ""
    if suffix == ".csv":
        return "csv"
    if suffix in ("", ".jsonl", ".ndjson", ".json") or path is None:
        return "jsonl"
    return parser.fail(f"cannot tell the format of {path}: give --format jsonl or --format csv")


@contextlib.contextmanager
def _output(parser: CommandParser, path: str | None) -> Iterator[TextIO]:
    """stdout, or ``path`` written as ``path.part`` and renamed once complete."""
    if path is None:
        sys.stdout.reconfigure(encoding="utf-8", newline="")  # type: ignore[union-attr]
        yield sys.stdout
        sys.stdout.flush()
        return
    part = f"{path}.part"
    try:
        out = open(part, "w", encoding="utf-8", newline="")  # noqa: SIM115 - renamed below
    except OSError as exc:
        parser.fail(f"cannot write {path}: {exc.strerror}")
    try:
        with out:
            yield out
    except BaseException:
        os.unlink(part)
        raise
    os.replace(part, path)


# --- export -----------------------------------------------------------------------------------

EXPORT_EPILOG = f"""\
Streams the rows (memory does not grow with the table) in JSON Lines or CSV, with every column,
id, created_at and updated_at included. CSV: a header line; NULL is an empty unquoted field, every
other value is quoted; jsonb values are JSON text.

examples:
  axhub-orm rows export tickets --app crm > tickets.jsonl
  axhub-orm rows export tickets --app crm --output tickets.csv
  axhub-orm rows export tickets --app crm --filter status=open --filter priority__gte=3
  axhub-orm rows export tickets --app crm --db hub.db --format csv

{CONNECTION_HELP}

{EXIT_STATUS_HELP}"""


def _export_parser() -> CommandParser:
    parser = CommandParser(f"{PROG} export", "Write a table's rows to a file.", EXPORT_EPILOG)
    _table_arguments(parser)
    _filter_arguments(parser)
    parser.add_argument("--format", choices=FORMATS, help="jsonl or csv (default: by extension)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    return parser


def export(argv: list[str]) -> int:
    """``axhub-orm rows export TABLE --app APP [--filter ...] [--format] [--output FILE]``."""
    parser = _export_parser()
    args = parser.parse_args(argv)
    fmt = format_of(parser, args.format, args.output)
    lookups = parse_filters(parser, args.filter)
    with open_app(parser.prog, args) as app:
        table = app.tables.get(args.table)
        query = _query(parser, table, lookups)
        types = column_types(table)
        quiet = args.quiet or not sys.stderr.isatty()
        total = None if quiet else query.count()
        done = 0
        with _output(parser, args.output) as out, progress("export", total, quiet=quiet) as step:
            if fmt == "csv":
                write = CsvWriter(out, [*IMPLICIT_COLUMNS, *table.columns.names()], types).write
            else:
                write = _jsonl_writer(out)
            for row in query:
                write(row)
                done += 1
                step(1)
    if not args.quiet:
        where = args.output or "stdout"
        print(f"{PROG} export: {done} rows of {table.name} written to {where}", file=sys.stderr)
    return EXIT_OK


def _jsonl_writer(out: TextIO) -> Any:
    def write(row: Any) -> None:
        write_jsonl(out, row.to_dict())

    return write


# --- count ------------------------------------------------------------------------------------

COUNT_EPILOG = f"""\
One request (GET .../_count): no row is listed.

examples:
  axhub-orm rows count tickets --app crm
  axhub-orm rows count tickets --app crm --filter status=open

{CONNECTION_HELP}

{EXIT_STATUS_HELP}"""


def count(argv: list[str]) -> int:
    """``axhub-orm rows count TABLE --app APP [--filter ...]``: print the number of rows."""
    parser = CommandParser(f"{PROG} count", "Print how many rows match.", COUNT_EPILOG)
    _table_arguments(parser)
    _filter_arguments(parser)
    args = parser.parse_args(argv)
    lookups = parse_filters(parser, args.filter)
    with open_app(parser.prog, args) as app:
        table = app.tables.get(args.table)
        print(_query(parser, table, lookups).count())
    return EXIT_OK


# --- the group --------------------------------------------------------------------------------

DESCRIPTION = "A table's rows out to JSON Lines or CSV, in from them, or counted."

EPILOG = """\
examples:
  axhub-orm rows export tickets --app crm --output tickets.csv
  axhub-orm rows import tickets tickets.csv --app crm-copy
  axhub-orm rows count tickets --app crm --filter status=open"""

COMMANDS = {
    "export": ("write a table's rows to a JSONL or CSV file (streamed)", export),
    "count": ("print how many rows match", count),
}


def rows(argv: list[str]) -> int:
    """Dispatch ``axhub-orm rows <command>``."""
    return run_group(PROG, DESCRIPTION, COMMANDS, argv, EPILOG)
