"""Sans-IO parts of the entities: state, change tracking, wire conversion, plain value objects.

The async entities (``models/_async``) and their generated sync twins (``models/_sync``) share
everything here; nothing in this module sends a request.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from functools import cache
from typing import Any, ClassVar, Generic, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from .._errors import InternalError, StateError, ValidationError
from .._time import parse_rfc3339
from .._wire import COLUMN_TYPES, IMPLICIT_COLUMNS, is_identifier

__all__ = [
    "COLUMN_TYPES",
    "Browse",
    "ColumnSpec",
    "EntityState",
    "EnvVar",
    "Me",
    "Stateful",
    "TenantMembership",
    "Tracked",
    "converter",
    "format_dirty",
    "parse_timestamp",
]


T = TypeVar("T")


class EntityState(enum.Enum):
    """Where an entity stands: never saved, persisted on the server, or deleted."""

    NEW = "new"
    PERSISTED = "persisted"
    DELETED = "deleted"


def parse_timestamp(value: Any) -> datetime | None:
    """Parse an RFC 3339 timestamp (``Z`` accepted on Python 3.10 too); ``None`` stays ``None``."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_rfc3339(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def format_dirty(names: Iterable[str]) -> str:
    """Changed names for a ``repr``: ``{'status', 'title'}`` sorted, or ``{}``."""
    ordered = sorted(names)
    return "{" + ", ".join(repr(n) for n in ordered) + "}"


class Stateful:
    """The state vocabulary every entity shares: ``state`` and the refusals it implies.

    ``Row`` (a slotted mapping) and the attrs entities (:class:`Tracked`) both use it, so
    every "new" or "deleted" refusal reads and is coded alike.
    """

    __slots__ = ()
    _kind: ClassVar[str] = "entity"
    _state: EntityState

    @property
    def state(self) -> EntityState:
        """The entity's state: ``NEW``, ``PERSISTED`` or ``DELETED``."""
        return self._state

    def _require_saved(self, verb: str) -> None:
        if self._state is EntityState.NEW:
            raise StateError(
                f"cannot {verb}() a new {self._kind}: save() it first", code="not_saved"
            )

    def _require_not_deleted(self, verb: str) -> None:
        if self._state is EntityState.DELETED:
            raise StateError(
                f"cannot {verb}() a deleted {self._kind}; create a new one instead",
                code="already_deleted",
            )


E = TypeVar("E", bound="Tracked[Any]")
B = TypeVar("B")


