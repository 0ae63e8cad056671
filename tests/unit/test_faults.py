"""The real clients (sync and async) against small loopback fake servers that misbehave.

Each scenario asserts the error class, ``code``, ``retryable``, ``request_sent``, the elapsed
time against the per-attempt deadline, and how many requests the server received (a POST is
never sent twice); a DEBUG-logging check proves no token (PAT or JWT) leaks anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import httpcore
import httpx
import pytest

from axhub_orm import (
    AsyncAxHub,
    AuthenticationError,
    AxHub,
    AxHubError,
    ConnectError,
    InternalError,
    RateLimitError,
    RequestTimeoutError,
    TokenType,
    TransportError,
    UnavailableError,
)
from axhub_orm._deadline import attempt
from axhub_orm._http import request_was_sent
from axhub_orm._sync._network import DeadlineStream

PAT = "axhub_pat_0123456789abcdef0123456789abcdef"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLXNlY3JldA"
BUDGET = 0.5
"""The per-attempt deadline of every client here, in seconds."""
SLACK = 1.5
"""How far past the deadline a call may end on a loaded machine (2 cores, many processes)."""

Behavior = Callable[[socket.socket, "FakeServer"], None]


def read_request(conn: socket.socket) -> bytes:
    """Read one HTTP/1.1 request (head and Content-Length body) and return its head."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head


def reset(conn: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER 0) instead of an orderly FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


class FakeServer:
    """A loopback TCP server that runs ``behavior`` on each connection and counts requests."""

    def __init__(self, behavior: Behavior) -> None:
        self.behavior = behavior
        self.requests: list[bytes] = []
        self.stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._run, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            self.behavior(conn, self)

    def receive(self, conn: socket.socket) -> bytes:
        """Read one request and count it."""
        head = read_request(conn)
        if head:
            self.requests.append(head)
        return head

    def close(self) -> None:
        """Stop accepting and wait for the connection threads."""
        self.stop.set()
        self._thread.join()
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=2)


@contextlib.contextmanager
def serve(behavior: Behavior) -> Iterator[FakeServer]:
    """Run a fake server for the duration of the block."""
    server = FakeServer(behavior)
    try:
        yield server
    finally:
        server.close()


def respond(raw: bytes) -> Behavior:
    """A behavior: read the request, send ``raw`` verbatim, close."""

    def behavior(conn: socket.socket, server: FakeServer) -> None:
        server.receive(conn)
        conn.sendall(raw)

    return behavior


def http(status: str, body: bytes, *headers: str) -> bytes:
    """A complete HTTP/1.1 response with a Content-Length and ``Connection: close``."""
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def reset_before_body(conn: socket.socket, server: FakeServer) -> None:
    """Read the request, then reset the connection before any answer."""
    server.receive(conn)
    reset(conn)


