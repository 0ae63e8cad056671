"""What makes the cassettes trustworthy: no secrets, no server needed, strict matching."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from vcr import matchers
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.request import Request

from axhub_orm._query import QuerySpec
from axhub_orm.demo import StepResult, run_flow
from axhub_orm.testing import CountingTransport

from ._cassettes import (
    CASSETTE_DIR,
    RECORDED_NAMES,
    REDACTED,
    REPLAY_TARGET,
    Scrubber,
    find_leaks,
    recorded_secrets,
    replaying,
    strict_body,
    strict_query,
)
from ._replay_guard import EmulatorBlocker

ROOT = Path(__file__).resolve().parents[2]
FLOW_CASSETTES = {"test_flow_sync.yaml", "test_flow_async.yaml"}
AUTH_HEADERS = {"x-api-key", "authorization"}
FAKE_PAT = "axhub_pat_" + "0123456789abcdef" * 2 + "01234567"
FAKE_JWT = ".".join(
    base64.urlsafe_b64encode(part).rstrip(b"=").decode()
    for part in (b'{"alg":"HS256","typ":"JWT"}', b'{"sub":"u"}', b"signature-bytes")
)


def auth_header_values(cassette: dict[str, Any]) -> set[str]:
    """Every value of an X-Api-Key or Authorization header, in requests and responses."""
    values: set[str] = set()
    for interaction in cassette["interactions"]:
        for part in (interaction["request"], interaction["response"]):
            for name, header_values in part["headers"].items():
                if name.lower() in AUTH_HEADERS:
                    values.update(header_values)
    return values


def test_cassettes_hold_no_secrets(pytestconfig: pytest.Config) -> None:
    """Every cassette redacts its auth headers and holds no token, known or token-shaped."""
    files = sorted(CASSETTE_DIR.rglob("*.yaml"))
    assert {path.name for path in files} >= FLOW_CASSETTES
    secrets = tuple(recorded_secrets(pytestconfig))
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert find_leaks(text, secrets) == [], path
        assert auth_header_values(yaml.safe_load(text)) == {REDACTED}, path


def test_leak_check_finds_tokens() -> None:
    """The leak check finds a PAT, a JWT and a known secret, so a clean result means something."""
    text = f"X-Api-Key: {FAKE_PAT}\nbody: {FAKE_JWT}\nnote: s3cret-value"
    assert find_leaks(text, ("s3cret-value",)) == [FAKE_PAT, FAKE_JWT, "s3cret-value"]


def test_scrubber_removes_echoed_tokens_and_rebases_urls() -> None:
    """before_record_request/response replace tokens, the tenant id and the host:port."""
    tenant = "11111111-2222-4333-8444-555555555555"
    scrubber = Scrubber(secrets=(FAKE_PAT,), tenant_id=tenant)
    request = scrubber.request(
        Request("POST", f"http://127.0.0.1:5123/api/v1/tenants/{tenant}/apps", b"{}", {})
    )
    assert (
        request.uri == "http://axhub.local/api/v1/tenants/00000000-0000-4000-8000-000000000000/apps"
    )
    body = f'{{"token":"{FAKE_PAT}","tenant_id":"{tenant}"}}'.encode()
    response = scrubber.response(
        {"body": {"string": body}, "headers": {"Content-Length": [str(len(body))]}}
    )
    scrubbed = response["body"]["string"].decode()
    assert find_leaks(scrubbed) == [] and tenant not in scrubbed and REDACTED in scrubbed
    assert response["headers"]["Content-Length"] == [str(len(response["body"]["string"]))]


def test_replay_needs_no_server() -> None:
    """The flow tests pass from cassettes with the emulator unimportable and the network blocked."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT / "src")])}
    env.pop("AXHUB_LIVE", None)
    command = [
        sys.executable, "-m", "pytest", "tests/recorded/test_flow.py", "-q", "-m", "not live",
        "-p", "no:axhub_orm", "-p", "recorded._replay_guard", "-p", "no:cacheprovider",
        "--record-mode=none", "--block-network",
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=90, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_replay_guard_blocks_the_emulator() -> None:
    """The guard used above refuses axhub_orm.local, uvicorn and starlette, and nothing else."""
    guard = EmulatorBlocker()
    for name in ("axhub_orm.local", "axhub_orm.local._server", "uvicorn", "starlette.routing"):
        with pytest.raises(ImportError, match="blocked"):
            guard.find_spec(name, None)
    assert guard.find_spec("axhub_orm.localized", None) is None
    assert guard.find_spec("httpx", None) is None


def refusal(results: list[StepResult]) -> tuple[str, CannotOverwriteExistingCassetteException]:
    """The first failed step and the cassette's refusal that failed it."""
    failed = next(result for result in results if not result.ok)
    assert isinstance(failed.error, CannotOverwriteExistingCassetteException), failed.detail
    return failed.step, failed.error


def refused_matchers(error: CannotOverwriteExistingCassetteException) -> set[str]:
    """The names of the matchers that failed for the closest recorded requests."""
    return {name for _, _, failed in error.similar_requests for name, _ in failed}


def test_changed_body_fails_replay() -> None:
    """A flow that inserts a different row title is refused at the insert by the cassette."""
    counter = CountingTransport()
    names = replace(RECORDED_NAMES, row_title="hello, changed")
    with replaying("test_flow_sync.yaml"), REPLAY_TARGET.client(counter) as hub:
        results = run_flow(hub, counter, names)
    step, error = refusal(results)
    assert step == "insert row"
    assert b"hello, changed" in error.failed_request.body
    assert "strict_body" in refused_matchers(error)


def test_changed_filter_fails_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flow whose count filter compiles to another operator is refused at the count."""
    compile_count = QuerySpec.count_params

    def negated(spec: QuerySpec) -> list[tuple[str, str]]:
        return [(key, value.replace("eq.", "ne.")) for key, value in compile_count(spec)]

    monkeypatch.setattr(QuerySpec, "count_params", negated)
    counter = CountingTransport()
    with replaying("test_flow_sync.yaml"), REPLAY_TARGET.client(counter) as hub:
        results = run_flow(hub, counter, RECORDED_NAMES)
    step, error = refusal(results)
    assert step == "count rows"
    assert error.failed_request.parsed_uri.query == "status=ne.done"
    assert "strict_query" in refused_matchers(error)


def vcr_request(query: str = "", body: bytes = b"") -> Request:
    """A recorded-style JSON request to the replay host."""
    uri = f"http://axhub.local/data/t/a/items{query}"
    return Request("POST", uri, body, {"Content-Type": "application/json"})


@pytest.mark.parametrize(
    ("sent", "recorded"),
    [(b'{"a":true}', b'{"a":1}'), (b'{"a":1}', b'{"a":1.0}'), (b'{"a":1,"b":2}', b'{"b":2,"a":1}')],
)
def test_strict_body_refuses_what_vcrpy_body_accepts(sent: bytes, recorded: bytes) -> None:
    """Bodies equal as parsed JSON but not as bytes pass vcrpy's body matcher, not ours."""
    matchers.body(vcr_request(body=sent), vcr_request(body=recorded))
    with pytest.raises(AssertionError):
        strict_body(vcr_request(body=sent), vcr_request(body=recorded))
    strict_body(vcr_request(body=sent), vcr_request(body=sent))


@pytest.mark.parametrize(
    ("sent", "recorded"), [("?a=1&b=2", "?b=2&a=1"), ("?a=&b=1", "?b=1"), ("?a=x%2Cy", "?a=x,y")]
)
def test_strict_query_refuses_what_vcrpy_query_accepts(sent: str, recorded: str) -> None:
    """Query strings equal as sorted pairs but not as text pass vcrpy's matcher, not ours."""
    matchers.query(vcr_request(sent), vcr_request(recorded))
    with pytest.raises(AssertionError):
        strict_query(vcr_request(sent), vcr_request(recorded))
    strict_query(vcr_request(sent), vcr_request(sent))
