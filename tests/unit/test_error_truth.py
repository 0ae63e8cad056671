"""Errors that tell the truth: catalog-driven retryable, configuration refused at construction.

Sync and async, on httpx.MockTransport.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from axhub_orm import (
    CONTEXT_ROUTES,
    ERROR_CODES,
    ROUTES,
    AsyncAxHub,
    AuthenticationError,
    AxHub,
    AxHubError,
    ConflictError,
    ConnectError,
    InternalError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    PreconditionFailedError,
    RequestTimeoutError,
    TokenType,
    UnavailableError,
    ValidationError,
)

TOKEN = "axhub_pat_0123456789abcdef"
MODES = ["sync", "async"]


def answer(mode: str, response: httpx.Response, method: str = "GET", **settings: Any) -> Any:
    """Send one request through a client whose transport answers ``response``; return the error."""
    failing = settings.pop("transport_fail", None)

    def handler(request: httpx.Request) -> httpx.Response:
        if failing:
            return failing(request)  # type: ignore[no-any-return]
        return httpx.Response(
            response.status_code, headers=response.headers, content=response.content
        )

    op = "authGetApiV1Me" if method == "GET" else "appsPostApiV1TenantsByTenantIDApps"
    params = {} if method == "GET" else {"tenantID": "t"}
    settings = {"token": TOKEN, "token_type": TokenType.PAT, "max_retry_wait": 0.0, **settings}
    try:
        if mode == "sync":
            transport = httpx.MockTransport(handler)
            with AxHub(base_url="https://hub.test", transport=transport, **settings) as hub:
                return hub.request(op, path_params=params, body=None)

        async def run() -> Any:
            transport = httpx.MockTransport(handler)
            async with AsyncAxHub(
                base_url="https://hub.test", transport=transport, **settings
            ) as h:
                return await h.request(op, path_params=params, body=None)

        return asyncio.run(run())
    except AxHubError as exc:
        return exc


def envelope(status: int, code: str | None, **extra: Any) -> httpx.Response:
    """An error envelope with only a code (no category, no retryable)."""
    body: dict[str, Any] = {"message": "x", **extra}
    if code is not None:
        body["code"] = code
    return httpx.Response(status, json={"error": body})


CATEGORY_CASES = [
    (envelope(400, "required"), ValidationError, False),
    (envelope(401, "token_missing"), AuthenticationError, False),
    (envelope(401, "token_invalid"), AuthenticationError, False),
    (envelope(401, "token_expired"), AuthenticationError, False),
    (envelope(401, "token_invalid", retryable=True), AuthenticationError, False),
    (envelope(402, "insufficient_credit"), PaymentRequiredError, False),
    (envelope(403, "forbidden"), PermissionDeniedError, False),
    (envelope(404, "not_found"), NotFoundError, False),
    (envelope(409, "slug_taken"), ConflictError, False),
    (envelope(409, "backup_in_progress"), ConflictError, True),
    (envelope(412, "precondition_failed"), PreconditionFailedError, False),
    (envelope(500, "internal_error"), InternalError, False),
    (envelope(500, None), InternalError, False),
    (envelope(502, "bad_gateway"), UnavailableError, True),
    (envelope(503, "ai_key_unavailable"), UnavailableError, True),
    (envelope(503, "backend_unimplemented"), UnavailableError, False),
    (httpx.Response(503), UnavailableError, True),
    (httpx.Response(502, text="<html>Bad Gateway</html>"), UnavailableError, True),
    (httpx.Response(504, text="upstream timed out"), UnavailableError, True),
    (envelope(409, "conflict", retryable=True), ConflictError, True),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("response", "cls", "retryable"), CATEGORY_CASES)
def test_retryable_follows_the_catalog_and_the_policy(
    mode: str, response: httpx.Response, cls: type[AxHubError], retryable: bool
) -> None:
    """Retryable is the server's flag, else the catalog's, else a 502/503/504; never for a token."""
    err = answer(mode, response)
    assert type(err) is cls
    assert err.retryable is retryable


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("failure", "cls", "sent"),
    [
        (httpx.ConnectError, ConnectError, False),
        (httpx.ConnectTimeout, RequestTimeoutError, False),
        (httpx.PoolTimeout, RequestTimeoutError, False),
        (httpx.ReadTimeout, RequestTimeoutError, True),
        (httpx.ReadError, ConnectError, True),
        (httpx.RemoteProtocolError, ConnectError, True),
    ],
)
def test_transport_failures_say_sent_or_not_and_retry_only_safely(
    mode: str, failure: type[httpx.TransportError], cls: type[AxHubError], sent: bool
) -> None:
    """A transport failure says whether it was sent; a sent POST is not retryable, a GET is."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise failure("boom", request=request)

    for method, retryable in (("POST", not sent), ("GET", True)):
        err = answer(mode, httpx.Response(200), method, transport_fail=fail)
        assert type(err) is cls
        assert (err.request_sent, err.retryable, err.status) == (sent, retryable, None)
        assert ("sent, no answer" if sent else "not sent") in str(err)


