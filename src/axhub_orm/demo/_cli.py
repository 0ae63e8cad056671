"""``axhub-orm demo``: the command, its options and its report table."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._cli._args import EXIT_STATUS_HELP, CommandParser, database_path
from .._cli._connect import REMOTE_OPTIONS, add_remote_options, connect_remote
from .._http import redacted_token
from ..testing import CountingTransport
from ._steps import FlowNames, StepResult
from ._sync.flow import run_flow

__all__ = ["demo", "render_report"]

# --- the report --------------------------------------------------------------------------------


def _marks() -> tuple[str, str]:
    """✓/✗ where the terminal can print them, ``ok``/``FAIL`` where it cannot."""
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "✓✗".encode(encoding)
    except (LookupError, UnicodeEncodeError):
        return "ok", "FAIL"
    return "✓", "✗"


def render_report(results: Sequence[StepResult]) -> str:
    """The results as an aligned table: step, operation id(s), requests, result.

    A step that sent several operations lists one per line.
    """
    good, bad = _marks()
    header = ("#", "step", "operation id(s)", "req", "result")
    lines: list[tuple[str, ...]] = []
    for number, result in enumerate(results, 1):
        operations = result.operations or ("-",)
        mark = good if result.ok else bad
        lines.append(
            (
                str(number),
                result.step,
                operations[0],
                str(result.requests),
                f"{mark} {result.detail}",
            )
        )
        lines.extend(("", "", operation, "", "") for operation in operations[1:])
    widths = [max(len(row[i]) for row in (header, *lines)) for i in range(4)]
    rule = ("-" * widths[0], "-" * widths[1], "-" * widths[2], "-" * widths[3], "-" * 6)
    return "\n".join(_format_row(row, widths) for row in (header, rule, *lines))


def _format_row(row: Sequence[str], widths: Sequence[int]) -> str:
    number, step, operation, requests, result = row
    return "  ".join(
        (
            number.rjust(widths[0]),
            step.ljust(widths[1]),
            operation.ljust(widths[2]),
            requests.rjust(widths[3]),
            result,
        )
    ).rstrip()


def _summary(results: Sequence[StepResult]) -> str:
    total = sum(r.requests for r in results)
    failed = [r for r in results if not r.ok]
    if not failed:
        return f"{len(results)} steps, {total} requests: every success assertion held."
    first = failed[0]
    return f"{len(results)} steps, {total} requests: FAILED at step {first.step!r}: {first.detail}"


# --- the command -------------------------------------------------------------------------------

PROG = "axhub-orm demo"

DESCRIPTION = """\
Walk the AX Hub quickstart and destructive flow through the ORM: against an embedded emulator
by default, or a real AX Hub with --remote or any of its options (options not given are read
from AXHUB_BASE_URL, AXHUB_TOKEN, AXHUB_TOKEN_TYPE, AXHUB_TENANT_ID, AXHUB_TENANT_SLUG)."""

EPILOG = f"""\
examples:
  axhub-orm demo                          against an embedded emulator, in memory
  axhub-orm demo --keep --db demo.db      keep the app; see it with `axhub-orm serve --db demo.db`
  axhub-orm demo --remote                 against the AX Hub the AXHUB_* variables describe
  axhub-orm demo --base-url https://api.axhub.ai --token-type pat --keep

{EXIT_STATUS_HELP} (1: a step's success assertion failed; the report shows which)"""


def _parser() -> CommandParser:
    parser = CommandParser(PROG, DESCRIPTION, EPILOG)
    parser.add_argument(
        "--remote",
        action="store_true",
        help="run against a real AX Hub configured by the AXHUB_* variables",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the app in place for inspection (prints its id and slug)",
    )
    parser.add_argument(
        "--db",
        type=database_path,
        help="emulator only: an SQLite file instead of memory, so a "
        "--keep app can be inspected later with `axhub-orm serve --db FILE`",
    )
    add_remote_options(parser)
    return parser


def demo(argv: list[str]) -> int:
    """Run ``axhub-orm demo``; 0 if every success assertion held, 1 if not, 2 on usage errors."""
    args = _parser().parse_args(argv)
    remote = args.remote or any(getattr(args, name) for name in REMOTE_OPTIONS)
    if remote:
        return _demo_remote(args)
    return _demo_local(args)


def _demo_local(args: argparse.Namespace) -> int:
    try:
        from ..local import LocalAxHub
    except ImportError as exc:
        print(
            f"axhub-orm demo: the embedded emulator needs the `local` extra "
            f"(pip install 'axhub-orm[local]'): {exc}",
            file=sys.stderr,
        )
        return 2
    names = FlowNames.timestamped() if args.db else FlowNames(slug="demo")
    log = CountingTransport()
    with LocalAxHub(db=args.db) as local:
        print(
            f"AX Hub emulator at {local.base_url} (tenant {local.tenant_slug}, "
            f"token {redacted_token()})\n"
        )
        with local.client(transport=log) as hub:
            results = run_flow(hub, log, names, keep=args.keep)
    if args.keep and not args.db:
        print(
            "note: the embedded emulator kept its state in memory, which ends with this "
            "process; pass --db FILE to inspect a kept app later.\n"
        )
    return _finish(results)


def _demo_remote(args: argparse.Namespace) -> int:
    log = CountingTransport()
    hub = connect_remote(PROG, args, transport=log)
    print(f"AX Hub at {hub.base_url} (tenant {hub.tenant_slug}, token {redacted_token()})\n")
    with hub:
        results = run_flow(hub, log, FlowNames.timestamped(), keep=args.keep)
    return _finish(results)


def _finish(results: Sequence[StepResult]) -> int:
    print(render_report(results))
    print()
    print(_summary(results))
    return 0 if results and all(r.ok for r in results) else 1
