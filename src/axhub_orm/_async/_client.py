"""The AX Hub client: one pooled httpx client, the Client Policy send loop, the entry points."""

from __future__ import annotations

import logging
import os
import ssl
import urllib.request
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx

from .._builder import RequestBuilder
from .._deadline import attempt
from .._errors import (
    InternalError,
    StateError,
    ValidationError,
)
from .._gates import AsyncPoolGate
from .._http import (
    DEFAULT_BASE_URL,
    PreparedRequest,
    QueryParams,
    RetryPolicy,
    TokenType,
    auth_headers,
    check_config,
    check_token,
    decode_error,
    decode_json,
    new_request_id,
    prepare,
    redacted_token,
    shape_response,
    transport_error,
)
from .._throttle import AsyncThrottle, check_rate_limit, rate_limit_from_env
from .._version import __version__
from .._wire import to_json
from ..models._async.app import AsyncAppManager
from ..models._base import Me, list_items
from ._network import install_deadline
from ._operations import AsyncOperations
from ._seam import AsyncSeam
from ._transport import POOL_LIMITS, POOL_SIZE, pool_transport

__all__ = ["AsyncAxHub"]

logger = logging.getLogger("axhub_orm")

_HEADERS = {
    "User-Agent": f"axhub-orm/{__version__}",
    "Accept": "application/json",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
}
"""Sent with every request (the encodings are those httpx decodes without extra packages)."""

_ENV = {
    "base_url": "AXHUB_BASE_URL",
    "token": "AXHUB_TOKEN",
    "token_type": "AXHUB_TOKEN_TYPE",
    "tenant_id": "AXHUB_TENANT_ID",
    "tenant_slug": "AXHUB_TENANT_SLUG",
    "rate_limit": "AXHUB_RATE_LIMIT",
}


def _env_proxy(base_url: str) -> bool:
    """Whether the environment names a proxy for ``base_url``'s scheme (httpx would use it)."""
    proxies = urllib.request.getproxies()
    return bool(proxies.get(httpx.URL(base_url).scheme) or proxies.get("all"))


