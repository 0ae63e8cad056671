"""The Client Policy pipeline, proven on httpx.MockTransport (no sockets)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from axhub_orm import (
    AsyncAxHub,
    AxHubError,
    ConflictError,
    ConnectError,
    InternalError,
    NotFoundError,
    PreconditionFailedError,
    RateLimitError,
    RequestTimeoutError,
    StateError,
    TokenType,
    UnavailableError,
    ValidationError,
    redacted_token,
)

pytestmark = pytest.mark.anyio

TOKEN = "pat_secret_0123456789abcdef"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that records requests and answers from a script."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.requests: list[httpx.Request] = []
        self._responses = list(responses)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if len(self._responses) > 1:
            return self._responses.pop(0)
        return self._responses[0]


def hub_for(handler: Handler, **kwargs: Any) -> AsyncAxHub:
    """A hub on a MockTransport, with a PAT and retries that never sleep."""
    kwargs.setdefault("token", TOKEN)
    kwargs.setdefault("token_type", TokenType.PAT)
    kwargs.setdefault("max_retry_wait", 0.0)
    return AsyncAxHub(base_url="https://hub.test", transport=httpx.MockTransport(handler), **kwargs)


def ok(body: Any = None, status: int = 200) -> httpx.Response:
    """A JSON success response."""
    return httpx.Response(status, json={} if body is None else body)


async def test_pat_is_sent_as_x_api_key_only() -> None:
    """A PAT travels in X-Api-Key and no Authorization header is sent."""
    rec = Recorder(ok({"user": {"id": "u1"}}))
    async with hub_for(rec) as hub:
        await hub.request("authGetApiV1Me")
    headers = rec.requests[0].headers
    assert headers["X-Api-Key"] == TOKEN
    assert "Authorization" not in headers


async def test_jwt_is_sent_as_bearer_only() -> None:
    """A JWT travels as Authorization: Bearer and no X-Api-Key is sent."""
    rec = Recorder(ok())
    async with hub_for(rec, token=JWT, token_type=TokenType.JWT) as hub:
        await hub.request("authGetApiV1Me")
    headers = rec.requests[0].headers
    assert headers["Authorization"] == f"Bearer {JWT}"
    assert "X-Api-Key" not in headers


async def test_token_without_type_is_refused() -> None:
    """A token with no explicit type is refused with a clear, typed error."""
    with pytest.raises(ValidationError) as info:
        AsyncAxHub(token=TOKEN)
    assert info.value.code == "token_type_required"
    assert "TokenType.PAT" in str(info.value)
    assert TOKEN not in str(info.value)


async def test_token_type_accepts_strings() -> None:
    """token_type may be given as 'pat' or 'JWT' (e.g. from the environment)."""
    rec = Recorder(ok())
    async with hub_for(rec, token_type="JWT") as hub:
        await hub.request("authGetApiV1Me")
    assert rec.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    with pytest.raises(ValidationError, match="token_type"):
        AsyncAxHub(token=TOKEN, token_type="basic")


async def test_every_request_has_a_fresh_request_id() -> None:
    """Each call sends its own 26-character X-Request-ID."""
    rec = Recorder(ok())
    async with hub_for(rec) as hub:
        await hub.request("authGetApiV1Me")
        await hub.request("authGetApiV1Me")
    ids = [r.headers["X-Request-ID"] for r in rec.requests]
    assert all(len(i) == 26 for i in ids)
    assert ids[0] != ids[1]


def rate_limited(retry_after: str | None = "0", code: str = "rate_limited") -> httpx.Response:
    """A 429 in the error envelope, with an optional Retry-After."""
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    body = {"error": {"code": code, "message": "slow down"}}
    return httpx.Response(429, json=body, headers=headers)


async def test_429_is_retried_with_the_same_request_id() -> None:
    """A 429 followed by success returns the success; both attempts share one request id."""
    rec = Recorder(rate_limited(), ok({"user": {"id": "u1"}}))
    async with hub_for(rec) as hub:
        data = await hub.request("authGetApiV1Me")
    assert data == {"user": {"id": "u1"}}
    assert len(rec.requests) == 2
    assert len({r.headers["X-Request-ID"] for r in rec.requests}) == 1


async def test_429_three_times_raises_rate_limit_error_after_two_retries() -> None:
    """Three 429s mean two retries, then a retryable RateLimitError carrying the request id."""
    rec = Recorder(rate_limited())
    async with hub_for(rec) as hub:
        with pytest.raises(RateLimitError) as info:
            await hub.request("authGetApiV1Me")
    assert len(rec.requests) == 3
    err = info.value
    assert (err.status, err.code, err.category, err.retryable) == (
        429,
        "rate_limited",
        "rate_limited",
        True,
    )
    assert err.request_id == rec.requests[0].headers["X-Request-ID"]


async def test_429_temporarily_unavailable_keeps_its_catalog_category() -> None:
    """The older 429 code keeps category 'unavailable' and is still a RateLimitError."""
    rec = Recorder(rate_limited(code="temporarily_unavailable"))
    async with hub_for(rec) as hub:
        with pytest.raises(RateLimitError) as info:
            await hub.request("authGetApiV1Me")
    assert info.value.category == "unavailable"
    assert info.value.retryable is True
    assert isinstance(info.value, UnavailableError)


async def test_retry_count_is_configurable() -> None:
    """rate_limit_retries=0 turns the automatic retry off."""
    rec = Recorder(rate_limited())
    async with hub_for(rec, rate_limit_retries=0) as hub:
        with pytest.raises(RateLimitError):
            await hub.request("authGetApiV1Me")
    assert len(rec.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 409, 401])
async def test_other_statuses_are_not_retried(status: int) -> None:
    """Only 429 is retried automatically: any other error is raised after one attempt."""
    failure = httpx.Response(status, json={"error": {"code": "x"}}, headers={"Retry-After": "0"})
    rec = Recorder(failure)
    async with hub_for(rec) as hub:
        with pytest.raises(AxHubError):
            await hub.request("authGetApiV1Me")
    assert len(rec.requests) == 1


async def test_retry_waits_are_capped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A Retry-After of 60 s is capped by max_retry_wait; the wait is logged without the token."""
    rec = Recorder(rate_limited("60"), ok())
    with caplog.at_level(logging.DEBUG, logger="axhub_orm"):
        async with hub_for(rec) as hub:
            await hub.request("authGetApiV1Me")
    messages = [r.getMessage() for r in caplog.records]
    assert any("retry 1/2 in 0.00s" in m for m in messages)
    assert all(TOKEN not in m for m in messages)


