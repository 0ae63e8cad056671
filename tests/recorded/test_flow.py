"""The demo's flow (the seed README's quickstart and destructive flow), sync and async.

Replayed from cassettes in CI, re-recorded against the emulator, or recorded live.
"""

from __future__ import annotations

import pytest
from vcr.cassette import Cassette

from axhub_orm.demo import StepResult, run_flow, run_flow_async
from axhub_orm.testing import AsyncCountingTransport, CountingTransport

from ._cassettes import FlowTarget

# Step, the operation ids it sends (in order) and how many requests it takes.
EXPECTED = [
    ("who am I", ("authGetApiV1Me",), 1),
    ("create app", ("appsPostApiV1TenantsByTenantIDApps",), 1),
    ("set env var", ("appsPostApiV1AppsByAppIDEnvVars", "appsGetApiV1AppsByAppIDEnvVars"), 2),
    (
        "delete env var",
        ("appsDeleteApiV1AppsByAppIDEnvVarsByKey", "appsGetApiV1AppsByAppIDEnvVars"),
        2,
    ),
    ("create table", ("schemaPostApiV1AppsByAppIDTables",), 1),
    ("inspect table", ("schemaGetApiV1AppsByAppIDTablesByTableName",), 1),
    (
        "add column",
        (
            "schemaPostApiV1AppsByAppIDTablesByTableNameColumns",
            "schemaGetApiV1AppsByAppIDTablesByTableName",
        ),
        2,
    ),
    (
        "drop column",
        (
            "schemaDeleteApiV1AppsByAppIDTablesByTableNameColumnsByColumnName",
            "schemaGetApiV1AppsByAppIDTablesByTableName",
        ),
        2,
    ),
    ("add grant", ("schemaPostApiV1AppsByAppIDTablesByTableNameGrants",), 1),
    ("list grants", ("schemaGetApiV1AppsByAppIDTablesByTableNameGrants",), 1),
    (
        "revoke grant",
        (
            "schemaDeleteApiV1AppsByAppIDTablesByTableNameGrantsByGrantID",
            "schemaGetApiV1AppsByAppIDTablesByTableNameGrants",
        ),
        2,
    ),
    ("insert row", ("schemaPostDataByTenantSlugByAppSlugByTable",), 1),
    ("get row", ("schemaGetDataByTenantSlugByAppSlugByTableById",), 1),
    ("update row", ("schemaPatchDataByTenantSlugByAppSlugByTableById",), 1),
    ("list rows", ("schemaGetDataByTenantSlugByAppSlugByTable",), 1),
    ("count rows", ("schemaGetDataByTenantSlugByAppSlugByTableCount",), 1),
    ("browse rows", ("schemaGetApiV1AppsByAppIDTablesByTableNameRows",), 1),
    (
        "delete row",
        (
            "schemaDeleteDataByTenantSlugByAppSlugByTableById",
            "schemaGetDataByTenantSlugByAppSlugByTableById",
        ),
        2,
    ),
    (
        "delete table",
        (
            "schemaDeleteApiV1AppsByAppIDTablesByTableName",
            "schemaGetApiV1AppsByAppIDTablesByTableName",
        ),
        2,
    ),
    ("soft-delete app", ("appsDeleteApiV1AppsByAppID",), 1),
    (
        "delete app permanently",
        ("appsDeleteApiV1AppsByAppIDPermanent", "appsGetApiV1AppsByAppID"),
        2,
    ),
]


def assert_flow(results: list[StepResult], cassette: Cassette, target: FlowTarget) -> None:
    """Every step held with the expected operations and requests; the cassette is all used."""
    failed = [(r.step, r.detail) for r in results if not r.ok]
    assert failed == []
    assert [(r.step, r.operations, r.requests) for r in results] == EXPECTED
    assert len(cassette) == sum(r.requests for r in results)
    if target.mode == "replay":
        assert cassette.all_played


@pytest.mark.vcr
def test_flow_sync(flow_target: FlowTarget, vcr: Cassette) -> None:
    """The seed flow through AxHub holds every success assertion, step by step."""
    counter = CountingTransport()
    with flow_target.client(counter) as hub:
        results = run_flow(hub, counter, flow_target.names)
    assert_flow(results, vcr, flow_target)


@pytest.mark.anyio
@pytest.mark.vcr
async def test_flow_async(flow_target: FlowTarget, vcr: Cassette) -> None:
    """The same flow through AsyncAxHub sends the same operations and holds the same assertions."""
    counter = AsyncCountingTransport()
    async with flow_target.async_client(counter) as hub:
        results = await run_flow_async(hub, counter, flow_target.names)
    assert_flow(results, vcr, flow_target)
