"""``axhub-orm schema plan | apply MODULE:Model``: ``app.tables.sync`` from the command line."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable

from ..models._sync.app import App
from ..models._typed import RowModel, SchemaPlan
from ._args import EXIT_FAILURE, EXIT_OK, EXIT_STATUS_HELP, CommandParser, UsageError, run_group
from ._connect import CONNECTION_HELP, add_connection_options, open_app

__all__ = ["apply", "load_model", "plan", "schema"]

PROG = "axhub-orm schema"


def load_model(prog: str, reference: str) -> type[RowModel]:
    """The ``RowModel`` subclass ``MODULE:Model`` names (the current directory is importable)."""
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise UsageError(prog, f"{reference!r} is not MODULE:Model (e.g. myapp.models:Ticket)")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            raise UsageError(prog, f"no module named {module_name!r}") from None
        raise UsageError(prog, f"importing {module_name}: {exc}") from None
    except Exception as exc:  # the user's module failed while importing: say how, in one line
        raise UsageError(prog, f"importing {module_name}: {type(exc).__name__}: {exc}") from None
    model = getattr(module, attribute, None)
    if model is None:
        raise UsageError(prog, f"module {module_name!r} has no {attribute!r}")
    if not (isinstance(model, type) and issubclass(model, RowModel)) or model is RowModel:
        raise UsageError(prog, f"{reference} is not a RowModel subclass")
    return model


def _parser(verb: str, description: str, epilog: str) -> CommandParser:
    parser = CommandParser(f"{PROG} {verb}", description, epilog)
    parser.add_argument(
        "model", metavar="MODULE:Model", help="a RowModel, e.g. myapp.models:Ticket"
    )
    parser.add_argument("--name", help="the table name (default: the model's __table_name__)")
    parser.add_argument("--owner-column", metavar="COLUMN", help="owner column if one is created")
    parser.add_argument(
        "--drop", action="store_true", help="also drop server columns the model lacks"
    )
    add_connection_options(parser)
    return parser


def _sync(
    parser: CommandParser, argv: list[str], run: Callable[[App, dict[str, object]], int]
) -> int:
    args = parser.parse_args(argv)
    model = load_model(parser.prog, args.model)
    options: dict[str, object] = {
        "model": model,
        "name": args.name,
        "owner_column": args.owner_column,
        "drop": args.drop,
    }
    with open_app(parser.prog, args) as app:
        return run(app, options)


PLAN_EPILOG = f"""\
Prints what `schema apply` would do: create the table, add columns, drop columns (with --drop),
and conflicts (a type or nullability the server has differently; never applied). Only GETs are
sent. Exit status 1 when there are conflicts.

examples:
  axhub-orm schema plan myapp.models:Ticket --app crm
  axhub-orm schema plan myapp.models:Ticket --app crm --db hub.db --drop

{CONNECTION_HELP}

{EXIT_STATUS_HELP}"""


def _print_plan(plan: SchemaPlan) -> int:
    print(plan)
    return EXIT_FAILURE if plan.conflicts else EXIT_OK


def plan(argv: list[str]) -> int:
    """``axhub-orm schema plan MODULE:Model --app APP``: the sync plan; nothing mutating sent."""
    parser = _parser("plan", "Show the schema plan for a RowModel's table.", PLAN_EPILOG)
    return _sync(parser, argv, lambda app, options: _print_plan(_dry_run(app, options)))


def _dry_run(app: App, options: dict[str, object]) -> SchemaPlan:
    return app.tables.sync(**options, dry_run=True)  # type: ignore[arg-type]


APPLY_EPILOG = f"""\
Creates the table or adds the missing columns (drops extra ones only with --drop). A plan with
conflicts is refused as a whole: the plan is printed, nothing is changed, and the exit status
is 1.

examples:
  axhub-orm schema apply myapp.models:Ticket --app crm
  axhub-orm schema apply myapp.models:Ticket --app crm --owner-column owner_id

{CONNECTION_HELP}

{EXIT_STATUS_HELP}"""


def _apply(app: App, options: dict[str, object]) -> int:
    planned = _dry_run(app, options)
    if planned.conflicts:
        print(planned)
        print(
            f"{PROG} apply: refused: the plan has conflicts; nothing was changed", file=sys.stderr
        )
        return EXIT_FAILURE
    if planned.is_empty:
        return _print_plan(planned)
    return _print_plan(app.tables.sync(**options))  # type: ignore[arg-type]


def apply(argv: list[str]) -> int:
    """``axhub-orm schema apply MODULE:Model --app APP``: apply the plan unless it has conflicts."""
    parser = _parser("apply", "Create or migrate a RowModel's table.", APPLY_EPILOG)
    return _sync(parser, argv, _apply)


DESCRIPTION = "A RowModel's table, planned and applied (app.tables.sync) from the command line."

EPILOG = """\
examples:
  axhub-orm schema plan myapp.models:Ticket --app crm
  axhub-orm schema apply myapp.models:Ticket --app crm --owner-column owner_id"""

COMMANDS = {
    "plan": ("print the plan: create, add, drop, conflicts (only GETs sent)", plan),
    "apply": ("apply the plan; refused if it has conflicts", apply),
}


def schema(argv: list[str]) -> int:
    """Dispatch ``axhub-orm schema <command>``."""
    return run_group(PROG, DESCRIPTION, COMMANDS, argv, EPILOG)
