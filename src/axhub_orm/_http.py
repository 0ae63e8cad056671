"""The sans-IO core of the Client Policy pipeline.

Building a request for an operation id, auth headers, request ids, the 429 retry decision,
``Retry-After`` parsing, response casing and error decoding live here, with no I/O, so the
async client and its generated sync twin share them and unit tests need no sockets.
"""

from __future__ import annotations

import enum
import json
import math
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, Final
from urllib.parse import quote

import attrs
import httpx

from . import _json
from ._deadline import Attempt
from ._errors import (
    AxHubError,
    ConnectError,
    RequestTimeoutError,
    TransportError,
    ValidationError,
    category_for_status,
    error_for,
    lookup_code,
)
from ._routes import ROUTES, Route

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_RETRY_AFTER",
    "REDACTED",
    "PreparedRequest",
    "RetryPolicy",
    "TokenType",
    "auth_headers",
    "camelize",
    "check_config",
    "check_token",
    "decode_error",
    "decode_json",
    "new_request_id",
    "parse_retry_after",
    "prepare",
    "redact",
    "redacted_token",
    "retryable_for",
    "shape_response",
    "transport_error",
]

DEFAULT_BASE_URL: Final = "https://api.axhub.ai"
DEFAULT_RETRY_AFTER: Final = 60.0
"""Seconds to wait on a 429 whose ``Retry-After`` is absent or invalid (the backend's own value)."""
REDACTED: Final = "***REDACTED***"

QueryValue = str | int | float | bool | None
QueryParams = Mapping[str, object] | Iterable[tuple[str, object]]


class TokenType(enum.Enum):
    """How a token is sent: ``PAT`` as ``X-Api-Key``, ``JWT`` as ``Authorization: Bearer``.

    Example::

        AxHub(token=pat, token_type=TokenType.PAT)
    """

    PAT = "pat"
    JWT = "jwt"

    @classmethod
    def parse(cls, value: TokenType | str) -> TokenType:
        """Accept a member or its name/value, case-insensitively (``"pat"``, ``"JWT"``)."""
        if isinstance(value, TokenType):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ValidationError(
                f"token_type must be 'pat' or 'jwt', got {value!r}", code="token_type_invalid"
            ) from None


def redacted_token() -> str:
    """What to show in place of a token anywhere a human may read it: always ``***REDACTED***``."""
    return REDACTED


def check_token(token: str | None) -> None:
    """Refuse a token that cannot travel in a header, without ever showing it.

    A token is printable ASCII with no whitespace: a trailing newline from a file, a leading
    space or a CRLF would otherwise fail deep in the HTTP layer with the token in the message.
    """
    if token is None:
        return
    if not isinstance(token, str) or not token:
        raise ValidationError(
            "token must be a non-empty string", code="invalid_value", fields=[_TOKEN_FIELD]
        )
    for position, char in enumerate(token):
        if not "!" <= char <= "~":
            raise ValidationError(
                f"token has {_describe(char)} at position {position} (of {len(token)}); a token "
                "is printable ASCII without whitespace: strip what was read from a file or "
                "an environment variable (the token is not shown)",
                code="invalid_format",
                fields=[_TOKEN_FIELD],
            )


_TOKEN_FIELD: Final = {"name": "token", "code": "invalid_format"}


def _describe(char: str) -> str:
    names = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", " ": "a space"}
    if char in names:
        return names[char]
    if char.isascii():
        return "a control character"
    return "a non-ASCII character"


def check_config(base_url: str, timeout: float, retries: int, max_retry_wait: float) -> str:
    """Refuse a configuration that could only fail later; return ``base_url`` normalized."""
    try:
        url = httpx.URL(base_url) if isinstance(base_url, str) else None
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise _config_error(
            "base_url",
            "base_url must be an http(s) URL with a host, like "
            f"'https://api.axhub.ai'; got {base_url!r}",
        )
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not (math.isfinite(timeout) and timeout > 0)
    ):
        raise _config_error(
            "timeout", f"timeout must be a positive number of seconds, got {timeout!r}"
        )
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise _config_error(
            "rate_limit_retries", f"rate_limit_retries must be an int >= 0, got {retries!r}"
        )
    if (
        isinstance(max_retry_wait, bool)
        or not isinstance(max_retry_wait, int | float)
        or not (math.isfinite(max_retry_wait) and max_retry_wait >= 0)
    ):
        raise _config_error(
            "max_retry_wait", f"max_retry_wait must be seconds >= 0, got {max_retry_wait!r}"
        )
    return base_url.rstrip("/")


