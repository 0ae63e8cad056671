"""Typed rows: pydantic models for tables, their column types and schema plans (sans-IO).

A :class:`RowModel` subclass declares a table's rows once; both clients use it
(``table.rows.typed(Ticket)``). Nothing in this module sends a request: the I/O lives in
``models/_async/typed.py`` and its generated sync twin.

Python type → column type (``Optional[X]`` / ``X | None`` makes the column nullable)::

    str → text        int → int          float → float        bool → bool
    datetime → timestamptz               UUID → uuid
    dict, list, Any, pydantic models → jsonb    Literal / Enum → the type of their values

Override one field with the :class:`ColumnType` marker:
``views: Annotated[int, ColumnType("bigint")]``.
"""

from __future__ import annotations

import copy
import enum
import inspect
import re
import types
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    ClassVar,
    Literal,
    TypeVar,
    Union,
    get_args,
    get_origin,
)
from uuid import UUID

import attrs
import pydantic
from pydantic import BaseModel, ConfigDict, PrivateAttr, TypeAdapter

from .._errors import QueryError, RowValidationError, ValidationError
from .._query import LOOKUP_TABLE
from .._wire import COLUMN_TYPES, IMPLICIT_COLUMNS, to_json
from ._base import ColumnSpec, check_identifier

__all__ = [
    "ColumnConflict",
    "ColumnType",
    "FieldColumn",
    "M",
    "ModelSchema",
    "RowModel",
    "SchemaPlan",
    "TableModel",
    "bind_instance",
    "copy_changes_to_row",
    "model_schema",
    "needs_row_check",
    "plan_schema",
    "require_fit",
    "table_name_of",
    "typed_lookups",
    "typed_order",
    "update_instance",
    "validate_row",
]

M = TypeVar("M", bound="RowModel")

_SCALARS: tuple[tuple[type, str], ...] = (
    (bool, "bool"),  # before int: bool is an int
    (int, "int"),
    (float, "float"),
    (str, "text"),
    (datetime, "timestamptz"),  # before date: datetime is a date
    (UUID, "uuid"),
)
_JSON_ORIGINS = (dict, list, tuple, Mapping)
_STRICT_TYPES = frozenset({"text", "int", "bigint", "float", "bool", "timestamptz"})


# --- the column-type marker and the type mapping -------------------------------------------


@attrs.frozen
class ColumnType:
    """Pin a field's column type, overriding the inferred one (``Annotated`` metadata).

    Example::

        class Counter(RowModel):
            views: Annotated[int, ColumnType("bigint")] = 0
    """

    type: str = attrs.field(validator=attrs.validators.in_(COLUMN_TYPES))


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        args = [a for a in get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(get_args(annotation))
        return (args[0] if len(args) == 1 else Union[tuple(args)]), nullable  # noqa: UP007
    return annotation, annotation is None or annotation is type(None)


def _markers(annotation: Any, metadata: Iterable[object]) -> tuple[Any, list[ColumnType]]:
    found = [m for m in metadata if isinstance(m, ColumnType)]
    while get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        found.extend(m for m in extra if isinstance(m, ColumnType))
    return annotation, found


def _infer(annotation: Any) -> str | None:
    if annotation is Any:
        return "jsonb"
    if get_origin(annotation) is Literal:
        kinds = {_infer(type(value)) for value in get_args(annotation)}
        return kinds.pop() if len(kinds) == 1 else None
    origin = get_origin(annotation) or annotation
    if inspect.isclass(origin):
        if issubclass(origin, enum.Enum):
            return _infer(type(next(iter(origin)).value)) if len(origin) else None
        for python_type, column_type in _SCALARS:
            if issubclass(origin, python_type):
                return column_type
        if issubclass(origin, (BaseModel, *_JSON_ORIGINS)):
            return "jsonb"
    return None


def _column_type(name: str, annotation: Any, metadata: Iterable[object]) -> tuple[str, bool]:
    inner, nullable = _unwrap_optional(annotation)
    inner, markers = _markers(inner, metadata)
    inner, inner_nullable = _unwrap_optional(inner)
    if markers:
        return markers[-1].type, nullable or inner_nullable
    inferred = _infer(inner)
    if inferred is None:
        raise TypeError(
            f"field {name!r}: no column type for {annotation!r}; use str, int, float, bool, "
            "datetime, UUID, dict/list/a pydantic model (jsonb), or pin one with "
            "Annotated[..., ColumnType('text')]"
        )
    return inferred, nullable or inner_nullable


def _default_literal(field: Any) -> str | None:
    value = field.default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)) and not isinstance(value, enum.Enum):
        return str(value)
    return None


