"""The ``axhub-orm`` command line: shared argument handling and the ``rows``/``schema`` groups."""

from __future__ import annotations

from ._args import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    CommandParser,
    UsageError,
    database_path,
    port_number,
    run_group,
)

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandError",
    "CommandParser",
    "UsageError",
    "database_path",
    "port_number",
    "run_group",
]
