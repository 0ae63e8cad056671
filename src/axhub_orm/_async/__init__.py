"""The hand-written async client; ``_sync`` is generated from it by ``scripts/unasync.py``."""

from ._client import AsyncAxHub
from ._operations import AsyncOperations

__all__ = ["AsyncAxHub", "AsyncOperations"]
