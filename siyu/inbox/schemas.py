"""Inbox API schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from siyu.kit.schemas import OutputSchema


class InboxEvent(OutputSchema):
    id: uuid.UUID
    corp_id: uuid.UUID
    event: str
    change_type: str | None
    dedup_key: str
    create_time: int = Field(description="WeCom's CreateTime (unix seconds)")
    status: str = Field(description="pending, handled, failed, dead or unsupported")
    attempts: int
    last_error: str | None
    received_at: datetime
    handled_at: datetime | None


class InboxEventDetail(InboxEvent):
    payload: str = Field(description="The decrypted callback XML as WeCom sent it")
    fields: dict[str, Any] = Field(description="The payload decoded into the event's fields")


class InboxEventPage(BaseModel):
    items: list[InboxEvent]
    next_cursor: str | None = None


class InboxRedrive(BaseModel):
    redriven: int = Field(description="How many dead events were put back in line")
