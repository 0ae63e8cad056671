"""The hand-written async entities; ``models/_sync`` is generated from them."""

from .app import AsyncApp, AsyncAppManager, AsyncEnvVars
from .grant import AsyncGrant, AsyncGrants
from .query import AsyncRowQuery
from .row import AsyncRow
from .table import AsyncColumn, AsyncColumns, AsyncTable, AsyncTableManager
from .typed import AsyncTypedRowQuery

__all__ = [
    "AsyncApp",
    "AsyncAppManager",
    "AsyncColumn",
    "AsyncColumns",
    "AsyncEnvVars",
    "AsyncGrant",
    "AsyncGrants",
    "AsyncRow",
    "AsyncRowQuery",
    "AsyncTable",
    "AsyncTableManager",
    "AsyncTypedRowQuery",
]