def _config_error(name: str, message: str) -> ValidationError:
    return ValidationError(
        message, code="invalid_value", fields=[{"name": name, "code": "invalid_value"}]
    )


def auth_headers(token: str | None, token_type: TokenType | None) -> dict[str, str]:
    """The auth header for a token, per its explicit type (the type is never guessed)."""
    if token is None:
        return {}
    if token_type is TokenType.PAT:
        return {"X-Api-Key": token}
    return {"Authorization": f"Bearer {token}"}


def new_request_id() -> str:
    """A 26-character request id: the millisecond timestamp then uuid4 hex, truncated."""
    return (f"{int(time.time() * 1000)}{uuid.uuid4().hex}")[:26]


@attrs.frozen
class PreparedRequest:
    """Everything needed to send one operation: method, path (encoded), query and JSON body."""

    route: Route
    path: str
    params: tuple[tuple[str, str], ...]
    body: Any

    @property
    def method(self) -> str:
        """The HTTP method of the route."""
        return self.route.method


def prepare(
    operation_id: str,
    path_params: Mapping[str, object] | None = None,
    query: QueryParams | None = None,
    body: Any = None,
) -> PreparedRequest:
    """Resolve an operation id to a request, refusing what cannot be sent.

    Path parameters are percent-encoded whole (``/`` included), so a value can never change the
    route. Raises :class:`ValidationError` (``unknown_operation``, ``path_param_missing``,
    ``path_param_unexpected``) before anything is sent.
    """
    route = ROUTES.get(operation_id)
    if route is None:
        raise ValidationError(
            f"unknown operation id {operation_id!r}; see axhub_orm.ROUTES for the 189 operations",
            code="unknown_operation",
        )
    given = path_params or {}
    _, names, literals = route.template
    if len(given) != len(names) or any(given.get(n) in (None, "") for n in names):
        _refuse_path_params(route, given, names)
    parts = [literals[0]]
    for name, literal in zip(names, literals[1:], strict=True):
        parts += (_segment(_stringify(given[name])), literal)
    return PreparedRequest(route=route, path="".join(parts), params=encode_query(query), body=body)


def _refuse_path_params(route: Route, given: Mapping[str, object], names: tuple[str, ...]) -> None:
    missing = [n for n in names if given.get(n) in (None, "")]
    if missing:
        raise ValidationError(
            f"{route.operation_id} needs path parameter(s) {', '.join(missing)} for {route.path}",
            code="path_param_missing",
            fields=[{"name": name, "code": "required"} for name in missing],
        )
    unexpected = sorted(set(given) - set(names))
    if unexpected:
        raise ValidationError(
            f"{route.operation_id} has no path parameter(s) {', '.join(unexpected)} ({route.path})",
            code="path_param_unexpected",
        )


@lru_cache(maxsize=4096)
def _segment(value: str) -> str:
    """Percent-encode one path value whole (``/`` too); slugs and names repeat, so cached.

    A value of only dots (``.``, ``..``) has its dots encoded too: left bare it is a dot segment,
    which URL normalisation (httpx's parser, a proxy, the server) removes with its parent.
    """
    encoded = quote(value, safe="")
    return encoded.replace(".", "%2E") if not encoded.strip(".") else encoded


