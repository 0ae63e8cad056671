"""The seed SDK's ``insert_many`` for ``bulk.py``; runs inside the seed venv.

Only the standard library and ``axhub-sdk`` (0.3.1) are importable there. Reads a JSON job on
stdin (server credentials, app slug, table, the row bodies), times one ``insert_many`` of them
and prints ``{"seconds": …, "version": …}``.
"""

from __future__ import annotations

import json
import sys
import time
from importlib.metadata import version
from typing import Any

from axhub_sdk import AxHubClient, TokenType  # type: ignore[import-not-found]  # seed venv only


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Insert the job's bodies with ``insert_many``; return the seconds it took."""
    client = AxHubClient(
        base_url=job["base_url"],
        token=job["token"],
        token_type=TokenType.PAT,
        default_tenant_id=job["tenant_id"],
        default_tenant_slug=job["tenant_slug"],
    )
    table = client.ergo_data().table(job["tenant_slug"], job["app_slug"], job["table"])
    start = time.perf_counter()
    result = table.insert_many(job["bodies"])
    seconds = time.perf_counter() - start
    if result["count"] != len(job["bodies"]):
        raise RuntimeError("insert_many did not insert every row")
    return {"seconds": seconds, "version": version("axhub-sdk")}


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
