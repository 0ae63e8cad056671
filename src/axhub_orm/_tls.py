"""The one default TLS context of the process, built on first use.

Loading a CA bundle takes tens of milliseconds, and httpx loads one for every transport it
builds, even for an ``http://`` URL that never uses it. The clients instead ask for this context
only when their base URL is ``https://`` and they were not given ``verify=``, so it is loaded at
most once per process and never for plain HTTP.
"""

from __future__ import annotations

import ssl
import threading

import httpx

__all__ = ["shared_ssl_context"]

_lock = threading.Lock()
_context: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """The process-wide verifying context httpx would build by default, built once.

    Same trust as httpx's default (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set, else the
    certifi bundle), read when the first ``https://`` client is built.
    """
    global _context  # one context per process is the point
    if _context is None:
        with _lock:
            if _context is None:
                _context = httpx.create_ssl_context(verify=True, trust_env=True)
    return _context
