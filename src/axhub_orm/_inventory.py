"""The public inventories beside ``ROUTES``: the error catalog and the operations by context.

Users branch on an error's ``code`` and ``category`` (Client Policy §3) and look codes and
operations up here, without reaching into the package's internals::

    from axhub_orm import CONTEXT_ROUTES, ERROR_CODES

    ERROR_CODES["slug_taken"]["retryable"]  # False
    "appsPostApiV1TenantsByTenantIDApps" in CONTEXT_ROUTES["apps"]  # True
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from ._errors import error_catalog
from ._routes import ROUTES

__all__ = ["CONTEXT_ROUTES", "ERROR_CODES"]

ERROR_CODES: Final[Mapping[str, Mapping[str, Any]]] = MappingProxyType(
    {
        code: MappingProxyType(
            {
                "category": str(entry["category"]),
                "status": int(entry["status"]),
                "retryable": bool(entry["retryable"]),
            }
        )
        for code, entry in sorted(error_catalog().items())
    }
)
"""The backend's error catalog, read-only: code → ``{"category", "status", "retryable"}``."""


def _by_context() -> dict[str, tuple[str, ...]]:
    groups: dict[str, list[str]] = {}
    for operation_id, route in ROUTES.items():
        groups.setdefault(route.tag.lower(), []).append(operation_id)
    return {context: tuple(sorted(ids)) for context, ids in sorted(groups.items())}


CONTEXT_ROUTES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(_by_context())
"""Every operation id grouped by its API context (the route's tag, lower-cased: ``apps``,
``auth``, ``schema``, ``tenants``, ...), each group sorted; together they are ``ROUTES``."""