@attrs.frozen
class FieldColumn:
    """One model field and its column: ``field`` name, ``column`` name, type, nullability."""

    field: str
    column: str
    type: str
    nullable: bool
    adapter: TypeAdapter[Any] = attrs.field(eq=False, repr=False)
    default: str | None = None

    def spec(self) -> ColumnSpec:
        """The column declaration for create-table and add-column bodies."""
        return ColumnSpec(self.column, self.type, nullable=self.nullable, default=self.default)

    def check_filter(self, where: str, lookup: str | None, value: object) -> object:
        """Validate a filter value against the field's type; return it ready for the wire."""
        if value is None or lookup == "isnull":
            return value
        entry = LOOKUP_TABLE.get(lookup or "eq")
        if entry is not None and self.type not in entry.column_types:
            kinds = " or ".join(sorted(entry.column_types))
            raise _filter_error(where, self, value, f"__{lookup} needs a {kinds} field")
        if lookup == "in" and isinstance(value, (list, tuple, set, frozenset)):
            return [self._check_value(where, item) for item in value]
        return self._check_value(where, value)

    def _check_value(self, where: str, value: object) -> object:
        try:
            checked = self.adapter.validate_python(value, strict=self.type in _STRICT_TYPES)
        except pydantic.ValidationError as exc:
            raise _filter_error(where, self, value, exc.errors()[0]["msg"]) from None
        return self.adapter.dump_python(checked, mode="json") if self.type == "jsonb" else checked


def _filter_error(where: str, column: FieldColumn, value: object, why: str) -> QueryError:
    return QueryError(
        f"filter {where}: field {column.field!r} is {column.type}, got {value!r}: {why}",
        code="invalid_value",
        fields=[{"name": column.field, "code": "invalid_value"}],
    )


def _field_column(name: str, field: Any) -> FieldColumn:
    column = field.alias or name
    check_identifier("column", column)
    if column in IMPLICIT_COLUMNS:
        raise TypeError(f"field {name!r}: {column!r} is implicit on every row; do not declare it")
    ctype, nullable = _column_type(name, field.annotation, field.metadata)
    annotation = field.annotation
    adapter = TypeAdapter(annotation)
    return FieldColumn(name, column, ctype, nullable, adapter, _default_literal(field))


_IMPLICIT = (
    FieldColumn("id", "id", "uuid", False, TypeAdapter(UUID)),
    FieldColumn("created_at", "created_at", "timestamptz", False, TypeAdapter(datetime)),
    FieldColumn("updated_at", "updated_at", "timestamptz", False, TypeAdapter(datetime)),
)


@attrs.frozen
class ModelSchema:
    """The columns of a :class:`RowModel`, by field name and by column name."""

    model: type[RowModel]
    columns: tuple[FieldColumn, ...]

    @property
    def by_field(self) -> dict[str, FieldColumn]:
        """Each column keyed by its field name."""
        return {c.field: c for c in self.columns}

    def find(self, name: str) -> FieldColumn | None:
        """The column for a field name, a column name or an implicit column (else ``None``)."""
        for column in (*self.columns, *_IMPLICIT):
            if name in (column.field, column.column):
                return column
        return None

    def field_of(self, column: object) -> str:
        """The field name for a column name (the name itself when it is no column)."""
        found = self.find(str(column))
        return found.field if found else str(column)


@cache
def model_schema(model: type[RowModel]) -> ModelSchema:
    """The (cached) column mapping of a model; raises ``TypeError`` for unmappable fields."""
    return ModelSchema(model, tuple(_field_column(n, f) for n, f in model.model_fields.items()))


def table_name_of(model: type[RowModel]) -> str:
    """The default table name of a model: ``__table_name__``, else the snake_case class name.

    No pluralization: ``SupportTicket`` → ``support_ticket``.
    """
    declared = getattr(model, "__table_name__", None)
    if declared:
        return str(declared)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", model.__name__).lower()


# --- errors ----------------------------------------------------------------------------------


def _error_fields(schema: ModelSchema, exc: pydantic.ValidationError) -> list[dict[str, str]]:
    return [
        {"name": schema.field_of(e["loc"][0] if e["loc"] else "__root__"), "code": e["type"]}
        for e in exc.errors()
    ]


def _describe(schema: ModelSchema, exc: pydantic.ValidationError) -> str:
    parts = []
    for error in exc.errors():
        field = schema.field_of(error["loc"][0]) if error["loc"] else "(model)"
        parts.append(f"field {field!r}: {error['msg']} (got {error.get('input')!r})")
    return "; ".join(parts)


