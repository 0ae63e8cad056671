"""Run a command with a throwaway PostgreSQL cluster: ``AXHUB_TEST_POSTGRES`` holds its URL.

Usage::

    python scripts/with_postgres.py .venv/bin/python -m pytest

It finds the machine's PostgreSQL (``pg_config --bindir``, else the newest
``/usr/lib/postgresql/*/bin``), runs ``initdb`` on a temporary directory (as the ``postgres``
user through ``runuser`` when run as root, since ``initdb`` refuses root), starts the server
on a free loopback port with a private socket directory, exports
``AXHUB_TEST_POSTGRES=postgresql://postgres@127.0.0.1:<port>/postgres``, runs the command, and
stops the cluster and deletes its directory whatever the command's outcome. It exits with the
command's status. When ``AXHUB_TEST_POSTGRES`` is already set, that server is used as it is.
Without PostgreSQL it says so and runs the command without the variable (the PostgreSQL tests
then skip, showing why).

The cluster is for tests: ``fsync`` is off (a crash of the machine would lose it; a crash of a
client never does).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV = "AXHUB_TEST_POSTGRES"


def _bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidate = Path(found.stdout.strip())
        if found.returncode == 0 and (candidate / "initdb").exists():
            return candidate
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    return Path(versions[-1]) if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(command: list[str]) -> list[str]:
    """``command`` run as ``postgres`` when we are root (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def cluster(bindir: Path) -> Iterator[str]:
    """A started throwaway cluster's URL; stopped and deleted on exit."""
    folder = Path(tempfile.mkdtemp(prefix="axhub-pg-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off"
        " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    started = False
    try:
        initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
        subprocess.run(
            _as_owner([*initdb, "-E", "UTF8", "--no-sync"]), check=True, stdout=subprocess.DEVNULL
        )
        pg_ctl = [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w"]
        subprocess.run(
            _as_owner([*pg_ctl, "-o", options, "start"]), check=True, stdout=subprocess.DEVNULL
        )
        started = True
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            stop = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            subprocess.run(_as_owner(stop), stdout=subprocess.DEVNULL, check=False)
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> int:
    """Run ``argv`` with a cluster (or without one, saying so); return its exit status."""
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    if os.environ.get(ENV):
        print(f"with_postgres: {ENV} is already set; using that server", flush=True)
        return subprocess.run(argv, check=False).returncode
    bindir = _bindir()
    if bindir is None:
        print(f"with_postgres: no PostgreSQL on this machine; running without {ENV}", flush=True)
        return subprocess.run(argv, check=False).returncode
    with cluster(bindir) as url:
        print(f"with_postgres: PostgreSQL from {bindir} at {url}", flush=True)
        return subprocess.run(argv, env={**os.environ, ENV: url}, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
