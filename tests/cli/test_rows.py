"""``axhub-orm rows export | count`` against an emulator file, as a subprocess."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import select
import struct
import subprocess
import termios
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from axhub_orm import App
from axhub_orm._cli._codecs import read_csv

from .conftest import ALL_TYPES, AXHUB_ORM, Run, one_line_error

TYPES = {column.name: column.type for column in ALL_TYPES}


def sample(n: int) -> dict[str, Any]:
    """Row ``n`` of a sample covering every type, nulls, unicode, quotes, commas and line breaks."""
    if n % 7 == 0:
        return {}
    return {
        "t": ["", 'quote " comma , line\nbreak', "한국어 ✓ 🚀", "plain"][n % 4],
        "i": [-(2**31), 2**31 - 1, 0, n][n % 4],
        "b": [-(2**63), 2**63 - 1, n * 10**12][n % 3],
        "f": [0.1, -0.0, 1e308, 5e-324, n / 3][n % 5],
        "ok": n % 2 == 0,
        "at": f"2026-06-{n % 28 + 1:02d}T12:45:09.{n:06d}Z",
        "u": str(uuid.UUID(int=n)),
        "j": [None, "null", {"k": [1, None, "✓"]}, [1.5, True], 42][n % 5],
    }


@pytest.fixture
def crm_rows(seeded: Callable[[], Any]) -> Iterator[list[dict[str, Any]]]:
    """The table `t` of app `crm` with 60 sample rows; yields the rows as the ORM reads them."""
    with seeded() as app:
        table = app.tables.create("t", columns=ALL_TYPES)
        for n in range(60):
            table.rows.create(**sample(n))
        yield [row.to_dict() for row in table.rows.filter(id__isnull=False).order_by("id")]


def test_export_jsonl_writes_every_row_exactly(
    run: Run, hub_db: Path, crm_rows: list[dict[str, Any]]
) -> None:
    """JSONL export to stdout holds every row with exactly the values the ORM reads."""
    result = run("rows", "export", "t", "--app", "crm", "--db", str(hub_db))
    assert result.returncode == 0, result.stderr
    exported = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(exported, key=lambda row: row["id"]) == crm_rows
    assert "60 rows of t written to stdout" in result.stderr


def test_export_csv_reads_back_to_the_same_values(
    run: Run, tmp_path: Path, hub_db: Path, crm_rows: list[dict[str, Any]]
) -> None:
    """CSV export to a file (by its extension) decodes, by the column types, to the same values."""
    result = run("rows", "export", "t", "--app", "crm", "--db", str(hub_db), "--output", "t.csv")
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith("t.")) == [
        "t.csv"
    ]
    with (tmp_path / "t.csv").open(encoding="utf-8", newline="") as file:
        header = file.readline()
        file.seek(0)
        decoded = [values for _, values in read_csv(file, TYPES)]
    assert header.startswith('"id","created_at","updated_at","t","i"')
    want = [{k: v for k, v in row.items() if k in TYPES} for row in crm_rows]
    by_row = sorted(decoded, key=lambda values: json.dumps(values, sort_keys=True))
    assert by_row == sorted(want, key=lambda values: json.dumps(values, sort_keys=True))


def test_count_and_filters(run: Run, hub_db: Path, crm_rows: list[dict[str, Any]]) -> None:
    """`rows count` prints the number of matching rows; --filter ANDs conditions."""
    everything = run("rows", "count", "t", "--app", "crm", "--db", str(hub_db))
    assert (everything.returncode, everything.stdout) == (0, "60\n")
    filtered = run(
        "rows", "count", "t", "--app", "crm", "--db", str(hub_db),
        "--filter", "ok=true", "--filter", "i__gte=0", "--filter", "t__isnull=false",
    )  # fmt: skip
    expected = sum(1 for r in crm_rows if r["ok"] is True and r["i"] >= 0 and r["t"] is not None)
    assert filtered.stdout == f"{expected}\n"
    exported = run(
        "rows", "export", "t", "--app", "crm", "--db", str(hub_db), "--filter", "u__in="
        + ",".join(str(uuid.UUID(int=n)) for n in (1, 2, 3)), "--quiet",
    )  # fmt: skip
    assert exported.stderr == ""
    assert sorted(json.loads(line)["u"] for line in io.StringIO(exported.stdout)) == [
        str(uuid.UUID(int=n)) for n in (1, 2, 3)
    ]


def test_failures_exit_1_with_one_line(
    run: Run, hub_db: Path, seeded: Callable[[], Iterator[App]]
) -> None:
    """A missing app or table exits 1 with one line naming it; a bad filter column exits 2."""
    with seeded():
        pass
    no_app = run("rows", "count", "t", "--app", "nope", "--db", str(hub_db))
    assert no_app.returncode == 1 and "no app 'nope' in this tenant" in one_line_error(no_app)
    no_table = run("rows", "count", "nope", "--app", "crm", "--db", str(hub_db))
    assert no_table.returncode == 1 and "not_found" in one_line_error(no_table)
    with seeded() as app:
        app.tables.create("t", columns=ALL_TYPES)
    bad = run("rows", "export", "t", "--app", "crm", "--db", str(hub_db), "--filter", "zz=1")
    assert bad.returncode == 2 and "unknown column 'zz'" in one_line_error(bad)
    unwritable = run("rows", "export", "t", "--app", "crm", "--db", str(hub_db), "--output", "no/t")
    assert unwritable.returncode == 2 and "cannot write no/t" in one_line_error(unwritable)


def test_progress_bar_only_on_a_terminal(
    run: Run, tmp_path: Path, hub_db: Path, crm_rows: list[dict[str, Any]]
) -> None:
    """On a terminal stderr, export draws a tqdm bar (rows, rate); --quiet or a pipe draws none."""
    pytest.importorskip("tqdm")  # the `cli` extra (in `dev`)
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column tty
    args = [AXHUB_ORM, "rows", "export", "t", "--app", "crm", "--db", str(hub_db), "-o", "x.jsonl"]
    for extra, drawn in (([], True), (["--quiet"], False)):
        with subprocess.Popen([*args, *extra], stderr=child, cwd=tmp_path) as process:
            assert process.wait(timeout=60) == 0
        seen = b""
        while True:
            if not select.select([main], [], [], 0.2)[0]:
                break
            seen += os.read(main, 65536)
        assert (b"rows/s" in seen) is drawn, seen
        assert (b"60 rows of t written to x.jsonl" in seen) is drawn
    os.close(main)
    os.close(child)
    piped = run(*args[1:])
    assert "rows/s" not in piped.stderr and "60 rows of t written" in piped.stderr
