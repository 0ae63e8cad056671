"""The emulator's ASGI application: routing by the generated route table, auth, rate limit."""

from __future__ import annotations

import json
import logging
import math
import os
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from .._resolve import resolve
from .._routes import ROUTES
from ._context import Ctx, Handler, Reply, is_uuid
from ._errors import ApiError
from ._handlers_apps import HANDLERS as APP_HANDLERS
from ._handlers_data import HANDLERS as DATA_HANDLERS
from ._jsonb import RawJson
from ._policy import POLICY, authorize
from ._store import Store

__all__ = ["HANDLERS", "EmulatorApp", "RateLimiter"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

HANDLERS: Mapping[str, Handler] = {**APP_HANDLERS, **DATA_HANDLERS}
_unknown = set(HANDLERS) - set(ROUTES)
if _unknown:  # pragma: no cover - a programming error caught at import
    raise RuntimeError(f"handlers for unknown operations: {sorted(_unknown)}")
if set(POLICY) != set(HANDLERS):  # pragma: no cover - every handler needs exactly one rule
    raise RuntimeError(f"policy/handler mismatch: {sorted(set(POLICY) ^ set(HANDLERS))}")

MAX_BODY = 1024 * 1024
_UUID_PARAMS = ("tenantID", "appID")
_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")
_log = logging.getLogger("axhub_orm.local")


class RateLimiter:
    """A token bucket: ``rate`` requests per second, bursts of up to ``max(1, rate)``."""

    def __init__(self, rate: float) -> None:
        if not rate > 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._tokens = self.capacity
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take a token: 0.0 when allowed, else the seconds to wait before the next one."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate


@dataclass
class _Request:
    method: str
    raw_path: bytes
    query_string: bytes
    headers: dict[str, str]
    body: bytes
    too_large: bool = False


class EmulatorApp:
    """The AX Hub emulator as a plain ASGI 3 application over a :class:`Store`.

    ``rate_limit`` (requests per second, all clients together) turns on 429 answers.
    """

    def __init__(self, store: Store, rate_limit: float | None = None) -> None:
        self.store = store
        self.limiter = RateLimiter(rate_limit) if rate_limit else None

    def __repr__(self) -> str:
        return f"EmulatorApp(store={self.store!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = await _read_request(scope, receive)
        if request is None:  # the client left before its body arrived whole (§13.26)
            return
        status, headers, body = self.handle(request)
        headers.append((b"content-length", str(len(body)).encode("ascii")))  # not chunked
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def handle(self, request: _Request) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Answer one request synchronously: ``(status, headers, body)``."""
        sent_id = request.headers.get("x-request-id", "")
        request_id = sent_id if _REQUEST_ID.fullmatch(sent_id) else f"req_{os.urandom(12).hex()}"
        headers = [(b"x-request-id", request_id.encode("ascii"))]
        try:
            reply = self._dispatch(request)
        except ApiError as error:
            headers += [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in error.headers.items()
            ]
            return error.status, headers + _JSON, _dump(error.envelope(request_id))
        except Exception:
            _log.exception("unexpected error (request id %s)", request_id)
            internal = ApiError("internal_error", "internal error in the local emulator")
            return internal.status, headers + _JSON, _dump(internal.envelope(request_id))
        if reply.body is None and reply.status == 204:
            return 204, headers, b""
        return reply.status, headers + _JSON, _dump(reply.body)

    def _dispatch(self, request: _Request) -> Reply:
        if request.too_large:
            raise ApiError("payload_too_large", f"the request body exceeds {MAX_BODY} bytes")
        if self.limiter is not None:
            wait = self.limiter.acquire()
            if wait > 0:
                raise _rate_limited(wait)
        segments = _segments(request.raw_path)
        found = resolve(request.method, segments)
        if found is None:
            raise ApiError("not_found", "no such route")
        route, params = found
        query = _parse_query(request.query_string)
        with self.store.transaction():
            user_id = self._authenticate(request.headers)
            handler = HANDLERS.get(route.operation_id)
            if handler is None:
                raise ApiError(
                    "not_implemented",
                    f"{route.operation_id} is not implemented by the local emulator",
                )
            for name in _UUID_PARAMS:
                if name in params and not is_uuid(params[name]):
                    raise ApiError(
                        "invalid_format",
                        f"{name} must be a UUID",
                        fields=[{"name": name, "code": "invalid_format"}],
                    )
            ctx = Ctx(self.store, user_id, params, query, request.body)
            authorize(ctx, route.operation_id)
            return handler(ctx)

    def _authenticate(self, headers: Mapping[str, str]) -> str:
        api_key = headers.get("x-api-key")
        if api_key is not None:
            user_id = self.store.user_for_token("pat", api_key.strip())
        elif "authorization" in headers:
            scheme, _, credential = headers["authorization"].strip().partition(" ")
            user_id = None
            if scheme.lower() == "bearer" and credential.strip():
                user_id = self.store.user_for_token("jwt", credential.strip())
        else:
            raise ApiError("token_missing", "send a PAT in X-Api-Key or a JWT as a Bearer token")
        if user_id is None:
            raise ApiError("token_invalid", "the token is not valid for this server")
        return user_id


_JSON = [(b"content-type", b"application/json")]


#: Stands in for a :class:`RawJson` while ``json.dumps`` runs. The nonce never leaves the
#: process and stored text cannot hold NUL, so no user string can look like one.
_RAW_MARK = f"\x00raw-{secrets.token_hex(8)}:"
_RAW_PLACEHOLDER = re.compile(re.escape(json.dumps(_RAW_MARK)[:-1]) + r'([0-9]+)"')


def _dump(body: Any) -> bytes:
    """The JSON response body; :class:`RawJson` values (exact jsonb numbers) go in verbatim."""
    raws: list[str] = []

    def raw(value: Any) -> str:
        if not isinstance(value, RawJson):
            raise TypeError(f"{type(value).__name__} is not JSON")
        raws.append(value.text)
        return f"{_RAW_MARK}{len(raws) - 1}"

    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=raw)
    if raws:
        text = _RAW_PLACEHOLDER.sub(lambda m: raws[int(m.group(1))], text)
    return text.encode("utf-8")


def _rate_limited(wait: float) -> ApiError:
    seconds = max(1, math.ceil(wait))
    return ApiError(
        "rate_limited",
        "too many requests to the local emulator",
        headers={"Retry-After": str(seconds)},
        extra={"retry": {"after_ms": max(1, math.ceil(wait * 1000))}},
    )


def _segments(raw_path: bytes) -> list[str]:
    path = raw_path.split(b"?", 1)[0]
    try:
        return [unquote_to_bytes(s).decode("utf-8") for s in path.split(b"/")[1:]]
    except UnicodeDecodeError:
        raise ApiError("invalid_format", "the path is not valid UTF-8") from None


def _parse_query(query_string: bytes) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for chunk in query_string.split(b"&"):
        if not chunk:
            continue
        key, _, value = chunk.partition(b"=")
        try:
            pairs.append((_unquote(key), _unquote(value)))
        except UnicodeDecodeError:
            raise ApiError("invalid_format", "the query string is not valid UTF-8") from None
    return pairs


def _unquote(raw: bytes) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")


async def _read_request(scope: Scope, receive: Receive) -> _Request | None:
    """Read the whole request; ``None`` when the client disconnected before the body ended."""
    headers: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        headers[name.decode("latin-1").lower()] = value.decode("latin-1")
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    query_string = scope.get("query_string", b"")
    request = _Request(scope["method"].upper(), raw_path, query_string, headers, b"")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_BODY:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    request.body = b"".join(chunks)
    request.too_large = size > MAX_BODY
    return request


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
