"""Handlers for tables, columns, grants, admin browse and rows (§7-§10, §13)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from .._wire import is_identifier
from ._context import (
    Ctx,
    Handler,
    Reply,
    canonical_uuid,
    identifier,
    is_uuid,
    page_envelope,
    string_field,
    unknown_fields,
)
from ._errors import ApiError, field_error
from ._filters import compile_row_selection, compile_select
from ._store import Condition, RowSelection, TableMeta
from ._types import (
    COLUMN_TYPES,
    IMPLICIT_NAMES,
    SYSTEM_COLUMNS,
    ColumnDef,
    parse_literal,
    to_db,
    utc_now,
)

__all__ = ["HANDLERS"]

MAX_COLUMNS = 200
_TABLE_FIELDS = frozenset({"table_name", "columns", "owner_column", "description"})
_COLUMN_FIELDS = frozenset({"name", "type", "nullable", "default"})
_GRANT_FIELDS = frozenset({"principal_type", "principal_id", "actions"})
_ACTIONS = ("read", "write")


def _column_def(raw: Any) -> ColumnDef:
    if not isinstance(raw, dict):
        raise field_error("invalid_value", "columns", "a column must be an object")
    unknown_fields(raw, _COLUMN_FIELDS)
    if raw.get("name") is None:
        raise field_error("required", "name", "a column needs a name")
    name = identifier(raw["name"], "name")
    if name in IMPLICIT_NAMES:
        raise field_error("not_allowed", name, f"{name} is maintained by the server")
    if name in SYSTEM_COLUMNS:
        raise field_error("invalid_value", name, f"{name} is a PostgreSQL system column name")
    ctype = raw.get("type")
    if ctype not in COLUMN_TYPES:
        raise field_error("invalid_value", name, f"type must be one of {', '.join(COLUMN_TYPES)}")
    nullable = raw.get("nullable", True)
    if not isinstance(nullable, bool):
        raise field_error("invalid_value", name, "nullable must be a boolean")
    default = raw.get("default")
    if default is not None:
        if not isinstance(default, str):
            raise field_error("invalid_value", name, "default must be a string literal")
        parse_literal(ctype, default, name)
    return ColumnDef(name, ctype, nullable, default)


def _columns(raw: Any) -> list[ColumnDef]:
    if raw is None:
        raise field_error("required", "columns", "columns is required")
    if not isinstance(raw, list) or len(raw) > MAX_COLUMNS:
        raise field_error("invalid_value", "columns", f"columns must be a list of <= {MAX_COLUMNS}")
    columns: list[ColumnDef] = []
    for item in raw:
        column = _column_def(item)
        if any(c.name == column.name for c in columns):
            raise field_error("already_exists", column.name, "duplicate column name")
        columns.append(column)
    return columns


def _owner_column(body: Mapping[str, Any], columns: list[ColumnDef]) -> str | None:
    owner = body.get("owner_column")
    if owner is None:
        return None
    column = next((c for c in columns if c.name == owner), None)
    if column is None or column.type not in ("uuid", "text"):
        raise field_error(
            "invalid_value", "owner_column", "owner_column must name a declared uuid or text column"
        )
    return column.name


def _table(ctx: Ctx, app_id: str) -> TableMeta:
    name = identifier(ctx.params["tableName"], "tableName")
    meta = ctx.store.table(app_id, name)
    if meta is None:
        raise ApiError("not_found", "no such table")
    return meta


def _table_json(ctx: Ctx, meta: TableMeta) -> dict[str, Any]:
    return {
        "id": meta.id,
        "app_id": meta.app_id,
        "table_name": meta.table_name,
        "description": meta.description,
        "owner_column": meta.owner_column,
        "columns": [c.to_json() for c in meta.columns],
        "column_count": len(meta.columns),
        "row_count": ctx.store.row_count(meta),
        "aggregatable_paths": [],
        "references": {},
        "created_at": meta.created_at,
        "updated_at": meta.updated_at,
    }


# --- tables and columns ------------------------------------------------------------------


def create_table(ctx: Ctx) -> Reply:
    """``POST /api/v1/apps/{appID}/tables``: 201 with the table object."""
    app = ctx.app()
    body = ctx.object()
    unknown_fields(body, _TABLE_FIELDS)
    if body.get("table_name") is None:
        raise field_error("required", "table_name", "table_name is required")
    name = identifier(body["table_name"], "table_name")
    columns = _columns(body.get("columns"))
    owner = _owner_column(body, columns)
    description = string_field(body, "description", max_len=1000) or ""
    if ctx.store.table(app["id"], name) is not None:
        raise field_error("already_exists", "table_name", "a table with this name exists")
    meta = ctx.store.create_table(app["id"], name, columns, owner, description)
    return Reply(201, _table_json(ctx, meta))


def list_tables(ctx: Ctx) -> Reply:
    """``GET /api/v1/apps/{appID}/tables``: paged table objects."""
    app = ctx.app()
    paging = ctx.paging()
    items = [_table_json(ctx, m) for m in ctx.store.tables(app["id"], paging)]
    return Reply(200, page_envelope(items, paging))


def get_table(ctx: Ctx) -> Reply:
    """``GET /api/v1/apps/{appID}/tables/{tableName}``: the inspect object."""
    return Reply(200, _table_json(ctx, _table(ctx, ctx.app()["id"])))


def delete_table(ctx: Ctx) -> Reply:
    """``DELETE …/tables/{tableName}``: hard delete, 204."""
    ctx.store.drop_table(_table(ctx, ctx.app()["id"]))
    return Reply(204)


def check_table_availability(ctx: Ctx) -> Reply:
    """``GET …/tables/check-availability?table_name=x`` → ``{available, reason}``."""
    app = ctx.app()
    name = ctx.query_value("table_name")
    if name is None:
        raise field_error("required", "table_name", "table_name is required")
    if not is_identifier(name):
        reason = "invalid"
    else:
        reason = "taken" if ctx.store.table(app["id"], name) else ""
    return Reply(200, {"available": not reason, "reason": reason})


def column_types(ctx: Ctx) -> Reply:
    """``GET …/tables/column-types`` → ``{"types": [...]}``."""
    ctx.app()
    return Reply(200, {"types": list(COLUMN_TYPES)})


def add_column(ctx: Ctx) -> Reply:
    """``POST …/tables/{tableName}/columns`` with ``{"column": {...}}``: 201, the table."""
    meta = _table(ctx, ctx.app()["id"])
    body = ctx.object()
    unknown_fields(body, frozenset({"column"}))
    if body.get("column") is None:
        raise field_error("required", "column", "column is required")
    column = _column_def(body["column"])
    if meta.declared(column.name) is not None:
        raise field_error("already_exists", column.name, "the column exists")
    if len(meta.columns) >= MAX_COLUMNS:
        raise field_error("invalid_value", column.name, f"at most {MAX_COLUMNS} columns")
    fill = None
    if column.default is not None:
        fill = parse_literal(column.type, column.default, column.name)
    if fill is None and not column.nullable and ctx.store.row_count(meta):
        raise field_error(
            "invalid_value",
            column.name,
            "a non-nullable column added to a table with rows needs a default",
        )
    ctx.store.add_column(meta, column, fill)
    return Reply(201, _table_json(ctx, meta))


def drop_column(ctx: Ctx) -> Reply:
    """``DELETE …/tables/{tableName}/columns/{columnName}``: 204."""
    meta = _table(ctx, ctx.app()["id"])
    name = identifier(ctx.params["columnName"], "columnName")
    if name in IMPLICIT_NAMES or name == meta.owner_column:
        raise field_error("not_allowed", name, "this column cannot be dropped")
    if meta.declared(name) is None:
        raise ApiError("not_found", "no such column")
    ctx.store.drop_column(meta, name)
    return Reply(204)


# --- grants ------------------------------------------------------------------------------


def create_grant(ctx: Ctx) -> Reply:
    """``POST …/tables/{tableName}/grants``: 201 with the grant object (§13.11)."""
    app = ctx.app()
    meta = _table(ctx, app["id"])
    body = ctx.object()
    unknown_fields(body, _GRANT_FIELDS)
    if body.get("principal_type") != "user":
        code = "required" if body.get("principal_type") is None else "invalid_value"
        raise field_error(code, "principal_type", "principal_type must be user")
    principal = string_field(body, "principal_id", required=True, max_len=64) or ""
    if not is_uuid(principal):
        raise field_error("invalid_format", "principal_id", "principal_id must be a user UUID")
    principal = canonical_uuid(principal)
    if ctx.store.member_role(app["tenant_id"], principal) is None:
        raise field_error("invalid_value", "principal_id", "no such user in this tenant")
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or any(a not in _ACTIONS for a in actions):
        raise field_error(
            "invalid_value", "actions", "actions must be a non-empty subset of read, write"
        )
    doc = {
        "id": str(uuid.uuid4()),
        "table_name": meta.table_name,
        "principal_type": "user",
        "principal_id": principal,
        "actions": list(dict.fromkeys(actions)),
        "created_at": utc_now(),
        "revoked_at": None,
    }
    ctx.store.insert_grant(meta.id, doc)
    return Reply(201, doc)


def list_grants(ctx: Ctx) -> Reply:
    """``GET …/tables/{tableName}/grants``: revoked grants stay listed."""
    meta = _table(ctx, ctx.app()["id"])
    paging = ctx.paging()
    return Reply(200, page_envelope(ctx.store.grants(meta.id, paging), paging))


def revoke_grant(ctx: Ctx) -> Reply:
    """``DELETE …/grants/{grantID}``: soft revoke, 200 with ``revoked_at`` set."""
    meta = _table(ctx, ctx.app()["id"])
    grant_id = ctx.params["grantID"]
    grant = ctx.store.grant(meta.id, grant_id.lower()) if is_uuid(grant_id) else None
    if grant is None:
        raise ApiError("not_found", "no such grant")
    if grant["revoked_at"] is not None:
        raise ApiError("already_revoked", "the grant is already revoked")
    grant["revoked_at"] = utc_now()
    ctx.store.save_grant(grant)
    return Reply(200, grant)


# --- rows --------------------------------------------------------------------------------


def browse_rows(ctx: Ctx) -> Reply:
    """``GET /api/v1/apps/{appID}/tables/{tableName}/rows``: admin view, no owner scoping."""
    meta = _table(ctx, ctx.app()["id"])
    selection = compile_row_selection(ctx.query, meta.column_map())
    rows = _project(ctx.store.list_rows(meta, selection), selection.select)
    envelope = page_envelope(rows, selection.paging)
    return Reply(
        200,
        {
            "rows": envelope["items"],
            "columns": [c.to_json() for c in meta.columns],
            "page": envelope["page"],
            "per_page": envelope["per_page"],
            "has_more": envelope["has_more"],
        },
    )


def _owner_value(ctx: Ctx, meta: TableMeta) -> Any:
    column = meta.declared(meta.owner_column or "")
    return None if column is None else to_db(column.type, ctx.user_id, column.name)


def _owner_scope(ctx: Ctx, meta: TableMeta) -> list[Condition]:
    """The condition restricting rows to the caller's own (none without an owner column)."""
    column = meta.declared(meta.owner_column or "")
    if column is None:
        return []
    return [Condition(column.name, column.type, "eq", _owner_value(ctx, meta))]


