"""``axhub-orm rows export | import | count``: a table's rows out to a file, in, counted."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from .._bulk import DEFAULT_CONCURRENCY, MAX_CONCURRENCY, BulkError
from .._errors import QueryError
from ..models._sync.query import RowQuery
from ..models._sync.table import Table
from ._args import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_STATUS_HELP,
    CommandError,
    CommandParser,
    run_group,
)
from ._codecs import (
    FORMATS,
    IMPLICIT_COLUMNS,
    CsvWriter,
    RecordError,
    read_csv,
    read_jsonl,
    write_jsonl,
)
from ._connect import CONNECTION_HELP, add_connection_options, open_app
from ._progress import progress

__all__ = ["count", "export", "import_rows", "parse_filters", "rows"]

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


# --- import -----------------------------------------------------------------------------------

IMPORT_EPILOG = f"""\
Inserts every record (id, created_at and updated_at are ignored: AX Hub assigns them), many at
a time (table.rows.bulk_create). CSV cells are converted by the table's column types; a value
that does not fit is rejected with its line and column, and the rest are still written. Nothing
is lost silently: each line not written goes to the reject file (JSON Lines: line, outcome,
error, and the values when they were read) with outcome "rejected" (not written), "unknown"
(sent, no answer: it may have been written) or "not_attempted". The reject file is replaced on
each run. Exit status 1 if any line was not written.

examples:
  axhub-orm rows import tickets tickets.csv --app crm
  axhub-orm rows import tickets tickets.jsonl --app crm --concurrency 8 --rejects bad.jsonl
  axhub-orm rows import tickets - --format jsonl --app crm < tickets.jsonl

{CONNECTION_HELP}

{EXIT_STATUS_HELP}"""

_CHUNK = 1000  # rows handed to bulk_create at once: bounds the rows held in memory


def _concurrency(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 1 <= value <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"{value} is not in 1..{MAX_CONCURRENCY}")
    return value


def _import_parser() -> CommandParser:
    parser = CommandParser(f"{PROG} import", "Insert rows from a file.", IMPORT_EPILOG)
    parser.add_argument("table", metavar="TABLE", help="the table's name")
    parser.add_argument("file", metavar="FILE", help="JSON Lines or CSV ('-': stdin)")
    add_connection_options(parser)
    parser.add_argument("--format", choices=FORMATS, help="jsonl or csv (default: by extension)")
    parser.add_argument(
        "--concurrency",
        type=_concurrency,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"requests in flight (default {DEFAULT_CONCURRENCY}, at most {MAX_CONCURRENCY})",
    )
    parser.add_argument(
        "--rejects", metavar="FILE", help="where lines not written go (default: FILE.rejects.jsonl)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    return parser


class _Rejects:
    """The reject file, created on the first line not written."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.counts = {"rejected": 0, "unknown": 0, "not_attempted": 0}
        self._out: TextIO | None = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # the file describes this run only

    def add(self, line: int, outcome: str, error: object, values: Any = None) -> None:
        if self._out is None:
            self._out = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        record: dict[str, Any] = {"line": line, "outcome": outcome, "error": str(error)}
        if isinstance(error, RecordError) and error.column is not None:
            record["column"] = error.column
        if values is not None:
            record["values"] = values
        write_jsonl(self._out, record)
        self.counts[outcome] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


def _open_input(parser: CommandParser, path: str) -> TextIO:
    if path == "-":
        sys.stdin.reconfigure(encoding="utf-8", newline="")  # type: ignore[union-attr]
        return sys.stdin
    try:
        return open(path, encoding="utf-8", newline="")
    except OSError as exc:
        parser.fail(f"cannot read {path}: {exc.strerror}")


def _line_count(path: str) -> int | None:
    """Lines in ``path`` (for the progress bar's total), or None for stdin."""
    if path == "-":
        return None
    with open(path, "rb") as file:
        return sum(block.count(b"\n") for block in iter(lambda: file.read(1 << 20), b""))


def _write_chunk(
    table: Table, chunk: list[tuple[int, dict[str, Any]]], rejects: _Rejects, args: Any, step: Any
) -> int:
    """bulk_create one chunk; every item not written goes to the reject file. Returns written."""
    values = [item for _, item in chunk]
    try:
        return len(
            table.rows.bulk_create(
                values, concurrency=args.concurrency, progress=lambda done, total: step(1)
            )
        )
    except BulkError as exc:
        for outcome, items in (
            ("rejected", exc.failed),
            ("unknown", exc.unknown),
            ("not_attempted", exc.not_attempted),
        ):
            for item in items:
                line, record = chunk[item.index]
                rejects.add(line, outcome, item.error or "not attempted", record)
        return len(exc.succeeded)


def import_rows(argv: list[str]) -> int:
    """``axhub-orm rows import TABLE FILE --app APP``: insert its rows; 1 if any is not written."""
    parser = _import_parser()
    args = parser.parse_args(argv)
    fmt = format_of(parser, args.format, None if args.file == "-" else args.file)
    rejects = _Rejects(
        args.rejects or f"{'stdin' if args.file == '-' else args.file}.rejects.jsonl"
    )
    source = _open_input(parser, args.file)
    written = 0
    quiet = args.quiet or not sys.stderr.isatty()
    try:
        with open_app(parser.prog, args) as app:
            table = app.tables.get(args.table)
            types = column_types(table)
            records = read_csv(source, types) if fmt == "csv" else read_jsonl(source, types)
            total = None if quiet else _line_count(args.file)
            with progress("import", total, quiet=quiet) as step:
                chunk: list[tuple[int, dict[str, Any]]] = []
                for line, record in records:
                    if isinstance(record, RecordError):
                        rejects.add(line, "rejected", record)
                        step(1)
                        continue
                    chunk.append((line, record))
                    if len(chunk) == _CHUNK:
                        written += _write_chunk(table, chunk, rejects, args, step)
                        chunk = []
                if chunk:
                    written += _write_chunk(table, chunk, rejects, args, step)
    except RecordError as exc:  # the CSV header itself
        raise CommandError(parser.prog, f"{args.file}: {exc}; nothing was written") from None
    finally:
        rejects.close()
        if source is not sys.stdin:
            source.close()
    if not args.quiet or rejects.total:
        counts = rejects.counts
        summary = (
            f"{PROG} import: {written} written, {counts['rejected']} rejected, "
            f"{counts['unknown']} unknown (sent, no answer)"
        )
        if counts["not_attempted"]:
            summary += f", {counts['not_attempted']} not attempted"
        if rejects.total:
            summary += f"; see {rejects.path}"
        print(summary, file=sys.stderr)
    return EXIT_FAILURE if rejects.total else EXIT_OK


# --- the group --------------------------------------------------------------------------------

DESCRIPTION = "A table's rows out to JSON Lines or CSV, in from them, or counted."

EPILOG = """\
examples:
  axhub-orm rows export tickets --app crm --output tickets.csv
  axhub-orm rows import tickets tickets.csv --app crm-copy
  axhub-orm rows count tickets --app crm --filter status=open"""

COMMANDS = {
    "export": ("write a table's rows to a JSONL or CSV file (streamed)", export),
    "import": ("insert a JSONL or CSV file's rows; rejects listed by line", import_rows),
    "count": ("print how many rows match", count),
}


def rows(argv: list[str]) -> int:
    """Dispatch ``axhub-orm rows <command>``."""
    return run_group(PROG, DESCRIPTION, COMMANDS, argv, EPILOG)
