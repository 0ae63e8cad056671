"""Row models shared by the typed-row tests."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, Field

from axhub_orm import ColumnType, RowModel


class Ticket(RowModel):
    __table_name__ = "tickets"

    title: str
    status: str = "new"
    priority: int = 0
    meta: dict[str, Any] | None = None


class OwnedTicket(Ticket):
    """Ticket with its owner column declared, for tables synced with owner_column="owner_id"."""

    owner_id: UUID | None = None


class TicketV2(Ticket):
    due: datetime | None = None


class OwnedTicketV2(TicketV2):
    """TicketV2 with its owner column declared."""

    owner_id: UUID | None = None


class Address(BaseModel):
    city: str
    tags: list[str] = Field(default_factory=list)


class Everything(RowModel):
    __table_name__ = "everything"

    text: str
    number: int
    big: Annotated[int, ColumnType("bigint")] = 0
    ratio: float = 0.0
    flag: bool = False
    when: datetime | None = None
    ref: UUID | None = None
    address: Address | None = None
    items: list[int] = Field(default_factory=list)
    klass: str = Field(default="a", alias="class")


class OwnedEverything(Everything):
    """Everything with its owner column declared (the server fills it on insert)."""

    __table_name__ = "everything"

    owner_id: UUID | None = None
