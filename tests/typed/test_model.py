"""Sans-IO behavior of RowModel: type mapping, validation, filters, plans (no requests)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Annotated, Any, Literal

import pytest
from pydantic import Field

from axhub_orm import ColumnType, QueryError, RowModel, RowValidationError, ValidationError
from axhub_orm.models._typed import (
    model_schema,
    plan_schema,
    table_name_of,
    typed_lookups,
    typed_order,
)

from .models import Everything, OwnedTicket, Ticket, TicketV2


def _types(model: type[RowModel]) -> dict[str, tuple[str, str, bool]]:
    return {c.field: (c.column, c.type, c.nullable) for c in model_schema(model).columns}


def test_every_python_type_maps_to_its_column_type() -> None:
    """The eight column types are inferred from annotations, with alias, override and Optional."""
    assert _types(Everything) == {
        "text": ("text", "text", False),
        "number": ("number", "int", False),
        "big": ("big", "bigint", False),
        "ratio": ("ratio", "float", False),
        "flag": ("flag", "bool", False),
        "when": ("when", "timestamptz", True),
        "ref": ("ref", "uuid", True),
        "address": ("address", "jsonb", True),
        "items": ("items", "jsonb", False),
        "klass": ("class", "text", False),
    }


def test_literal_optional_marker_and_any_map_to_column_types() -> None:
    """Literal uses its values' type, a marker inside Optional wins, Any is jsonb."""

    class Odd(RowModel):
        kind: Literal["a", "b"] = "a"
        views: Annotated[int, ColumnType("bigint")] | None = None
        blob: Any = None

    assert _types(Odd) == {
        "kind": ("kind", "text", False),
        "views": ("views", "bigint", True),
        "blob": ("blob", "jsonb", False),
    }


def test_unmappable_field_is_refused_when_the_class_is_declared() -> None:
    """A field with no column type (a date) raises TypeError naming the field."""
    with pytest.raises(TypeError, match="'day'"):

        class Bad(RowModel):
            day: date


def test_implicit_column_cannot_be_declared() -> None:
    """Declaring ``id`` as a field is refused: the server owns it."""
    with pytest.raises(TypeError, match="implicit"):

        class Bad(RowModel):
            id_: str = Field(alias="id")


def test_column_type_marker_refuses_unknown_types() -> None:
    """ColumnType only accepts the eight column types."""
    with pytest.raises(ValueError, match="'integer'"):
        ColumnType("integer")


def test_default_table_name_is_snake_case_or_declared() -> None:
    """``__table_name__`` wins; otherwise the class name in snake_case, not pluralized."""

    class SupportTicket(RowModel):
        title: str

    assert (table_name_of(SupportTicket), table_name_of(Ticket)) == ("support_ticket", "tickets")


def test_bad_value_on_construction_raises_row_validation_error_naming_the_field() -> None:
    """Constructing with a wrong type raises the library's RowValidationError, not pydantic's."""
    with pytest.raises(RowValidationError) as caught:
        Ticket(title="x", priority="high")
    assert caught.value.fields == ({"name": "priority", "code": "int_parsing"},)
    assert caught.value.status is None


def test_bad_assignment_raises_row_validation_error_naming_the_field() -> None:
    """Assignments are validated too; the old value stays."""
    ticket = Ticket(title="x")
    with pytest.raises(RowValidationError) as caught:
        ticket.priority = "high"  # type: ignore[assignment]
    assert caught.value.fields[0]["name"] == "priority"
    assert ticket.priority == 0


@pytest.mark.parametrize("name", ["id", "created_at", "updated_at"])
def test_implicit_columns_are_read_only(name: str) -> None:
    """``id``, ``created_at`` and ``updated_at`` cannot be assigned."""
    ticket = Ticket(title="x")
    with pytest.raises(AttributeError, match="read-only"):
        setattr(ticket, name, "2024-01-01T00:00:00Z")


