"""A lean HTTP/1.1 load generator: raw keep-alive sockets, pre-built requests, minimal parsing.

So that the figures measure the server, the client side of a request is a ``sendall`` of
ready bytes and a read of the status line, headers and body (Content-Length or chunked).
Several connections run in threads of one process (socket calls release the GIL).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

__all__ = ["RawConnection", "requests_per_second"]


class RawConnection:
    """One keep-alive HTTP/1.1 connection to ``base_url`` sending fixed ``headers``."""

    def __init__(self, base_url: str, headers: Mapping[str, str]) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._sock = socket.create_connection((self._host, self._port))
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()

    def request_bytes(self, method: str, target: str, body: bytes = b"") -> bytes:
        """The bytes of one request (build once, send many times)."""
        head = f"{method} {target} HTTP/1.1\r\nHost: {self._host}\r\n{self._headers}"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        return head.encode("latin-1") + b"\r\n" + body

    def send(self, raw: bytes) -> tuple[int, bytes]:
        """Send a prepared request; return ``(status, body)``."""
        self._sock.sendall(raw)
        head = self._read_until(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = None
        chunked = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            return status, self._read_chunked()
        return status, self._read_exactly(length or 0)

    def get(self, target: str) -> tuple[int, bytes]:
        """``GET target``: ``(status, body)``."""
        return self.send(self.request_bytes("GET", target))

    def _fill(self) -> None:
        data = self._sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self._buffer += data

    def _read_until(self, marker: bytes) -> bytes:
        while (index := self._buffer.find(marker)) < 0:
            self._fill()
        found, self._buffer = self._buffer[:index], self._buffer[index + len(marker) :]
        return found

    def _read_exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        found, self._buffer = self._buffer[:size], self._buffer[size:]
        return found

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self._read_until(b"\r\n").split(b";")[0], 16)
            if size == 0:
                self._read_until(b"\r\n")
                return b"".join(parts)
            parts.append(self._read_exactly(size))
            self._read_exactly(2)


def requests_per_second(
    base_url: str, headers: Mapping[str, str], target: str, connections: int, seconds: float
) -> float:
    """Completed ``GET target`` per second over ``connections`` concurrent keep-alive sockets."""
    counts = [0] * connections
    failures: list[BaseException] = []
    start_gate = threading.Barrier(connections + 1)
    stop_at = [0.0]

    def worker(index: int) -> None:
        conn = RawConnection(base_url, headers)
        raw = conn.request_bytes("GET", target)
        try:
            conn.send(raw)  # warm up
            start_gate.wait()
            done = 0
            while time.perf_counter() < stop_at[0]:
                status, _ = conn.send(raw)
                if status != 200:
                    raise RuntimeError(f"GET {target} answered {status}")
                done += 1
            counts[index] = done
        except BaseException as error:  # reported to the caller below
            failures.append(error)
            start_gate.abort()
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + 3600.0
    with contextlib.suppress(threading.BrokenBarrierError):  # a worker failed: raised below
        start_gate.wait()
    begin = time.perf_counter()
    stop_at[0] = begin + seconds
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - begin
    if failures:
        raise failures[0]
    return sum(counts) / elapsed
