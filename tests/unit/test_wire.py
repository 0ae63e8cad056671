"""The one value encoder: bodies and queries spell a value alike; what cannot be sent is refused."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from uuid import UUID

import httpx
import pytest

from axhub_orm import AxHub, QueryError, TokenType, ValidationError
from axhub_orm._wire import IMPLICIT_COLUMNS, is_identifier, to_json, to_text

KST = timezone(timedelta(hours=9))


def _never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing may be sent, got {request.method} {request.url}")


def _hub() -> AxHub:
    return AxHub(
        base_url="https://hub.test",
        token="pat_0123456789",
        token_type=TokenType.PAT,
        tenant_id="t",
        transport=httpx.MockTransport(_never),
    )


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 4, 5, 6, 7, tzinfo=KST),
        datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=timezone.utc),
        date(2026, 3, 4),
        UUID(int=7),
    ],
)
def test_body_and_query_spell_a_value_alike(value: object) -> None:
    """A datetime, date or UUID has one wire spelling, in a JSON body and in a query."""
    assert to_json(value) == to_text(value)


def test_datetime_is_sent_as_utc_with_microseconds() -> None:
    """An aware datetime goes out as RFC 3339 UTC with microseconds and ``Z``."""
    assert to_json(datetime(2026, 3, 4, 5, 6, 7, tzinfo=KST)) == "2026-03-03T20:06:07.000000Z"


def test_naive_datetime_in_an_app_body_is_refused_before_sending() -> None:
    """An app body refuses a naive datetime as rows and queries do (it was sent as local time)."""
    with _hub() as hub:
        app = hub.apps.new(slug="crm", name="CRM", launch_at=datetime(2026, 1, 1))
        with pytest.raises(ValidationError, match="timezone-aware") as caught:
            app.save()
    assert caught.value.code == "invalid_value"


def test_query_refusal_is_a_query_error_and_body_refusal_names_the_field() -> None:
    """The caller picks the error class; the field named in a body refusal is in ``fields``."""
    naive = datetime(2026, 1, 1)
    with pytest.raises(QueryError):
        to_text(naive, where="due__gte", error=QueryError)
    with pytest.raises(ValidationError) as caught:
        to_json(naive, where="due", field="due")
    assert list(caught.value.fields) == [{"name": "due", "code": "invalid_value"}]


def test_names() -> None:
    """One identifier rule and one implicit-column set serve every layer."""
    assert {"id", "created_at", "updated_at"} == IMPLICIT_COLUMNS
    assert [is_identifier(n) for n in ("a", "a_1", "A", "1a", "", "a" * 64, 3)] == [
        True,
        True,
        False,
        False,
        False,
        False,
        False,
    ]