def _stringify(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode_query(query: QueryParams | None) -> tuple[tuple[str, str], ...]:
    """Flatten query params: ``None`` dropped, bools as ``true``/``false``, lists repeated."""
    if query is None:
        return ()
    items = query.items() if isinstance(query, Mapping) else query
    out: list[tuple[str, str]] = []
    for key, value in items:
        if type(value) is str:  # the common case (compiled queries): no conversion
            out.append((str(key), value))
            continue
        values = value if isinstance(value, list | tuple) else [value]
        out.extend((str(key), _stringify(v)) for v in values if v is not None)
    return tuple(out)


@attrs.frozen
class RetryPolicy:
    """The 429 retry rule: at most ``retries`` retries, waiting ``Retry-After``.

    ``max_wait`` caps one wait (tests set it to 0 so they never sleep); ``default_wait`` is
    used when the header is absent or invalid.
    """

    retries: int = 2
    max_wait: float = DEFAULT_RETRY_AFTER
    default_wait: float = DEFAULT_RETRY_AFTER

    def delay(
        self, status: int, headers: Mapping[str, str], attempt: int, content: bytes = b""
    ) -> float | None:
        """Seconds to wait before retrying, or ``None`` to stop (``attempt`` counts from 0).

        ``Retry-After`` wins; without it the body's ``error.retry.after_ms`` is used, then
        ``default_wait``.
        """
        if status != 429 or attempt >= self.retries:
            return None
        fallback = _body_retry_after(content, self.default_wait)
        wait = parse_retry_after(headers.get("retry-after"), default=fallback)
        return min(_valid_wait(wait, self.default_wait), self.max_wait)


def _valid_wait(wait: float, default: float) -> float:
    """A finite, non-negative wait; anything else (NaN, infinity, negative) is ``default``."""
    return wait if math.isfinite(wait) and wait >= 0 else default


def _body_retry_after(content: bytes, default: float) -> float:
    """``error.retry.after_ms`` of an error body, in seconds, or ``default``."""
    retry = (_error_object(content) or {}).get("retry")
    after_ms = retry.get("after_ms") if isinstance(retry, dict) else None
    if isinstance(after_ms, bool) or not isinstance(after_ms, int | float):
        return default
    return _valid_wait(after_ms / 1000, default)


def parse_retry_after(value: str | None, *, default: float, now: datetime | None = None) -> float:
    """Parse ``Retry-After`` (seconds or HTTP-date); absent, invalid or negative → ``default``."""
    if value is None or not value.strip():
        return default
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return max(seconds, 0.0)


def decode_json(content: bytes) -> Any:
    """Decode a 2xx body: empty → ``{}``; otherwise JSON."""
    if not content.strip():
        return {}
    return _json.loads(content)


_CAMEL = re.compile(r"(?<=[a-z0-9])_([a-z0-9])")


def camel_key(key: str) -> str:
    """``has_more`` → ``hasMore`` (leading underscores kept)."""
    return _CAMEL.sub(lambda m: m.group(1).upper(), key)


def camelize(value: Any) -> Any:
    """CamelCase every mapping key, recursively; values untouched."""
    if isinstance(value, dict):
        return {camel_key(k) if isinstance(k, str) else k: camelize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camelize(v) for v in value]
    return value


_ROW_ROUTES: Final = frozenset(
    {
        "schemaPostDataByTenantSlugByAppSlugByTable",
        "schemaGetDataByTenantSlugByAppSlugByTableById",
        "schemaPatchDataByTenantSlugByAppSlugByTableById",
    }
)
_ROW_LIST: Final = "schemaGetDataByTenantSlugByAppSlugByTable"
_ADMIN_ROWS: Final = "schemaGetApiV1AppsByAppIDTablesByTableNameRows"


def shape_response(operation_id: str, data: Any) -> Any:
    """Apply the response casing rule (wire-contract §14) for ``request()``.

    Everything is camelCased except rows: single-row bodies verbatim, the ``items`` of a row
    list verbatim, and the ``rows`` of the admin browse verbatim.
    """
    if operation_id in _ROW_ROUTES:
        return data
    if operation_id in (_ROW_LIST, _ADMIN_ROWS) and isinstance(data, dict):
        verbatim = "items" if operation_id == _ROW_LIST else "rows"
        return {camel_key(k): (v if k == verbatim else camelize(v)) for k, v in data.items()}
    return camelize(data)


def _error_object(content: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    inner = data.get("error")
    if isinstance(inner, dict):
        return inner
    return data if "code" in data or "message" in data else None


def decode_error(
    status: int, content: bytes, request_id: str | None, secrets: tuple[str, ...] = ()
) -> AxHubError:
    """Turn a non-2xx response into the typed error users branch on.

    Accepts the ``{"error": {...}}`` envelope, a bare root object, or any non-JSON body (an HTML
    error page); a missing ``category`` comes from the catalog, ``retryable`` from
    :func:`retryable_for`, a missing code is ``http_<status>``. Every string the server provided
    is kept with ``secrets`` (the client's token) redacted: a server may echo the token back.
    """
    obj = redact(_error_object(content) or {}, secrets)
    code = str(obj.get("code") or f"http_{status}")
    entry = lookup_code(code) or {}
    category = str(obj.get("category") or entry.get("category") or category_for_status(status))
    message = obj.get("message")
    if not isinstance(message, str) or not message:
        message = f"HTTP {status} from AX Hub" + ("" if obj else " (non-JSON body)")
    fields = obj.get("fields")
    details = {k: v for k, v in obj.items() if k in ("resource", "doc_url", "retry")}
    cls = error_for(category, status)
    return cls(
        message,
        code=code,
        category=category,
        status=status,
        request_id=str(obj.get("request_id") or obj.get("requestId") or request_id or "") or None,
        retryable=retryable_for(code, category, status, obj.get("retryable")),
        fields=fields if isinstance(fields, list) else (),
        details=details,
    )


_TRANSIENT_STATUSES: Final = frozenset({429, 502, 503, 504})


def retryable_for(code: str, category: str, status: int, claimed: object = None) -> bool:
    """Whether sending the same request again, from this client, may succeed.

    A bad, missing or expired token is never retryable: the client sends the same token again
    (the catalog marks ``token_*`` retryable for callers that refresh it first). Otherwise the
    server's own ``retryable`` wins, then the catalog entry of the code; a code the catalog does
    not know (an HTML gateway page, a bare 503) is retryable only for a transient status: 429,
    502, 503, 504.
    """
    if category == "unauthenticated":
        return False
    if isinstance(claimed, bool):
        return claimed
    entry = lookup_code(code)
    if entry is not None:
        return bool(entry.get("retryable"))
    return status in _TRANSIENT_STATUSES


def redact(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` with every occurrence of each secret in its strings replaced by ``REDACTED``."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {redact(k, secrets): redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, secrets) for v in value]
    return value


_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_NOT_SENT: Final = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.ProxyError,
)


def request_was_sent(exc: httpx.TransportError, attempt: Attempt) -> bool:
    """Whether any of the request may have reached the server before ``exc``.

    Exact when the deadline backend watched the socket (a byte was handed to it, or not);
    otherwise (a mock or ASGI transport) from the kind of failure: failing to connect, waiting
    for the pool and a request refused before writing mean not sent, anything later means sent.
    """
    if attempt.tracked:
        return attempt.wrote
    return not isinstance(exc, _NOT_SENT)


def transport_error(
    exc: httpx.TransportError,
    prepared: PreparedRequest,
    request_id: str,
    attempt: Attempt,
    *,
    budget: float | None,
    secrets: tuple[str, ...] = (),
) -> TransportError:
    """The typed error for a request that got no answer: sent or not, retryable or not.

    The lower layer's text is kept for diagnosis with ``secrets`` scrubbed out of it.
    """
    sent = request_was_sent(exc, attempt)
    what = f"{prepared.method} {prepared.path}"
    cause = f"{type(exc).__name__}: {redact(str(exc), secrets)}".rstrip(": ")
    if sent:
        outcome = f"{what} was sent but no complete answer came back ({cause})"
        outcome += "; the server may have applied it"
    else:
        outcome = f"{what} was not sent ({cause})"
    timed_out = isinstance(exc, httpx.TimeoutException)
    if timed_out and budget is not None:
        outcome += f"; each attempt has timeout={budget:g} s from sending to the last byte"
    cls = RequestTimeoutError if timed_out else ConnectError
    return cls(
        outcome,
        code="timeout" if timed_out else "connection_error",
        request_id=request_id,
        retryable=not sent or prepared.method in _IDEMPOTENT,
        request_sent=sent,
    )
