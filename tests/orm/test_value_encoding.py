"""Values without a JSON form are encoded or refused before sending (#13 item 8), sync and async."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from axhub_orm import AxHub, Column, LocalAxHub, ValidationError
from axhub_orm.testing import AsyncCountingTransport, CountingTransport, unique_slug

COLUMNS = [Column("f", "float"), Column("meta", "jsonb"), Column("title", "text")]
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
NESTED = {"due": date(2026, 1, 2), "at": [WHEN], "ref": UUID(int=1), "cost": Decimal("2.25")}
ENCODED = {
    "due": "2026-01-02",
    "at": ["2026-01-02T03:04:05.000000Z"],
    "ref": "00000000-0000-0000-0000-000000000001",
    "cost": 2.25,
}
REFUSED = [
    ({"f": float("nan")}, "f", "nan"),
    ({"f": Decimal("NaN")}, "f", "NaN"),
    ({"f": Decimal("0.1234567890123456789012")}, "f", "digits"),
    ({"meta": {"tags": {"a", "b"}}}, "meta at $.tags", "set"),
    ({"meta": {"log": [1, {"when": datetime(2026, 1, 1)}]}}, "meta at $.log[1].when", "naive"),
    ({"meta": {"blob": b"x"}}, "meta at $.blob", "bytes"),
    ({"meta": {1: "x"}}, "meta", "key"),
]


def test_sync_rows_encode_decimal_date_uuid_anywhere_and_refuse_the_rest(
    axhub_local: LocalAxHub,
) -> None:
    """Decimal, date, datetime, UUID encode at any depth; the rest is refused by column and path."""
    counter = CountingTransport()
    with axhub_local.client(transport=counter) as hub:
        app = hub.apps.create(slug=unique_slug("enc"), name="enc")
        table = app.tables.create("things", columns=COLUMNS)
        row = table.rows.create(f=Decimal("1.5"), meta=NESTED, title="a")
        assert (table.rows.get(row.id)["f"], table.rows.get(row.id)["meta"]) == (1.5, ENCODED)
        before = len(counter.requests)
        for values, where, problem in REFUSED:
            with pytest.raises(ValidationError) as info:
                table.rows.create(title="b", **values)
            assert info.value.message.startswith(where + ":") and problem in info.value.message
            assert info.value.fields[0]["name"] == where.split()[0]
        assert len(counter.requests) == before
        app.delete(permanent=True)


def test_async_rows_encode_and_refuse_alike(axhub_local: LocalAxHub) -> None:
    """The async client encodes a Decimal and refuses a set inside jsonb, sending nothing."""
    counter = AsyncCountingTransport()

    async def run() -> tuple[Any, ValidationError]:
        async with axhub_local.async_client(transport=counter) as hub:
            app = await hub.apps.create(slug=unique_slug("aenc"), name="aenc")
            table = await app.tables.create("things", columns=COLUMNS)
            row = await table.rows.create(f=Decimal("1.5"), meta=NESTED, title="a")
            stored = (await table.rows.get(row.id))["meta"], row["f"]
            before = len(counter.requests)
            try:
                await table.rows.create(meta={"tags": {"a"}})
            except ValidationError as exc:
                refused = exc
            assert len(counter.requests) == before
            await app.delete(permanent=True)
            return stored, refused

    (meta, f), refused = asyncio.run(run())
    assert (meta, f) == (ENCODED, 1.5)
    assert refused.message.startswith("meta at $.tags:")


def test_request_escape_hatch_encodes_or_refuses_its_body() -> None:
    """hub.request() refuses a body holding infinity with ValidationError before connecting."""
    with AxHub(base_url="http://127.0.0.1:9") as hub, pytest.raises(ValidationError) as info:
        hub.request(
            "appsPostApiV1TenantsByTenantIDApps",
            path_params={"tenantID": "t"},
            body={"slug": "s", "meta": {"ratio": float("inf")}},
        )
    assert info.value.message.startswith("body at $.meta.ratio:")
