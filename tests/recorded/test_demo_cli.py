"""``axhub-orm demo``: the newcomer's first command, against its own emulator or a given hub."""

from __future__ import annotations

import re

import pytest

from axhub_orm.__main__ import main
from axhub_orm.demo import demo
from axhub_orm.local import LocalAxHub

from ._cassettes import REDACTED, find_leaks

KEPT = re.compile(r"kept app (\S+) \(id (\S+)\)")


def remote_args(local: LocalAxHub, **overrides: str) -> list[str]:
    """The connection options that point the demo at ``local`` as if it were a real AX Hub."""
    settings = {
        "base-url": local.base_url,
        "token": local.token,
        "token-type": "pat",
        "tenant-id": local.tenant_id,
        "tenant-slug": local.tenant_slug,
        **overrides,
    }
    return [part for name, value in settings.items() for part in (f"--{name}", value)]


def test_demo_holds_every_assertion(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo walks all 21 steps against its embedded emulator, exits 0 and prints no token."""
    assert demo([]) == 0
    out = capsys.readouterr().out
    assert "21 steps, 29 requests: every success assertion held." in out
    assert "✗" not in out and out.count("✓") == 21
    assert f"token {REDACTED}" in out
    assert find_leaks(out) == []


def test_demo_reports_the_failing_step(
    axhub_local: LocalAxHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """A step that fails makes the demo exit 1, names that step and deletes the app it made."""
    assert demo(remote_args(axhub_local, **{"tenant-slug": "no-such-tenant"})) == 1
    out = capsys.readouterr().out
    assert "FAILED at step 'insert row'" in out
    assert "✓ deleted app axhub-orm-demo-" in out
    assert axhub_local.token not in out and find_leaks(out) == []
    with axhub_local.client() as hub:
        assert [a.slug for a in hub.apps.list() if a.slug.startswith("axhub-orm-demo-")] == []


def test_demo_keep_leaves_the_app(
    axhub_local: LocalAxHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --keep the demo skips the app deletes and prints the id and slug of the kept app."""
    assert demo([*remote_args(axhub_local), "--keep"]) == 0
    kept = KEPT.search(capsys.readouterr().out)
    assert kept is not None
    with axhub_local.client() as hub:
        app = hub.apps.get(kept.group(2))
        assert (app.slug, app.deleted_at) == (kept.group(1), None)
        app.delete(permanent=True)


def test_demo_refuses_incomplete_remote_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--remote without a token or a tenant exits 2 and names each missing option in one line."""
    for variable in ("AXHUB_TOKEN", "AXHUB_TOKEN_TYPE", "AXHUB_TENANT_ID", "AXHUB_TENANT_SLUG"):
        monkeypatch.delenv(variable, raising=False)
    assert main(["demo", "--remote"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    for option in ("--token ", "--token-type", "--tenant-id", "--tenant-slug"):
        assert option in err
