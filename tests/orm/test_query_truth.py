"""Queries and answers that tell the truth (#13 items 9, 11, 14-16), sync and async."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typed.models import Ticket

from axhub_orm import (
    AsyncAxHub,
    AxHub,
    Column,
    DoesNotExist,
    InternalError,
    LocalAxHub,
    Table,
    TokenType,
    ValidationError,
)
from axhub_orm.testing import unique_slug

APP = {"id": "a1", "slug": "crm", "name": "CRM", "created_at": "yesterday"}


def mock_answer(body: Any) -> httpx.MockTransport:
    """A transport answering every request with ``body`` as JSON."""
    return httpx.MockTransport(lambda request: httpx.Response(200, json=body))


def test_a_response_that_does_not_fit_is_invalid_response_naming_the_path() -> None:
    """An app with created_at 'yesterday' is InternalError invalid_response naming $.created_at."""
    settings: dict[str, Any] = {"token": "axhub_pat_x", "token_type": TokenType.PAT}
    with AxHub(transport=mock_answer(APP), **settings) as hub, pytest.raises(InternalError) as sync:
        hub.apps.get("a1")

    async def run() -> None:
        async with AsyncAxHub(transport=mock_answer(APP), **settings) as hub:
            await hub.apps.get("a1")

    with pytest.raises(InternalError) as asynchronous:
        asyncio.run(run())
    for info in (sync, asynchronous):
        assert info.value.code == "invalid_response"
        assert "$.created_at" in info.value.message
        assert info.value.__cause__ is None


def test_a_list_answer_where_an_object_belongs_is_invalid_response() -> None:
    """An app answered as a JSON array is InternalError invalid_response, not an AttributeError."""
    with AxHub(transport=mock_answer([1, 2])) as hub, pytest.raises(InternalError) as info:
        hub.apps.get("a1")
    assert info.value.code == "invalid_response"


@pytest.mark.parametrize("verb", ["list", "create"])
def test_missing_tenant_id_names_the_verb_with_code_and_category(verb: str) -> None:
    """Without a tenant id the error names the verb called; code, category: tenant_id_required."""
    with AxHub(token="axhub_pat_x", token_type="pat") as hub:
        call = hub.apps.list if verb == "list" else lambda: hub.apps.create(slug="s", name="n")
        with pytest.raises(ValidationError) as e:
            call()
    assert f"apps.{verb} needs a tenant id" in e.value.message
    assert (e.value.code, e.value.category) == ("tenant_id_required", "tenant_id_required")


@pytest.fixture
def table(axhub_local: LocalAxHub) -> Iterator[Table]:
    """A `tickets` table made from the Ticket model, with two rows: one open, one closed."""
    with axhub_local.client() as hub:
        app = hub.apps.create(slug=unique_slug("truth"), name="truth")
        app.tables.sync(Ticket)
        table = app.tables.get("tickets")
        table.rows.create(title="a", status="open")
        table.rows.create(title="b", status="closed")
        yield table
        app.delete(permanent=True)


def test_truth_test_of_a_query_refuses_and_points_to_exists(table: Table) -> None:
    """bool(query) and `in` raise TypeError pointing to .exists() instead of sending a request."""
    query = table.rows.filter(title="gone")
    with pytest.raises(TypeError, match=r"\.exists\(\)"):
        bool(query)
    with pytest.raises(TypeError, match=r"\.exists\(\)"):
        assert "x" in query  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"\.exists\(\)"):
        bool(query.typed(Ticket))
    assert query.exists() is False


@pytest.mark.anyio
async def test_truth_test_of_an_async_query_refuses(axhub_local: LocalAxHub) -> None:
    """bool() and `in` on an async query raise TypeError pointing to .exists()."""
    async with axhub_local.async_client() as hub:
        app = await hub.apps.create(slug=unique_slug("atruth"), name="atruth")
        table = await app.tables.create(
            "notes", columns=[Column("body", "text")], owner_column=None
        )
        query = table.rows.filter(body="x")
        with pytest.raises(TypeError, match=r"\.exists\(\)"):
            bool(query)
        with pytest.raises(TypeError, match=r"\.exists\(\)"):
            assert "x" in query  # type: ignore[operator]
        await app.delete(permanent=True)


def test_typed_query_verbs_act_only_on_rows_the_query_matches(table: Table) -> None:
    """delete/save/refresh on a filtered typed query refuse a row the query does not match."""
    tickets = table.rows.typed(Ticket)
    closed = tickets.get(title="b")
    open_tickets = tickets.filter(status="open")
    for verb in ("delete", "refresh", "save"):
        if verb == "save":
            closed.priority = 9
        with pytest.raises(DoesNotExist, match=verb):
            getattr(open_tickets, verb)(closed)
    assert table.rows.filter(title="b").count() == 1
    assert table.rows.get(title="b")["priority"] == 0
    opened = open_tickets.get(title="a")
    opened.priority = 2
    open_tickets.save(opened)
    open_tickets.refresh(opened)
    assert opened.priority == 2
    open_tickets.delete(opened)
    assert table.rows.filter(title="a").exists() is False


@pytest.mark.anyio
async def test_async_typed_query_verbs_act_only_on_matching_rows(axhub_local: LocalAxHub) -> None:
    """The async typed query refuses to delete a row its filters do not match."""
    async with axhub_local.async_client() as hub:
        app = await hub.apps.create(slug=unique_slug("atyped"), name="atyped")
        await app.tables.sync(Ticket, owner_column=None)
        tickets = (await app.tables.get("tickets")).rows.typed(Ticket)
        closed = await tickets.create(title="b", status="closed")
        with pytest.raises(DoesNotExist, match="delete"):
            await tickets.filter(status="open").delete(closed)
        assert await tickets.filter(title="b").count() == 1
        await app.delete(permanent=True)


def test_does_not_exist_shows_the_public_query_and_no_transport_wording(table: Table) -> None:
    """DoesNotExist shows the public request (explain()), no QuerySpec and no transport wording."""
    query = table.rows.filter(status="gone")
    with pytest.raises(DoesNotExist) as info:
        query.get()
    text = str(info.value)
    assert "QuerySpec" not in text and "not sent" not in text
    assert "status=eq.gone" in text
