"""Canned AX Hub wire data and an in-process ``httpx.MockTransport`` that serves it.

The bodies mirror what the emulator answers (wire-contract §13.7/§13.9): a row carries ``id``,
``created_at``, ``updated_at`` and eight user columns of mixed types (uuid, text, int, float,
bool, timestamptz, jsonb). Bodies are serialised once, up front, so the transport does the same
tiny amount of work for the raw-httpx baseline and for the ORM.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Final

import httpx

from axhub_orm import AxHub, TokenType

__all__ = [
    "APP_ID",
    "APP_SLUG",
    "BASE_URL",
    "COLUMN_DEFS",
    "TABLE",
    "TENANT_ID",
    "TENANT_SLUG",
    "TOKEN",
    "USER_ID",
    "CannedServer",
    "PagedServer",
    "canned_hub",
    "insert_values",
    "make_row",
    "row_id",
]

BASE_URL: Final = "http://axhub.bench"
TOKEN: Final = "bench-pat-0123456789"  # noqa: S105  # fake; only a mock transport sees it
TENANT_ID: Final = "8a0c7a54-5d1e-4a43-9d0c-7f2b3f8f2f11"
TENANT_SLUG: Final = "bench"
USER_ID: Final = "ff889917-9246-48da-93e1-619321692f18"
APP_ID: Final = "ec493fa7-bfc5-41ec-95af-56127985c57c"
APP_SLUG: Final = "bench-app"
TABLE: Final = "tickets"
STAMP: Final = "2026-11-25T12:28:41.356362Z"

COLUMN_DEFS: Final[list[dict[str, Any]]] = [
    {"name": "owner_id", "type": "uuid", "nullable": False, "default": None},
    {"name": "title", "type": "text", "nullable": False, "default": None},
    {"name": "status", "type": "text", "nullable": True, "default": None},
    {"name": "priority", "type": "int", "nullable": True, "default": "0"},
    {"name": "score", "type": "float", "nullable": True, "default": None},
    {"name": "done", "type": "bool", "nullable": True, "default": "false"},
    {"name": "due_at", "type": "timestamptz", "nullable": True, "default": None},
    {"name": "tags", "type": "jsonb", "nullable": True, "default": None},
]

_STATUSES: Final = ("new", "open", "blocked", "done")


def row_id(index: int) -> str:
    """A deterministic row uuid for ``index``."""
    return str(uuid.UUID(int=(0x5EED << 96) + index))


def insert_values(index: int = 0) -> dict[str, Any]:
    """The user columns of one row, as sent in an insert body."""
    return {
        "owner_id": USER_ID,
        "title": f"Ticket number {index}: printer on floor 3 is jammed again",
        "status": _STATUSES[index % len(_STATUSES)],
        "priority": index % 5,
        "score": round(index * 0.37 % 10, 2),
        "done": index % 3 == 0,
        "due_at": "2026-12-01T09:30:00.000000Z",
        "tags": {"labels": ["hardware", "floor-3"], "sla_hours": 24},
    }


def make_row(index: int = 0) -> dict[str, Any]:
    """One stored row as the server returns it (auto columns first, then the user columns)."""
    return {
        "id": row_id(index),
        "created_at": STAMP,
        "updated_at": STAMP,
        **insert_values(index),
    }


def _app() -> dict[str, Any]:
    return {
        "id": APP_ID,
        "tenant_id": TENANT_ID,
        "owner_id": USER_ID,
        "slug": APP_SLUG,
        "name": "Bench",
        "description": "",
        "subdomain": APP_SLUG,
        "schema_name": f"local_{APP_SLUG}",
        "status": "draft",
        "visibility": "private",
        "resource_tier": "S",
        "review_status": "not_submitted",
        "operating_status": "dev",
        "auth_mode": "bearer",
        "deploy_method": "docker",
        "data_scopes": [],
        "created_at": STAMP,
        "updated_at": STAMP,
        "deleted_at": None,
    }


def _table() -> dict[str, Any]:
    return {
        "id": "0ce856cc-32c9-4182-8016-4aea4170bddf",
        "app_id": APP_ID,
        "table_name": TABLE,
        "description": "",
        "owner_column": "owner_id",
        "columns": COLUMN_DEFS,
        "column_count": len(COLUMN_DEFS),
        "row_count": 100,
        "aggregatable_paths": [],
        "references": {},
        "created_at": STAMP,
        "updated_at": STAMP,
    }


def _dump(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


_JSON_HEADERS: Final = [(b"content-type", b"application/json")]


class CannedServer:
    """Answer every data-surface request with a pre-serialised body (no parsing, no state).

    Dispatch looks only at the method and the last path segment, so the transport's own cost is
    a handful of string operations, identical for every client measured.
    """

    def __init__(self) -> None:
        patched = make_row(1) | {"status": "done", "updated_at": "2026-11-25T13:00:00.000000Z"}
        self.row = _dump(make_row(1))
        self.patched = _dump(patched)
        self.page = _dump(
            {
                "items": [make_row(i) for i in range(100)],
                "page": 1,
                "per_page": 100,
                "has_more": True,
            }
        )
        self.count = _dump({"count": 42})
        self.app = _dump(_app())
        self.table = _dump(_table())

    def __repr__(self) -> str:
        return f"<CannedServer page={len(self.page)} bytes>"

    def body_for(self, method: str, path: str) -> tuple[int, bytes]:
        """The status and body answering ``method path``."""
        last = path.rsplit("/", 1)[-1]
        if path.startswith("/data/"):
            if method == "POST":
                return 201, self.row
            if method == "PATCH":
                return 200, self.patched
            if last == "_count":
                return 200, self.count
            return 200, self.page if last == TABLE else self.row
        return 200, self.table if last == TABLE else self.app

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The ``httpx.MockTransport`` handler."""
        status, body = self.body_for(request.method, request.url.path)
        return httpx.Response(status, headers=_JSON_HEADERS, content=body)

    def transport(self) -> httpx.MockTransport:
        """A fresh mock transport over this server."""
        return httpx.MockTransport(self.handle)


