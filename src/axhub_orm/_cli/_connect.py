"""Connection options shared by the commands: a real AX Hub (``AXHUB_*``) or an emulator file."""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from .._errors import ValidationError
from .._sync._client import AxHub
from ..models._sync.app import App
from ._args import CommandError, CommandParser, UsageError, database_path

__all__ = [
    "CONNECTION_HELP",
    "REMOTE_OPTIONS",
    "add_connection_options",
    "connect_remote",
    "missing_settings",
    "open_app",
]

REMOTE_OPTIONS = ("base_url", "token", "token_type", "tenant_id", "tenant_slug")
_REQUIRED = (
    ("token", "AXHUB_TOKEN"),
    ("token_type", "AXHUB_TOKEN_TYPE"),
    ("tenant_id", "AXHUB_TENANT_ID"),
    ("tenant_slug", "AXHUB_TENANT_SLUG"),
)

CONNECTION_HELP = """\
connection: a real AX Hub from the AXHUB_BASE_URL, AXHUB_TOKEN, AXHUB_TOKEN_TYPE, AXHUB_TENANT_ID
and AXHUB_TENANT_SLUG variables (an option wins over its variable; `axhub-orm serve` prints
them), or a local emulator's SQLite file with --db."""


def add_remote_options(parser: argparse.ArgumentParser) -> None:
    """``--base-url --token --token-type --tenant-id --tenant-slug`` (the ``AXHUB_*`` settings)."""
    group = parser.add_argument_group("a real AX Hub (each defaults to its AXHUB_* variable)")
    group.add_argument("--base-url", help="AX Hub base URL (e.g. https://api.axhub.ai)")
    group.add_argument("--token", help="a PAT or JWT (never printed)")
    group.add_argument(
        "--token-type",
        choices=["pat", "jwt", "PAT", "JWT"],
        help="PAT (sent as X-Api-Key) or JWT (Authorization: Bearer)",
    )
    group.add_argument("--tenant-id", help="the tenant's UUID")
    group.add_argument("--tenant-slug", help="the tenant's slug (used by the row routes)")


def add_connection_options(parser: CommandParser) -> None:
    """``--app`` (required), ``--db``, and the options of a real AX Hub."""
    parser.add_argument("--app", required=True, metavar="SLUG_OR_ID", help="the app (slug or id)")
    parser.add_argument(
        "--db",
        metavar="PATH",
        type=database_path,
        help="use a local emulator's SQLite file (as `axhub-orm serve --db PATH` keeps it)",
    )
    add_remote_options(parser)


def missing_settings(overrides: dict[str, str]) -> list[str]:
    """The settings a real AX Hub needs that neither an option nor a variable gives."""
    return [
        f"--{name.replace('_', '-')} (or {variable})"
        for name, variable in _REQUIRED
        if not overrides.get(name) and not os.environ.get(variable)
    ]


def connect_remote(prog: str, args: argparse.Namespace, **client_options: object) -> AxHub:
    """A client for the real AX Hub the options and ``AXHUB_*`` variables describe."""
    overrides = {name: getattr(args, name) for name in REMOTE_OPTIONS if getattr(args, name)}
    missing = missing_settings(overrides)
    if missing:
        raise UsageError(prog, f"a real AX Hub needs {'; '.join(missing)}")
    try:
        return AxHub.from_env(**overrides, **client_options)
    except ValidationError as exc:
        raise UsageError(prog, str(exc)) from None


def find_app(prog: str, hub: AxHub, slug_or_id: str) -> App:
    """The app with this id or slug (one GET for an id, the app list for a slug)."""
    try:
        uuid.UUID(slug_or_id)
    except ValueError:
        apps = hub.apps.list()
        for app in apps:
            if app.slug == slug_or_id:
                return app
        known = ", ".join(sorted(app.slug for app in apps)) or "none"
        raise CommandError(prog, f"no app {slug_or_id!r} in this tenant (apps: {known})") from None
    return hub.apps.get(slug_or_id)


@contextmanager
def open_app(prog: str, args: argparse.Namespace) -> Iterator[App]:
    """The ``--app`` of the emulator file ``--db``, or of the real AX Hub the options give."""
    if args.db is None:
        with connect_remote(prog, args) as hub:
            yield find_app(prog, hub, args.app)
        return
    from ..local import LocalAxHub

    with LocalAxHub(db=args.db) as local, local.client() as hub:
        yield find_app(prog, hub, args.app)
