"""JSON bodies give json's exact results whether or not orjson (the speedups extra) is installed."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest

import axhub_orm._json
from axhub_orm import AxHub, TokenType
from axhub_orm._json import dumps, loads

DECODE_CASES = [
    b'{"big": 123456789012345678901234567890}',
    b'{"neg": -9223372036854775809, "max": 18446744073709551615}',
    b"[18446744073709551616, -18446744073709551616]",
    b'{"nan": NaN, "inf": Infinity, "ninf": -Infinity}',
    b"[1e400, -1e400, 1e-400]",
    b'{"s": "\\ud800 lone"}',
    b'{"a": 1, "a": 2, "f": 0.1, "e": 1e-07, "u": "caf\\u00e9 \xc3\xa9"}',
    b'\xef\xbb\xbf{"bom": true}',
    b'{"digits in a string": "12345678901234567890"}',
]
ENCODE_CASES: list[Any] = [
    {"big": 2**64, "neg": -(2**63) - 1, "ok": 2**64 - 1},
    [10**30, -(10**30)],
    {"small": 1e-7, "tiny": 1e-05, "zero": -0.0, "f": 0.1, "big": 1e22},
    {"é": "ü \u2028 \x00 😀", "nested": [{"a": (1, 2)}, None, True]},
    {"n": [1, 2, 3.5]},
]


@pytest.fixture(params=["orjson", "json only"])
def codec(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with orjson in use, then with it hidden (as when it is not installed)."""
    if request.param == "orjson":
        pytest.importorskip("orjson")
    else:
        monkeypatch.setattr(axhub_orm._json, "orjson", None)
    return str(request.param)


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types all the way down (NaN equal to NaN, 1 not equal to 1.0)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@pytest.mark.parametrize("content", DECODE_CASES)
def test_decoding_matches_json(codec: str, content: bytes) -> None:
    """Big integers, non-finite numbers and odd strings decode exactly as json decodes them."""
    assert _same(loads(content), json.loads(content))


@pytest.mark.parametrize("content", [b"{", b"[1,]", b"\xff\xfe{}", b"nul"])
def test_bad_json_raises_value_error(codec: str, content: bytes) -> None:
    """Input json refuses is refused with a ValueError either way."""
    with pytest.raises(ValueError):  # noqa: PT011  # json's own error types are ValueErrors
        loads(content)


@pytest.mark.parametrize("body", ENCODE_CASES)
def test_encoding_matches_json_bytes(codec: str, body: Any) -> None:
    """A body encodes to the very bytes of json's compact UTF-8 encoding."""
    expected = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    assert dumps(body) == expected.encode()


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_refused_as_json_refuses_them(codec: str, value: float) -> None:
    """NaN and infinities in a body raise json's ValueError (orjson would write null)."""
    with pytest.raises(ValueError, match="Out of range float values"):
        dumps({"score": [1, value]})


def test_client_reads_and_sends_big_integers_exactly(codec: str) -> None:
    """Through a client, a 100-digit integer comes back and goes out with every digit."""
    big = 10**100 + 7
    sent: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return httpx.Response(200, content=b'{"user": {"id": %d}}' % big)

    hub = AxHub(
        base_url="https://hub.test",
        token="pat_x",
        token_type=TokenType.PAT,
        transport=httpx.MockTransport(handler),
    )
    with hub:
        data = hub.request("authGetApiV1Me", body={"n": big})
    assert data == {"user": {"id": big}}
    assert sent == [b'{"n":%d}' % big]