@attrs.define(slots=False, eq=False, repr=False)
class Tracked(Stateful, Generic[B]):
    """The state machine and change tracking of the attrs entities (App, Table, Column, Grant).

    ``B`` is what the entity is bound to: the client's seam for an app, the app for a table,
    the table for a column or a grant. A directly constructed entity is *new* and unbound
    (``state``, ``repr`` and ``changes`` work); its verbs say how to make a bound one
    (``_make_with``). Managers make entities with :meth:`_new` and :meth:`_loaded` only.
    Subclasses list their patchable attributes in ``_tracked``; a deep snapshot taken on every
    load makes in-place edits of nested values count as changes.
    """

    _tracked: ClassVar[tuple[str, ...]] = ()
    _make_with: ClassVar[str] = "its manager's new()"

    _state: EntityState = attrs.field(default=EntityState.NEW, init=False, eq=False)
    _snapshot: dict[str, Any] = attrs.field(factory=dict, init=False, eq=False)
    _binding: B | None = attrs.field(default=None, init=False, eq=False)

    # -- the two ways an entity is made -----------------------------------------------------
    def _new(self: E, binding: Any) -> E:
        """Bind a new, unsaved entity (``save()`` creates it)."""
        self._binding = binding
        self._state = EntityState.NEW
        self._snapshot = {}
        return self

    @classmethod
    def _loaded(cls: type[E], binding: Any, data: Mapping[str, Any]) -> E:
        """An entity from the server's representation, bound and persisted."""
        entity = structure(data, cls)
        entity._binding = binding
        entity._take_snapshot()
        return entity

    # -- state -------------------------------------------------------------------------------
    def _is_gone(self) -> bool:
        """Whether the server's representation says the entity is deleted (soft deletes)."""
        return False

    def _replace(self, data: Mapping[str, Any]) -> None:
        """Take the server's representation as the new local state (clears changes)."""
        self._copy_from(structure(data, type(self)))

    def _copy_from(self, other: Any) -> None:
        for field in attrs.fields(type(self)):
            if field.init:
                setattr(self, field.name, getattr(other, field.name))
        self._take_snapshot()

    def _take_snapshot(self) -> None:
        self._state = EntityState.DELETED if self._is_gone() else EntityState.PERSISTED
        self._snapshot = {name: copy.deepcopy(getattr(self, name)) for name in self._tracked}

    @property
    def changes(self) -> dict[str, Any]:
        """The attributes changed since the last load, with their new values."""
        return {
            name: getattr(self, name)
            for name in self._tracked
            if getattr(self, name) != self._snapshot.get(name)
        }

    def _bound(self, verb: str) -> B:
        """What the entity is bound to; an unbound entity refuses ``verb`` saying how to bind."""
        if self._binding is None:
            raise StateError(
                f"cannot {verb}() this {self._kind}: it is not bound to a client (it was built "
                f"directly); make a bound one with {self._make_with}",
                code="not_bound",
            )
        return self._binding

    def _refuse_changes(self, code: str, message: str) -> None:
        """Refuse the changes of an entity that has no update route (``{changed}`` names them)."""
        if self.changes:
            raise StateError(message.format(changed=", ".join(self.changes)), code=code)

    def _binding_to_create(self, code: str, message: str) -> B | None:
        """``save()`` of an entity without an update route: the binding when it is new.

        ``None`` when it is persisted and unchanged (nothing to send); a deleted entity, an
        unbound one or a persisted one with changes (``_refuse_changes``) is refused.
        """
        binding = self._bound("save")
        self._require_not_deleted("save")
        if self._state is EntityState.NEW:
            return binding
        self._refuse_changes(code, message)
        return None


def check_identifier(kind: str, name: object) -> str:
    """Refuse a table or column name the backend would refuse (wire-contract §13.12)."""
    if not is_identifier(name):
        raise ValidationError(
            f"invalid {kind} name {name!r}: use 1-63 lowercase letters, digits and underscores, "
            "starting with a letter",
            code="invalid_format",
            fields=[{"name": kind, "code": "invalid_format"}],
        )
    return name


@attrs.define(eq=False, slots=False, repr=False)
class ColumnSpec:
    """The shared shape of a column: ``name``, ``type``, ``nullable``, ``default``.

    ``default`` is a string literal as the backend expects (``"0"``, ``"true"``).
    """

    name: str
    type: str
    nullable: bool = attrs.field(default=True, kw_only=True)
    default: str | None = attrs.field(default=None, kw_only=True)
    extra: dict[str, Any] = attrs.field(factory=dict, kw_only=True)

    def __repr__(self) -> str:
        null = "" if self.nullable else " not null"
        default = "" if self.default is None else f" default {self.default!r}"
        return f"<{type(self).__name__} {self.name} {self.type}{null}{default}>"

    def _validate(self) -> None:
        check_identifier("column", self.name)
        if self.name in IMPLICIT_COLUMNS:
            raise ValidationError(
                f"column {self.name!r} is implicit on every table; do not declare it",
                code="not_allowed",
                fields=[{"name": self.name, "code": "not_allowed"}],
            )
        if self.type not in COLUMN_TYPES:
            raise ValidationError(
                f"column {self.name!r} has type {self.type!r}; "
                f"use one of {', '.join(COLUMN_TYPES)}",
                code="invalid_value",
                fields=[{"name": self.name, "code": "invalid_value"}],
            )
        if self.default is not None and not isinstance(self.default, str):
            raise ValidationError(
                f"column {self.name!r}: default must be a string literal such as "
                f"{str(self.default).lower()!r}",
                code="invalid_value",
                fields=[{"name": self.name, "code": "invalid_value"}],
            )

    def to_wire(self) -> dict[str, Any]:
        """The column definition as sent in create-table and add-column bodies."""
        self._validate()
        body: dict[str, Any] = {"name": self.name, "type": self.type, "nullable": self.nullable}
        if self.default is not None:
            body["default"] = self.default
        return body