def _way_in_error(model: type[RowModel], exc: pydantic.ValidationError) -> RowValidationError:
    schema = model_schema(model)
    return RowValidationError(
        f"{model.__name__}: {_describe(schema, exc)}",
        code="invalid_value",
        fields=_error_fields(schema, exc),
    )


# --- the model base class --------------------------------------------------------------------


class RowModel(BaseModel):
    """The base of typed rows: declare fields, get validated instances with save/delete.

    Field names are Python names; ``Field(alias="class")`` maps a column whose name is not a
    valid Python name. ``id``, ``created_at`` and ``updated_at`` are read-only properties.
    An instance is plain data with change tracking; the typed query of its table saves,
    deletes and refreshes it (``tickets.save(ticket)``, awaited with the async client), so a
    model declared once has exact return types in both worlds.

    Example::

        class Ticket(RowModel):
            __table_name__ = "tickets"
            title: str
            status: str = "new"

        tickets = table.rows.typed(Ticket)
        ticket = tickets.create(title="hello")      # async: await tickets.create(...)
        ticket.status = "done"
        tickets.save(ticket)                        # async: await tickets.save(ticket)
    """

    model_config = ConfigDict(validate_assignment=True, populate_by_name=True, extra="ignore")

    __table_name__: ClassVar[str | None] = None

    _axhub_row: Any = PrivateAttr(default=None)
    _axhub_snapshot: dict[str, Any] = PrivateAttr(default_factory=dict)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            # Chained: ``validate_row`` reads it (pydantic runs a custom __init__ on validate).
            raise _way_in_error(type(self), exc) from exc

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__pydantic_complete__:
            model_schema(cls)  # refuse unmappable fields when the class is declared

    def __setattr__(self, name: str, value: Any) -> None:
        if name in IMPLICIT_COLUMNS:
            raise AttributeError(f"{name!r} is read-only: the server sets it")
        try:
            super().__setattr__(name, value)
        except pydantic.ValidationError as exc:
            raise _way_in_error(type(self), exc) from None

    def __eq__(self, other: object) -> bool:
        # Same model, same row, same values; how each instance is bound does not matter.
        if not isinstance(other, RowModel):
            return NotImplemented
        return (type(self), self.id, self.__dict__) == (type(other), other.id, other.__dict__)

    __hash__ = None  # type: ignore[assignment]  # mutable, like BaseModel

    @property
    def id(self) -> str | None:
        """The row id (``None`` until saved)."""
        return None if self._axhub_row is None else self._axhub_row.id

    @property
    def created_at(self) -> datetime | None:
        """When the row was created (timezone-aware; ``None`` until saved)."""
        return None if self._axhub_row is None else self._axhub_row.created_at

    @property
    def updated_at(self) -> datetime | None:
        """When the row was last updated (timezone-aware; ``None`` until saved)."""
        return None if self._axhub_row is None else self._axhub_row.updated_at

    @property
    def changes(self) -> dict[str, Any]:
        """Fields changed since the row was loaded (every field of an unsaved row)."""
        snap = self._axhub_snapshot
        values = {name: getattr(self, name) for name in type(self).model_fields}
        if self._axhub_row is None:
            return values
        return {k: v for k, v in values.items() if k not in snap or snap[k] != v}


if TYPE_CHECKING:
    # A type-parameter default (PEP 696) is only needed by type checkers; at run time a plain
    # TypeVar keeps the runtime dependencies to httpx, attrs, cattrs and pydantic.
    from typing_extensions import TypeVar as DefaultTypeVar

    TableModel = DefaultTypeVar("TableModel", bound=RowModel, default=RowModel, covariant=True)
else:
    TableModel = TypeVar("TableModel", bound=RowModel, covariant=True)
"""The model of a table loaded with ``app.tables.get(name, model=...)``."""


# --- moving values between rows and models ---------------------------------------------------


def validate_row(model: type[M], data: Mapping[str, Any], table: str) -> M:
    """Validate a server row into ``model``; a row that does not fit names table, id, field."""
    try:
        return model.model_validate(dict(data))
    except RowValidationError as error:
        if not isinstance(error.__cause__, pydantic.ValidationError):
            raise
        exc = error.__cause__
        schema = model_schema(model)
        row_id = data.get("id")
        raise RowValidationError(
            f"row {row_id} of table {table!r} does not fit {model.__name__}: "
            f"{_describe(schema, exc)}",
            code="row_mismatch",
            fields=_error_fields(schema, exc),
            details={"table": table, "row_id": row_id},
        ) from None


