"""A loopback TCP proxy that adds a fixed round-trip time, in a process of its own.

Loopback answers in microseconds, which hides what a connection per request costs against a
real server tens of milliseconds away. This proxy forwards bytes both ways, each chunk delayed
by half the round trip (order kept), and holds a new connection's first bytes for one extra
round trip, as the TCP handshake would (the client's ``connect()`` to the proxy returns at once).
TLS passes through untouched, so its handshake pays its round trips too.

Example::

    with emulator_process() as creds, delay_proxy(creds["base_url"], rtt_ms=20) as base_url:
        hub = AxHub(base_url=base_url, ...)   # every exchange now takes >= 20 ms

``python benchmarks/_delay_proxy.py --target 127.0.0.1:8000 --rtt-ms 20`` runs it in the
foreground, printing the port it listens on; it stops when its stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

__all__ = ["delay_proxy", "serve"]

HERE = Path(__file__).resolve().parent
CHUNK = 65536


async def _pump(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float, ready: float
) -> None:
    """Copy ``reader`` to ``writer``, each chunk ``delay`` seconds late, none before ``ready``."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                with contextlib.suppress(OSError):
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(deliver())
    try:
        while True:
            data = await reader.read(CHUNK)
            queue.put_nowait((max(loop.time(), ready) + delay, data))
            if not data:
                break
        await sender
    except (ConnectionError, OSError):
        sender.cancel()


async def _handle(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    host: str,
    port: int,
    delay: float,
) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.time() + 2 * delay  # the handshake's round trip before the first byte
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
    except OSError:
        client_writer.close()
        return
    try:
        await asyncio.gather(
            _pump(client_reader, upstream_writer, delay, ready),
            _pump(upstream_reader, client_writer, delay, ready),
        )
    finally:
        for writer in (client_writer, upstream_writer):
            with contextlib.suppress(OSError):
                writer.close()


async def _serve(host: str, port: int, rtt: float) -> None:
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, host, port, rtt / 2), "127.0.0.1", 0
    )
    listening = server.sockets[0].getsockname()[1]
    print(listening, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # serve until stdin closes
    server.close()
    os._exit(0)  # open connections die with the process; nothing to flush or report


def serve(target: str, rtt_ms: float) -> None:
    """Forward 127.0.0.1:<printed port> to ``target`` (``host:port``) with ``rtt_ms`` added."""
    host, _, port = target.rpartition(":")
    asyncio.run(_serve(host, int(port), rtt_ms / 1000))


@contextmanager
def delay_proxy(base_url: str, rtt_ms: float = 20.0) -> Iterator[str]:
    """Start a proxy to ``base_url``'s server in a child process; yield the base URL through it.

    The scheme and path are kept (an ``https://`` URL stays ``https://127.0.0.1:<port>``, which
    a certificate for 127.0.0.1 still matches).
    """
    parts = urlsplit(base_url)
    target = f"{parts.hostname}:{parts.port}"
    command = [sys.executable, str(HERE / "_delay_proxy.py"), "--target", target]
    process = subprocess.Popen(  # noqa: S603  # this file, run by this interpreter
        [*command, "--rtt-ms", str(rtt_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        if not line.strip():
            raise RuntimeError("the delay proxy exited before printing its port")
        netloc = f"127.0.0.1:{int(line)}"
        yield urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def main(argv: list[str] | None = None) -> int:
    """Run the proxy in the foreground."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True, help="host:port to forward to")
    parser.add_argument("--rtt-ms", type=float, default=20.0, help="round trip to add (ms)")
    args = parser.parse_args(argv)
    serve(args.target, args.rtt_ms)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
