"""Answers that do not fit, and bodies with no JSON form, are typed errors (#13 items 8, 9, 11)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from axhub_orm import (
    AsyncAxHub,
    AxHub,
    InternalError,
    TokenType,
    ValidationError,
)

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


def test_request_escape_hatch_refuses_a_body_with_no_json_form() -> None:
    """hub.request() refuses a body holding infinity with ValidationError before connecting."""
    body = {"slug": "s", "meta": {"ratio": float("inf")}}
    path = {"tenantID": "t"}
    with AxHub(base_url="http://127.0.0.1:9") as hub, pytest.raises(ValidationError) as info:
        hub.request("appsPostApiV1TenantsByTenantIDApps", path_params=path, body=body)
    assert info.value.message.startswith("body at $.meta.ratio:")
