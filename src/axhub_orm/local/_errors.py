"""The emulator's error envelope: one exception type carrying a catalog code."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["ApiError", "FieldError", "catalog_entry", "field_error"]

#: Codes the emulator emits that are not in the backend catalog (§13.21).
_EXTRA_CODES: Mapping[str, Mapping[str, Any]] = {
    "not_implemented": {"category": "unavailable", "status": 501, "retryable": False},
}

FieldError = Mapping[str, str]


@cache
def _catalog() -> Mapping[str, Mapping[str, Any]]:
    """Load the backend error catalog shipped with the package."""
    path = resources.files("axhub_orm").joinpath("_data/error_codes.json")
    codes: dict[str, Mapping[str, Any]] = dict(json.loads(path.read_text("utf-8"))["codes"])
    codes.update(_EXTRA_CODES)
    return codes


def catalog_entry(code: str) -> Mapping[str, Any]:
    """Return ``{category, status, retryable}`` for a catalog ``code`` (KeyError if unknown)."""
    return _catalog()[code]


class ApiError(Exception):
    """An error answer: raised anywhere in a handler, rendered as the §2 error envelope."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        catalog_entry(code)  # fail fast on a code that is not in the catalog
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = list(fields) if fields else []
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    @property
    def status(self) -> int:
        """The HTTP status of this error, from the catalog."""
        return int(catalog_entry(self.code)["status"])

    def envelope(self, request_id: str) -> dict[str, Any]:
        """Render ``{"error": {...}}`` for the response body."""
        entry = catalog_entry(self.code)
        body: dict[str, Any] = {
            "category": entry["category"],
            "code": self.code,
            "message": self.message,
            "retryable": bool(entry["retryable"]),
            "request_id": request_id,
        }
        if self.fields:
            body["fields"] = [dict(f) for f in self.fields]
        body.update(self.extra)
        return {"error": body}


def field_error(code: str, name: str, message: str) -> ApiError:
    """Build an error whose ``fields`` names the one offending input ``name``."""
    return ApiError(code, message, fields=[{"name": name, "code": code, "message": message}])
