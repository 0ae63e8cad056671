"""The emulator's error envelope: one exception type carrying a catalog code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from .._errors import ErrorField, error_catalog

__all__ = ["ApiError", "emitted_code", "field_error"]

#: Codes the emulator emits that are not in the backend catalog (§13.21).
_EXTRA_CODES: Mapping[str, Mapping[str, Any]] = {
    "not_implemented": {"category": "unavailable", "status": 501, "retryable": False},
}


@cache
def _codes() -> Mapping[str, Mapping[str, Any]]:
    """The backend catalog plus the emulator's own codes."""
    return {**error_catalog(), **_EXTRA_CODES}


def emitted_code(code: str) -> Mapping[str, Any]:
    """``{category, status, retryable}`` of a code the emulator may emit (KeyError if unknown)."""
    return _codes()[code]


class ApiError(Exception):
    """An error answer: raised anywhere in a handler, rendered as the §2 error envelope."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: Sequence[ErrorField] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        emitted_code(code)  # fail fast on a code that is not in the catalog
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = list(fields) if fields else []
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    @property
    def status(self) -> int:
        """The HTTP status of this error, from the catalog."""
        return int(emitted_code(self.code)["status"])

    def envelope(self, request_id: str) -> dict[str, Any]:
        """Render ``{"error": {...}}`` for the response body."""
        entry = emitted_code(self.code)
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
