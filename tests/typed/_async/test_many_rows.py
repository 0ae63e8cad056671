"""Typed queries get the many-row verbs, taking and returning model instances."""

from __future__ import annotations

import pytest

from axhub_orm import AsyncAxHub, AsyncTypedRowQuery, BulkError, RowValidationError
from axhub_orm.testing import AsyncCountingTransport

from ..models import Ticket

pytestmark = pytest.mark.anyio


async def test_typed_bulk_create_update_delete(
    tickets: AsyncTypedRowQuery[Ticket], counted: tuple[AsyncAxHub, AsyncCountingTransport]
) -> None:
    """bulk_create takes instances or mappings and returns instances in order; the rest follow."""
    counter = counted[1]
    made = await tickets.bulk_create(
        [
            Ticket(title=f"t{i}", priority=i) if i % 2 else {"title": f"t{i}", "priority": i}
            for i in range(30)
        ]
    )
    assert [t.title for t in made] == [f"t{i}" for i in range(30)]
    assert all(isinstance(t, Ticket) for t in made)
    assert counter.count("POST") == 30
    counter.reset()
    assert await tickets.bulk_update(made) == 0
    assert counter.requests == []
    for ticket in made[:5]:
        ticket.status = "done"
    assert await tickets.bulk_update(made, fields=["status"]) == 5
    assert await tickets.filter(status="done").count() == 5
    assert await tickets.filter(priority__lt=10).update(status="low") == 10
    found = await tickets.in_bulk([made[0].id, made[29].id])
    assert {t.title for t in found.values()} == {"t0", "t29"}
    assert sorted([t.priority async for t in tickets.scan(concurrency=4)]) == list(range(30))
    assert await tickets.order_by("priority").values_list("title", flat=True)[:2].all() == [
        "t0",
        "t1",
    ]
    assert await tickets.bulk_delete([made[0], made[1].id]) == 2
    assert await tickets.filter(priority__gte=20).delete() == 10
    assert await tickets.count() == 18


async def test_typed_bad_items_fail_and_get_or_create(tickets: AsyncTypedRowQuery[Ticket]) -> None:
    """An item that does not validate is ``failed``; get_or_create returns instances."""
    with pytest.raises(BulkError) as raised:
        await tickets.bulk_create([{"title": "ok"}, {"title": "bad", "priority": "high"}, "nope"])
    assert [item.index for item in raised.value.failed] == [1, 2]
    assert isinstance(raised.value.failed[0].error, RowValidationError)
    assert [item.result.title for item in raised.value.succeeded] == ["ok"]
    ticket, created = await tickets.get_or_create(title="x", defaults={"priority": 3})
    assert created and isinstance(ticket, Ticket) and ticket.priority == 3
    same, created = await tickets.update_or_create(title="x", defaults={"priority": 4})
    assert not created and same.id == ticket.id and same.priority == 4
