"""The emulator in a process of its own, for benchmarks (shared by every section that needs it).

A server that shares the client's process also shares its GIL: its CPU lands in the client's
timings and compresses every ratio toward 1. :func:`emulator_process` starts
``python benchmarks/_emulator.py`` (this file), which serves a fresh :class:`LocalAxHub` on
127.0.0.1, prints its credentials as one JSON line and serves until its stdin closes.

Example::

    with emulator_process() as creds:              # plain HTTP
        hub = AxHub(base_url=creds["base_url"], token=creds["token"], token_type="pat")
    with emulator_process(tls_dir=folder) as creds:  # HTTPS: folder holds cert.pem, key.pem
        ...

``creds`` holds ``base_url``, ``token``, ``tenant_id``, ``tenant_slug``, ``user_id``, the
server's ``pid`` (for :func:`process_cpu` and :func:`process_rss`) and, over HTTPS, ``cafile``
(the certificate to trust).

``src`` serves ``axhub_orm`` from another source tree (an older revision, measured side by side
with this one); ``http``/``loop`` force uvicorn's parser (``h11``, ``httptools``) and event loop
(``asyncio``, ``uvloop``) instead of the fastest installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "client_kwargs",
    "emulator_process",
    "process_cpu",
    "process_rss",
    "self_signed_certificate",
    "serve_forever",
    "tls_available",
]

HERE = Path(__file__).resolve().parent


def serve_forever(tls_dir: str | None = None, extra: dict[str, Any] | None = None) -> None:
    """Run the emulator, print its credentials as one JSON line, serve until stdin closes.

    With ``tls_dir`` (holding ``cert.pem`` and ``key.pem``) it serves HTTPS; ``extra`` are
    further :class:`LocalAxHub` keyword arguments.
    """
    from axhub_orm.local import LocalAxHub

    kwargs: dict[str, Any] = dict(extra or {})
    if tls_dir is not None:
        kwargs["ssl_certfile"] = Path(tls_dir) / "cert.pem"
        kwargs["ssl_keyfile"] = Path(tls_dir) / "key.pem"
    with LocalAxHub(**kwargs) as local:
        creds = {
            "base_url": local.base_url,
            "token": local.token,
            "tenant_id": local.tenant_id,
            "tenant_slug": local.tenant_slug,
            "user_id": local.user_id,
            "pid": os.getpid(),
        }
        if tls_dir is not None:
            creds["cafile"] = str(Path(tls_dir) / "cert.pem")
        print(json.dumps(creds), flush=True)
        sys.stdin.read()


@contextmanager
def emulator_process(
    tls_dir: str | None = None,
    extra: dict[str, Any] | None = None,
    *,
    src: str | Path | None = None,
    http: str | None = None,
    loop: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Start the emulator in a child process and yield its credentials; stop it afterwards."""
    args = [] if tls_dir is None else ["--tls-dir", tls_dir]
    if extra:
        args += ["--extra", json.dumps(extra)]
    args += [
        a for flag, value in (("--http", http), ("--loop", loop)) if value for a in (flag, value)
    ]
    env = dict(os.environ)
    if src is not None:  # ahead of the installed (editable) tree
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH")) if p)
    process = subprocess.Popen(  # noqa: S603  # this file, run by this interpreter
        [sys.executable, str(HERE / "_emulator.py"), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the emulator process exited before printing its credentials")
        yield json.loads(line)
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def client_kwargs(creds: dict[str, str]) -> dict[str, Any]:
    """``AxHub``/``AsyncAxHub`` keyword arguments for the emulator behind ``creds``."""
    return {
        "base_url": creds["base_url"],
        "token": creds["token"],
        "token_type": "pat",
        "tenant_id": creds["tenant_id"],
        "tenant_slug": creds["tenant_slug"],
    }


def tls_available() -> bool:
    """Whether ``openssl`` is on the PATH to make a throwaway certificate."""
    return shutil.which("openssl") is not None


@contextmanager
def self_signed_certificate() -> Iterator[str]:
    """A temporary directory with ``cert.pem``/``key.pem`` for 127.0.0.1 (one-day validity)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is needed for the HTTPS benchmark")
    with tempfile.TemporaryDirectory(prefix="axhub-bench-tls-") as folder:
        command = [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", f"{folder}/key.pem", "-out", f"{folder}/cert.pem",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True)  # noqa: S603  # fixed arguments
        yield folder


def process_rss(pid: int) -> int:
    """The resident set size of process ``pid`` in bytes (Linux ``/proc``; 0 elsewhere)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def process_cpu(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _force_uvicorn(http: str | None, loop: str | None) -> None:
    """Make every ``uvicorn.Config`` default to ``http``/``loop`` (as an older install had)."""
    if http is None and loop is None:
        return
    import uvicorn

    original = uvicorn.Config.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        if http is not None:
            kwargs.setdefault("http", http)
        if loop is not None:
            kwargs.setdefault("loop", loop)
        original(self, *args, **kwargs)

    uvicorn.Config.__init__ = init  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    """Serve until stdin closes (the child side of :func:`emulator_process`)."""
    parser = argparse.ArgumentParser(description="serve the emulator for a benchmark")
    parser.add_argument("--tls-dir", default=None)
    parser.add_argument("--extra", default=None, help="LocalAxHub keyword arguments as JSON")
    parser.add_argument("--http", default=None, help="uvicorn's HTTP parser (h11, httptools)")
    parser.add_argument("--loop", default=None, help="uvicorn's event loop (asyncio, uvloop)")
    args = parser.parse_args(argv)
    _force_uvicorn(args.http, args.loop)
    serve_forever(args.tls_dir, json.loads(args.extra) if args.extra else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
