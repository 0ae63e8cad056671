"""``axhub-orm rows import``: exact round trips through JSONL and CSV, and nothing lost silently."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from axhub_orm import App, AxHub

from .conftest import ALL_TYPES, Run, one_line_error, served
from .test_rows import sample

ROUND_TRIP_ROWS = 10_000


def user_values(path: Path) -> list[str]:
    """The user-column values of an exported JSONL file, canonical and sorted (ids dropped)."""
    names = [column.name for column in ALL_TYPES]
    with path.open(encoding="utf-8") as file:
        rows = [json.loads(line) for line in file]
    return sorted(json.dumps([row[name] for name in names]) for row in rows)


def test_export_import_round_trips_10000_rows_through_jsonl_and_csv(
    run: Run, tmp_path: Path
) -> None:
    """10,000 rows of all eight types go in, out as JSONL and CSV, back in, and out identical."""
    data = tmp_path / "data.jsonl"
    with data.open("w", encoding="utf-8") as out:
        for n in range(ROUND_TRIP_ROWS):
            out.write(json.dumps(sample(n), ensure_ascii=False) + "\n")
    with served() as (env, _):  # the emulator in a process of its own, in memory
        settings = {name.removeprefix("AXHUB_").lower(): v for name, v in env.items()}
        with AxHub(**settings) as hub:
            app = hub.apps.create(slug="crm", name="CRM")
            for name in ("source", "via_jsonl", "via_csv"):
                app.tables.create(name, columns=ALL_TYPES)

        def cli(*args: str) -> str:
            result = run(*args, "--app", "crm", env=env, timeout=300)
            assert result.returncode == 0, result.stderr
            return result.stderr

        assert f"{ROUND_TRIP_ROWS} written, 0 rejected, 0 unknown" in cli(
            "rows", "import", "source", "data.jsonl"
        )
        for fmt in ("jsonl", "csv"):
            cli("rows", "export", "source", "-o", f"source.{fmt}")
            cli("rows", "import", f"via_{fmt}", f"source.{fmt}")
            cli("rows", "export", f"via_{fmt}", "-o", f"via_{fmt}.jsonl")
    expected = user_values(tmp_path / "source.jsonl")
    assert len(expected) == ROUND_TRIP_ROWS
    assert user_values(tmp_path / "via_jsonl.jsonl") == expected
    assert user_values(tmp_path / "via_csv.jsonl") == expected


def test_three_bad_lines_are_rejected_with_their_line_numbers(
    run: Run, tmp_path: Path, hub_db: Path, seeded: Callable[[], Iterator[App]]
) -> None:
    """A file with 3 bad lines writes the other 17, lists the 3 in the reject file, exits 1."""
    with seeded() as app:
        app.tables.create("t", columns=ALL_TYPES)
    lines = [json.dumps(sample(n)) for n in range(20)]
    lines[4] = '{"i": "five"}'  # line 5: a type error
    lines[9] = '{"nope": 1}'  # line 10: no such column
    lines[16] = '{"i": 1,'  # line 17: not JSON
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    result = run("rows", "import", "t", "in.jsonl", "--app", "crm", "--db", str(hub_db))
    assert result.returncode == 1
    assert (
        "17 written, 3 rejected, 0 unknown" in result.stderr
        and "in.jsonl.rejects.jsonl" in result.stderr
    )
    rejects = [
        json.loads(line) for line in (tmp_path / "in.jsonl.rejects.jsonl").read_text().splitlines()
    ]
    assert [(r["line"], r["outcome"]) for r in rejects] == [
        (5, "rejected"),
        (10, "rejected"),
        (17, "rejected"),
    ]
    assert rejects[0]["column"] == "i" and "not a valid int" in rejects[0]["error"]
    assert rejects[1]["column"] == "nope"
    count = run("rows", "count", "t", "--app", "crm", "--db", str(hub_db))
    assert count.stdout == "17\n"


def test_server_refusals_are_rejects_too(
    run: Run, tmp_path: Path, hub_db: Path, seeded: Callable[[], Iterator[App]]
) -> None:
    """A row the server refuses (a NULL in a not-null column) is rejected with its line; CSV too."""
    from axhub_orm import Column

    with seeded() as app:
        app.tables.create(
            "t", columns=[Column("title", "text", nullable=False), Column("n", "int")]
        )
    (tmp_path / "in.csv").write_text('title,n\n"a",1\n,2\n"c",x\n"d",\n')
    result = run(
        "rows",
        "import",
        "t",
        "in.csv",
        "--app",
        "crm",
        "--db",
        str(hub_db),
        "--rejects",
        "bad.jsonl",
    )
    assert result.returncode == 1
    assert "2 written, 2 rejected, 0 unknown" in result.stderr
    rejects = {
        r["line"]: r for r in map(json.loads, (tmp_path / "bad.jsonl").read_text().splitlines())
    }
    assert sorted(rejects) == [3, 4]
    assert rejects[3]["values"] == {"title": None, "n": 2}
    assert rejects[4]["column"] == "n"


def test_import_usage_errors(run: Run, tmp_path: Path) -> None:
    """An unreadable file, an unknown extension, a concurrency out of range: exit 2, one line."""
    (tmp_path / "rows.txt").write_text("x\n")
    for args, message in [
        (["t", "missing.jsonl"], "cannot read missing.jsonl"),
        (["t", "rows.txt"], "cannot tell the format of rows.txt"),
        (["t", "x.jsonl", "--concurrency", "0"], "0 is not in 1..24"),
    ]:
        result = run("rows", "import", *args, "--app", "crm", "--db", "hub.db")
        assert result.returncode == 2
        assert message in one_line_error(result)