def bind_instance(obj: RowModel, row: Any) -> None:
    """Bind an instance to its row and snapshot its values for change tracking."""
    obj._axhub_row = row
    if row is not None:
        obj._axhub_snapshot = {
            name: copy.deepcopy(getattr(obj, name)) for name in type(obj).model_fields
        }


def update_instance(obj: RowModel, row: Any) -> None:
    """Take a saved or refreshed row's values into ``obj`` (validated) and re-bind it."""
    fresh = validate_row(type(obj), row.to_dict(), row.table.name)
    obj.__dict__.update(fresh.__dict__)
    bind_instance(obj, row)


def _wire(obj: RowModel, fields: Iterable[str]) -> dict[str, Any]:
    """The fields' values by column name, as the row body sends them.

    pydantic dumps the values; scalars with one wire spelling (datetime, date, UUID) are
    encoded by the one encoder, so typed and plain rows send the same text (and a naive
    datetime is refused naming the field).
    """
    schema = model_schema(type(obj))
    out: dict[str, Any] = {}
    for name, value in obj.model_dump(mode="json", include=set(fields)).items():
        raw = getattr(obj, name)
        if isinstance(raw, (date, UUID)):
            where = f"{type(obj).__name__}: field {name!r}"
            value = to_json(raw, where=where, error=RowValidationError, field=name)
        out[schema.by_field[name].column] = value
    return out


def copy_changes_to_row(obj: RowModel, row: Any) -> None:
    """Write what ``row.save()`` must send into the row, by column name.

    A new row gets every field except unset ``None`` ones (so server defaults, such as the
    owner column, apply); a loaded row gets only the changed fields.
    """
    if obj._axhub_row is None:
        fields = [
            name
            for name in type(obj).model_fields
            if getattr(obj, name) is not None or name in obj.model_fields_set
        ]
    else:
        fields = list(obj.changes)
    for column, value in _wire(obj, fields).items():
        row[column] = value


# --- filters ----------------------------------------------------------------------------------


def _split(schema: ModelSchema, key: str) -> tuple[FieldColumn | None, str | None]:
    found = schema.find(key)
    if found is not None:
        return found, None
    head, _, lookup = key.rpartition("__")
    found = schema.find(head) if head else None
    return (found, lookup) if found is not None else (None, None)


def typed_lookups(model: type[RowModel], lookups: Mapping[str, object]) -> dict[str, object]:
    """Map field names to column names and validate values against the fields' types.

    Names that are not fields of the model pass through unchanged (other table columns).
    """
    schema = model_schema(model)
    out: dict[str, object] = {}
    for key, value in lookups.items():
        column, lookup = _split(schema, key)
        if column is None:
            out[key] = value
            continue
        wire_key = column.column if lookup is None else f"{column.column}__{lookup}"
        out[wire_key] = column.check_filter(key, lookup, value)
    return out


def typed_order(model: type[RowModel], fields: Iterable[str]) -> list[str]:
    """Map ``order_by`` field names (``-klass``) to column names (``-class``)."""
    schema = model_schema(model)
    out = []
    for item in fields:
        sign, name = ("-", item[1:]) if item.startswith("-") else ("", item)
        found = schema.find(name)
        out.append(sign + (found.column if found else name))
    return out


# --- schema plans -----------------------------------------------------------------------------


@attrs.frozen
class ColumnConflict:
    """A column whose type or nullability differs between the model and the server."""

    column: str
    kind: str
    model: str
    server: str

    def __str__(self) -> str:
        return f"{self.column}: {self.kind} {self.model} in the model, {self.server} on the server"


@attrs.frozen(kw_only=True, repr=False)
class SchemaPlan:
    """What ``app.tables.sync(Model)`` found and did: ``create``, ``add``, ``drop``, ``conflicts``.

    ``create`` is true when the table did not exist (``add`` then lists its columns). ``drop``
    lists server columns the model lacks; they are dropped only with ``drop=True``.
    ``conflicts`` are never applied. ``applied`` is false for a dry run.

    Example::

        plan = app.tables.sync(Ticket, dry_run=True)
        print(plan)          # SchemaPlan for 'tickets' (dry run): add meta jsonb
    """

    table: str
    create: bool = False
    add: tuple[ColumnSpec, ...] = ()
    drop: tuple[str, ...] = ()
    conflicts: tuple[ColumnConflict, ...] = ()
    owner_column: str | None = None
    drop_applied: bool = False
    applied: bool = False

    @property
    def is_empty(self) -> bool:
        """Whether the table already matches the model."""
        return not (self.create or self.add or self.drop or self.conflicts)

    def __repr__(self) -> str:
        return (
            f"<SchemaPlan {self.table} create={self.create} add={[c.name for c in self.add]} "
            f"drop={list(self.drop)} conflicts={[str(c) for c in self.conflicts]} "
            f"applied={self.applied}>"
        )

    def __str__(self) -> str:
        mode = "applied" if self.applied else "dry run"
        lines = [f"SchemaPlan for {self.table!r} ({mode})"]
        if self.create:
            lines.append("  create table")
        lines += [f"  add {c.name} {c.type}{'' if c.nullable else ' not null'}" for c in self.add]
        kept = "" if self.drop_applied else " (kept: pass drop=True)"
        lines += [f"  drop {name}{kept}" for name in self.drop]
        lines += [f"  conflict {c} (not applied)" for c in self.conflicts]
        if self.is_empty:
            lines.append("  nothing to do")
        return "\n".join(lines)


