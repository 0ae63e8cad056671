"""The emulator's stores under test: SQLite always, PostgreSQL when ``AXHUB_TEST_POSTGRES`` is set.

``scripts/with_postgres.py`` starts a throwaway cluster and sets the variable; the README's
test command runs the suite through it.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

POSTGRES_ENV = "AXHUB_TEST_POSTGRES"
STORES = ["sqlite", "postgresql"]
"""Parameter ids of the store fixtures."""


def postgres_url() -> str:
    """The PostgreSQL URL to test against, or skip the test saying why there is none."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(
            f"{POSTGRES_ENV} is not set (a postgresql:// URL; scripts/with_postgres.py sets it):"
            " the PostgreSQL store is not tested"
        )
    return url


def store_options(kind: str) -> dict[str, Any]:
    """``create_app``/``LocalAxHub`` keyword arguments for the store ``kind``."""
    return {} if kind == "sqlite" else {"store": postgres_url()}
