"""The seed SDK's side of the end-to-end benchmark; runs inside the seed venv.

Only the standard library and ``axhub-sdk`` (0.3.1) are importable there, so this file must not
import ``axhub_orm`` or ``httpx``. It reads a JSON job on stdin (server credentials, the table,
the insert bodies, the counts), runs the workloads of ``_clients.py`` (insert, get, patch, count,
100-row page) through ``AxHubClient.request`` with the same operation ids the ORM uses, and
prints ``{"seconds": {...}, "cpu": {...}, "version": ...}`` as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from typing import Any

from axhub_sdk import AxHubClient, TokenType  # type: ignore[import-not-found]  # seed venv only

INSERT = "schemaPostDataByTenantSlugByAppSlugByTable"
GET = "schemaGetDataByTenantSlugByAppSlugByTableById"
LIST = "schemaGetDataByTenantSlugByAppSlugByTable"
COUNT = "schemaGetDataByTenantSlugByAppSlugByTableCount"
PATCH = "schemaPatchDataByTenantSlugByAppSlugByTableById"
COUNT_QUERY = {"status": "eq.new", "priority": "gte.3"}


class _Clock:
    """Wall and CPU seconds per workload (the same measure as ``_clients.Clock``)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.seconds[name] = time.perf_counter() - wall
        self.cpu[name] = time.process_time() - cpu


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Run the workloads of ``job`` (those of ``_clients.py``) through ``AxHubClient.request``."""
    client = AxHubClient(
        base_url=job["base_url"],
        token=job["token"],
        token_type=TokenType.PAT,
        default_tenant_id=job["tenant_id"],
        default_tenant_slug=job["tenant_slug"],
    )
    path = {"tenantSlug": job["tenant_slug"], "appSlug": job["app_slug"], "table": job["table"]}
    paged = {**path, "table": job["page_table"]}
    clock, n = _Clock(), job["n"]
    with clock.measure("insert"):
        ids = [client.request(INSERT, path_params=path, body=b)["id"] for b in job["bodies"][:n]]
    with clock.measure("get"):
        for row_id in ids:
            client.request(GET, path_params={**path, "id": row_id})
    with clock.measure("patch"):
        for i, row_id in enumerate(ids):
            client.request(PATCH, path_params={**path, "id": row_id}, body={"status": f"s{i}"})
    with clock.measure("count"):
        for _ in range(n):
            client.request(COUNT, path_params=path, query=COUNT_QUERY)
    with clock.measure("page"):
        for _ in range(job["pages"]):
            page = client.request(LIST, path_params=paged, query={"page": "1", "per_page": "100"})
            if len(page["items"]) != 100:
                raise RuntimeError("a page did not hold 100 rows")
    return {"seconds": clock.seconds, "cpu": clock.cpu, "version": version("axhub-sdk")}


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
