"""What a handler receives (:class:`Ctx`) and returns (:class:`Reply`), plus shared checks."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._wire import is_identifier
from ._errors import ApiError, field_error
from ._filters import parse_paging
from ._jsonb import loads_exact
from ._store import Paging, Store, TableMeta

__all__ = [
    "Ctx",
    "Handler",
    "Reply",
    "Scope",
    "canonical_uuid",
    "identifier",
    "is_uuid",
    "page_envelope",
    "string_field",
    "unknown_fields",
]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass
class Reply:
    """A handler's answer: status and JSON body (``None`` for an empty 204)."""

    status: int
    body: Any = None


@dataclass
class Scope:
    """What the authorization point (:mod:`._policy`) resolved for a request."""

    tenant_id: str
    tenant_slug: str
    role: str
    app: dict[str, Any] | None = None
    app_state: str = "active"
    table: TableMeta | None = None


@dataclass
class Ctx:
    """One authenticated request, as seen by a handler."""

    store: Store
    user_id: str
    params: Mapping[str, str]
    query: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    scope: Scope | None = None
    _parsed: Any = field(default=None, repr=False)

    def _scope(self) -> Scope:
        if self.scope is None:  # pragma: no cover - the policy table covers every handler
            raise RuntimeError("the request was not authorized")
        return self.scope

    def tenant(self) -> tuple[str, str]:
        """``(id, slug)`` of the tenant the route names (authorized as a member)."""
        scope = self._scope()
        return scope.tenant_id, scope.tenant_slug

    def app(self, *, deleted_ok: bool = False) -> dict[str, Any]:
        """The app the route names; 404 when soft-deleted unless ``deleted_ok``."""
        scope = self._scope()
        if scope.app is None:  # pragma: no cover - only app routes call this
            raise RuntimeError("this route names no app")
        if scope.app_state == "deleted" and not deleted_ok:
            raise ApiError("not_found", "the app is deleted")
        return scope.app

    def table(self) -> TableMeta:
        """The table of a ``/data/…`` route (authorized for the route's action)."""
        table = self._scope().table
        if table is None:  # pragma: no cover - only data routes call this
            raise RuntimeError("this route names no table")
        return table

    def json(self) -> Any:
        """The request body parsed as JSON (``None`` when empty); 400 when malformed."""
        if not self.body:
            return None
        if self._parsed is None:
            try:
                self._parsed = loads_exact(self.body.decode("utf-8"))
            except (ValueError, RecursionError):
                raise ApiError("invalid_format", "the request body is not valid JSON") from None
            if _SURROGATE_ESCAPE.search(self.body) and _has_lone_surrogate(self._parsed):
                self._parsed = None
                raise ApiError(
                    "invalid_format",
                    "the request body holds a lone UTF-16 surrogate escape (\\ud800-\\udfff),"
                    " which is not Unicode text",
                )
        return self._parsed

    def object(self) -> dict[str, Any]:
        """The request body, which must be a JSON object."""
        value = self.json()
        if not isinstance(value, dict):
            raise ApiError("invalid_value", "the request body must be a JSON object")
        return value

    def paging(self) -> Paging:
        """Validated ``page``/``per_page`` of the query string."""
        return parse_paging(self.query)

    def query_value(self, name: str) -> str | None:
        """The last value of query parameter ``name``."""
        values = [v for k, v in self.query if k == name]
        return values[-1] if values else None


Handler = Callable[[Ctx], Reply]


def identifier(name: Any, field: str) -> str:
    """A table or column name, else 400 ``invalid_format`` naming ``field``."""
    if not is_identifier(name):
        raise field_error("invalid_format", field, f"{field} must match ^[a-z][a-z0-9_]{{0,62}}$")
    return name


def is_uuid(text: str) -> bool:
    """Whether ``text`` is a hyphenated UUID."""
    return bool(_UUID.fullmatch(text))


def canonical_uuid(text: str) -> str:
    """The lowercase form of a hyphenated UUID."""
    return str(uuid.UUID(text))


def page_envelope(items: list[Any], paging: Paging) -> dict[str, Any]:
    """``{items, page, per_page, has_more}`` from a page fetched with one probe row."""
    return {
        "items": items[: paging.per_page],
        "page": paging.page,
        "per_page": paging.per_page,
        "has_more": len(items) > paging.per_page,
    }


def unknown_fields(body: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """400 ``invalid_value`` naming every body key outside ``allowed``."""
    extra = sorted(k for k in body if k not in allowed)
    if extra:
        raise ApiError(
            "invalid_value",
            "unknown fields in the request body",
            fields=[
                {"name": k[:100], "code": "invalid_value", "message": "unknown field"}
                for k in extra
            ],
        )


def string_field(
    body: Mapping[str, Any], name: str, *, required: bool = False, max_len: int = 1000
) -> str | None:
    """A string body field: ``required`` when missing, ``invalid_value`` when not a string."""
    if name not in body or body[name] is None:
        if required:
            raise field_error("required", name, f"{name} is required")
        return None
    value = body[name]
    if not isinstance(value, str):
        raise field_error("invalid_value", name, f"{name} must be a string")
    if len(value.encode("utf-8", "replace")) > max_len:
        raise field_error("too_long", name, f"{name} is longer than {max_len} bytes")
    if "\x00" in value or _has_surrogate(value):
        raise field_error("invalid_value", name, f"{name} contains invalid characters")
    return value


#: A ``\\uD800``-``\\uDFFF`` escape in raw JSON (valid pairs decode to one character).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value: Any) -> bool:
    """Whether any string (key or value) of a parsed JSON document holds a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _has_surrogate(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _has_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
