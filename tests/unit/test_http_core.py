"""Sans-IO pieces of the pipeline: Retry-After parsing, retry decisions, casing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from axhub_orm._http import DEFAULT_RETRY_AFTER, RetryPolicy, camelize, parse_retry_after
from axhub_orm._time import parse_rfc3339

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("5", 5.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (None, DEFAULT_RETRY_AFTER),
        ("", DEFAULT_RETRY_AFTER),
        ("soon", DEFAULT_RETRY_AFTER),
        ("-3", DEFAULT_RETRY_AFTER),
    ],
)
def test_retry_after_seconds(header: str | None, expected: float) -> None:
    """Retry-After in seconds is honored; absent, invalid or negative values use the default."""
    assert parse_retry_after(header, default=DEFAULT_RETRY_AFTER, now=NOW) == expected


def test_retry_after_http_date() -> None:
    """An HTTP-date Retry-After waits until that moment; a past date waits 0."""
    future = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    past = format_datetime(NOW - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(future, default=60, now=NOW) == 30.0
    assert parse_retry_after(past, default=60, now=NOW) == 0.0


def test_retry_policy_decides_only_for_429_within_budget() -> None:
    """The policy retries 429 twice, capped by max_wait, and never another status."""
    policy = RetryPolicy(retries=2, max_wait=10.0)
    assert policy.delay(429, {"retry-after": "3"}, 0) == 3.0
    assert policy.delay(429, {"retry-after": "300"}, 1) == 10.0
    assert policy.delay(429, {}, 1) == 10.0
    assert policy.delay(429, {"retry-after": "1"}, 2) is None
    assert policy.delay(503, {"retry-after": "1"}, 0) is None


def test_camelize_keys_only() -> None:
    """Camelizing converts keys recursively and leaves values and leading underscores alone."""
    assert camelize({"has_more": "snake_value", "_select": 1, "a": [{"revoked_at": None}]}) == {
        "hasMore": "snake_value",
        "_select": 1,
        "a": [{"revokedAt": None}],
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-02T12:45:09.123456Z", datetime(2026, 6, 2, 12, 45, 9, 123456, timezone.utc)),
        ("2026-06-02T12:45:09Z", datetime(2026, 6, 2, 12, 45, 9, tzinfo=timezone.utc)),
        ("2026-06-02T12:45:09.5+02:00", datetime(2026, 6, 2, 10, 45, 9, 500000, timezone.utc)),
        ("2026-06-02t12:45:09.123456789z", datetime(2026, 6, 2, 12, 45, 9, 123456, timezone.utc)),
    ],
)
def test_rfc3339_parses_on_every_python(text: str, expected: datetime) -> None:
    """RFC 3339 timestamps with Z, offsets and 1-9 fraction digits parse (3.10 included)."""
    assert parse_rfc3339(text) == expected


@pytest.mark.parametrize("text", ["2026-06-02", "20260602T124509Z", "2026-06-02T12:45", "x"])
def test_rfc3339_refuses_other_shapes(text: str) -> None:
    """Dates alone, basic format and partial times are not RFC 3339 date-times."""
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_rfc3339(text)


def test_retry_policy_falls_back_to_the_body_after_ms() -> None:
    """Without Retry-After, error.retry.after_ms decides the wait; the header wins when present."""
    policy = RetryPolicy(retries=2, max_wait=100.0)
    body = b'{"error": {"code": "rate_limited", "retry": {"after_ms": 1500}}}'
    assert policy.delay(429, {}, 0, body) == 1.5
    assert policy.delay(429, {"retry-after": "3"}, 0, body) == 3.0
    assert policy.delay(429, {}, 0, b'{"error": {"retry": {"after_ms": -1}}}') == 60.0
    assert policy.delay(429, {}, 0, b"<html>busy</html>") == 60.0
