"""The seed README's destructive flow, end to end through the ORM against the emulator.

The flow is the demo's own (``axhub_orm.demo``), so this test, the demo and the recorded tests
walk one copy of it; each step asserts the "Success assertion" of the seed's operation table.
"""

from __future__ import annotations

import pytest
from recorded.test_flow import EXPECTED

from axhub_orm.demo import FlowNames
from axhub_orm.demo._async.flow import run_flow
from axhub_orm.local import LocalAxHub
from axhub_orm.testing import AsyncCountingTransport, unique_slug

pytestmark = pytest.mark.anyio


async def test_destructive_flow(axhub_local: LocalAxHub) -> None:
    """App, env var, table, columns, grant, rows, deletes: every step holds, with its requests."""
    counter = AsyncCountingTransport()
    async with axhub_local.async_client(transport=counter) as hub:
        results = await run_flow(hub, counter, FlowNames(slug=unique_slug("flow")))
    assert [(r.step, r.detail) for r in results if not r.ok] == []
    assert [(r.step, r.operations, r.requests) for r in results] == EXPECTED
    assert len(counter.requests) == sum(count for _, _, count in EXPECTED)