@attrs.frozen(kw_only=True)
class TenantMembership:
    """One tenant the caller belongs to (from ``hub.me()``)."""

    tenant_id: str
    tenant_slug: str | None = None
    role: str | None = None
    is_active: bool = True


@attrs.frozen(kw_only=True)
class Me:
    """The caller: ``id`` (a grant principal or row owner), ``email``, ``name``, ``tenants``."""

    id: str
    email: str | None = None
    name: str | None = None
    platform_admin: bool = False
    tenants: list[TenantMembership] = attrs.field(factory=list)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Me:
        """Read ``GET /api/v1/me``: the ``user`` object and ``tenants`` (a root ``userId`` too)."""
        user = dict(data.get("user") or {})
        user.setdefault("id", data.get("userId") or data.get("user_id"))
        return from_wire({**user, "tenants": data.get("tenants") or []}, cls)


@attrs.frozen(kw_only=True)
class EnvVar:
    """An app environment variable; ``value`` of a secret reads back as ``***``."""

    key: str
    value: str
    secret: bool = False
    stage: str = "runtime"
    has_staging_override: bool = False


@attrs.frozen(kw_only=True)
class Browse:
    """A page of the admin browse: ``rows`` (verbatim row dicts) and the table's ``columns``."""

    rows: list[dict[str, Any]]
    columns: list[dict[str, Any]]
    page: int = 1
    per_page: int = 0
    has_more: bool = False


def _structure_keeping_extra(cls: type[Any], conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    fields = attrs.fields(cls)
    renames: Mapping[str, str] = getattr(cls, "_wire_names", {})
    overrides = {name: override(rename=wire) for name, wire in renames.items()}
    has_extra = any(f.name == "extra" for f in fields)
    if has_extra:
        overrides["extra"] = override(omit=True)
    # A generic entity (Table[M]) is structured as Table[<bound of M>]: no wire field uses M.
    params = getattr(cls, "__parameters__", ())
    target = cls[tuple(p.__bound__ or Any for p in params)] if params else cls
    base = make_dict_structure_fn(target, conv, **overrides)  # type: ignore[arg-type]
    known = {renames.get(f.name, f.name) for f in fields if f.init}

    def structure(data: Any, _: Any) -> Any:
        obj = base(data, cls)
        if has_extra:
            obj.extra = {k: v for k, v in data.items() if k not in known}
        return obj

    return structure


@cache
def converter() -> cattrs.Converter:
    """The one converter from wire dicts to entities (unknown fields kept in ``extra``)."""
    conv = cattrs.Converter()
    conv.register_structure_hook(datetime, lambda v, _: parse_timestamp(v))
    conv.register_structure_hook_factory(attrs.has, lambda cls: _structure_keeping_extra(cls, conv))
    return conv


def list_items(data: Any) -> tuple[list[Any], bool]:
    """Read a list response: a bare array or ``{items, has_more}`` (wire-contract §12.2)."""
    if isinstance(data, list):
        return data, False
    return list(data.get("items") or []), bool(data.get("has_more"))


def structure(data: Any, cls: type[T]) -> T:
    """Structure a wire dict into ``cls`` with the shared converter, tolerating ``None`` fields."""
    if not isinstance(data, Mapping):
        raise _invalid_response(cls, [f"expected an object, got {type(data).__name__} @ $"])
    return from_wire({k: v for k, v in data.items() if v is not None}, cls)


def from_wire(data: Mapping[str, Any], cls: type[T]) -> T:
    """Structure ``data`` into ``cls``; an answer that does not fit is ``invalid_response``.

    A response the backend (or anything in between) got wrong must not escape as a cattrs
    exception: it becomes :class:`InternalError` naming each offending field path.
    """
    try:
        return converter().structure(data, cls)
    except cattrs.BaseValidationError as exc:
        raise _invalid_response(cls, cattrs.transform_error(exc)) from None


def _invalid_response(cls: type[Any], problems: list[str]) -> InternalError:
    return InternalError(
        f"AX Hub answered a {cls.__name__} that does not fit it: {'; '.join(problems)}",
        code="invalid_response",
    )
