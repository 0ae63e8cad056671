"""``axhub-orm schema plan | apply MODULE:Model`` against an emulator file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from axhub_orm import App, Column

from .conftest import Run, one_line_error

MODELS = """
from axhub_orm import RowModel


class Ticket(RowModel):
    __table_name__ = "tickets"

    title: str
    priority: int = 0
"""


def write_models(tmp_path: Path) -> None:
    """A user's module `models.py` declaring Ticket, in the directory the CLI runs in."""
    (tmp_path / "models.py").write_text(MODELS)


def test_plan_sends_nothing_mutating_and_apply_creates(
    run: Run, tmp_path: Path, hub_db: Path, seeded: Callable[[], Any]
) -> None:
    """`plan` shows the create without doing it; `apply` creates; then the plan is empty."""
    write_models(tmp_path)
    with seeded():
        pass
    planned = run("schema", "plan", "models:Ticket", "--app", "crm", "--db", str(hub_db))
    assert planned.returncode == 0, planned.stderr
    assert "create table" in planned.stdout and "add title text not null" in planned.stdout
    with seeded() as app:
        assert not app.tables.exists("tickets")
    applied = run("schema", "apply", "models:Ticket", "--app", "crm", "--db", str(hub_db))
    assert applied.returncode == 0, applied.stderr
    assert "(applied)" in applied.stdout
    with seeded() as app:
        table = app.tables.get("tickets")
        assert {(c.name, c.type, c.nullable) for c in table.columns} == {
            ("title", "text", False),
            ("priority", "int", False),
        }
    again = run("schema", "plan", "models:Ticket", "--app", "crm", "--db", str(hub_db))
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_apply_refuses_a_plan_with_conflicts(
    run: Run, tmp_path: Path, hub_db: Path, seeded: Callable[[], Iterator[App]]
) -> None:
    """A type conflict makes `apply` print the plan, change nothing and exit 1."""
    write_models(tmp_path)
    with seeded() as app:
        app.tables.create("tickets", columns=[Column("priority", "text")])
    result = run("schema", "apply", "models:Ticket", "--app", "crm", "--db", str(hub_db))
    assert result.returncode == 1
    assert "conflict priority" in result.stdout and "add title text not null" in result.stdout
    assert "refused" in result.stderr and "Traceback" not in result.stderr
    with seeded() as app:
        assert app.tables.get("tickets").columns.names() == ["priority"]


def test_a_model_that_is_not_there_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    """A missing module, a missing name and a non-model each exit 2 with one line."""
    write_models(tmp_path)
    for reference, message in [
        ("nosuch:Ticket", "no module named 'nosuch'"),
        ("models:Nope", "module 'models' has no 'Nope'"),
        ("models:RowModel", "models:RowModel is not a RowModel subclass"),
    ]:
        result = run("schema", "plan", reference, "--app", "crm", "--db", "hub.db")
        assert result.returncode == 2
        assert message in one_line_error(result)
