"""axhub-orm: AX Hub apps, tables and rows as Python objects.

Example::

    from axhub_orm import AxHub, Column, TokenType

    with AxHub.from_env() as hub:
        app = hub.apps.create(slug="crm", name="CRM")
        table = app.tables.create("tickets", columns=[Column("title", "text")])
        row = table.rows.create(title="hello")
        print(table.rows.filter(title="hello").count())
"""

# No ``from __future__ import annotations`` and no bare helper imports here: every public name
# of this module is in __all__ (tests/unit/test_public_api.py checks that they are equal).
import logging as _logging
import typing as _typing

from ._async._client import AsyncAxHub
from ._async._operations import AsyncOperations
from ._bulk import DEFAULT_CONCURRENCY, MAX_CONCURRENCY, BulkError, BulkItem
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
from ._inventory import CONTEXT_ROUTES, ERROR_CODES
from ._routes import ROUTES, Route
from ._sync._client import AxHub
from ._sync._operations import Operations
from ._version import __version__
from .models._async.app import AsyncApp, AsyncAppManager, AsyncEnvVars
from .models._async.grant import AsyncGrant, AsyncGrants
from .models._async.query import AsyncRowQuery, AsyncValuesQuery
from .models._async.row import AsyncRow
from .models._async.table import AsyncColumn, AsyncColumns, AsyncTable, AsyncTableManager
from .models._async.typed import AsyncTypedRowQuery
from .models._base import Browse, EntityState, EnvVar, Me, TenantMembership
from .models._sync.app import App, AppManager, EnvVars
from .models._sync.grant import Grant, Grants
from .models._sync.query import RowQuery, ValuesQuery
from .models._sync.row import Row
from .models._sync.table import Column, Columns, Table, TableManager
from .models._sync.typed import TypedRowQuery
from .models._typed import ColumnType, RowModel, SchemaPlan

if _typing.TYPE_CHECKING:
    from .local import LocalAxHub

__all__ = [
    "CONTEXT_ROUTES",
    "DEFAULT_CONCURRENCY",
    "ERROR_CODES",
    "MAX_CONCURRENCY",
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
    "AsyncValuesQuery",
    "AuthenticationError",
    "AxHub",
    "AxHubError",
    "Browse",
    "BulkError",
    "BulkItem",
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
    "ValuesQuery",
    "__version__",
    "redacted_token",
]


# A library logs, the application decides where to: without a handler configured, records of
# the "axhub_orm" logger (request ids, 429 retries; never tokens) go nowhere.
_logging.getLogger("axhub_orm").addHandler(_logging.NullHandler())


def __getattr__(name: str) -> _typing.Any:
    # The emulator serves with the optional `local` extra (uvicorn): import it on first use.
    if name == "LocalAxHub":
        from .local import LocalAxHub

        return LocalAxHub
    raise AttributeError(f"module 'axhub_orm' has no attribute {name!r}")
