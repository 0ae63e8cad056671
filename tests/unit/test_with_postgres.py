"""``scripts/with_postgres.py``: a throwaway cluster around a command, gone afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "with_postgres.py"
CHILD = """
import os, sys, psycopg
url = os.environ["AXHUB_TEST_POSTGRES"]
with psycopg.connect(url) as conn:
    conn.execute("SELECT 1")
print("URL", url)
sys.exit(3)
"""


def _has_postgres() -> bool:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import with_postgres

        return with_postgres._bindir() is not None
    finally:
        sys.path.remove(str(SCRIPT.parent))


@pytest.mark.skipif(not _has_postgres(), reason="no PostgreSQL installed on this machine")
def test_the_cluster_serves_the_command_and_is_stopped_whatever_its_outcome() -> None:
    """The command reaches the cluster, its exit status is kept, and the cluster then stops."""
    env = {k: v for k, v in os.environ.items() if k != "AXHUB_TEST_POSTGRES"}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr
    url = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("URL "))
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)