class PagedServer:
    """Serve ``rows`` rows as pages of up to 100 built lazily from a row factory.

    Every page body is produced on demand by :meth:`pages` (a generator) unless ``prebuilt``
    asks for them up front, which lets a memory measurement build the data source before
    tracing starts so that only the client's allocations are counted.
    """

    def __init__(
        self, rows: int, *, prebuilt: bool = False, factory: Callable[[int], Any] = make_row
    ) -> None:
        self.rows = rows
        self.factory = factory
        self._prebuilt: dict[int, bytes] | None = None
        if prebuilt:
            self._prebuilt = dict(enumerate(self.pages(), start=1))

    def __repr__(self) -> str:
        return f"<PagedServer rows={self.rows} prebuilt={self._prebuilt is not None}>"

    def page_body(self, page: int, per_page: int = 100) -> bytes:
        """The list envelope of one page."""
        start = (page - 1) * per_page
        stop = min(start + per_page, self.rows)
        items = [self.factory(i) for i in range(start, stop)]
        return _dump(
            {"items": items, "page": page, "per_page": per_page, "has_more": stop < self.rows}
        )

    def pages(self) -> Iterator[bytes]:
        """Every page body of 100 rows, in order."""
        for page in range(1, (self.rows + 99) // 100 + 1):
            yield self.page_body(page)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The ``httpx.MockTransport`` handler: list pages, table and app metadata."""
        path = request.url.path
        if path.startswith("/data/"):
            params = request.url.params
            page = int(params.get("page", "1"))
            per_page = int(params.get("per_page", "20"))
            after = params.get("id", "")
            if after.startswith("gt."):  # keyset paging (sort=id): the page after that row
                start = uuid.UUID(after[3:]).int - (0x5EED << 96) + 1
                page = start // per_page + 1
            if self._prebuilt is not None and per_page == 100:
                body = self._prebuilt.get(page) or self.page_body(page, per_page)
            else:
                body = self.page_body(page, per_page)
            return httpx.Response(200, headers=_JSON_HEADERS, content=body)
        last = path.rsplit("/", 1)[-1]
        body = _dump(_table() if last == TABLE else _app())
        return httpx.Response(200, headers=_JSON_HEADERS, content=body)

    def transport(self) -> httpx.MockTransport:
        """A fresh mock transport over this server."""
        return httpx.MockTransport(self.handle)


def canned_hub(transport: httpx.BaseTransport) -> AxHub:
    """An ``AxHub`` for the canned tenant, sending through ``transport``."""
    return AxHub(
        base_url=BASE_URL,
        token=TOKEN,
        token_type=TokenType.PAT,
        tenant_id=TENANT_ID,
        tenant_slug=TENANT_SLUG,
        transport=transport,
    )
