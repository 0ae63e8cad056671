"""Cassette fixtures for the recorded tier: replay by default, record, or go live.

- ``pytest`` (``--record-mode`` defaults to ``none``): replay ``tests/cassettes/*.yaml``; no
  emulator is started and nothing is sent.
- ``pytest tests/recorded --record-mode=rewrite``: start a fresh emulator (LocalAxHub on a
  loopback port) per test and re-record its cassette.
- ``AXHUB_LIVE=1`` with ``AXHUB_TOKEN``, ``AXHUB_TOKEN_TYPE``, ``AXHUB_TENANT_ID`` and
  ``AXHUB_TENANT_SLUG`` (``AXHUB_BASE_URL`` optional): the ``live`` variants run against that
  AX Hub and record fresh cassettes into ``tests/cassettes/live/``; otherwise they are skipped.

How cassettes are scrubbed, normalised and matched is in :mod:`recorded._cassettes`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vcr as vcrpy

from axhub_orm import TokenType

from ._cassettes import (
    CASSETTE_DIR,
    LIVE_CASSETTE_DIR,
    RECORDED_NAMES,
    REPLAY_TARGET,
    REPLAY_TENANT_SLUG,
    FlowTarget,
    Scrubber,
    cassette_options,
    live_settings_missing,
    live_target,
    recorded_secrets,
    register_matchers,
)

RERECORD = ".venv/bin/python -m pytest tests/recorded --record-mode=rewrite"


def pytest_recording_configure(config: pytest.Config, vcr: vcrpy.VCR) -> None:
    """Register the strict matchers on every VCR that pytest-recording builds."""
    register_matchers(vcr)


@pytest.fixture
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """CI's replay set in ``tests/cassettes``; live recordings in ``tests/cassettes/live``."""
    live = request.node.get_closest_marker("live") is not None
    return str(LIVE_CASSETTE_DIR if live else CASSETTE_DIR)


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """One cassette per test function, named after it (the same for every target)."""
    return str(request.node.originalname)


@pytest.fixture
def vcr_config(flow_target: FlowTarget) -> dict[str, Any]:
    """The cassette options; a live run always records afresh."""
    options = cassette_options(flow_target.scrubber)
    if flow_target.mode == "live":
        options["record_mode"] = "rewrite"
    return options


def _records(record_mode: str, cassette: Path) -> bool:
    """Whether this run records (True) or replays (False) the cassette."""
    if record_mode == "none":
        return False
    if record_mode == "once":
        return not cassette.exists()
    if record_mode == "rewrite":
        return True
    raise pytest.UsageError(f"record mode {record_mode!r} would mix two recordings: use {RERECORD}")


@pytest.fixture(params=["cassette", pytest.param("live", marks=pytest.mark.live)])
def flow_target(request: pytest.FixtureRequest, record_mode: str) -> Iterator[FlowTarget]:
    """Where the flow runs: the cassette (replayed, or recorded from a fresh emulator) or live."""
    if request.param == "live":
        missing = live_settings_missing()
        if missing:
            pytest.skip(f"live AX Hub QA needs {', '.join(missing)}")
        yield live_target()
        return
    cassette = CASSETTE_DIR / f"{request.node.originalname}.yaml"
    if not _records(record_mode, cassette):
        if not cassette.exists():
            pytest.fail(f"no cassette {cassette.name}: record it with {RERECORD}")
        yield REPLAY_TARGET
        return
    yield from _recording_target(request.config)


def _recording_target(config: pytest.Config) -> Iterator[FlowTarget]:
    """A fresh emulator (empty, so fixed names never collide) and its scrubber."""
    from axhub_orm.local import LocalAxHub

    with LocalAxHub() as local:
        assert local.tenant_slug == REPLAY_TENANT_SLUG, "the replay target's slug is stale"
        recorded_secrets(config).extend([local.token, local.jwt])
        yield FlowTarget(
            mode="record",
            base_url=local.base_url,
            token=local.token,
            token_type=TokenType.PAT,
            tenant_id=local.tenant_id,
            tenant_slug=local.tenant_slug,
            names=RECORDED_NAMES,
            scrubber=Scrubber(secrets=(local.token, local.jwt), tenant_id=local.tenant_id),
        )