def reset_mid_body(conn: socket.socket, server: FakeServer) -> None:
    """Answer a head and half the body, then reset the connection."""
    server.receive(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n" + b'{"user": {"id": ')
    time.sleep(0.05)
    reset(conn)


def truncated_body(conn: socket.socket, server: FakeServer) -> None:
    """Announce 40 bytes of JSON, send 16, then close in order."""
    server.receive(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n" + b'{"user": {"id": ')


def hang(conn: socket.socket, server: FakeServer) -> None:
    """Read the request and never answer."""
    server.receive(conn)
    server.stop.wait(10)


def drip(conn: socket.socket, server: FakeServer) -> None:
    """Answer one byte every 0.1 s: each read succeeds, the whole answer takes 10 s."""
    server.receive(conn)
    body = b'{"user": {"id": "u1", "name": "' + b"x" * 20 + b'"}}'
    raw = http("200 OK", body, "Content-Type: application/json")
    for byte in raw:
        if server.stop.wait(0.1):
            return
        conn.sendall(bytes([byte]))


def refused_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def make_kwargs(base_url: str, token: str, **extra: Any) -> dict[str, Any]:
    """Client settings: the given token, a short deadline, retries that wait little."""
    kind = TokenType.JWT if token.startswith("eyJ") else TokenType.PAT
    settings: dict[str, Any] = {
        "base_url": base_url,
        "token": token,
        "token_type": kind,
        "tenant_id": "t1",
        "timeout": BUDGET,
        "max_retry_wait": 0.0,
    }
    settings.update(extra)
    return settings


GET = ("authGetApiV1Me", {}, None)
POST = ("appsPostApiV1TenantsByTenantIDApps", {"tenantID": "t1"}, {"slug": "s", "name": "n"})


def call(mode: str, settings: dict[str, Any], op: tuple[str, dict[str, str], Any]) -> Any:
    """Send one operation with a sync or async client; return the result or the error."""
    operation_id, path_params, body = op
    try:
        if mode == "sync":
            with AxHub(**settings) as hub:
                return hub.request(operation_id, path_params=path_params, body=body)

        async def run() -> Any:
            async with AsyncAxHub(**settings) as hub:
                return await hub.request(operation_id, path_params=path_params, body=body)

        return asyncio.run(run())
    except AxHubError as exc:
        return exc


MODES = ["sync", "async"]


def timed(mode: str, settings: dict[str, Any], op: tuple[str, dict[str, str], Any]) -> Any:
    """``call`` plus the elapsed seconds."""
    start = time.monotonic()
    result = call(mode, settings, op)
    return result, time.monotonic() - start


@pytest.mark.parametrize("mode", MODES)
def test_refused_connection_is_not_sent_and_retryable_even_for_post(mode: str) -> None:
    """A refused connection sent nothing: ConnectError, request_sent False, retryable for a POST."""
    err = call(mode, make_kwargs(refused_url(), PAT), POST)
    assert type(err) is ConnectError
    assert (err.code, err.request_sent, err.retryable, err.status) == (
        "connection_error",
        False,
        True,
        None,
    )
    assert "was not sent" in err.message and "not sent" in str(err)


@pytest.mark.parametrize("mode", MODES)
def test_reset_after_the_request_is_sent_and_a_post_not_retryable(mode: str) -> None:
    """A reset after the server read the whole POST says 'sent', is not retryable, nor resent."""
    with serve(reset_before_body) as server:
        err = call(mode, make_kwargs(server.url, PAT), POST)
    assert isinstance(err, ConnectError)
    assert (err.code, err.request_sent, err.retryable) == ("connection_error", True, False)
    assert "sent, no answer" in str(err) and "may have applied it" in err.message
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_reset_after_a_get_is_sent_and_retryable(mode: str) -> None:
    """A GET answered by a reset was sent, but retrying it cannot duplicate a write."""
    with serve(reset_before_body) as server:
        err = call(mode, make_kwargs(server.url, PAT), GET)
    assert isinstance(err, ConnectError)
    assert (err.request_sent, err.retryable) == (True, True)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("behavior", [reset_mid_body, truncated_body])
def test_answer_cut_in_the_body_is_sent_no_answer(mode: str, behavior: Behavior) -> None:
    """An answer cut short in its body (reset or early close) is a sent, non-retryable POST."""
    with serve(behavior) as server:
        err = call(mode, make_kwargs(server.url, PAT), POST)
    assert isinstance(err, ConnectError)
    assert (err.request_sent, err.retryable) == (True, False)
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_truncated_json_in_a_complete_answer_is_invalid_response(mode: str) -> None:
    """A complete 200 whose JSON is cut short is InternalError invalid_response with its status."""
    raw = http("200 OK", b'{"user": {"id": ', "Content-Type: application/json")
    with serve(respond(raw)) as server:
        err = call(mode, make_kwargs(server.url, PAT), GET)
    assert type(err) is InternalError
    assert (err.code, err.status) == ("invalid_response", 200)


@pytest.mark.parametrize("mode", MODES)
def test_html_502_is_a_retryable_unavailable_error(mode: str) -> None:
    """A gateway's HTML 502 page is UnavailableError http_502, retryable."""
    raw = http(
        "502 Bad Gateway", b"<html><body>Bad Gateway</body></html>", "Content-Type: text/html"
    )
    with serve(respond(raw)) as server:
        err = call(mode, make_kwargs(server.url, PAT), POST)
    assert type(err) is UnavailableError
    assert (err.code, err.status, err.retryable) == ("http_502", 502, True)
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_dripping_server_ends_at_the_deadline(mode: str) -> None:
    """A server dripping a byte every 0.1 s cannot keep a call past its per-attempt deadline."""
    with serve(drip) as server:
        err, elapsed = timed(mode, make_kwargs(server.url, PAT), POST)
    assert type(err) is RequestTimeoutError
    assert (err.code, err.request_sent, err.retryable) == ("timeout", True, False)
    assert BUDGET - 0.05 <= elapsed < BUDGET + SLACK
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_hanging_server_ends_at_the_deadline(mode: str) -> None:
    """A server that never answers ends the call at its deadline: sent, a GET retryable."""
    with serve(hang) as server:
        err, elapsed = timed(mode, make_kwargs(server.url, PAT), GET)
    assert type(err) is RequestTimeoutError
    assert (err.request_sent, err.retryable) == (True, True)
    assert "timeout=0.5 s" in err.message
    assert BUDGET - 0.05 <= elapsed < BUDGET + SLACK


def rate_limited_then_ok(*headers: str, body: bytes = b"{}") -> Behavior:
    """Answer the first request with a 429 (given headers and body), the next with 200."""

    def behavior(conn: socket.socket, server: FakeServer) -> None:
        server.receive(conn)
        if len(server.requests) == 1:
            conn.sendall(http("429 Too Many Requests", body, *headers))
        else:
            conn.sendall(http("200 OK", b'{"user": {"id": "u1"}}'))

    return behavior


PAST = format_datetime(datetime.now(timezone.utc) - timedelta(hours=1), usegmt=True)
RETRY_FORMS = {
    "seconds": (("Retry-After: 0",), b"{}", 0.0),
    "http-date in the past": ((f"Retry-After: {PAST}",), b"{}", 0.0),
    "body after_ms": ((), b'{"error": {"retry": {"after_ms": 0}}}', 0.0),
    "absent": ((), b"{}", 0.3),
    "garbage": (("Retry-After: soon",), b"{}", 0.3),
    "negative": (("Retry-After: -5",), b"{}", 0.3),
    "body NaN": ((), b'{"error": {"retry": {"after_ms": NaN}}}', 0.3),
    "body negative": ((), b'{"error": {"retry": {"after_ms": -100}}}', 0.3),
    "body Infinity": ((), b'{"error": {"retry": {"after_ms": Infinity}}}', 0.3),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("form", list(RETRY_FORMS))
def test_429_every_retry_after_form_waits_a_bounded_valid_time(mode: str, form: str) -> None:
    """Every Retry-After form waits a valid time: its own, else the default capped at 0.3 s."""
    headers, body, expected = RETRY_FORMS[form]
    with serve(rate_limited_then_ok(*headers, body=body)) as server:
        result, elapsed = timed(mode, make_kwargs(server.url, PAT, max_retry_wait=0.3), GET)
    assert result == {"user": {"id": "u1"}}
    assert len(server.requests) == 2
    assert expected <= elapsed < expected + SLACK


@pytest.mark.parametrize("mode", MODES)
def test_429_exhausted_is_a_retryable_rate_limit_error(mode: str) -> None:
    """Three 429s give RateLimitError, retryable, after exactly three requests."""
    raw = http("429 Too Many Requests", b'{"error": {"code": "rate_limited"}}', "Retry-After: 0")
    with serve(respond(raw)) as server:
        err = call(mode, make_kwargs(server.url, PAT), POST)
    assert type(err) is RateLimitError
    assert (err.code, err.retryable, err.status) == ("rate_limited", True, 429)
    assert len(server.requests) == 3


def echo_token(conn: socket.socket, server: FakeServer) -> None:
    """A 401 whose message, fields and details echo the token the client sent."""
    head = server.receive(conn).decode()
    token = next(
        line.split(":", 1)[1].strip().removeprefix("Bearer ")
        for line in head.split("\r\n")
        if line.lower().startswith(("x-api-key:", "authorization:"))
    )
    error = {
        "code": "token_invalid",
        "message": f"bad token {token}",
        "request_id": f"r-{token}",
        "fields": [{"name": "token", "code": "invalid", "message": token}],
        "doc_url": f"https://x/{token}",
    }
    body = json.dumps({"error": error}).encode()
    conn.sendall(http("401 Unauthorized", body, "Content-Type: application/json"))


SCENARIOS: dict[str, tuple[Behavior | None, tuple[str, dict[str, str], Any]]] = {
    "refused": (None, POST),
    "reset before the answer": (reset_before_body, POST),
    "reset mid body": (reset_mid_body, GET),
    "truncated body": (truncated_body, POST),
    "html 502": (respond(http("502 Bad Gateway", b"<html>x</html>")), GET),
    "drip": (drip, GET),
    "hang": (hang, POST),
    "429": (respond(http("429 Too Many Requests", b"{}", "Retry-After: 0")), GET),
    "token echoed": (echo_token, GET),
}


@pytest.mark.parametrize("token", [PAT, JWT], ids=["pat", "jwt"])
@pytest.mark.parametrize("mode", MODES)
def test_no_token_in_logs_errors_reprs_or_vars(
    mode: str, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    """At DEBUG, no PAT or JWT appears in any log record, or error text, repr or vars()."""
    errors: list[AxHubError] = []
    with contextlib.ExitStack() as stack:
        for name in ("axhub_orm", "httpx", "httpcore"):
            stack.enter_context(caplog.at_level(logging.DEBUG, logger=name))
        for behavior, op in SCENARIOS.values():
            if behavior is None:
                errors.append(call(mode, make_kwargs(refused_url(), token), op))
                continue
            with serve(behavior) as server:
                errors.append(call(mode, make_kwargs(server.url, token), op))
    assert all(isinstance(e, AxHubError) for e in errors)
    assert any(isinstance(e, TransportError) for e in errors)
    echoed = errors[-1]
    assert isinstance(echoed, AuthenticationError) and "***REDACTED***" in echoed.message
    assert caplog.records, "DEBUG logging captured nothing"
    for record in caplog.records:
        assert token not in record.getMessage()
        assert token not in str(record.args)
    for err in errors:
        for text in (str(err), repr(err), repr(vars(err)), repr(err.args)):
            assert token not in text


def test_a_write_refused_for_want_of_time_is_not_sent() -> None:
    """On a reused connection, a write the deadline forbids never starts: request_sent is False."""
    stream = DeadlineStream(httpcore.MockStream([]))
    with attempt(0.0) as state:
        time.sleep(0.001)
        with pytest.raises(httpcore.WriteTimeout):
            stream.write(b"POST / HTTP/1.1\r\n\r\n")
    exc = httpx.WriteTimeout("the attempt's deadline passed")
    assert (state.tracked, state.wrote, request_was_sent(exc, state)) == (True, False, False)
