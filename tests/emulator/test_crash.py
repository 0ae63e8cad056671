"""Killing ``axhub-orm serve`` with SIGKILL during a write storm loses no acknowledged write."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql
from stores import STORES, postgres_url

from .conftest import start_serve


@pytest.fixture(params=STORES)
def state_args(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """``serve`` arguments keeping state across restarts: an SQLite file or a named schema."""
    if request.param == "sqlite":
        yield ["--db", str(tmp_path / "crash.sqlite3")]
        return
    url = postgres_url()
    schema = f"axhub_crash_{uuid.uuid4().hex[:8]}"
    yield ["--store", url, "--schema", schema]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _storm(base_url: str, token: str, url: str, acked: list[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=base_url, headers={"X-Api-Key": token}) as c:
        while not stop.is_set():
            try:
                response = c.post(url, json={"n": len(acked)})
            except httpx.HTTPError:
                return  # the server is gone: this write was never acknowledged
            if response.status_code == 201:
                acked.append(response.json()["id"])


def _all_ids(c: httpx.Client, url: str) -> set[str]:
    ids: list[str] = []
    while True:
        after = ids[-1] if ids else "00000000-0000-0000-0000-000000000000"
        page = c.get(url, params={"sort": "id", "per_page": "100", "id": f"gt.{after}"}).json()
        ids += [row["id"] for row in page["items"]]
        if not page["has_more"]:
            return set(ids)


def test_sigkill_during_a_write_storm_loses_no_acknowledged_write(state_args: list[str]) -> None:
    """4 writers insert until the server is SIGKILLed; after a restart every 201 row is there."""
    process, info = start_serve(state_args)
    try:
        with httpx.Client(base_url=info["base_url"], headers={"X-Api-Key": info["token"]}) as c:
            app = c.post(
                f"/api/v1/tenants/{info['tenant_id']}/apps", json={"slug": "storm", "name": "S"}
            ).json()
            body = {"table_name": "writes", "columns": [{"name": "n", "type": "int"}]}
            assert c.post(f"/api/v1/apps/{app['id']}/tables", json=body).status_code == 201
        url, acked, stop = "/data/local/storm/writes", [], threading.Event()
        writers = [
            threading.Thread(
                target=_storm, args=(info["base_url"], info["token"], url, acked, stop)
            )
            for _ in range(4)
        ]
        for writer in writers:
            writer.start()
        while len(acked) < 200:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        stop.set()
        for writer in writers:
            writer.join()
    finally:
        process.kill()
        process.communicate()
    again, info = start_serve(state_args)
    try:
        with httpx.Client(base_url=info["base_url"], headers={"X-Api-Key": info["token"]}) as c:
            stored = _all_ids(c, url)
    finally:
        again.send_signal(signal.SIGTERM)  # a shell may start background jobs with SIGINT ignored
        again.communicate(timeout=15)
    assert len(acked) >= 200
    assert set(acked) <= stored
