"""``axhub-orm serve``: run the emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import errno
import shlex
import signal
import sqlite3
import threading
import time
from types import FrameType

from .._cli import CommandParser, UsageError, database_path, port_number
from .._cli._args import EXIT_STATUS_HELP
from ._server import LocalAxHub

__all__ = ["export_lines", "serve"]

PROG = "axhub-orm serve"

EPILOG = f"""\
examples:
  axhub-orm serve                         in memory, on 127.0.0.1:8765
  axhub-orm serve --port 0 --db hub.db    any free port; state (tokens too) kept in hub.db
  axhub-orm serve --store postgresql://me@localhost/hub --schema demo    state in PostgreSQL
  axhub-orm serve --rate-limit 5          answer 429 above 5 requests per second
  axhub-orm serve --ssl-certfile cert.pem --ssl-keyfile key.pem     serve HTTPS

It prints `export AXHUB_...` lines: paste them into another shell and AxHub.from_env(),
`axhub-orm rows ...` and `axhub-orm demo --remote` talk to this emulator.

{EXIT_STATUS_HELP}"""


def _parser() -> CommandParser:
    parser = CommandParser(PROG, "Run a local AX Hub emulator in the foreground.", EPILOG)
    parser.add_argument(
        "--db",
        metavar="PATH",
        type=database_path,
        help="SQLite file for the state (default: memory)",
    )
    parser.add_argument(
        "--store",
        metavar="URL",
        help="keep the state in PostgreSQL instead: postgresql://user@host:port/db",
    )
    parser.add_argument(
        "--schema",
        metavar="NAME",
        help="with --store: the schema to keep the state in (default: a new one, dropped on exit)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=port_number, default=8765, help="port to bind (default 8765; 0: any free)"
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=None,
        metavar="N",
        help="answer 429 above N requests per second (default: unlimited)",
    )
    parser.add_argument("--ssl-certfile", metavar="PEM", help="serve HTTPS with this certificate")
    parser.add_argument("--ssl-keyfile", metavar="PEM", help="the certificate's private key")
    return parser


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _where(local: LocalAxHub) -> str:
    """Where the state is kept (never the PostgreSQL URL: it may hold a password)."""
    if local.store is not None:
        return f"PostgreSQL, schema {local.store_schema}"
    return str(local.db or ":memory:")


def export_lines(local: LocalAxHub) -> list[str]:
    """``export AXHUB_...=...`` lines (shell-quoted) that point a client at ``local``."""
    settings = {
        "AXHUB_BASE_URL": local.base_url,
        "AXHUB_TOKEN": local.token,
        "AXHUB_TOKEN_TYPE": "pat",
        "AXHUB_TENANT_ID": local.tenant_id,
        "AXHUB_TENANT_SLUG": local.tenant_slug,
    }
    return [f"export {name}={shlex.quote(value)}" for name, value in settings.items()]


def _start(local: LocalAxHub, host: str, port: int) -> None:
    """Start ``local``; a busy port, an unusable address or a bad db is a usage error."""
    try:
        local.start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            message = f"port {port} on {host} is in use (--port 0: any free port)"
            raise UsageError(PROG, message) from None
        reason = exc.strerror or str(exc)
        raise UsageError(PROG, f"cannot listen on {host}:{port}: {reason}") from None
    except sqlite3.Error as exc:
        raise UsageError(PROG, f"cannot open --db {local.db}: {exc}") from None


def _check(parser: CommandParser, args: object) -> None:
    """The option combinations argparse cannot express."""
    rate_limit = getattr(args, "rate_limit", None)
    if rate_limit is not None and rate_limit <= 0:
        parser.fail("--rate-limit must be positive")
    if (getattr(args, "ssl_certfile", None) is None) != (
        getattr(args, "ssl_keyfile", None) is None
    ):
        parser.fail("--ssl-certfile and --ssl-keyfile go together")
    if getattr(args, "db", None) is not None and getattr(args, "store", None) is not None:
        parser.fail("--db (SQLite) and --store (PostgreSQL) exclude each other")
    if getattr(args, "schema", None) is not None and getattr(args, "store", None) is None:
        parser.fail("--schema goes with --store")


def serve(argv: list[str] | None = None) -> int:
    """Run the emulator in the foreground until Ctrl-C (or SIGTERM); 0 when stopped.

    Options: ``[--db PATH | --store postgresql://… [--schema NAME]] [--host H] [--port N]
    [--rate-limit N]``, and ``--ssl-certfile PEM --ssl-keyfile PEM`` to serve HTTPS. Usage
    errors raise ``UsageError`` (one line, exit status 2).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    _check(parser, args)
    local = LocalAxHub(
        db=args.db,
        store=args.store,
        schema=args.schema,
        rate_limit=args.rate_limit,
        host=args.host,
        port=args.port,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main else None
    try:
        _start(local, args.host, args.port)
        print(f"AX Hub emulator running on {local.base_url}", flush=True)
        print(f"  database: {_where(local)}", flush=True)
        print(f"  user id:  {local.user_id}", flush=True)
        print("Point AxHub.from_env() and `axhub-orm rows` at it (development PAT):", flush=True)
        print("\n".join(export_lines(local)), flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        while True:
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("Stopping.", flush=True)
    finally:
        local.stop()
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    return 0
