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

``creds`` holds ``base_url``, ``token``, ``tenant_id``, ``tenant_slug``, ``user_id`` and, over
HTTPS, ``cafile`` (the certificate to trust).
"""

from __future__ import annotations

import argparse
import json
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
        }
        if tls_dir is not None:
            creds["cafile"] = str(Path(tls_dir) / "cert.pem")
        print(json.dumps(creds), flush=True)
        sys.stdin.read()


@contextmanager
def emulator_process(
    tls_dir: str | None = None, extra: dict[str, Any] | None = None
) -> Iterator[dict[str, str]]:
    """Start the emulator in a child process and yield its credentials; stop it afterwards."""
    args = [] if tls_dir is None else ["--tls-dir", tls_dir]
    if extra:
        args += ["--extra", json.dumps(extra)]
    process = subprocess.Popen(  # noqa: S603  # this file, run by this interpreter
        [sys.executable, str(HERE / "_emulator.py"), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
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


def main(argv: list[str] | None = None) -> int:
    """Serve until stdin closes (the child side of :func:`emulator_process`)."""
    parser = argparse.ArgumentParser(description="serve the emulator for a benchmark")
    parser.add_argument("--tls-dir", default=None)
    parser.add_argument("--extra", default=None, help="LocalAxHub keyword arguments as JSON")
    args = parser.parse_args(argv)
    serve_forever(args.tls_dir, json.loads(args.extra) if args.extra else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
