"""How the recorded tests write and read cassettes: names, scrubbing, strict matching.

- **Base URL.** Requests are recorded against the emulator on ``http://127.0.0.1:<random port>``
  (or a real AX Hub); ``before_record_request`` rewrites every URL to ``http://axhub.local`` and
  the ``Host`` header to ``axhub.local``, and the replay client uses that base URL, so a cassette
  does not depend on the port it was recorded on.
- **Secrets.** ``X-Api-Key`` and ``Authorization`` are replaced by ``***REDACTED***``
  (``filter_headers``); the recording's tokens are also replaced in any request or response body
  or header that echoes them.
- **Normalised ids.** Only the tenant id is normalised (to :data:`REPLAY_TENANT_ID`): the
  emulator makes a new one per start, and it is client configuration (``tenant_id=``) rather
  than something the flow reads from a response. Every other id (app, table, grant, row, user)
  is kept as recorded: ids in request paths and bodies come from earlier responses of the same
  cassette, so a recording is self-consistent. Re-recording changes ids and timestamps only.
- **Matching** is on method, path, the exact query string and the exact body (see
  :func:`strict_query`, :func:`strict_body`): any change in what the ORM sends fails the replay.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import vcr
from vcr.cassette import Cassette
from vcr.request import Request
from vcr.util import read_body

from axhub_orm import AsyncAxHub, AxHub, TokenType
from axhub_orm._http import DEFAULT_BASE_URL
from axhub_orm.demo import FlowNames

CASSETTE_DIR = Path(__file__).resolve().parent.parent / "cassettes"
LIVE_CASSETTE_DIR = CASSETTE_DIR / "live"

REDACTED = "***REDACTED***"
SECRET_HEADERS = ("X-Api-Key", "Authorization")
REPLAY_HOST = "axhub.local"
REPLAY_BASE_URL = f"http://{REPLAY_HOST}"
REPLAY_TENANT_ID = "00000000-0000-4000-8000-000000000000"
REPLAY_TENANT_SLUG = "local"  # the emulator's seeded tenant slug, part of every /data path
REPLAY_TOKEN = "replay-token-not-a-secret"  # sent during replay only; never recorded

# Fixed names: the emulator starts empty for each recording, so nothing collides.
RECORDED_NAMES = FlowNames(slug="recorded-flow", table="items")

MATCH_ON = ("method", "path", "strict_query", "strict_body")

# Token shapes the emulator hands out (PAT and JWT), to find a leak without knowing the token.
TOKEN_PATTERNS = (
    re.compile(r"axhub_pat_[0-9a-f]{8,}"),
    re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
)


# --- matching --------------------------------------------------------------------------------


def strict_query(r1: Request, r2: Request) -> None:
    """The raw query strings are equal: order, repetition, encoding and blank values count.

    vcrpy's own ``query`` matcher compares ``sorted(parse_qsl(q))``, which ignores parameter
    order and drops blank values.
    """
    q1, q2 = r1.parsed_uri.query, r2.parsed_uri.query
    if q1 != q2:
        raise AssertionError(f"query {q1!r} != recorded {q2!r}")


def strict_body(r1: Request, r2: Request) -> None:
    """The bodies are byte-for-byte equal and have the same Content-Type.

    vcrpy's own ``body`` matcher parses JSON bodies and compares the Python values, so key
    order and ``true`` vs ``1`` vs ``1.0`` go unnoticed.
    """
    t1, t2 = r1.headers.get("Content-Type"), r2.headers.get("Content-Type")
    b1, b2 = read_body(r1) or b"", read_body(r2) or b""
    if (t1, b1) != (t2, b2):
        raise AssertionError(f"body {t1} {b1!r} != recorded {t2} {b2!r}")


def register_matchers(recorder: vcr.VCR) -> None:
    """Make ``strict_query`` and ``strict_body`` available to ``match_on``."""
    recorder.register_matcher("strict_query", strict_query)
    recorder.register_matcher("strict_body", strict_body)


# --- scrubbing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scrubber:
    """Rewrites what is recorded: base URL, secrets, tenant id (see the module docstring)."""

    secrets: tuple[str, ...] = ()
    tenant_id: str | None = None

    def text(self, value: str) -> str:
        """Replace every secret by the placeholder and the tenant id by its fixed stand-in."""
        for secret in self.secrets:
            value = value.replace(secret, REDACTED)
        if self.tenant_id:
            value = value.replace(self.tenant_id, REPLAY_TENANT_ID)
        return value

    def data(self, value: bytes | str) -> bytes | str:
        """:meth:`text` for a body that may be bytes (left untouched if not UTF-8)."""
        if isinstance(value, str):
            return self.text(value)
        try:
            return self.text(value.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            return value

    def request(self, request: Request) -> Request:
        """``before_record_request``: rebase the URL, scrub the URL and body."""
        parts = urlsplit(request.uri)
        request.uri = self.text(urlunsplit(("http", REPLAY_HOST, *parts[2:])))
        if request.body:
            request.body = self.data(request.body)
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """``before_record_response``: scrub the body and header values, fix Content-Length."""
        body = response["body"]["string"]
        scrubbed = self.data(body)
        if scrubbed != body:
            response["body"]["string"] = scrubbed
            for name in response["headers"]:
                if name.lower() == "content-length":
                    response["headers"][name] = [str(len(scrubbed))]
        response["headers"] = {
            name: [self.text(value) for value in values]
            for name, values in response["headers"].items()
        }
        return response


def cassette_options(scrubber: Scrubber) -> dict[str, Any]:
    """The vcrpy options shared by recording, replay and the guarantee tests."""
    return {
        "match_on": MATCH_ON,
        "filter_headers": [*((h, REDACTED) for h in SECRET_HEADERS), ("Host", REPLAY_HOST)],
        "before_record_request": scrubber.request,
        "before_record_response": scrubber.response,
        "decode_compressed_response": True,
        "record_on_exception": False,
    }


@contextmanager
def replaying(cassette: str) -> Iterator[Cassette]:
    """Replay one cassette of the CI set with the suite's options (never records)."""
    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTE_DIR), record_mode="none", **cassette_options(Scrubber())
    )
    register_matchers(recorder)
    with recorder.use_cassette(cassette) as tape:
        yield tape