@pytest.mark.parametrize("cls", [AxHub, AsyncAxHub])
@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("base_url", "127.0.0.1:1"),
        ("base_url", "localhost"),
        ("base_url", "ftp://hub.test"),
        ("base_url", "https://"),
        ("timeout", 0),
        ("timeout", -1.0),
        ("timeout", float("nan")),
        ("timeout", float("inf")),
        ("rate_limit_retries", -1),
        ("max_retry_wait", float("nan")),
    ],
)
def test_configuration_mistakes_fail_at_construction(
    cls: type[AxHub] | type[AsyncAxHub], setting: str, value: Any
) -> None:
    """A bad base_url, timeout or retry setting is a ValidationError naming it, at construction."""
    with pytest.raises(ValidationError) as info:
        cls(**{setting: value})
    assert info.value.code == "invalid_value"
    assert info.value.fields[0]["name"] == setting
    assert setting in str(info.value)


BAD_TOKENS = {
    "trailing newline": TOKEN + "\n",
    "leading space": " " + TOKEN,
    "crlf": TOKEN + "\r\n",
    "inner tab": TOKEN[:5] + "\t" + TOKEN[5:],
    "non-ascii": TOKEN + "é",
    "control": TOKEN + "\x00",
}


@pytest.mark.parametrize("cls", [AxHub, AsyncAxHub])
@pytest.mark.parametrize("token_type", ["pat", "jwt"])
@pytest.mark.parametrize("name", list(BAD_TOKENS))
def test_a_token_that_cannot_travel_in_a_header_is_refused_unshown(
    cls: type[AxHub] | type[AsyncAxHub], token_type: str, name: str
) -> None:
    """A token with whitespace, control or non-ASCII characters is refused, unshown, at once."""
    token = BAD_TOKENS[name]
    with pytest.raises(ValidationError) as info:
        cls(token=token, token_type=token_type)
    err = info.value
    assert err.code == "invalid_format" and err.fields[0]["name"] == "token"
    for text in (str(err), repr(err), json.dumps(vars(err), default=str)):
        assert TOKEN not in text and TOKEN[:12] not in text


@pytest.mark.parametrize("mode", MODES)
def test_lower_layer_text_holding_the_token_is_scrubbed(mode: str) -> None:
    """A transport error whose lower-layer text holds the token keeps it redacted and unchained."""

    def leak(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"Illegal header value b'{TOKEN}'", request=request)

    err = answer(mode, httpx.Response(200), transport_fail=leak)
    assert isinstance(err, ConnectError)
    assert "***REDACTED***" in err.message
    assert TOKEN not in str(err) and err.__cause__ is None


@pytest.mark.parametrize("cls", [AxHub, AsyncAxHub])
def test_hub_redacted_token_is_always_redacted(cls: type[AxHub] | type[AsyncAxHub]) -> None:
    """hub.redacted_token() returns ***REDACTED***, with or without a token."""
    assert cls(token=TOKEN, token_type="pat").redacted_token() == "***REDACTED***"
    assert cls().redacted_token() == "***REDACTED***"


def test_error_codes_and_context_routes_are_public_read_only_inventories() -> None:
    """ERROR_CODES and CONTEXT_ROUTES are public and read-only; CONTEXT_ROUTES partitions ROUTES."""
    assert ERROR_CODES["slug_taken"] == {"category": "conflict", "status": 409, "retryable": False}
    assert ERROR_CODES["rate_limited"]["retryable"] is True
    assert "appsPostApiV1TenantsByTenantIDApps" in CONTEXT_ROUTES["apps"]
    assert "authGetApiV1Me" in CONTEXT_ROUTES["auth"]
    every = [op for ops in CONTEXT_ROUTES.values() for op in ops]
    assert sorted(every) == sorted(ROUTES) and len(every) == len(set(every))
    with pytest.raises(TypeError):
        ERROR_CODES["x"] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        ERROR_CODES["slug_taken"]["retryable"] = True  # type: ignore[index]