def _declared(
    model: type[RowModel], owner_column: str | None, server_owner: str | None = None
) -> list[ColumnSpec]:
    """The model's columns; the owner column (given, or the table's) is ``not null``.

    The server fills the owner column with the caller on insert, so a model may type it
    ``UUID | None = None``; on the table it is never null. An ``owner_column`` the model does
    not declare is refused: it would otherwise be added unseen by the model (a typo adds a
    ``not null`` column).
    """
    specs = [c.spec() for c in model_schema(model).columns]
    if owner_column is not None and owner_column not in {s.name for s in specs}:
        raise ValidationError(
            f"owner_column {owner_column!r} is not a field of {model.__name__}: declare it on "
            f"the model, e.g. `{owner_column}: UUID | None = None` (the server fills it with "
            "the caller on insert)",
            code="invalid_value",
            fields=[{"name": "owner_column", "code": "invalid_value"}],
        )
    owner = owner_column or server_owner
    return [attrs.evolve(s, nullable=False) if s.name == owner else s for s in specs]


def _conflicts(spec: ColumnSpec, server: Mapping[str, Any]) -> list[ColumnConflict]:
    found = []
    if spec.type != server.get("type"):
        found.append(ColumnConflict(spec.name, "type", spec.type, str(server.get("type"))))
    server_null = bool(server.get("nullable", True))
    if spec.nullable != server_null:
        word = {True: "nullable", False: "not null"}
        model, server_word = word[spec.nullable], word[server_null]
        found.append(ColumnConflict(spec.name, "nullability", model, server_word))
    return found


def needs_row_check(spec: ColumnSpec) -> bool:
    """Whether adding ``spec`` fails on a table that has rows: ``not null`` with no default."""
    return not spec.nullable and spec.default is None


def plan_schema(
    model: type[RowModel],
    name: str,
    server_columns: Sequence[Mapping[str, Any]] | None,
    *,
    owner_column: str | None = None,
    server_owner: str | None = None,
    has_rows: bool = False,
) -> SchemaPlan:
    """Compare a model with a table's columns (``None``: the table does not exist).

    ``has_rows`` says the existing table has rows: a ``not null`` column without a default
    cannot be added to it, so such a column is a conflict, not a step.
    """
    declared = _declared(model, owner_column, server_owner)
    if server_columns is None:
        return SchemaPlan(table=name, create=True, add=tuple(declared), owner_column=owner_column)
    existing = {str(c.get("name")): c for c in server_columns}
    new = [s for s in declared if s.name not in existing]
    blocked = [s for s in new if has_rows and needs_row_check(s)]
    add = tuple(s for s in new if s not in blocked)
    conflicts = [c for s in declared if s.name in existing for c in _conflicts(s, existing[s.name])]
    conflicts += [
        ColumnConflict(s.name, "add", "not null without a default", "rows it cannot fill")
        for s in blocked
    ]
    names = {s.name for s in declared} | {server_owner}
    drop = tuple(n for n in existing if n not in names)
    return SchemaPlan(
        table=name, add=add, drop=drop, conflicts=tuple(conflicts), owner_column=server_owner
    )


def require_fit(
    model: type[RowModel], table: str, server_columns: Sequence[Mapping[str, Any]]
) -> None:
    """Refuse a table that lacks a column of ``model`` or declares one with another type."""
    plan = plan_schema(model, table, server_columns)
    problems = [f"missing column {c.name} {c.type}" for c in plan.add]
    problems += [str(c) for c in plan.conflicts if c.kind == "type"]
    if problems:
        raise RowValidationError(
            f"table {table!r} does not fit {model.__name__}: {'; '.join(problems)}; "
            f"see app.tables.sync({model.__name__}, dry_run=True)",
            code="schema_mismatch",
            fields=[
                {"name": model_schema(model).field_of(c.name), "code": "missing"} for c in plan.add
            ],
        )