# --- where the flow runs ---------------------------------------------------------------------


@dataclass(frozen=True)
class FlowTarget:
    """Where a recorded test sends its requests: replay, a fresh emulator, or a live AX Hub."""

    mode: str  # "replay" | "record" | "live"
    base_url: str
    token: str = field(repr=False)
    token_type: TokenType
    tenant_id: str
    tenant_slug: str
    names: FlowNames
    scrubber: Scrubber = field(repr=False)

    def _settings(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "token": self.token,
            "token_type": self.token_type,
            "tenant_id": self.tenant_id,
            "tenant_slug": self.tenant_slug,
        }

    def client(self, transport: Any) -> AxHub:
        """A sync client sending through ``transport`` (a counting transport)."""
        return AxHub(transport=transport, **self._settings())

    def async_client(self, transport: Any) -> AsyncAxHub:
        """An async client sending through ``transport``."""
        return AsyncAxHub(transport=transport, **self._settings())


REPLAY_TARGET = FlowTarget(
    mode="replay",
    base_url=REPLAY_BASE_URL,
    token=REPLAY_TOKEN,
    token_type=TokenType.PAT,
    tenant_id=REPLAY_TENANT_ID,
    tenant_slug=REPLAY_TENANT_SLUG,
    names=RECORDED_NAMES,
    scrubber=Scrubber(),
)

LIVE_VARIABLES = ("AXHUB_TOKEN", "AXHUB_TOKEN_TYPE", "AXHUB_TENANT_ID", "AXHUB_TENANT_SLUG")


def live_settings_missing() -> list[str]:
    """What keeps the live tests from running: AXHUB_LIVE=1 and the AXHUB_* variables."""
    missing = [] if os.environ.get("AXHUB_LIVE") == "1" else ["AXHUB_LIVE=1"]
    return missing + [name for name in LIVE_VARIABLES if not os.environ.get(name)]


def live_target() -> FlowTarget:
    """The live AX Hub of the ``AXHUB_*`` variables, with timestamped names."""
    token, tenant_id = os.environ["AXHUB_TOKEN"], os.environ["AXHUB_TENANT_ID"]
    return FlowTarget(
        mode="live",
        base_url=os.environ.get("AXHUB_BASE_URL") or DEFAULT_BASE_URL,
        token=token,
        token_type=TokenType.parse(os.environ["AXHUB_TOKEN_TYPE"]),
        tenant_id=tenant_id,
        tenant_slug=os.environ["AXHUB_TENANT_SLUG"],
        names=FlowNames.timestamped("axhub-orm-rec"),
        scrubber=Scrubber(secrets=(token,), tenant_id=tenant_id),
    )


# The tokens of this session's recordings, so the leak check can look for them verbatim.
RECORDED_SECRETS = pytest.StashKey[list[str]]()


def recorded_secrets(config: pytest.Config) -> list[str]:
    """The tokens of the recordings made in this session (empty when only replaying)."""
    return config.stash.setdefault(RECORDED_SECRETS, [])


def find_leaks(text: str, secrets: tuple[str, ...] = ()) -> list[str]:
    """Token-shaped strings and known secrets found in a cassette's text."""
    leaks = [m.group(0) for pattern in TOKEN_PATTERNS for m in pattern.finditer(text)]
    return leaks + [secret for secret in secrets if secret and secret in text]
