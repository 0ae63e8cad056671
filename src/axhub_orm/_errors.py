"""The typed errors of axhub-orm, one rooted tree.

Branch on :attr:`AxHubError.code` and :attr:`AxHubError.category`, never on the message
(Client Policy §3)::

    AxHubError                      every failure the library raises
    ├── ValidationError             category "validation" (400), and client-side refusals
    │   ├── QueryError              a query the backend cannot express, refused before sending
    │   │   └── FilterRequiredError the backend's where-required 400 on a table without owner
    │   └── RowValidationError      a typed row that does not fit its model
    ├── AuthenticationError         category "unauthenticated" (401)
    ├── PermissionDeniedError       category "permission_denied" (403)
    ├── PaymentRequiredError        category "payment_required" (402)
    ├── NotFoundError               category "not_found" (404, 410)
    │   └── DoesNotExist            a query's get() matched no row
    ├── ConflictError               category "conflict" (409)
    │   └── MultipleObjectsReturned a query's get() matched more than one row
    ├── PreconditionFailedError     category "precondition_failed" (412, 428)
    ├── UnavailableError            category "unavailable" (5xx/429 temporarily_unavailable)
    │   └── RateLimitError          category "rate_limited" (429)
    ├── InternalError               category "internal" (500)
    ├── StateError                  an entity verb refused by its state (new, deleted)
    └── TransportError              no HTTP response at all
        ├── ConnectError            the connection failed
        └── RequestTimeoutError     the request timed out

:func:`error_for` is the one place that maps a category (or, failing that, a status) to a class.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "AuthenticationError",
    "AxHubError",
    "ConflictError",
    "ConnectError",
    "DoesNotExist",
    "ErrorField",
    "FilterRequiredError",
    "InternalError",
    "MultipleObjectsReturned",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "QueryError",
    "RateLimitError",
    "RequestTimeoutError",
    "RowValidationError",
    "StateError",
    "TransportError",
    "UnavailableError",
    "ValidationError",
    "error_catalog",
    "error_for",
    "lookup_code",
]

ErrorField = Mapping[str, Any]
"""One entry of ``error.fields``: ``{"name": ..., "code": ..., "message": ...}``."""


class AxHubError(Exception):
    """The root of every error axhub-orm raises.

    Attributes mirror the Client Policy error object: ``category``, ``code``, ``status``
    (``None`` when nothing was sent), ``request_id``, ``retryable``; plus ``message`` (for
    humans; never branch on it) and ``fields`` (per-field details from ``error.fields``).

    Example::

        try:
            hub.apps.create(slug="crm", name="CRM")
        except AxHubError as exc:
            if exc.code == "slug_taken":
                ...
    """

    default_category = "internal"

    def __init__(
        self,
        message: str,
        *,
        code: str,
        category: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        retryable: bool = False,
        fields: Sequence[ErrorField] = (),
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.category = category or self.default_category
        self.status = status
        self.request_id = request_id
        self.retryable = retryable
        self.fields = tuple(fields)
        self.details: Mapping[str, Any] = dict(details or {})

    def __str__(self) -> str:
        text = f"[{self.code}] {self.message} ({self.category}, {self._where()}"
        if self.request_id:
            text += f", request_id={self.request_id}"
        return text + ")"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, category={self.category!r}, "
            f"status={self.status!r}, request_id={self.request_id!r}, "
            f"retryable={self.retryable!r})"
        )

    def _where(self) -> str:
        """Where the failure happened, for ``str()``: the HTTP status, or that nothing was sent."""
        return f"HTTP {self.status}" if self.status is not None else "not sent"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not pickle by default; errors cross process boundaries.
        return (_rebuild, (type(self), self.message, self._state()))

    def _state(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "category": self.category,
            "status": self.status,
            "request_id": self.request_id,
            "retryable": self.retryable,
            "fields": self.fields,
            "details": self.details,
        }


def _rebuild(cls: type[AxHubError], message: str, state: dict[str, Any]) -> AxHubError:
    return cls(message, **state)


class ValidationError(AxHubError):
    """The request was refused as invalid: by the backend (400) or before sending."""

    default_category = "validation"


class QueryError(ValidationError):
    """A query the backend cannot express (OR, NOT, unknown lookups), refused before sending."""


class FilterRequiredError(QueryError):
    """The table has no owner column, so the backend needs a filter (400 ``required``)."""

    @classmethod
    def from_backend(cls, exc: AxHubError, table: str) -> FilterRequiredError:
        """Re-raise the backend's where-required 400 with a message naming the fix."""
        return cls(
            f"table {table!r} has no owner column, so AX Hub refuses to list or count it "
            'without a filter: add one, e.g. .filter(status="new")',
            code=exc.code,
            category=exc.category,
            status=exc.status,
            request_id=exc.request_id,
            retryable=exc.retryable,
            fields=exc.fields,
        )


