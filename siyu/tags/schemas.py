"""Tag API schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from siyu.kit.schemas import InputSchema, OutputSchema

# WeCom: names of at most 30 characters; order is in [0, 2^32), larger first.
Name = Field(min_length=1, max_length=30)
Order = Field(default=0, ge=0, lt=2**32)


class TagCreate(InputSchema):
    name: str = Name
    order: int = Order


class TagGroupCreate(InputSchema):
    name: str = Name
    order: int = Order
    origin: Literal["wecom", "siyu"] = Field(
        default="wecom",
        description="wecom: a corp tag group created in WeCom too; siyu: Siyu-only, never sent",
    )
    tags: list[TagCreate] = Field(default_factory=list, max_length=100)


class TagGroupUpdate(InputSchema):
    """Rename or reorder; only the fields sent change."""

    name: str | None = Field(default=None, min_length=1, max_length=30)
    order: int | None = Field(default=None, ge=0, lt=2**32)


class TagUpdate(TagGroupUpdate):
    pass


class Tag(OutputSchema):
    id: uuid.UUID
    group_id: uuid.UUID
    wecom_tag_id: str | None
    name: str
    order: int
    type: int
    pending: bool = Field(description="Created in Siyu; WeCom has not confirmed it yet")


class TagGroup(OutputSchema):
    id: uuid.UUID
    wecom_group_id: str | None
    name: str
    order: int
    origin: str
    pending: bool
    tags: list[Tag]


class TagChange(OutputSchema):
    id: uuid.UUID
    kind: str
    status: str = Field(description="pending, done, or failed (WeCom refused; see errcode)")
    tag_group_id: uuid.UUID | None
    tag_id: uuid.UUID | None
    relation_id: uuid.UUID | None
    payload: dict[str, Any]
    errcode: int | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None


class CustomerTagMark(InputSchema):
    """mark_tag on the relation between `userid` and the customer."""

    userid: str = Field(min_length=1, max_length=64, description="The staff member's userid")
    add: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    remove: list[uuid.UUID] = Field(default_factory=list, max_length=100)