def _scoped_selection(ctx: Ctx, meta: TableMeta) -> RowSelection:
    selection = compile_row_selection(ctx.query, meta.column_map())
    scope = _owner_scope(ctx, meta)
    if not scope and selection.filter_count == 0:
        raise ApiError(
            "required",
            "at least one WHERE filter is required on a table without an owner column",
            fields=[{"name": "where", "code": "required"}],
        )
    selection.conditions[:0] = scope
    return selection


def _project(rows: list[dict[str, Any]], select: tuple[str, ...] | None) -> list[dict[str, Any]]:
    if select is None:
        return rows
    return [{name: row[name] for name in select} for row in rows]


def list_rows(ctx: Ctx) -> Reply:
    """``GET /data/{tenantSlug}/{appSlug}/{table}``: ``{items, page, per_page, has_more}``."""
    meta = ctx.table()
    selection = _scoped_selection(ctx, meta)
    rows = _project(ctx.store.list_rows(meta, selection), selection.select)
    return Reply(200, page_envelope(rows, selection.paging))


def count_rows(ctx: Ctx) -> Reply:
    """``GET /data/…/{table}/_count``: ``{count}`` with the same filters and scoping."""
    meta = ctx.table()
    return Reply(200, {"count": ctx.store.count_rows(meta, _scoped_selection(ctx, meta))})