async def test_envelope_error_decodes_every_field() -> None:
    """The {"error": {...}} envelope becomes a typed error with all Client Policy fields."""
    body = {
        "error": {
            "category": "validation",
            "code": "required",
            "message": "need a filter",
            "retryable": False,
            "request_id": "req_abc",
            "fields": [{"name": "where", "code": "required"}],
        }
    }
    rec = Recorder(httpx.Response(400, json=body))
    async with hub_for(rec) as hub:
        with pytest.raises(ValidationError) as info:
            await hub.request("authGetApiV1Me")
    err = info.value
    assert (err.category, err.code, err.status, err.request_id, err.retryable) == (
        "validation",
        "required",
        400,
        "req_abc",
        False,
    )
    assert err.fields == ({"name": "where", "code": "required"},)


async def test_missing_category_and_retryable_come_from_the_catalog() -> None:
    """An error with only a code gets category and retryable from the error catalog."""
    rec = Recorder(httpx.Response(409, json={"error": {"code": "backup_in_progress"}}))
    async with hub_for(rec) as hub:
        with pytest.raises(ConflictError) as info:
            await hub.request("authGetApiV1Me")
    assert info.value.category == "conflict"
    assert info.value.retryable is True


async def test_bare_root_error_object_is_decoded() -> None:
    """A 428 whose body is a bare {code, message} object still yields a typed error."""
    rec = Recorder(httpx.Response(428, json={"code": "precondition_failed", "message": "no"}))
    async with hub_for(rec) as hub:
        with pytest.raises(PreconditionFailedError) as info:
            await hub.request("authGetApiV1Me")
    assert info.value.code == "precondition_failed"
    assert info.value.status == 428


async def test_html_error_page_gives_typed_error_with_status() -> None:
    """A non-JSON error body (an HTML gateway page) gives http_<status> with the status."""
    rec = Recorder(httpx.Response(502, text="<html><body>Bad Gateway</body></html>"))
    async with hub_for(rec) as hub:
        with pytest.raises(UnavailableError) as info:
            await hub.request("authGetApiV1Me")
    assert info.value.code == "http_502"
    assert info.value.status == 502
    assert info.value.request_id == rec.requests[0].headers["X-Request-ID"]