class RowValidationError(ValidationError):
    """A typed row (pydantic model) refused a value: on the way in or out."""


class AuthenticationError(AxHubError):
    """The token is missing, invalid or expired (401)."""

    default_category = "unauthenticated"


class PermissionDeniedError(AxHubError):
    """The token lacks the role for this route (403)."""

    default_category = "permission_denied"


class PaymentRequiredError(AxHubError):
    """The tenant's plan does not allow this (402)."""

    default_category = "payment_required"


class NotFoundError(AxHubError):
    """The resource does not exist, or no longer does (404 ``not_found``, 410)."""

    default_category = "not_found"


class DoesNotExist(NotFoundError):  # noqa: N818  # Django's name
    """``get()`` on a query matched no row."""

    def _where(self) -> str:
        # Raised on an answer (an empty list, a 404): neither "not sent" nor a transport story.
        return f"HTTP {self.status}" if self.status is not None else "no match"


class ConflictError(AxHubError):
    """The request conflicts with the current state (409)."""

    default_category = "conflict"


class MultipleObjectsReturned(ConflictError):  # noqa: N818  # Django's
    """``get()`` on a query matched more than one row."""

    def _where(self) -> str:
        return "more than one match"


class PreconditionFailedError(AxHubError):
    """A precondition of the route does not hold (412, 428)."""

    default_category = "precondition_failed"


class UnavailableError(AxHubError):
    """The backend is temporarily unavailable; ``retryable`` says whether to try again."""

    default_category = "unavailable"


class RateLimitError(UnavailableError):
    """Too many requests (429), still failing after the automatic retries."""

    default_category = "rate_limited"


class InternalError(AxHubError):
    """The backend failed (500)."""

    default_category = "internal"


class StateError(AxHubError):
    """An entity verb refused by the entity's state (``save()`` after ``delete()``, ...)."""

    default_category = "state"


class TransportError(AxHubError):
    """No HTTP response was received.

    ``request_sent`` says whether any of the request may have reached the server: ``False``
    when nothing left the client (connection refused, no connection within the deadline, a
    request refused before writing), ``True`` when it was sent and no complete answer came (a
    read timeout, a reset or end of stream after sending). ``retryable`` is true only when a
    retry cannot apply a write twice: the request was not sent, or its method is idempotent.
    """

    default_category = "transport"

    def __init__(self, message: str, *, request_sent: bool, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.request_sent = request_sent

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, request_sent={self.request_sent!r})"

    def _where(self) -> str:
        return "sent, no answer" if self.request_sent else "not sent"

    def _state(self) -> dict[str, Any]:
        return {**super()._state(), "request_sent": self.request_sent}


class ConnectError(TransportError):
    """The connection to AX Hub could not be made or was lost."""


class RequestTimeoutError(TransportError):
    """The request did not complete within the client's timeout."""


_BY_CATEGORY: Mapping[str, type[AxHubError]] = {
    "validation": ValidationError,
    "unauthenticated": AuthenticationError,
    "permission_denied": PermissionDeniedError,
    "payment_required": PaymentRequiredError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "precondition_failed": PreconditionFailedError,
    "unavailable": UnavailableError,
    "rate_limited": RateLimitError,
    "internal": InternalError,
}

_BY_STATUS: Mapping[int, str] = {
    400: "validation",
    401: "unauthenticated",
    402: "payment_required",
    403: "permission_denied",
    404: "not_found",
    409: "conflict",
    410: "not_found",
    412: "precondition_failed",
    422: "validation",
    428: "precondition_failed",
    429: "rate_limited",
    500: "internal",
}


@cache
def error_catalog() -> Mapping[str, Mapping[str, Any]]:
    """The backend's error catalog: code → ``{category, status, retryable}`` (shared, read-only)."""
    text = resources.files("axhub_orm").joinpath("_data/error_codes.json").read_text("utf-8")
    codes: Mapping[str, Mapping[str, Any]] = json.loads(text)["codes"]
    return codes


def lookup_code(code: str) -> Mapping[str, Any] | None:
    """The catalog entry (``category``, ``status``, ``retryable``) of an error code, if known."""
    return error_catalog().get(code)


def category_for_status(status: int) -> str:
    """The category implied by an HTTP status when neither body nor catalog gives one."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return "unavailable"
    return "validation" if 400 <= status < 500 else "internal"


def error_for(category: str, status: int | None = None) -> type[AxHubError]:
    """The error class of a category; a 429 is always a :class:`RateLimitError`."""
    if status == 429:
        return RateLimitError
    return _BY_CATEGORY.get(category, AxHubError)