def _find_row(ctx: Ctx, meta: TableMeta) -> dict[str, Any]:
    row_id = ctx.params["id"]
    if not is_uuid(row_id):
        raise ApiError("not_found", "no such row")
    conditions = [Condition("id", "uuid", "eq", row_id.lower()), *_owner_scope(ctx, meta)]
    row = ctx.store.find_row(meta, conditions)
    if row is None:
        raise ApiError("not_found", "no such row")
    return row


def _convert(meta: TableMeta, body: Mapping[str, Any], *, patch: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in body.items():
        if name in IMPLICIT_NAMES or (patch and name == meta.owner_column):
            raise field_error("not_allowed", name, f"{name} cannot be set by the client")
        column = meta.declared(name)
        if column is None:
            raise field_error("invalid_value", name[:100], f"unknown column {name[:64]!r}")
        values[name] = to_db(column.type, value, name)
        if values[name] is None and not column.nullable:
            raise field_error("required", name, f"{name} cannot be null")
    return values


def insert_row(ctx: Ctx) -> Reply:
    """``POST /data/…/{table}``: 201 with the created row."""
    meta = ctx.table()
    values = _convert(meta, ctx.object(), patch=False)
    owner = _owner_value(ctx, meta)
    if (
        owner is not None
        and meta.owner_column is not None
        and values.setdefault(meta.owner_column, owner) != owner
    ):
        raise field_error("forbidden", meta.owner_column, "the owner column must be you")
    for column in meta.columns:
        if column.name not in values and column.default is not None:
            values[column.name] = parse_literal(column.type, column.default, column.name)
        if values.get(column.name) is None and not column.nullable:
            raise field_error("required", column.name, f"{column.name} is required")
    return Reply(201, ctx.store.insert_row(meta, values))


def get_row(ctx: Ctx) -> Reply:
    """``GET /data/…/{table}/{id}``: the bare row (optional ``_select``)."""
    meta = ctx.table()
    row = _find_row(ctx, meta)
    select = ctx.query_value("_select")
    if select is not None:
        row = _project([row], compile_select(meta.column_map(), select))[0]
    return Reply(200, row)


def patch_row(ctx: Ctx) -> Reply:
    """``PATCH /data/…/{table}/{id}``: partial update, 200 with the row."""
    meta = ctx.table()
    row = _find_row(ctx, meta)
    values = _convert(meta, ctx.object(), patch=True)
    if values:
        ctx.store.update_row(meta, row["id"], values)
        row = _find_row(ctx, meta)
    return Reply(200, row)


def delete_row(ctx: Ctx) -> Reply:
    """``DELETE /data/…/{table}/{id}``: hard delete, 204."""
    meta = ctx.table()
    ctx.store.delete_row(meta, _find_row(ctx, meta)["id"])
    return Reply(204)


HANDLERS: Mapping[str, Handler] = {
    "schemaPostApiV1AppsByAppIDTables": create_table,
    "schemaGetApiV1AppsByAppIDTables": list_tables,
    "schemaGetApiV1AppsByAppIDTablesByTableName": get_table,
    "schemaDeleteApiV1AppsByAppIDTablesByTableName": delete_table,
    "schemaGetApiV1AppsByAppIDTablesCheckAvailability": check_table_availability,
    "schemaGetApiV1AppsByAppIDTablesColumnTypes": column_types,
    "schemaPostApiV1AppsByAppIDTablesByTableNameColumns": add_column,
    "schemaDeleteApiV1AppsByAppIDTablesByTableNameColumnsByColumnName": drop_column,
    "schemaPostApiV1AppsByAppIDTablesByTableNameGrants": create_grant,
    "schemaGetApiV1AppsByAppIDTablesByTableNameGrants": list_grants,
    "schemaDeleteApiV1AppsByAppIDTablesByTableNameGrantsByGrantID": revoke_grant,
    "schemaGetApiV1AppsByAppIDTablesByTableNameRows": browse_rows,
    "schemaGetDataByTenantSlugByAppSlugByTable": list_rows,
    "schemaGetDataByTenantSlugByAppSlugByTableCount": count_rows,
    "schemaPostDataByTenantSlugByAppSlugByTable": insert_row,
    "schemaGetDataByTenantSlugByAppSlugByTableById": get_row,
    "schemaPatchDataByTenantSlugByAppSlugByTableById": patch_row,
    "schemaDeleteDataByTenantSlugByAppSlugByTableById": delete_row,
}
