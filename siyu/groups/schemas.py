"""Customer group read API schemas."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from siyu.kit.pagination import Page
from siyu.kit.schemas import OutputSchema


class CustomerGroup(OutputSchema):
    id: uuid.UUID
    chat_id: str
    name: str
    owner_userid: str
    notice: str | None
    created_in_wecom_at: datetime | None
    member_version: str | None
    status: int = Field(description="0 normal, 1 owner resigned, 2 handover running, 3 handed over")
    member_count: int
    dismissed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class GroupMember(OutputSchema):
    member_id: str = Field(description="A staff userid or an external_userid")
    member_type: int = Field(description="1 staff member, 2 external contact")
    name: str | None
    group_nickname: str | None
    unionid: str | None
    join_time: datetime | None
    join_scene: int | None
    invitor_userid: str | None
    state: str | None
    left_at: datetime | None
    quit_scene: int | None


class CustomerGroupDetail(CustomerGroup):
    members: list[GroupMember]


CustomerGroupPage = Page[CustomerGroup]
