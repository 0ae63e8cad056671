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


class TicketV2(Ticket):
    due: datetime | None = None


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
