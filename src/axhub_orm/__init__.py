"""axhub-orm: AX Hub apps, tables and rows as Python objects.

Example::

    from axhub_orm import AxHub, Column, TokenType

    with AxHub.from_env() as hub:
        app = hub.apps.create(slug="crm", name="CRM")
        table = app.tables.create("tickets", columns=[Column("title", "text")])
        row = table.rows.create(title="hello")
        print(table.rows.filter(title="hello").count())
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ._async import AsyncAxHub, AsyncOperations
from ._errors import (
    AuthenticationError,
    AxHubError,
    ConflictError,
    ConnectError,
    DoesNotExist,
    FilterRequiredError,
    InternalError,
    MultipleObjectsReturned,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    PreconditionFailedError,
    QueryError,
    RateLimitError,
    RequestTimeoutError,
    RowValidationError,
    StateError,
    TransportError,
    UnavailableError,
    ValidationError,
)
from ._http import TokenType, redacted_token
from ._routes import ROUTES, Route
from ._sync import AxHub, Operations
from ._version import __version__
from .models import (
    App,
    AppManager,
    AsyncApp,
    AsyncAppManager,
    AsyncColumn,
    AsyncColumns,
    AsyncEnvVars,
    AsyncGrant,
    AsyncGrants,
    AsyncRow,
    AsyncRowQuery,
    AsyncTable,
    AsyncTableManager,
    AsyncTypedRowQuery,
    Browse,
    Column,
    Columns,
    ColumnType,
    EntityState,
    EnvVar,
    EnvVars,
    Grant,
    Grants,
    Me,
    Row,
    RowModel,
    RowOperation,
    RowQuery,
    SchemaPlan,
    Table,
    TableManager,
    TenantMembership,
    TypedRowQuery,
)

if TYPE_CHECKING:
    from .local import LocalAxHub

__all__ = [
    "ROUTES",
    "App",
    "AppManager",
    "AsyncApp",
    "AsyncAppManager",
    "AsyncAxHub",
    "AsyncColumn",
    "AsyncColumns",
    "AsyncEnvVars",
    "AsyncGrant",
    "AsyncGrants",
    "AsyncOperations",
    "AsyncRow",
    "AsyncRowQuery",
    "AsyncTable",
    "AsyncTableManager",
    "AsyncTypedRowQuery",
    "AuthenticationError",
    "AxHub",
    "AxHubError",
    "Browse",
    "Column",
    "ColumnType",
    "Columns",
    "ConflictError",
    "ConnectError",
    "DoesNotExist",
    "EntityState",
    "EnvVar",
    "EnvVars",
    "FilterRequiredError",
    "Grant",
    "Grants",
    "InternalError",
    "LocalAxHub",
    "Me",
    "MultipleObjectsReturned",
    "NotFoundError",
    "Operations",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "QueryError",
    "RateLimitError",
    "RequestTimeoutError",
    "Route",
    "Row",
    "RowModel",
    "RowOperation",
    "RowQuery",
    "RowValidationError",
    "SchemaPlan",
    "StateError",
    "Table",
    "TableManager",
    "TenantMembership",
    "TokenType",
    "TransportError",
    "TypedRowQuery",
    "UnavailableError",
    "ValidationError",
    "__version__",
    "redacted_token",
]


# A library logs, the application decides where to: without a handler configured, records of
# the "axhub_orm" logger (request ids, 429 retries; never tokens) go nowhere.
logging.getLogger("axhub_orm").addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    # The emulator serves with the optional `local` extra (uvicorn): import it on first use.
    if name == "LocalAxHub":
        from .local import LocalAxHub

        return LocalAxHub
    raise AttributeError(f"module 'axhub_orm' has no attribute {name!r}")
