"""The seed SDK's side of the end-to-end benchmark; runs inside the seed venv.

Only the standard library and ``axhub-sdk`` (0.3.1) are importable there, so this file must not
import ``axhub_orm`` or ``httpx``. It reads a JSON job on stdin (server credentials, the table,
the insert bodies, the counts), runs the four workloads through ``AxHubClient.request`` with the
same operation ids the ORM uses, and prints ``{"seconds": {...}, "version": ...}`` as JSON.
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


class _Clock:
    """Wall and CPU seconds per workload (the same measure as ``_e2e.Clock``)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.seconds[name] = time.perf_counter() - wall
        self.cpu[name] = time.process_time() - cpu


def _scan(client: AxHubClient, path: dict[str, str]) -> int:
    seen, page = 0, 1
    while True:
        data = client.request(LIST, path_params=path, query={"page": str(page), "per_page": "100"})
        seen += len(data["items"])
        if not data.get("hasMore"):
            return seen
        page += 1


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Run the workloads of ``job`` and return seconds per workload."""
    client = AxHubClient(
        base_url=job["base_url"],
        token=job["token"],
        token_type=TokenType.PAT,
        default_tenant_id=job["tenant_id"],
        default_tenant_slug=job["tenant_slug"],
    )
    path = {"tenantSlug": job["tenant_slug"], "appSlug": job["app_slug"], "table": job["table"]}
    clock = _Clock()

    with clock.measure("insert"):
        ids = [client.request(INSERT, path_params=path, body=body)["id"] for body in job["bodies"]]
    with clock.measure("get"):
        for row_id in ids[: job["gets"]]:
            client.request(GET, path_params={**path, "id": row_id})
    with clock.measure("scan"):
        for _ in range(job["scans"]):
            if _scan(client, path) != len(ids):
                raise RuntimeError("a scan did not see every row")
    with clock.measure("count"):
        for _ in range(job["counts"]):
            client.request(COUNT, path_params=path, query=job["count_query"])
    return {"seconds": clock.seconds, "cpu": clock.cpu, "version": version("axhub-sdk")}


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
