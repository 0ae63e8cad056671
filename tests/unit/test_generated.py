"""The generated code: the route table, the operations facade and the sync twins."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from axhub_orm import ROUTES, AsyncOperations, Operations

ROOT = Path(__file__).resolve().parents[2]


def run(script: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run one of the project's generator scripts with ``--check`` or other flags."""
    return subprocess.run(
        [sys.executable, str(cwd / "scripts" / script), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def test_route_table_has_every_operation() -> None:
    """All 189 operations of routes.json are in ROUTES with their method and path."""
    data = json.loads((ROOT / "src/axhub_orm/_data/routes.json").read_text())["routes"]
    assert len(ROUTES) == len(data) == 189
    for route in data:
        got = ROUTES[route["operationId"]]
        assert (got.method, got.path) == (route["method"], route["path"])


def test_operations_facade_offers_every_operation_sync_and_async() -> None:
    """hub.operations has one method per operation, by snake_case name, in both worlds."""
    for route in ROUTES.values():
        assert callable(getattr(Operations, route.snake_name))
        assert callable(getattr(AsyncOperations, route.snake_name))
    assert ROUTES["authGetApiV1Me"].snake_name == "auth_get_api_v1_me"


@pytest.mark.parametrize("script", ["gen_routes.py", "unasync.py"])
def test_committed_generated_files_are_fresh(script: str) -> None:
    """The committed generated files are exactly what the generators make."""
    result = run(script, "--check")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """A throwaway copy of the sources and scripts to make stale."""
    shutil.copytree(ROOT / "src", tmp_path / "src")
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")  # ruff settings
    return tmp_path


def test_route_check_fails_when_routes_json_changes(tree_copy: Path) -> None:
    """Editing routes.json without regenerating makes gen_routes --check fail."""
    source = tree_copy / "src/axhub_orm/_data/routes.json"
    data = json.loads(source.read_text())
    data["routes"].append({"method": "GET", "path": "/x", "tag": "X", "operationId": "xGetX"})
    source.write_text(json.dumps(data))
    result = run("gen_routes.py", "--check", cwd=tree_copy)
    assert result.returncode == 1
    assert "stale: src/axhub_orm/_routes.py" in result.stdout


def test_unasync_check_fails_when_async_source_changes(tree_copy: Path) -> None:
    """Editing an async source without regenerating makes unasync --check fail."""
    source = tree_copy / "src/axhub_orm/_async/_client.py"
    source.write_text(source.read_text() + "\n# edited\n")
    result = run("unasync.py", "--check", cwd=tree_copy)
    assert result.returncode == 1
    assert "stale: src/axhub_orm/_sync/_client.py" in result.stdout


def test_unasync_check_fails_on_a_hand_edited_twin(tree_copy: Path) -> None:
    """A hand edit in a generated sync file is caught by the whole-file comparison."""
    twin = tree_copy / "src/axhub_orm/_sync/_client.py"
    twin.write_text(twin.read_text().replace("def close", "def close_", 1))
    assert run("unasync.py", "--check", cwd=tree_copy).returncode == 1


def test_requests_resolve_back_to_their_operation() -> None:
    """A method and path resolve to the most specific route: literals beat parameters."""
    from axhub_orm._resolve import resolve_path

    count = resolve_path("GET", "/data/t/a/tickets/_count")
    assert count is not None
    assert count[0].operation_id == "schemaGetDataByTenantSlugByAppSlugByTableCount"
    types = resolve_path("GET", "/api/v1/apps/x/tables/column-types")
    assert types is not None
    assert types[0].operation_id == "schemaGetApiV1AppsByAppIDTablesColumnTypes"
    row = resolve_path("PATCH", "/data/t/a/tickets/r1")
    assert row is not None
    assert row[1] == {"tenantSlug": "t", "appSlug": "a", "table": "tickets", "id": "r1"}
    assert resolve_path("GET", "/nowhere") is None
    assert resolve_path("PUT", "/api/v1/me") is None
