"""Static typing of typed rows: ``mypy --strict`` infers the model in both worlds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, assert_type

from axhub_orm import (
    AsyncTable,
    AsyncTypedRowQuery,
    RowModel,
    SchemaPlan,
    Table,
    TypedRowQuery,
)

HERE = Path(__file__).resolve().parent


class Ticket(RowModel):
    title: str
    priority: int = 0


def _sync_types(table: Table, row_id: str) -> None:
    tickets = table.rows.typed(Ticket)
    assert_type(tickets, TypedRowQuery[Ticket])
    assert_type(tickets.get(row_id), Ticket)
    assert_type(tickets.filter(priority__gte=1).order_by("-priority")[:3], TypedRowQuery[Ticket])
    assert_type(tickets.first(), Ticket | None)
    assert_type(tickets.all(), list[Ticket])
    assert_type(tickets[0], Ticket)
    assert_type(tickets.create(title="x"), Ticket)
    assert_type(tickets.save(tickets.get(row_id)), dict[str, Any])
    for ticket in tickets:
        assert_type(ticket, Ticket)
        assert_type(tickets.save(ticket), dict[str, Any])
        assert_type(tickets.refresh(ticket), None)
        assert_type(ticket.id, str | None)
    assert_type(table.app.tables.sync(Ticket, dry_run=True), SchemaPlan)
    typed_table = table.app.tables.get("tickets", model=Ticket)
    assert_type(typed_table, Table[Ticket])
    assert_type(typed_table.typed_rows.get(row_id), Ticket)


async def _async_types(table: AsyncTable, row_id: str) -> None:
    tickets = table.rows.typed(Ticket)
    assert_type(tickets, AsyncTypedRowQuery[Ticket])
    assert_type(await tickets.get(row_id), Ticket)
    assert_type(await tickets.first(), Ticket | None)
    assert_type(await tickets.all(), list[Ticket])
    assert_type(await tickets[0], Ticket)
    assert_type(await tickets.create(title="x"), Ticket)
    async for ticket in tickets.filter(title="x"):
        assert_type(ticket, Ticket)
        assert_type(await tickets.save(ticket), dict[str, Any])
        assert_type(await tickets.refresh(ticket), None)
    typed_table = await table.app.tables.get("tickets", model=Ticket)
    assert_type(await typed_table.typed_rows.get(row_id), Ticket)
    assert_type(await table.app.tables.sync(Ticket), SchemaPlan)


WRONG = """
from typing import assert_type
from axhub_orm import Row, RowModel, Table

class Ticket(RowModel):
    title: str

def wrong(table: Table) -> None:
    assert_type(table.rows.typed(Ticket).get("id"), Row)
    ticket = table.rows.typed(Ticket).get("id")
    ticket.id = "other"
"""


def test_mypy_strict_infers_the_model_and_rejects_mistakes(tmp_path: Path) -> None:
    """Mypy --strict accepts this module and flags a wrong type and an id assignment."""
    wrong = tmp_path / "wrong_typing.py"
    wrong.write_text(WRONG, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--python-version",
            "3.11",
            str(HERE / "test_typing.py"),
            str(wrong),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=HERE.parent.parent,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert [line.split(": error:")[0].rsplit("/", 1)[-1] for line in errors] == [
        "wrong_typing.py:9",
        "wrong_typing.py:11",
    ], result.stdout