def test_instances_carry_no_io_verbs_so_fields_may_use_their_names() -> None:
    """Verbs live on the typed query, so ``save``/``delete``/``refresh`` are ordinary fields."""

    class Chore(RowModel):
        save: str
        delete: bool = False
        refresh: int = 0

    chore = Chore(save="later")
    assert (chore.save, chore.delete, chore.refresh) == ("later", False, 0)
    assert [c.column for c in model_schema(Chore).columns] == ["save", "delete", "refresh"]


def test_filter_names_map_to_columns_and_values_are_checked() -> None:
    """Field names become column names; values are validated, jsonb values dumped as JSON."""
    moment = datetime(2024, 5, 1, tzinfo=timezone.utc)
    assert typed_lookups(Everything, {"klass": "b", "number__in": [1, 2], "when__gte": moment}) == {
        "class": "b",
        "number__in": [1, 2],
        "when__gte": moment,
    }
    assert typed_lookups(Everything, {"address": {"city": "Seoul"}}) == {
        "address": {"city": "Seoul", "tags": []}
    }
    assert typed_lookups(Everything, {"owner_id": "x"}) == {"owner_id": "x"}
    assert typed_order(Everything, ["-klass", "number", "-created_at"]) == [
        "-class",
        "number",
        "-created_at",
    ]


@pytest.mark.parametrize(
    ("lookup", "value"),
    [
        ("priority", "3"),
        ("priority__in", [1, "2"]),
        ("priority__contains", "3"),
        ("title", 3),
        ("created_at__gte", "2024-01-01"),
    ],
)
def test_filter_value_of_wrong_type_is_refused(lookup: str, value: object) -> None:
    """A value that does not fit the field's type raises QueryError naming the field."""
    with pytest.raises(QueryError) as caught:
        typed_lookups(Ticket, {lookup: value})
    assert caught.value.fields[0]["name"] == lookup.split("__")[0]


def test_plan_lists_adds_drops_and_conflicts() -> None:
    """Comparing a model with server columns finds additions, extras and conflicts."""
    server = [
        {"name": "title", "type": "text", "nullable": False},
        {"name": "status", "type": "text", "nullable": True},
        {"name": "priority", "type": "text", "nullable": False},
        {"name": "owner_id", "type": "uuid", "nullable": False},
        {"name": "old", "type": "text", "nullable": True},
    ]
    plan = plan_schema(TicketV2, "tickets", server, server_owner="owner_id")
    assert [c.name for c in plan.add] == ["meta", "due"]
    assert plan.drop == ("old",)
    assert [str(c) for c in plan.conflicts] == [
        "status: nullability not null in the model, nullable on the server",
        "priority: type int in the model, text on the server",
    ]
    assert repr(plan) == (
        "<SchemaPlan tickets create=False add=['meta', 'due'] drop=['old'] conflicts=["
        "'status: nullability not null in the model, nullable on the server', "
        "'priority: type int in the model, text on the server'] applied=False>"
    )
    assert str(plan).splitlines() == [
        "SchemaPlan for 'tickets' (dry run)",
        "  add meta jsonb",
        "  add due timestamptz",
        "  drop old (kept: pass drop=True)",
        "  conflict status: nullability not null in the model, nullable on the server "
        "(not applied)",
        "  conflict priority: type int in the model, text on the server (not applied)",
    ]


def test_plan_for_a_missing_table_creates_it_with_the_owner_column() -> None:
    """A missing table plans a create with every field; the declared owner column is not null."""
    plan = plan_schema(OwnedTicket, "tickets", None, owner_column="owner_id")
    assert plan.create
    assert [(c.name, c.type, c.nullable) for c in plan.add][-1] == ("owner_id", "uuid", False)
    assert not plan.is_empty


def test_an_owner_column_the_model_does_not_declare_is_refused() -> None:
    """sync(Model, owner_column="owner") with no such field is refused instead of adding it."""
    with pytest.raises(ValidationError) as info:
        plan_schema(Ticket, "tickets", None, owner_column="owner")
    assert info.value.fields[0]["name"] == "owner_column"
    assert "'owner' is not a field of Ticket" in info.value.message
    columns = [{"name": "title", "type": "text", "nullable": False}]
    with pytest.raises(ValidationError):
        plan_schema(Ticket, "tickets", columns, owner_column="owner")
