"""The lean request path: what a client sends, and what it builds, when it owns its transport."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

import axhub_orm._tls
from axhub_orm import AsyncAxHub, AxHub, ConnectError, RequestTimeoutError, TokenType
from axhub_orm.local import LocalAxHub

TOKEN = "pat_secret_0123456789abcdef"


class Recorder:
    """A MockTransport handler that records requests and answers with a fixed response."""

    def __init__(self, response: httpx.Response | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self._response = response or httpx.Response(200, json={})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._response


def hub_on(rec: Recorder, base_url: str = "https://hub.test", **kwargs: Any) -> AxHub:
    """A sync hub sending through a MockTransport."""
    return AxHub(
        base_url=base_url,
        token=TOKEN,
        token_type=TokenType.PAT,
        transport=httpx.MockTransport(rec),
        **kwargs,
    )


def test_url_keeps_the_base_path_and_encodes_query_as_httpx_does() -> None:
    """A base URL's path prefix is kept and the query is the one httpx would encode."""
    rec = Recorder()
    query = [("status", "eq.new"), ("title", "ilike.*a b&c=é*"), ("n", "100%")]
    with hub_on(rec, base_url="https://hub.test:8443/prefix/") as hub:
        hub.request("authGetApiV1Me", query=query)
    expected = httpx.URL("https://hub.test:8443/prefix/api/v1/me", params=query)
    assert str(rec.requests[0].url) == str(expected)
    assert rec.requests[0].url.raw_path == expected.raw_path
    assert rec.requests[0].headers["Host"] == "hub.test:8443"


def test_headers_and_json_body_are_sent_as_before() -> None:
    """Every request carries the fixed headers, a request id and a compact UTF-8 JSON body."""
    rec = Recorder()
    with hub_on(rec) as hub:
        hub.request("authGetApiV1Me", body={"name": "café", "n": [1, 2.5, None]})
    request = rec.requests[0]
    assert request.content == '{"name":"café","n":[1,2.5,null]}'.encode()
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Content-Length"] == str(len(request.content))
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"].startswith("axhub-orm/")
    assert request.headers["X-Api-Key"] == TOKEN
    assert len(request.headers["X-Request-ID"]) == 26


def test_timeout_reaches_the_transport() -> None:
    """The client's timeout travels with each request to the transport it sends to directly."""
    rec = Recorder()
    with hub_on(rec, timeout=4.5) as hub:
        hub.request("authGetApiV1Me")
    assert rec.requests[0].extensions["timeout"] == httpx.Timeout(4.5).as_dict()


def test_cookies_are_not_kept() -> None:
    """A Set-Cookie answer is not sent back: the client keeps no cookie jar."""
    rec = Recorder(httpx.Response(200, json={}, headers={"Set-Cookie": "session=abc; Path=/"}))
    with hub_on(rec) as hub:
        hub.request("authGetApiV1Me")
        hub.request("authGetApiV1Me")
    assert "Cookie" not in rec.requests[1].headers


def test_injected_http_client_runs_its_event_hooks() -> None:
    """An injected httpx client's request and response hooks see every request."""
    seen: list[str] = []
    rec = Recorder()
    client = httpx.Client(
        transport=httpx.MockTransport(rec),
        headers={"X-Trace": "on"},
        event_hooks={
            "request": [lambda r: seen.append(f"request {r.headers['X-Request-ID']}")],
            "response": [lambda r: seen.append(f"response {r.status_code}")],
        },
    )
    with client, AxHub(token=TOKEN, token_type=TokenType.PAT, http_client=client) as hub:
        hub.request("authGetApiV1Me")
    request_id = rec.requests[0].headers["X-Request-ID"]
    assert seen == [f"request {request_id}", "response 200"]
    assert rec.requests[0].headers["X-Trace"] == "on"


@pytest.mark.anyio
async def test_async_injected_http_client_runs_its_event_hooks() -> None:
    """The async client also sends through an injected client's hooks."""
    seen: list[int] = []

    async def on_response(response: httpx.Response) -> None:
        seen.append(response.status_code)

    rec = Recorder()
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(rec), event_hooks={"response": [on_response]}
    )
    async with client, AsyncAxHub(token=TOKEN, token_type=TokenType.PAT, http_client=client) as hub:
        await hub.request("authGetApiV1Me")
    assert seen == [200]


def _refuse_tls(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("an SSL context was built for an http:// client")


def test_http_client_builds_no_ssl_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client of an http:// URL builds no SSL context, to construct or to send."""
    with LocalAxHub() as local:
        monkeypatch.setattr(ssl, "SSLContext", _refuse_tls)
        monkeypatch.setattr(ssl, "create_default_context", _refuse_tls)
        with local.client() as hub:
            assert hub.me().id == local.user_id


def test_https_clients_share_one_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """https:// clients load the CA bundle once per process, at the first of them."""
    built: list[ssl.SSLContext] = []
    create = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        built.append(create(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(axhub_orm._tls, "_context", None)
    monkeypatch.setattr(ssl, "create_default_context", counting)
    hubs = [AxHub(base_url="https://hub.test") for _ in range(3)]
    for hub in hubs:
        hub.close()
    assert len(built) == 1


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificate")
def test_verify_is_honored(tmp_path: Path) -> None:
    """verify= decides which certificate an https client trusts (the default trusts no stranger)."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem"),
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    with LocalAxHub(ssl_certfile=tmp_path / "cert.pem", ssl_keyfile=tmp_path / "key.pem") as local:
        trust = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        with local.client(verify=trust) as hub:
            assert hub.me().id == local.user_id
        with local.client() as stranger, pytest.raises(ConnectError):
            stranger.me()


def test_timeout_is_a_typed_error_on_the_direct_path() -> None:
    """A transport timeout on the direct path surfaces as RequestTimeoutError."""

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("too slow", request=request)

    with (
        AxHub(base_url="https://hub.test", transport=httpx.MockTransport(slow)) as hub,
        pytest.raises(RequestTimeoutError),
    ):
        hub.request("authGetApiV1Me")


@pytest.mark.parametrize(("value", "encoded"), [(".", "%2E"), ("..", "%2E%2E"), ("a..b", "a..b")])
def test_dot_path_values_cannot_change_the_route(value: str, encoded: str) -> None:
    """A path value of only dots is sent percent-encoded, so it stays one segment of the route."""
    rec = Recorder()
    with hub_on(rec) as hub:
        hub.request("appsGetApiV1AppsByAppID", path_params={"appID": value})
    assert rec.requests[0].url.raw_path == f"/api/v1/apps/{encoded}".encode()