class AsyncAxHub:
    """A client for AX Hub: the ORM entry points and every generated operation.

    Tokens are sent per their explicit ``token_type`` (PAT → ``X-Api-Key``, JWT →
    ``Authorization: Bearer``); every request carries an ``X-Request-ID``; a 429 is retried up
    to ``rate_limit_retries`` times honoring ``Retry-After`` (one wait capped at
    ``max_retry_wait`` seconds), and while one request waits out a 429 every other request of
    the client waits too (one shared gate). ``rate_limit`` (requests per second, ``None``: no
    limit) spaces all the client's requests, from every task or thread, with one token bucket.
    ``timeout`` is the budget of one attempt, from sending to the
    last byte of the answer (each 429 retry gets its own). One pooled connection set per client:
    use it as a context manager or call ``aclose()``. Configuration mistakes (a token with
    whitespace, a ``base_url`` without a scheme, a non-positive timeout) raise
    :class:`ValidationError` here, not at the first request. ``verify`` (an ``ssl.SSLContext``,
    or ``False``) applies to the client's own pool; by default an ``https://`` client shares one
    process-wide context and an ``http://`` client builds none. With ``transport=`` requests go
    straight to that transport; with ``http_client=`` they go through that client (its event
    hooks, auth and headers apply).

    Example::

        async with AsyncAxHub(token=pat, token_type=TokenType.PAT, tenant_id=tid) as hub:
            app = await hub.apps.create(slug="crm", name="CRM")
    """

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        token: str | None = None,
        token_type: TokenType | str | None = None,
        tenant_id: str | None = None,
        tenant_slug: str | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        verify: ssl.SSLContext | bool = True,
        rate_limit_retries: int = 2,
        max_retry_wait: float = 60.0,
        rate_limit: float | None = None,
    ) -> None:
        if token is not None and token_type is None:
            raise ValidationError(
                "token_type must be explicit: pass token_type=TokenType.PAT (sent as X-Api-Key) "
                "or TokenType.JWT (sent as Authorization: Bearer)",
                code="token_type_required",
            )
        check_token(token)
        self.base_url = check_config(base_url, timeout, rate_limit_retries, max_retry_wait)
        self.token_type = None if token_type is None else TokenType.parse(token_type)
        self.tenant_id = tenant_id
        self.tenant_slug = tenant_slug
        self.timeout = float(timeout)
        self._auth = auth_headers(token, self.token_type)
        self._secrets = () if token is None else (token,)
        self._retry = RetryPolicy(retries=rate_limit_retries, max_wait=max_retry_wait)
        self.rate_limit = check_rate_limit(rate_limit)
        self._throttle = AsyncThrottle(self.rate_limit)
        self._closed = False
        self._builder = RequestBuilder(
            self.base_url, {**_HEADERS, **self._auth}, httpx.Timeout(timeout)
        )
        # Requests go straight to a transport (ours, or the one passed in) unless the caller
        # hands us an httpx client (its hooks, auth, cookies and headers then apply) or the
        # environment names a proxy (httpx's client honors it): those go through the client.
        self._owns_http = http_client is None
        self._http = http_client
        self._transport: httpx.AsyncBaseTransport | None = None
        if http_client is None and transport is None and _env_proxy(self.base_url):
            self._http = httpx.AsyncClient(
                timeout=timeout, headers=_HEADERS, verify=verify, limits=POOL_LIMITS
            )
        elif http_client is None:
            self._transport = transport or pool_transport(httpx.URL(self.base_url), verify)
        install_deadline(self._transport or self._http)
        self._gate = AsyncPoolGate(POOL_SIZE if transport is None else None)

    @classmethod
    def from_env(cls, **overrides: Any) -> AsyncAxHub:
        """Build a client from the ``AXHUB_*`` environment variables.

        Reads ``AXHUB_BASE_URL``, ``AXHUB_TOKEN``, ``AXHUB_TOKEN_TYPE``, ``AXHUB_TENANT_ID``,
        ``AXHUB_TENANT_SLUG`` and ``AXHUB_RATE_LIMIT`` (requests per second); keyword arguments
        win over the variables.
        """
        settings: dict[str, Any] = {
            name: os.environ[var] for name, var in _ENV.items() if os.environ.get(var)
        }
        if "rate_limit" in settings:
            settings["rate_limit"] = rate_limit_from_env(settings["rate_limit"])
        settings.update(overrides)
        return cls(**settings)

    def __repr__(self) -> str:
        token = redacted_token() if self._auth else None
        return (
            f"<{type(self).__name__} base_url={self.base_url!r} tenant_slug={self.tenant_slug!r} "
            f"token={token}>"
        )

    def redacted_token(self) -> str:
        """What to show in place of this client's token: always ``***REDACTED***``.

        Example::

            print(f"token={hub.redacted_token()}")
        """
        return redacted_token()

    @property
    def operations(self) -> AsyncOperations:
        """Every generated operation as a method: ``hub.operations.auth_get_api_v1_me()``."""
        return AsyncOperations(self)

    @property
    def apps(self) -> AsyncAppManager:
        """The apps of the client's tenant: ``create``, ``get``, ``list``."""
        return AsyncAppManager(AsyncSeam(self))

    async def me(self) -> Me:
        """The caller (one GET): ``me.id`` is the user id for grants and row owners."""
        return Me.from_wire(await self._call("authGetApiV1Me"))

    async def request(
        self,
        operation_id: str,
        *,
        path_params: Mapping[str, object] | None = None,
        query: QueryParams | None = None,
        body: Any = None,
    ) -> Any:
        """Call any of the 189 operations by id; the escape hatch beneath the ORM.

        The response is camelCased except rows (wire-contract §14). Raises a typed
        :class:`AxHubError` on failure, and :class:`ValidationError` before sending for an
        unknown operation id, a missing path parameter or a body value with no JSON form
        (``Decimal``, ``date``/``datetime`` and ``UUID`` are encoded, anywhere in the body).

        Example::

            me = await hub.request("authGetApiV1Me")
        """
        body = None if body is None else to_json(body, where="body")  # refused before sending
        data = await self._call(operation_id, path_params=path_params, query=query, body=body)
        return shape_response(operation_id, data)

    async def _call(
        self,
        operation_id: str,
        *,
        path_params: Mapping[str, object] | None = None,
        query: QueryParams | None = None,
        body: Any = None,
    ) -> Any:
        """Send an operation and return the wire JSON exactly as received (snake_case)."""
        prepared = prepare(operation_id, path_params, query, body)
        response = await self._send(prepared)
        if response.is_redirect:
            return {"status": response.status_code, "location": response.headers.get("location")}
        try:
            return decode_json(response.content)
        except ValueError:
            raise InternalError(
                f"{operation_id} answered HTTP {response.status_code} with a body that is not JSON",
                code="invalid_response",
                status=response.status_code,
                request_id=response.headers.get("x-request-id"),
            ) from None

    async def _call_all(self, operation_id: str, path_params: Mapping[str, object]) -> list[Any]:
        """Every item of a paged (non-row) list operation, following ``has_more``."""
        items: list[Any] = []
        page = 1
        while True:
            data = await self._call(
                operation_id, path_params=path_params, query={"page": page, "per_page": 100}
            )
            batch, more = list_items(data)
            items.extend(batch)
            if not more:
                return items
            page += 1

    async def _send(self, prepared: PreparedRequest) -> httpx.Response:
        if self._closed or (self._http is not None and self._http.is_closed):
            raise StateError(
                "this client is closed; create a new one (or keep it open in a `with` block)",
                code="client_closed",
            )
        request_id = new_request_id()
        headers = {**self._auth, "X-Request-ID": request_id}
        attempt = 0
        while True:
            await self._throttle.wait()
            response = await self._send_once(prepared, headers, request_id)
            if response.is_success or response.is_redirect:
                return response
            delay = self._retry.delay(
                response.status_code, response.headers, attempt, response.content
            )
            if delay is None:
                raise decode_error(
                    response.status_code, response.content, request_id, self._secrets
                )
            attempt += 1
            logger.warning(
                "429 on %s; retry %d/%d in %.2fs (request_id=%s)",
                prepared.route.operation_id,
                attempt,
                self._retry.retries,
                delay,
                request_id,
            )
            # Every request of this client waits too (the shared gate), not just this one.
            self._throttle.close_for(delay)

    async def _send_once(
        self, prepared: PreparedRequest, headers: dict[str, str], request_id: str
    ) -> httpx.Response:
        logger.debug("%s %s (request_id=%s)", prepared.method, prepared.path, request_id)
        with attempt(self.timeout) as state:
            try:
                if self._transport is not None:
                    response = await self._exchange(self._transport, prepared, request_id)
                else:
                    response = await self._through_client(prepared, headers)
            except httpx.TransportError as exc:
                error = transport_error(
                    exc, prepared, request_id, state, budget=self.timeout, secrets=self._secrets
                )
                # The lower layer's exception is chained only when its text holds no secret.
                leaks = any(secret in str(exc) for secret in self._secrets)
                raise error from (None if leaks else exc)
        logger.debug("%s %s -> %d", prepared.method, prepared.path, response.status_code)
        return response

    async def _exchange(
        self, transport: httpx.AsyncBaseTransport, prepared: PreparedRequest, request_id: str
    ) -> httpx.Response:
        """Hand the request to the transport directly and read the whole response."""
        request = self._builder.build(
            prepared.method, prepared.path, prepared.params, prepared.body, request_id
        )
        async with self._gate:
            response = await transport.handle_async_request(request)
            response.request = request
            try:
                await response.aread()
            finally:
                await response.aclose()
        return response

    async def _through_client(
        self, prepared: PreparedRequest, headers: dict[str, str]
    ) -> httpx.Response:
        """Send through the httpx client (hooks, auth, cookies, its own headers and timeouts)."""
        assert self._http is not None  # noqa: S101  # the only other way to send
        return await self._http.request(
            prepared.method,
            self.base_url + prepared.path,
            params=prepared.params or None,
            json=prepared.body,
            headers=headers,
        )

    async def aclose(self) -> None:
        """Close the pooled connections (a client passed in as ``http_client`` is left open)."""
        self._closed = True
        if self._transport is not None:
            await self._transport.aclose()
        elif self._owns_http and self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncAxHub:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