async def test_missing_code_falls_back_to_http_status() -> None:
    """An error object with no code gets http_<status> and the status's category."""
    rec = Recorder(httpx.Response(404, json={"error": {"message": "gone"}}))
    async with hub_for(rec) as hub:
        with pytest.raises(NotFoundError) as info:
            await hub.request("authGetApiV1Me")
    assert info.value.code == "http_404"


async def test_non_json_success_body_is_a_typed_error() -> None:
    """A 200 with a body that is not JSON raises InternalError instead of a decode crash."""
    rec = Recorder(httpx.Response(200, text="not json"))
    async with hub_for(rec) as hub:
        with pytest.raises(InternalError) as info:
            await hub.request("authGetApiV1Me")
    assert info.value.code == "invalid_response"


async def test_empty_success_body_is_an_empty_object() -> None:
    """A 204 with no body reads as {}."""
    rec = Recorder(httpx.Response(204))
    async with hub_for(rec) as hub:
        path = {"appID": "a1", "key": "K"}
        assert await hub.request("appsDeleteApiV1AppsByAppIDEnvVarsByKey", path_params=path) == {}


async def test_transport_failures_are_axhub_errors() -> None:
    """Connection failures and timeouts surface as AxHubError subclasses, not raw httpx errors."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async with hub_for(refuse) as hub:
        with pytest.raises(ConnectError) as info:
            await hub.request("authGetApiV1Me")
    assert info.value.category == "transport"
    async with hub_for(slow) as hub:
        with pytest.raises(RequestTimeoutError):
            await hub.request("authGetApiV1Me")


async def test_row_routes_return_row_keys_verbatim() -> None:
    """Single-row and row-list bodies keep column names; list envelopes are camelCased."""
    row = {"id": "r1", "owner_id": "u1", "due_at": None, "meta_data": {"inner_key": 1}}
    rec = Recorder(ok(row), ok({"items": [row], "page": 1, "per_page": 20, "has_more": False}))
    path = {"tenantSlug": "t", "appSlug": "a", "table": "tickets", "id": "r1"}
    async with hub_for(rec) as hub:
        got = await hub.request("schemaGetDataByTenantSlugByAppSlugByTableById", path_params=path)
        listed = await hub.request(
            "schemaGetDataByTenantSlugByAppSlugByTable",
            path_params={k: v for k, v in path.items() if k != "id"},
        )
    assert got == row
    assert listed == {"items": [row], "page": 1, "perPage": 20, "hasMore": False}


async def test_admin_browse_rows_verbatim_columns_camelized() -> None:
    """The admin browse keeps every row verbatim and camelCases the rest."""
    body = {
        "rows": [{"owner_id": "u"}],
        "columns": [{"name": "owner_id", "is_pk": False}],
        "has_more": True,
    }
    rec = Recorder(ok(body))
    async with hub_for(rec) as hub:
        got = await hub.request(
            "schemaGetApiV1AppsByAppIDTablesByTableNameRows",
            path_params={"appID": "a", "tableName": "t"},
        )
    assert got == {
        "rows": [{"owner_id": "u"}],
        "columns": [{"name": "owner_id", "isPk": False}],
        "hasMore": True,
    }


async def test_other_routes_are_camelized_recursively() -> None:
    """Everything else is camelCased: has_more → hasMore, nested revoked_at → revokedAt."""
    body = {"items": [{"table_name": "t", "revoked_at": None}], "has_more": False}
    rec = Recorder(ok(body))
    async with hub_for(rec) as hub:
        got = await hub.request(
            "schemaGetApiV1AppsByAppIDTablesByTableNameGrants",
            path_params={"appID": "a", "tableName": "t"},
        )
    assert got == {"items": [{"tableName": "t", "revokedAt": None}], "hasMore": False}


async def test_path_params_are_percent_encoded() -> None:
    """A '/' or '?' in a path value is encoded and can never change the route."""
    rec = Recorder(ok({}))
    async with hub_for(rec) as hub:
        await hub.request(
            "schemaGetDataByTenantSlugByAppSlugByTableById",
            path_params={"tenantSlug": "t", "appSlug": "a", "table": "x/../y", "id": "1?a=b"},
        )
    assert rec.requests[0].url.raw_path == b"/data/t/a/x%2F..%2Fy/1%3Fa%3Db"


async def test_missing_path_param_is_refused_before_sending() -> None:
    """A missing path parameter raises a typed error naming it, and nothing is sent."""
    rec = Recorder(ok())
    async with hub_for(rec) as hub:
        with pytest.raises(ValidationError) as info:
            await hub.request("appsGetApiV1AppsByAppID", path_params={})
    assert info.value.code == "path_param_missing"
    assert "appID" in str(info.value)
    assert info.value.status is None
    assert rec.requests == []


async def test_unknown_operation_is_refused_before_sending() -> None:
    """An unknown operation id raises a typed error and nothing is sent."""
    rec = Recorder(ok())
    async with hub_for(rec) as hub:
        with pytest.raises(ValidationError) as info:
            await hub.request("noSuchOperation")
    assert info.value.code == "unknown_operation"
    assert rec.requests == []


async def test_query_and_body_are_sent() -> None:
    """Query values are encoded (bools as true/false, lists repeated) and bodies sent as JSON."""
    rec = Recorder(ok())
    async with hub_for(rec) as hub:
        await hub.request(
            "appsPostApiV1TenantsByTenantIDApps",
            path_params={"tenantID": "t"},
            query={"dry": True, "tag": ["a", "b"], "skip": None},
            body={"slug": "s"},
        )
    sent = rec.requests[0]
    assert sent.url.query == b"dry=true&tag=a&tag=b"
    assert json.loads(sent.content) == {"slug": "s"}
    assert sent.headers["Content-Type"] == "application/json"


async def test_token_never_in_repr_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    """The token appears in no repr, no error text and no log record."""
    rec = Recorder(httpx.Response(403, json={"error": {"code": "forbidden"}}))
    with caplog.at_level(logging.DEBUG):
        async with hub_for(rec) as hub:
            assert TOKEN not in repr(hub)
            assert "***REDACTED***" in repr(hub)
            with pytest.raises(AxHubError) as info:
                await hub.request("authGetApiV1Me")
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
    assert redacted_token() == "***REDACTED***"


async def test_from_env_reads_all_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """from_env reads AXHUB_BASE_URL, TOKEN, TOKEN_TYPE, TENANT_ID and TENANT_SLUG."""
    monkeypatch.setenv("AXHUB_BASE_URL", "https://env.test/")
    monkeypatch.setenv("AXHUB_TOKEN", TOKEN)
    monkeypatch.setenv("AXHUB_TOKEN_TYPE", "pat")
    monkeypatch.setenv("AXHUB_TENANT_ID", "tid")
    monkeypatch.setenv("AXHUB_TENANT_SLUG", "tslug")
    rec = Recorder(ok())
    async with AsyncAxHub.from_env(transport=httpx.MockTransport(rec)) as hub:
        await hub.request("authGetApiV1Me")
        settings = (hub.base_url, hub.tenant_id, hub.tenant_slug)
    assert settings == ("https://env.test", "tid", "tslug")
    assert str(rec.requests[0].url) == "https://env.test/api/v1/me"
    assert rec.requests[0].headers["X-Api-Key"] == TOKEN


async def test_from_env_refuses_token_without_type(monkeypatch: pytest.MonkeyPatch) -> None:
    """AXHUB_TOKEN without AXHUB_TOKEN_TYPE is refused, never guessed."""
    monkeypatch.setenv("AXHUB_TOKEN", TOKEN)
    monkeypatch.delenv("AXHUB_TOKEN_TYPE", raising=False)
    with pytest.raises(ValidationError, match="token_type must be explicit"):
        AsyncAxHub.from_env()


async def test_injected_http_client_is_used_and_left_open() -> None:
    """A ready httpx client is used for requests and not closed by the hub."""
    rec = Recorder(ok())
    client = httpx.AsyncClient(transport=httpx.MockTransport(rec))
    async with AsyncAxHub(token=TOKEN, token_type=TokenType.PAT, http_client=client) as hub:
        await hub.request("authGetApiV1Me")
    assert not client.is_closed
    await client.aclose()
    assert len(rec.requests) == 1


async def test_operations_facade_calls_the_route() -> None:
    """hub.operations.<snake_name>() sends the operation with the same arguments."""
    rec = Recorder(ok({"has_more": False}))
    async with hub_for(rec) as hub:
        got = await hub.operations.apps_get_api_v1_apps_by_app_id(path_params={"appID": "a1"})
    assert got == {"hasMore": False}
    assert (rec.requests[0].method, rec.requests[0].url.path) == ("GET", "/api/v1/apps/a1")


async def test_closed_client_refuses_with_a_typed_error() -> None:
    """A request on a closed client raises StateError(client_closed), not an httpx error."""
    rec = Recorder(ok())
    hub = hub_for(rec)
    await hub.aclose()
    with pytest.raises(StateError) as info:
        await hub.request("authGetApiV1Me")
    assert info.value.code == "client_closed"
    assert rec.requests == []
