"""The narrow seam between the entities and the client: all that ``models/`` may use of it.

An entity never touches the client itself: it holds an :class:`AsyncSeam` and calls
:meth:`~AsyncSeam.call` (one operation, the wire JSON back), :meth:`~AsyncSeam.call_all` (every
item of a paged non-row list) and reads the tenant settings. Anything new the entities need from
the client is added here, documented, so the client's internals stay free to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._errors import ValidationError
from .._http import QueryParams

if TYPE_CHECKING:
    from ._client import AsyncAxHub

__all__ = ["AsyncSeam"]


class AsyncSeam:
    """What an entity may ask of its client.

    Example::

        data = await seam.call("appsGetApiV1AppsByAppID", path_params={"appID": app_id})
    """

    __slots__ = ("_hub",)

    def __init__(self, hub: AsyncAxHub) -> None:
        self._hub = hub

    def __repr__(self) -> str:
        return f"<AsyncSeam of {self._hub!r}>"

    async def call(
        self,
        operation_id: str,
        *,
        path_params: Mapping[str, object] | None = None,
        query: QueryParams | None = None,
        body: Any = None,
    ) -> Any:
        """Send one operation through the client's pipeline; the wire JSON as received."""
        return await self._hub._call(operation_id, path_params=path_params, query=query, body=body)

    async def call_all(self, operation_id: str, path_params: Mapping[str, object]) -> list[Any]:
        """Every item of a paged (non-row) list operation, following ``has_more``."""
        return await self._hub._call_all(operation_id, path_params)

    def tenant_id(self, verb: str) -> str:
        """The client's tenant id; ``verb`` (e.g. ``apps.create``) names the call that needs it."""
        if not self._hub.tenant_id:
            raise ValidationError(
                f"{verb} needs a tenant id: pass tenant_id= to the client or set AXHUB_TENANT_ID",
                code="tenant_id_required",
                category="tenant_id_required",  # the seed family's conformance vector
            )
        return self._hub.tenant_id

    def tenant_slug(self) -> str:
        """The client's tenant slug, which every row route needs."""
        if not self._hub.tenant_slug:
            raise ValidationError(
                "row operations need the tenant slug: pass tenant_slug= to the client or set "
                "AXHUB_TENANT_SLUG",
                code="tenant_slug_required",
            )
        return self._hub.tenant_slug

    @property
    def configured_tenant_id(self) -> str | None:
        """The tenant id as configured (``None`` if not), for a ``repr``."""
        return self._hub.tenant_id
