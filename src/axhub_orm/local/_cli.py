"""``axhub-orm serve``: run the emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import threading
import time
from types import FrameType

from ._server import LocalAxHub

__all__ = ["serve"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="axhub-orm serve", description="Run a local AX Hub emulator."
    )
    parser.add_argument("--db", metavar="PATH", help="SQLite file for the state (default: memory)")
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
    parser.add_argument("--port", type=int, default=8765, help="port to bind (0: any free port)")
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


def serve(argv: list[str] | None = None) -> int:
    """Run the emulator in the foreground until Ctrl-C.

    Options: ``[--db PATH | --store postgresql://… [--schema NAME]] [--host H] [--port N]
    [--rate-limit N]``, and ``--ssl-certfile PEM --ssl-keyfile PEM`` to serve HTTPS.
    """
    args = _parser().parse_args(argv)
    if args.rate_limit is not None and args.rate_limit <= 0:
        _parser().error("--rate-limit must be positive")
    if (args.ssl_certfile is None) != (args.ssl_keyfile is None):
        _parser().error("--ssl-certfile and --ssl-keyfile go together")
    if args.db is not None and args.store is not None:
        _parser().error("--db (SQLite) and --store (PostgreSQL) exclude each other")
    if args.schema is not None and args.store is None:
        _parser().error("--schema goes with --store")
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
        local.start()
        print(f"AX Hub emulator running on {local.base_url}", flush=True)
        print(f"  base_url:    {local.base_url}", flush=True)
        print(f"  tenant_id:   {local.tenant_id}", flush=True)
        print(f"  tenant_slug: {local.tenant_slug}", flush=True)
        print(f"  user_id:     {local.user_id}", flush=True)
        print(f"  token:       {local.token}   (development PAT, send as X-Api-Key)", flush=True)
        print(f"  database:    {_where(local)}", flush=True)
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
